"""On-demand rendering of unlisted params: MISS, shared first renders, dynamic_params."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

import ssg.isr.on_demand as on_demand_module
from ssg.config import load_config
from tests.conftest import MakeSite
from tests.server.conftest import (
    LAYOUT,
    ServeSite,
    counting_page_py,
    hold_renders,
    isr_site,
    renders,
)


async def test_unlisted_param_renders_on_demand_then_is_a_hit(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)
    server = await serve_site(site_dir)
    built = len(renders(site_dir))

    first = await server.get("/blog/new")
    second = await server.get("/blog/new")

    assert first.status == 200
    assert first.headers["X-SSG-Cache"] == "MISS"
    assert "new v=1" in first.text
    assert first.headers["Cache-Control"] == "s-maxage=60, stale-while-revalidate=31535940"
    assert second.headers["X-SSG-Cache"] == "HIT"
    assert second.body == first.body
    assert renders(site_dir)[built:] == ["new"]


async def test_concurrent_first_requests_share_one_render(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)
    server = await serve_site(site_dir)
    built = len(renders(site_dir))
    hold = hold_renders(server, "app/blog/[slug]/page.py")

    requests = [asyncio.create_task(server.get("/blog/new")) for _ in range(20)]
    await hold.started.wait()
    hold.gate.set()
    replies = await asyncio.gather(*requests)

    assert {r.status for r in replies} == {200}
    assert renders(site_dir)[built:] == ["new"]
    assert server.engine.regenerator.on_demand_started == 1


async def test_route_without_generate_static_params_renders_on_demand(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/docs/[slug]/page.html": "<p>doc {{ params.slug }}</p>",
            "app/docs/[slug]/page.py": "revalidate = 30\n",
        }
    )
    server = await serve_site(site_dir)

    reply = await server.get("/docs/intro")

    assert (reply.status, reply.headers["X-SSG-Cache"]) == (200, "MISS")
    assert "doc intro" in reply.text


async def test_generate_static_params_returning_empty_renders_on_demand(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/tags/[tag]/page.html": "<p>tag {{ params.tag }}</p>",
            "app/tags/[tag]/page.py": (
                "revalidate = 30\nasync def generate_static_params(params):\n    return []\n"
            ),
        }
    )
    server = await serve_site(site_dir)

    reply = await server.get("/tags/python")

    assert (reply.status, reply.headers["X-SSG-Cache"]) == (200, "MISS")


async def test_dynamic_params_false_answers_404_for_unlisted_params(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site, settings="revalidate = 60\ndynamic_params = False")
    server = await serve_site(site_dir)
    built = len(renders(site_dir))

    listed = await server.get("/blog/a")
    unlisted = await server.get("/blog/zzz")

    assert listed.status == 200
    assert unlisted.status == 404
    assert 'name="robots" content="noindex"' in unlisted.text
    assert len(renders(site_dir)) == built


async def test_dynamic_params_false_in_a_layout_applies_to_pages_below(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/shop/layout.html": "<main>{{ children }}</main>",
            "app/shop/layout.py": "dynamic_params = False\n",
            "app/shop/[item]/page.html": "<p>{{ params.item }}</p>",
            "app/shop/[item]/page.py": (
                "async def generate_static_params(params):\n    return [{'item': 'hat'}]\n"
            ),
        }
    )
    server = await serve_site(site_dir)

    assert (await server.get("/shop/hat")).status == 200
    assert (await server.get("/shop/shoe")).status == 404


async def test_not_found_from_load_is_404_and_not_cached(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/p/[slug]/page.html": "<p>{{ params.slug }}</p>",
            "app/p/[slug]/page.py": counting_page_py(3, "import ssg\nrevalidate = 60").replace(
                "    slug = ", "    ssg.not_found()\n    slug = "
            ),
            "content/version.txt": "1",
        }
    )
    server = await serve_site(site_dir)

    first = await server.get("/p/missing")
    second = await server.get("/p/missing")

    assert (first.status, second.status) == (404, 404)
    assert "X-SSG-Cache" not in first.headers
    assert server.engine.cache.get("/p/missing") is None


async def test_on_demand_entries_are_bounded_evicting_the_least_recently_used(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site, extra={"ssg.toml": "on_demand_max_entries = 3\n"})
    server = await serve_site(site_dir)
    built = len(renders(site_dir))

    for slug in ("n1", "n2", "n3"):
        await server.get(f"/blog/{slug}")
    await server.get("/blog/n1")  # used again: n2 is now the least recently used
    await server.get("/blog/n4")  # over the budget: n2 goes
    again = await server.get("/blog/n2")  # rendered again, which evicts n3
    prerendered = await server.get("/blog/a")  # listed by the build: never counted

    entry_urls = {page.record.url_path for page in server.engine.cache if page.from_entry}
    assert entry_urls == {"/blog/n1", "/blog/n4", "/blog/n2"}
    assert len(list(server.config.cache_dir.joinpath("isr").glob("*.entry"))) == 3
    assert (again.headers["X-SSG-Cache"], prerendered.headers["X-SSG-Cache"]) == ("MISS", "HIT")
    assert renders(site_dir)[built:] == ["n1", "n2", "n3", "n4", "n2"]
    assert server.engine.on_demand.evicted == 2


async def test_a_restart_keeps_only_the_newest_on_demand_entries(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site, extra={"ssg.toml": "on_demand_max_entries = 5\n"})
    server = await serve_site(site_dir)
    for index in range(5):
        await server.get(f"/blog/n{index}")
        server.clock.advance(1)
    site_dir.joinpath("ssg.toml").write_text("on_demand_max_entries = 2\n")
    server.config = load_config(site_dir)
    await server.restart()

    entry_urls = {page.record.url_path for page in server.engine.cache if page.from_entry}
    assert entry_urls == {"/blog/n3", "/blog/n4"}
    assert len(list(server.config.cache_dir.joinpath("isr").glob("*.entry"))) == 2


async def test_an_evicted_url_asked_again_waits_for_its_entry_deletion(
    make_site: MakeSite, serve_site: ServeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_dir = isr_site(make_site, extra={"ssg.toml": "on_demand_max_entries = 1\n"})
    server = await serve_site(site_dir)
    await server.get("/blog/n1")
    deleting, gate = threading.Event(), threading.Event()
    unlink_all = on_demand_module.unlink_all

    def held_unlink(files: list[Path]) -> None:
        deleting.set()
        gate.wait(10)
        unlink_all(files)

    monkeypatch.setattr(on_demand_module, "unlink_all", held_unlink)
    on_demand = server.engine.on_demand
    waiting = asyncio.Event()
    wait_deleted = on_demand.wait_deleted

    async def observed_wait(url_path: str) -> None:
        waiting.set()
        await wait_deleted(url_path)

    monkeypatch.setattr(on_demand, "wait_deleted", observed_wait)
    evicting = asyncio.create_task(server.get("/blog/n2"))  # evicts n1: its deletion is held
    assert await asyncio.to_thread(deleting.wait, 10)
    again = asyncio.create_task(server.get("/blog/n1"))
    # Either the render waits for the held deletion, or (wrong) it ends and writes its
    # entry before the deletion goes on: then the deletion removes the new entry.
    await asyncio.wait(
        [again, asyncio.create_task(waiting.wait())], return_when=asyncio.FIRST_COMPLETED
    )
    gate.set()
    replies = await asyncio.gather(evicting, again)

    entries = [page for page in server.engine.cache if page.from_entry]
    assert [reply.status for reply in replies] == [200, 200]
    assert [page.record.url_path for page in entries] == ["/blog/n1"]
    assert server.engine.body_file(entries[0]).is_file()
