"""Next.js App Router behaviours checked at serve time (their build-time twins live in tests/builder).

Each test names the Next.js test or doc it was written from.
"""

from __future__ import annotations

from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, ServeSite


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


SLOT_LAYOUT = "<section>[{{ slots.team }}]{{ children }}</section>"


async def test_an_exception_in_a_slot_page_is_caught_by_the_slots_error_html(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    """Parallel-routes docs: each slot has its own error boundary (@team/error.html)."""
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/error.html": "root error",
            "app/dash/layout.html": SLOT_LAYOUT,
            "app/dash/page.html": "main",
            "app/dash/page.py": "dynamic = 'force-dynamic'\n",
            "app/dash/@team/page.html": "team",
            "app/dash/@team/page.py": "def load(params):\n    raise RuntimeError('boom')\n",
            "app/dash/@team/error.html": "<p id=team-error>team failed</p>",
        }
    )
    server = await serve_site(site)

    reply = await server.get("/dash")

    assert reply.status == 500
    assert "<section>[]<p id=team-error>team failed</p></section>" in reply.text
    assert "root error" not in reply.text


async def test_not_found_in_a_slot_page_makes_the_url_a_404(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    """test/e2e/app-dir/parallel-route-not-found ("should handle `notFound()` in a slot")."""
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/not-found.html": "<p>This page could not be found</p>",
            "app/dash/layout.html": SLOT_LAYOUT,
            "app/dash/page.html": "<p id=children-slot>main</p>",
            "app/dash/page.py": "dynamic = 'force-dynamic'\n",
            "app/dash/@team/page.html": "team",
            "app/dash/@team/page.py": "import ssg\n\ndef load(params):\n    ssg.not_found()\n",
        }
    )
    server = await serve_site(site)

    reply = await server.get("/dash")

    assert reply.status == 404
    assert "This page could not be found" in reply.text and "children-slot" not in reply.text


async def test_a_slot_with_no_page_and_no_default_makes_the_url_a_404(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    """test/e2e/app-dir/parallel-route-not-found ("a layout that attempts to render a missing
    parallel route")."""
    site = make_site(
        {
            "app/layout.html": "<html><body>{{ children }}{{ slots.bar }}</body></html>",
            "app/not-found.html": "<p>This page could not be found</p>",
            "app/page.html": "home",
            "app/@bar/page.html": "@bar slot",
            "app/no-bar-slot/page.html": "no bar",
            "app/no-bar-slot/page.py": "dynamic = 'force-dynamic'\n",
            "app/later/[x]/page.html": "later",
        }
    )
    server = await serve_site(site)

    dynamic, on_demand, home = (
        await server.get("/no-bar-slot"),
        await server.get("/later/1"),
        await server.get("/"),
    )

    assert (dynamic.status, on_demand.status, home.status) == (404, 404, 200)
    assert "This page could not be found" in dynamic.text
    assert "@bar slot" in home.text


async def test_params_from_a_parent_only_prerender_the_parent_and_render_children_on_demand(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    """generate-static-params docs ("Generate params from the top down", "subset of paths"):
    a child segment without its own function is rendered on its first request."""
    import json

    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/shop/[category]/layout.html": "{{ children }}",
            "app/shop/[category]/layout.py": (
                "def generate_static_params(p):\n    return [{'category': 'shoes'}]\n"
            ),
            "app/shop/[category]/page.html": "cat {{ params.category }}",
            "app/shop/[category]/[product]/page.html": (
                "prod {{ params.category }}/{{ params.product }}"
            ),
        }
    )
    server = await serve_site(site)

    manifest = json.loads((site / "out/_ssg/manifest.json").read_text())
    category, product = await server.get("/shop/shoes"), await server.get("/shop/shoes/red")

    assert sorted(manifest["pages"]) == ["/shop/shoes"]
    assert (category.headers["X-SSG-Cache"], product.headers["X-SSG-Cache"]) == ("HIT", "MISS")
    assert "prod shoes/red" in product.text
