"""Next.js App Router behaviours checked at serve time (their build-time twins live in tests/builder).

Each test names the Next.js test or doc it was written from.
"""

from __future__ import annotations

from tests.conftest import MakeSite
from tests.server.conftest import ServeSite


def title_of(html: str) -> str:
    return html.split("<title>", 1)[1].split("</title>", 1)[0]


async def test_title_template_applies_below_the_layout_not_to_its_own_page(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    """test/e2e/app-dir/metadata ("should support title template"), generate-metadata docs."""
    layout = (
        "<html><head><title>{{ metadata.title }}</title></head><body>{{ children }}</body></html>"
    )
    site = make_site(
        {
            "app/layout.html": layout,
            "app/layout.py": "metadata = {'title': {'template': '%s | Site', 'default': 'Site'}}\n",
            "app/page.html": "home",
            "app/page.py": "dynamic = 'force-dynamic'\nmetadata = {'title': 'Home'}\n",
            "app/about/page.html": "about",
            "app/about/page.py": "dynamic = 'force-dynamic'\nmetadata = {'title': 'About'}\n",
        }
    )
    server = await serve_site(site)

    about, home = await server.get("/about"), await server.get("/")

    assert (title_of(about.text), title_of(home.text)) == ("About | Site", "Home")
