"""Nothing blocks the server's event loop: slow sync load() and a locked data cache run off it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable

from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, Reply, ServeSite

MAX_LAG_SECONDS = 0.050
TICK_SECONDS = 0.005


async def max_loop_lag(work: Awaitable[Reply]) -> tuple[float, Reply]:
    """Run `work` while a ticker measures how late the loop wakes it; return (worst lag, reply)."""
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        while not done.is_set():
            started = loop.time()
            await asyncio.sleep(TICK_SECONDS)  # the measurement itself: how late is this wake-up
            lags.append(loop.time() - started - TICK_SECONDS)

    ticker = asyncio.create_task(tick())
    try:
        reply = await work
    finally:
        done.set()
        await ticker
    return max(lags), reply


async def test_a_slow_sync_load_does_not_stall_the_loop(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/slow/[slug]/page.html": "slow {{ slug }}",
            "app/slow/[slug]/page.py": (
                "import time\n\ndef load(params):\n    time.sleep(0.3)  # blocking work\n"
                "    return {'slug': params['slug']}\n"
            ),
        }
    )
    server = await serve_site(site_dir)

    lag, reply = await max_loop_lag(server.get("/slow/x"))

    assert (reply.status, "slow x" in reply.text) == (200, True)
    assert lag < MAX_LAG_SECONDS


async def test_a_data_cache_locked_by_another_process_does_not_stall_the_loop(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/cached/[slug]/page.html": "cached {{ value }}",
            "app/cached/[slug]/page.py": (
                "import ssg\n\n@ssg.cache(revalidate=60)\nasync def value(slug):\n"
                "    return slug * 2\n\nasync def load(params):\n"
                "    return {'value': await value(params['slug'])}\n"
            ),
        }
    )
    server = await serve_site(site_dir)
    # Another process (here: another connection) holds the sqlite write lock for 0.3 s.
    holder = sqlite3.connect(
        server.config.cache_dir / "data" / "cache.db", isolation_level=None, check_same_thread=False
    )
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(0.3, holder.rollback)
    release.start()
    try:
        lag, reply = await max_loop_lag(server.get("/cached/ab"))
    finally:
        release.join()
        holder.close()

    assert (reply.status, "cached abab" in reply.text) == (200, True)
    assert lag < MAX_LAG_SECONDS
