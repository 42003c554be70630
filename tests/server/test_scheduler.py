"""The apscheduler jobs run with the app: prewarm stale pages, expire data cache entries."""

from __future__ import annotations

import asyncio
import logging

import pytest

from ssg.server.app import SWITCH_KEY
from tests.conftest import MakeSite
from tests.server.conftest import ServeSite, hold_renders, isr_site, renders


async def test_scheduler_starts_and_stops_with_the_app(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(isr_site(make_site))
    scheduler = server.app[SWITCH_KEY].current.scheduler

    running = scheduler.running
    jobs = sorted(job.id for job in scheduler.get_jobs())
    await server.runner.cleanup()
    await asyncio.sleep(0)  # the scheduler's shutdown runs as a loop callback

    assert running is True
    assert jobs == ["expire-data-cache", "sync-marks"]
    assert scheduler.running is False


async def test_prewarm_regenerates_stale_pages_without_a_visitor(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)
    server = await serve_site(site_dir, prewarm=True, prewarm_interval_seconds=30)
    job = server.app[SWITCH_KEY].current.scheduler.get_job("prewarm")
    built = len(renders(site_dir))
    (site_dir / "content" / "version.txt").write_text("2")
    server.clock.advance(61)

    # The job as the scheduler runs it every 30 s (apscheduler's own clock is the wall's:
    # awaited here rather than waited for).
    await job.func()
    await server.engine.regenerator.wait_idle()
    reply = await server.get("/blog/a")

    assert job.trigger.interval.total_seconds() == 30
    assert sorted(renders(site_dir)[built:]) == ["a", "b"]
    assert (reply.headers["X-SSG-Cache"], "a v=2" in reply.text) == ("HIT", True)


async def test_prewarm_keeps_at_most_limit_renders_in_flight(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site, slugs=("a", "b", "c", "d", "e"))
    server = await serve_site(site_dir)
    hold = hold_renders(server, "app/blog/[slug]/page.py")
    server.clock.advance(61)

    started = server.engine.prewarm(limit=2)
    again = server.engine.prewarm(limit=2)
    in_flight = len(server.engine.regenerator.in_flight)
    hold.gate.set()
    await server.engine.regenerator.wait_idle()

    assert (started, again, in_flight) == (2, 0, 2)


async def test_expire_job_removes_expired_data_cache_entries(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site_dir = isr_site(
        make_site,
        extra={
            "app/about/page.html": "{{ n }}",
            "app/about/page.py": (
                "import ssg\n"
                "@ssg.cache(revalidate=10)\n"
                "def n():\n"
                "    return 1\n"
                "async def load(params):\n"
                "    return {'n': n()}\n"
            ),
        },
    )
    server = await serve_site(site_dir)
    job = server.app[SWITCH_KEY].current.scheduler.get_job("expire-data-cache")
    server.clock.advance(11)

    with caplog.at_level(logging.INFO, logger="ssg.isr"):
        await job.func()

    assert "Removed 1 expired data cache entry." in caplog.text


async def test_a_job_cancelled_by_shutdown_logs_no_error(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    """A build switch or a stop can cancel a job about to run; that is no error to report."""
    server = await serve_site(isr_site(make_site))
    scheduler = server.app[SWITCH_KEY].current.scheduler
    started = asyncio.Event()

    async def waits() -> None:
        started.set()
        await asyncio.Event().wait()  # runs until shutdown cancels it

    scheduler.add_job(waits, id="waits")
    await started.wait()
    with caplog.at_level(logging.ERROR, logger="apscheduler"):
        scheduler.shutdown(wait=False)
        for _ in range(3):
            await asyncio.sleep(0)  # the cancellation and apscheduler's callback run
    assert [r.getMessage() for r in caplog.records if r.name.startswith("apscheduler")] == []
