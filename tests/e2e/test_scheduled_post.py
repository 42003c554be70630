"""End to end: a post scheduled a few seconds ahead goes out under a real `ssg serve`, no rebuild.

The one test that waits for real time (the others inject a clock).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from tests.server.test_serve_command import free_port, read_until, start_serve, stop_serve

AHEAD_SECONDS = 12  # time for `ssg build` and the server start-up on a busy machine
PUBLISH_DEADLINE_SECONDS = 20


async def text_of(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url) as response:
        return response.status, await response.text()


async def test_scheduled_post_appears_on_its_page_listing_and_feed_at_its_date(
    tmp_path: Path,
) -> None:
    site = tmp_path / "blog"
    subprocess.run([sys.executable, "-m", "ssg", "new", str(site)], check=True, timeout=60)
    due = int(time.time()) + AHEAD_SECONDS
    stamp = datetime.fromtimestamp(due, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    (site / "content/posts/soon.md").write_text(
        f"---\ntitle: Soon and scheduled\ndate: {stamp}\n---\nOut at {stamp}.\n"
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = await start_serve(site, port)  # builds first: there is no out/ yet
    seen: list[str] = []
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=60)
        async with aiohttp.ClientSession() as session:
            assert time.time() < due, "the build took longer than AHEAD_SECONDS"
            before = {
                path: await text_of(session, base + path)
                for path in ("/blog/soon", "/", "/feed.xml")
            }
            await asyncio.sleep(max(0.0, due - time.time()))
            published: dict[str, float] = {}
            deadline = due + PUBLISH_DEADLINE_SECONDS
            while len(published) < 3 and time.time() < deadline:
                for path in ("/blog/soon", "/", "/feed.xml"):
                    status, text = await text_of(session, base + path)
                    if path not in published and status == 200 and "Soon and scheduled" in text:
                        published[path] = time.time() - due
                await asyncio.sleep(0.2)
    finally:
        await stop_serve(process)

    assert before["/blog/soon"][0] == 404
    assert "Soon and scheduled" not in before["/"][1]
    assert "Soon and scheduled" not in before["/feed.xml"][1]
    assert set(published) == {"/blog/soon", "/", "/feed.xml"}, "".join(seen)
