"""A layout that never renders `{{ children }}` is a warning naming the file and the fix."""

from __future__ import annotations

import pytest

from ssg.builder.builder import build_site
from ssg.config import load_config
from ssg.layout_children import find_childless_layouts
from ssg.site import Site
from tests.conftest import MakeSite

ROOT = "<html><body>{{ children }}</body></html>"
BLOG_SITE = {
    "app/layout.html": ROOT,
    "app/page.html": "<h1>Home</h1>",
    "app/blog/layout.html": "<section>Blog header</section>",
    "app/blog/page.html": "<h1>All posts</h1>",
    "app/blog/[slug]/page.html": "<h1>{{ params.slug }}</h1>",
    "app/blog/[slug]/page.py": "def generate_static_params(params):\n"
    '    return [{"slug": "hello"}]\n',
    # A route handler below the layout: never wrapped in it, so not counted.
    "app/blog/feed.xml/route.py": 'dynamic = "force-static"\ndef GET(request, params):\n'
    '    return "feed"\n',
}


async def test_a_build_warns_of_a_layout_without_children_naming_it_and_the_fix(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(BLOG_SITE)
    await build_site(load_config(site))
    assert "<h1>All posts</h1>" not in (site / "out/blog.html").read_text()  # what it warns of
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "app/blog/layout.html never renders {{ children }}, so every page below it "
        "(2 routes: /blog, /blog/[slug]) shows the layout without the page. Add "
        "{{ children }} where the page belongs (a layout wraps the pages below it, as a "
        "Next.js layout renders its children)."
    ]


async def test_a_build_that_finds_nothing_changed_warns_again(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(BLOG_SITE)
    await build_site(load_config(site))
    caplog.clear()
    again = await build_site(load_config(site))
    assert again.pages_rendered == 0
    assert "app/blog/layout.html never renders {{ children }}" in caplog.text


async def test_the_fixed_layout_is_no_longer_warned_of(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(BLOG_SITE)
    await build_site(load_config(site))
    (site / "app/blog/layout.html").write_text("<section>Blog header</section>{{ children }}")
    caplog.clear()
    await build_site(load_config(site))
    assert "never renders" not in caplog.text
    assert "<h1>All posts</h1>" in (site / "out/blog.html").read_text()


@pytest.mark.parametrize(
    ("files", "childless"),
    [
        ({"app/blog/layout.html": "<div>{{ children }}</div>"}, []),
        ({"app/blog/layout.html": "{{ children | safe }}"}, []),
        ({"app/blog/layout.html": "<div>{{ slots.team }}</div>"}, ["app/blog/layout.html"]),
        ({"app/blog/layout.html": "{% set children = 'x' %}"}, ["app/blog/layout.html"]),
        (
            {
                "app/blog/layout.html": '{% extends "_parts/shell.html" %}',
                "app/_parts/shell.html": "<main>{% block main %}{{ children }}{% endblock %}</main>",
            },
            [],
        ),
        (
            {
                "app/blog/layout.html": '{% include "_parts/body.html" %}',
                "app/_parts/body.html": "{{ children }}",
            },
            [],
        ),
        (
            {
                "app/blog/layout.html": '{% include "_parts/nav.html" %}',
                "app/_parts/nav.html": '<nav>{% if 0 %}{% include "_parts/nav.html" %}{% endif %}</nav>',
            },
            ["app/blog/layout.html"],
        ),
        ({"app/blog/layout.html": "{% include name %}"}, []),
        ({"app/blog/layout.html": '{% include "_parts/missing.html" %}'}, []),
    ],
    ids=[
        "children",
        "children-filtered",
        "slots-only",
        "children-assigned-never-read",
        "children-in-extended-template",
        "children-in-included-template",
        "include-without-children",
        "include-by-variable",
        "include-missing",
    ],
)
def test_which_layouts_render_their_children(
    make_site: MakeSite, files: dict[str, str], childless: list[str]
) -> None:
    site_dir = make_site({"app/layout.html": ROOT, "app/blog/page.html": "<h1>Blog</h1>", **files})
    site = Site.load(load_config(site_dir))
    found = find_childless_layouts(site.env, site.routes, site.config.app_dir)
    assert [site.relative(layout.template_file) for layout in found] == childless


def test_a_slot_layout_without_children_is_named_with_its_slot(make_site: MakeSite) -> None:
    site_dir = make_site(
        {
            "app/layout.html": ROOT,
            "app/dash/layout.html": "{{ children }}{{ slots.team }}",
            "app/dash/page.html": "<h1>Dash</h1>",
            "app/dash/@team/layout.html": "<aside>Team</aside>",
            "app/dash/@team/page.html": "<p>members</p>",
        }
    )
    site = Site.load(load_config(site_dir))
    [layout] = find_childless_layouts(site.env, site.routes, site.config.app_dir)
    assert site.relative(layout.template_file) == "app/dash/@team/layout.html"
    assert "so the @team slot's pages (1 route: /dash)" in layout.message(site.config.site_dir)


@pytest.mark.parametrize(
    "page",
    [
        '{% extends "theme/base.html" %}{% block content %}x{% endblock %}',
        "<html><body>x</body></html>",
    ],
    ids=["extends-the-theme", "writes-html"],
)
def test_a_page_that_renders_a_whole_document_is_warned_of(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture, page: str
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": '{% extends "theme/base.html" %}',
            "app/page.html": "home",
            "app/sub/page.html": page,
            "app/doc/page.md": "<html> in Markdown is text",
        }
    )
    with caplog.at_level("WARNING", logger="ssg.layouts"):
        Site.load(load_config(site_dir, environ={}))
    assert [r.getMessage() for r in caplog.records] == [
        "app/sub/page.html renders a whole document (<html>): pages render inside "
        "app/layout.html, which gives them <html> and <body>, so this page would nest a "
        "second one. Drop its {% extends %} (or its <html> and <body>) and keep only the "
        "page's content."
    ]
