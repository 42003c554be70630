"""Title templates as Next.js metadata: template, default, absolute.

Written from test/e2e/app-dir/metadata ("should support title template":
app/title-template/layout + extra/page) and the generate-metadata docs
("title.template applies to child route segments and not the segment it's
defined in"; "title.default ... fallback for child segments that don't define
a title"; "title.absolute ... ignores title.template set in parent segments").
"""

from __future__ import annotations

import pytest

from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.conftest import MakeSite

TEMPLATE = "metadata = {'title': {'template': '%s | Site', 'default': 'Site'}}\n"


def title_of(html: str) -> str:
    return html.split("<title>", 1)[1].split("</title>", 1)[0]


@pytest.fixture
def site(make_site: MakeSite):
    return make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/layout.py": TEMPLATE,
            "app/page.html": "home",
            "app/page.py": "metadata = {'title': 'Home'}\n",
            "app/about/page.html": "about",
            "app/about/page.py": "metadata = {'title': 'About'}\n",
            "app/untitled/page.html": "untitled",
            "app/absolute/page.html": "absolute",
            "app/absolute/page.py": "metadata = {'title': {'absolute': 'Standalone'}}\n",
            "app/docs/layout.html": "{{ children }}",
            "app/docs/layout.py": "metadata = {'title': {'template': '%s - Docs', 'default': 'Docs'}}\n",
            "app/docs/page.html": "docs",
            "app/docs/intro/page.html": "intro",
            "app/docs/intro/page.py": "metadata = {'title': 'Intro'}\n",
            "app/docs/plain/page.html": "plain",
        }
    )


@pytest.mark.parametrize(
    ("output", "title"),
    [
        pytest.param("index.html", "Home", id="not-applied-to-the-layouts-own-page"),
        pytest.param("about.html", "About | Site", id="applied-to-a-child-page"),
        pytest.param("untitled.html", "Site", id="default-fills-a-page-without-title"),
        pytest.param("absolute.html", "Standalone", id="absolute-ignores-templates"),
        pytest.param("docs.html", "Docs | Site", id="nested-default-through-parent-template"),
        pytest.param("docs/intro.html", "Intro - Docs", id="nearest-template-wins"),
        pytest.param("docs/plain.html", "Docs | Site", id="nested-default-below"),
    ],
)
async def test_title_template_at_build(site, build: Build, output: str, title: str) -> None:
    await build(site)

    assert title_of((site / "out" / output).read_text()) == title


async def test_a_plain_string_title_in_a_layout_stops_the_template_above(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/layout.py": TEMPLATE,
            "app/shop/layout.html": "{{ children }}",
            "app/shop/layout.py": "metadata = {'title': 'Shop'}\n",
            "app/shop/cart/page.html": "cart",
            "app/shop/cart/page.py": "metadata = {'title': 'Cart'}\n",
        }
    )
    await build(site)

    # As Next.js resolveTitle: a string title carries no template to the segments below.
    assert title_of((site / "out/shop/cart.html").read_text()) == "Cart"
