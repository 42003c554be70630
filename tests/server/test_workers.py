"""Two servers on one build (as `--workers 2`): one render per page across both, shared marks."""

from __future__ import annotations

import asyncio

from tests.conftest import MakeSite
from tests.server.conftest import ServeSite, hold_renders, isr_site, renders


async def test_stale_page_regenerates_once_across_workers_and_the_other_adopts_it(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)
    first = await serve_site(site_dir)
    second = await first.second_worker()
    built = len(renders(site_dir))
    hold = hold_renders(first, "app/blog/[slug]/page.py")
    (site_dir / "content" / "version.txt").write_text("2")
    first.clock.advance(61)

    stale_first = await first.get("/blog/a")
    await hold.started.wait()  # the first worker renders and holds the page's lock
    stale_second = await second.get("/blog/a")
    await second.engine.regenerator.wait_idle()  # its try found the lock taken: skipped
    hold.gate.set()
    await first.engine.regenerator.wait_idle()
    still_stale = await second.get("/blog/a")  # its copy is old: it adopts the new entry
    await second.engine.regenerator.wait_idle()
    adopted = await second.get("/blog/a")

    assert stale_first.headers["X-SSG-Cache"] == stale_second.headers["X-SSG-Cache"] == "STALE"
    assert still_stale.headers["X-SSG-Cache"] == "STALE"
    assert (adopted.headers["X-SSG-Cache"], "a v=2" in adopted.text) == ("HIT", True)
    assert renders(site_dir)[built:] == ["a"]
    assert first.engine.renderer.regenerations_rendered.value() == 1


async def test_concurrent_first_requests_on_two_workers_render_once(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)
    first = await serve_site(site_dir)
    second = await first.second_worker()
    built = len(renders(site_dir))
    hold = hold_renders(first, "app/blog/[slug]/page.py")

    on_first = asyncio.create_task(first.get("/blog/new"))
    await hold.started.wait()
    on_second = asyncio.create_task(second.get("/blog/new"))  # waits for the lock
    hold.gate.set()
    replies = await asyncio.gather(on_first, on_second)

    assert [r.status for r in replies] == [200, 200]
    assert replies[0].body == replies[1].body
    assert renders(site_dir)[built:] == ["new"]


async def test_revalidation_on_one_worker_reaches_the_other(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)
    first = await serve_site(site_dir, revalidate_secret="s")
    second = await first.second_worker(revalidate_secret="s")

    reply = await first.request(
        "POST",
        "/_ssg/revalidate",
        json={"tag": "/blog/[slug]/page"},
        headers={"Authorization": "Bearer s"},
    )
    marked = second.engine.revalidations.sync_marks()  # what its scheduler's "sync-marks" job runs
    page = await second.get("/blog/b")

    assert (reply.json()["marked"], marked) == (2, 2)
    assert page.headers["X-SSG-Cache"] == "STALE"
    assert second.engine.revalidations.sync_marks() == 0  # nothing new since
