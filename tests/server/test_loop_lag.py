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

    # Up to three renders (a new URL each): on a busy machine one measurement can
    # catch the OS scheduling another process; a blocking load() stalls every one.
    lags = []
    for attempt in range(3):
        lag, reply = await max_loop_lag(server.get(f"/slow/x{attempt}"))
        assert (reply.status, f"slow x{attempt}" in reply.text) == (200, True)
        lags.append(lag)
        if lag < MAX_LAG_SECONDS:
            break

    assert min(lags) < MAX_LAG_SECONDS


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
    lags = []
    for attempt in range(3):  # a new key each time; see the test above for why three
        # Another process (here: another connection) holds the sqlite write lock for 0.3 s.
        holder = sqlite3.connect(
            server.config.cache_dir / "data" / "cache.db",
            isolation_level=None,
            check_same_thread=False,
        )
        holder.execute("BEGIN EXCLUSIVE")
        release = threading.Timer(0.3, holder.rollback)
        release.start()
        try:
            lag, reply = await max_loop_lag(server.get(f"/cached/a{attempt}"))
        finally:
            release.join()
            holder.close()
        assert (reply.status, f"cached a{attempt}a{attempt}" in reply.text) == (200, True)
        lags.append(lag)
        if lag < MAX_LAG_SECONDS:
            break

    assert min(lags) < MAX_LAG_SECONDS


POST = """---
title: Post {n}
date: 1970-01-{day:02d}
---
# Post {n}

Some text with `code` and a list:

- one
- two

```python
def f{n}(x):
    return [i * x for i in range({n})]  # highlighted by Pygments
```
"""


async def test_the_content_the_build_read_is_parsed_off_the_loop_at_start(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    posts = {f"content/posts/p{n}.md": POST.format(n=n, day=n % 10 + 1) for n in range(150)}
    listing = (
        "import ssg.content\n\nasync def load(params):\n"
        "    posts = ssg.content.load_collection('content/posts')  # sync, on the loop\n"
        "    return {'count': len(posts)}\n"
    )
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "{{ count }} posts",
            "app/page.py": listing,
            "app/tags/[tag]/page.html": "{{ count }} posts tagged",
            "app/tags/[tag]/page.py": listing,
            **posts,
        }
    )
    server = await serve_site(site_dir)
    assert server.engine.content_preload is not None
    preloaded = await server.engine.content_preload

    lag, reply = await max_loop_lag(server.get("/tags/python"))  # first render on demand

    assert preloaded == 1
    assert (reply.status, "150 posts tagged" in reply.text) == (200, True)
    assert lag < MAX_LAG_SECONDS
