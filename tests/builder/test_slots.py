"""Slots are small apps: layouts, page modules, params, not_found() and missing slots, at build.

Written from test/e2e/app-dir/parallel-routes-layouts (a layout inside @slot
wraps the slot's pages, not its default), test/e2e/app-dir/parallel-route-not-found
(a slot with no page and no default makes the URL a 404; notFound() in a
slot makes the URL a 404) and the parallel-routes docs (slots get params;
parallel routes' metadata and segment config count for the page).
"""

from __future__ import annotations

import json

from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.conftest import MakeSite

NESTED_LAYOUT = (
    "<h1>Nested Layout</h1><div id=children>{{ children }}</div>"
    "<div id=foo>{{ slots.foo }}</div><div id=bar>{{ slots.bar }}</div>"
)


def layouts_site(make_site: MakeSite):
    return make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/nested/layout.html": NESTED_LAYOUT,
            "app/nested/page.html": "Hello from Nested",
            "app/nested/subroute/page.html": "subroute page",
            "app/nested/@foo/layout.html": "<h1>@foo Layout</h1>{{ children }}",
            "app/nested/@foo/page.html": "Foo Slot",
            "app/nested/@foo/default.html": "@foo default",
            "app/nested/@bar/layout.html": "<h1>@bar Layout</h1>{{ children }}",
            "app/nested/@bar/page.html": "Bar Slot",
            "app/nested/@bar/subroute/page.html": "Subroute",
            "app/nested/@bar/default.html": "@bar default",
        }
    )


async def test_a_layout_inside_a_slot_wraps_the_slots_pages(
    make_site: MakeSite, build: Build
) -> None:
    site = layouts_site(make_site)
    await build(site)

    html = (site / "out/nested.html").read_text()

    assert "<div id=foo><h1>@foo Layout</h1>Foo Slot</div>" in html
    assert "<div id=bar><h1>@bar Layout</h1>Bar Slot</div>" in html


async def test_a_slot_without_a_page_for_the_url_renders_its_default_without_its_layout(
    make_site: MakeSite, build: Build
) -> None:
    site = layouts_site(make_site)
    await build(site)

    html = (site / "out/nested/subroute.html").read_text()

    assert "<div id=foo>@foo default</div>" in html
    assert "<div id=bar><h1>@bar Layout</h1>Subroute</div>" in html


async def test_a_slot_page_module_loads_data_and_merges_metadata(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/dash/layout.html": "[{{ slots.team }}]{{ children }}",
            "app/dash/page.html": "main {{ metadata.description }}",
            "app/dash/page.py": "metadata = {'title': 'Dash'}\n",
            "app/dash/@team/page.html": "{{ members|join(',') }}",
            "app/dash/@team/page.py": "async def load(params):\n"
            "    return {'members': ['ann', 'bo']}\n\n"
            "def generate_metadata(params):\n"
            "    return {'description': 'from the slot', 'title': 'Team'}\n",
        }
    )
    await build(site)

    html = (site / "out/dash.html").read_text()

    # The page's own metadata wins over the slot's; the slot's fills the rest.
    assert "<title>Dash</title>" in html
    assert html.endswith("<body>[ann,bo]main from the slot</body></html>")


async def test_a_slot_page_revalidate_lowers_the_pages_revalidate(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/dash/layout.html": "[{{ slots.team }}]{{ children }}",
            "app/dash/page.html": "main",
            "app/dash/page.py": "revalidate = 600\n",
            "app/dash/@team/page.html": "team",
            "app/dash/@team/page.py": "revalidate = 30\n",
        }
    )
    await build(site)

    manifest = json.loads((site / "out/_ssg/manifest.json").read_text())

    assert manifest["pages"]["/dash"]["revalidate"] == 30


async def test_force_dynamic_in_a_slot_page_makes_the_route_dynamic(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/dash/layout.html": "[{{ slots.team }}]{{ children }}",
            "app/dash/page.html": "main",
            "app/dash/@team/page.html": "team",
            "app/dash/@team/page.py": "dynamic = 'force-dynamic'\n",
        }
    )
    await build(site)

    manifest = json.loads((site / "out/_ssg/manifest.json").read_text())
    route = next(r for r in manifest["routes"] if r["route_pattern"] == "/dash")

    assert route["render"] == "dynamic"
    assert not (site / "out/dash.html").exists()


async def test_not_found_in_a_slot_makes_the_url_a_404(make_site: MakeSite, build: Build) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/dash/layout.html": "[{{ slots.team }}]{{ children }}",
            "app/dash/page.html": "main",
            "app/dash/@team/page.html": "team",
            "app/dash/@team/page.py": "import ssg\n\ndef load(params):\n    ssg.not_found()\n",
        }
    )
    await build(site)

    assert not (site / "out/dash.html").exists()


async def test_a_slot_with_neither_page_nor_default_makes_the_url_a_404(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/page.html": "home",
            "app/@bar/page.html": "@bar slot",
            "app/@bar/default.html": "",
            "app/@foo/has-foo/page.html": "@foo slot",
            "app/has-foo/page.html": "has foo",
            "app/no-foo/page.html": "no foo",
            "app/layout.html": "<html><body>{{ children }}{{ slots.foo }}{{ slots.bar }}</body></html>",
        }
    )
    await build(site)

    assert (site / "out/has-foo.html").read_text() == "<html><body>has foo@foo slot</body></html>"
    assert not (site / "out/no-foo.html").exists()
    assert not (site / "out/index.html").exists()


async def test_slot_pages_under_dynamic_folders_get_their_own_params(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/dash/layout.html": "[{{ slots.team }}]{{ children }}",
            "app/dash/[id]/page.html": "item {{ params.id }}",
            "app/dash/[id]/page.py": "def generate_static_params(p):\n    return [{'id': 'a b'}]\n",
            "app/dash/@team/[member]/page.html": "member={{ params.member }} id={{ params.id }}",
            "app/dash/@team/default.html": "",
        }
    )
    await build(site)

    html = (site / "out/dash/a b.html").read_text()

    assert html.endswith("<body>[member=a b id=a b]item a b</body></html>")


async def test_an_intercepting_folder_in_a_slot_never_matches_and_its_default_renders(
    make_site: MakeSite, build: Build
) -> None:
    """Next.js parallel-routes docs: on a hard navigation the slot renders default.js."""
    site = make_site(
        {
            "app/layout.html": "<html><body>{{ children }}[{{ slots.modal }}]</body></html>",
            "app/page.html": "feed",
            "app/photo/[id]/page.html": "photo {{ params.id }}",
            "app/photo/[id]/page.py": "def generate_static_params(p):\n    return [{'id': '1'}]\n",
            "app/@modal/(.)photo/[id]/page.html": "MODAL {{ params.id }}",
            "app/@modal/default.html": "no modal",
            "app/photo/[id]/loading.html": "Loading…",
        }
    )
    await build(site)

    html = (site / "out/photo/1.html").read_text()

    assert html == "<html><body>photo 1[no modal]</body></html>"


async def test_a_layout_module_inside_a_slot_loads_data_for_its_layout(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/dash/layout.html": "[{{ slots.team }}]{{ children }}",
            "app/dash/page.html": "main",
            "app/dash/@team/layout.html": "<h2>{{ heading }}</h2>{{ children }}",
            "app/dash/@team/layout.py": "revalidate = 45\n\ndef load(params):\n"
            "    return {'heading': 'Team'}\n",
            "app/dash/@team/page.html": "members",
        }
    )
    await build(site)

    manifest = json.loads((site / "out/_ssg/manifest.json").read_text())

    assert (
        (site / "out/dash.html")
        .read_text()
        .endswith("<body>[<h2>Team</h2>members]main</body></html>")
    )
    assert manifest["pages"]["/dash"]["revalidate"] == 45
