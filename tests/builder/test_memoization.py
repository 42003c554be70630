"""Build-wide request memoization and the data cache, counted at a real upstream server."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from ssg.revalidate import Revalidate
from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.conftest import MakeSite


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[str, Counter[str]]]:
    """A JSON server on 127.0.0.1 (ephemeral port) counting requests per path."""
    hits: Counter[str] = Counter()

    async def handle(request: web.Request) -> web.Response:
        hits[request.path] += 1
        return web.json_response({"slugs": ["a", "b", "c", "d", "e"], "name": "Shop"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", hits
    await runner.cleanup()


def fetching_site(make_site: MakeSite, base: str, *, revalidate: str = "None") -> Path:
    fetch = f"(await ssg.fetch('{base}/catalog', revalidate={revalidate})).json()"
    return make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/shop/layout.html": "<h1>{{ name }}</h1>{{ children }}",
            "app/shop/layout.py": f"import ssg\nasync def load(params):\n    return {fetch}\n",
            "app/shop/[slug]/page.html": "{{ params.slug }} of {{ slugs | length }}",
            "app/shop/[slug]/page.py": "import ssg\n"
            f"async def generate_static_params(params):\n"
            f"    return [{{'slug': s}} for s in {fetch}['slugs']]\n"
            f"async def load(params):\n    return {fetch}\n"
            f"async def generate_metadata(params):\n    return {{'title': {fetch}['name']}}\n",
        }
    )


async def test_one_upstream_request_for_params_layouts_pages_and_metadata(
    make_site: MakeSite, build: Build, upstream: tuple[str, Counter[str]]
) -> None:
    base, hits = upstream
    site = fetching_site(make_site, base)
    result = await build(site)
    assert len([p for p in result.manifest.pages if p.startswith("/shop/")]) == 5
    assert hits["/catalog"] == 1
    assert (
        (site / "out/shop/c.html").read_text().endswith("<body><h1>Shop</h1>c of 5</body></html>")
    )


async def test_data_cache_serves_the_next_build_without_a_request(
    make_site: MakeSite, build: Build, upstream: tuple[str, Counter[str]]
) -> None:
    base, hits = upstream
    site = fetching_site(make_site, base, revalidate="300")
    first = await build(site)
    await build(site)
    assert hits["/catalog"] == 1
    assert first.manifest.pages["/shop/a"].revalidate == Revalidate.after(300)


async def test_post_requests_are_never_memoized(
    make_site: MakeSite, build: Build, upstream: tuple[str, Counter[str]]
) -> None:
    base, hits = upstream
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/[n]/page.html": "{{ params.n }}",
            "app/[n]/page.py": "import ssg\n"
            "def generate_static_params(params):\n    return [{'n': '1'}, {'n': '2'}]\n"
            "async def load(params):\n"
            f"    await ssg.fetch('{base}/hook', method='POST', json={{}})\n    return {{}}\n",
        }
    )
    await build(site)
    assert hits["/hook"] == 2


async def test_no_store_fetch_makes_an_auto_route_dynamic(
    make_site: MakeSite, build: Build, upstream: tuple[str, Counter[str]]
) -> None:
    base, _hits = upstream
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/live/page.html": "{{ name }}",
            "app/live/page.py": "import ssg\nasync def load(params):\n"
            f"    return (await ssg.fetch('{base}/live', cache='no-store')).json()\n",
        }
    )
    result = await build(site)
    (row,) = [r for r in result.routes if r.route.route_pattern == "/live"]
    assert row.render == "dynamic"
    assert row.dynamic_reason is not None and "no-store" in row.dynamic_reason
    assert "/live" not in result.manifest.pages


def test_ssg_cache_entries_survive_into_the_next_build_process(make_site: MakeSite) -> None:
    import subprocess
    import sys

    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/page.html": "{{ value }}",
            "app/page.py": "import pathlib\nimport ssg\n"
            "LOG = pathlib.Path(__file__).parent.parent / 'calls.log'\n"
            "@ssg.cache(revalidate=300)\n"
            "def expensive():\n"
            "    with LOG.open('a') as f:\n        f.write('x')\n"
            "    return 42\n"
            "def load(params):\n    return {'value': expensive()}\n",
        }
    )
    for _ in range(2):  # two processes: Python salts hash() differently in each
        done = subprocess.run(
            [sys.executable, "-m", "ssg", "build", str(site)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert (site / "calls.log").read_text() == "x"
    assert (site / "out/index.html").read_text().endswith("<body>42</body></html>")


async def test_no_store_fetch_in_generate_static_params_is_allowed(
    make_site: MakeSite, build: Build, upstream: tuple[str, Counter[str]]
) -> None:
    base, hits = upstream
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/[slug]/page.html": "{{ params.slug }}",
            "app/[slug]/page.py": "import ssg\nasync def generate_static_params(params):\n"
            f"    data = (await ssg.fetch('{base}/list', cache='no-store')).json()\n"
            "    return [{'slug': s} for s in data['slugs']]\n",
        }
    )
    result = await build(site)
    assert sorted(result.manifest.pages) == ["/a", "/b", "/c", "/d", "/e"]
    assert hits["/list"] == 1


@pytest.mark.parametrize("decorator", ["@ssg.cache", "@ssg.cache(revalidate=3600)"])
async def test_every_page_of_a_memoized_call_gets_its_fetches_revalidate_and_tags(
    make_site: MakeSite, build: Build, decorator: str
) -> None:
    # Which page runs a memoized @ssg.cache call first depends on the render order (an
    # incremental build renders only some pages), and a stored one is not run at all
    # when the data cache has it: every page that gets the value records the
    # revalidate and tags of the fetch inside it, in the first build and the next
    # (as Next.js: a page's revalidate is the lowest of every fetch its render used).
    names = ("first", "second", "third")
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/api/posts/route.py": "revalidate = 60\n"
            "def GET(request, params):\n    return ['a', 'b']\n",
            "archive.py": f"import ssg\n{decorator}\nasync def all_posts():\n"
            "    return (await ssg.fetch('/api/posts', tags=['posts'])).json()\n",
            **{f"app/{name}/page.html": "{{ posts | length }}" for name in names},
            **{
                f"app/{name}/page.py": "from archive import all_posts\n"
                "async def load(params):\n    return {'posts': await all_posts()}\n"
                for name in names
            },
        }
    )
    seen = []
    for _build in range(2):
        pages = (await build(site)).manifest.pages
        seen.append(
            {
                name: (pages[f"/{name}"].revalidate, "posts" in pages[f"/{name}"].tags)
                for name in names
            }
        )
        for name in names:  # the next build renders them again
            (site / f"app/{name}/page.html").write_text(f"{{{{ posts | length }}}} {_build}")
    assert seen == [dict.fromkeys(names, (Revalidate.after(60), True))] * 2
