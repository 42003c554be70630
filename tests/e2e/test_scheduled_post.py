"""End to end: a post scheduled ahead goes out under the server at its date, with no rebuild.

The site is the one `ssg new` makes; the server is the real app on 127.0.0.1,
built and served with an injected clock, so the test moves time to the post's
date instead of waiting for it, and awaits the regenerations it starts.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.server.conftest import FakeClock, ServeSite, serve_site  # noqa: F401 (fixture)

AHEAD_SECONDS = 12
URLS = ("/blog/soon", "/", "/feed.xml")


async def test_scheduled_post_appears_on_its_page_listing_and_feed_at_its_date(
    tmp_path: Path,
    serve_site: ServeSite,  # noqa: F811 (the fixture imported above)
) -> None:
    site = tmp_path / "blog"
    subprocess.run([sys.executable, "-m", "ssg", "new", str(site)], check=True, timeout=60)
    clock = FakeClock(float(int(time.time())))
    due = clock.now + AHEAD_SECONDS
    stamp = datetime.fromtimestamp(due, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    (site / "content/posts/soon.md").write_text(
        f"---\ntitle: Soon and scheduled\ndate: {stamp}\n---\nOut at {stamp}.\n"
    )
    server = await serve_site(site, clock=clock)  # built and served at `clock.now`

    before = {url: await server.get(url) for url in URLS}
    clock.advance(AHEAD_SECONDS - 1)
    just_before = {url: await server.get(url) for url in URLS}
    clock.advance(2)  # past the post's date (a page is fresh up to its last second)
    past_due = {url: await server.get(url) for url in URLS}
    await server.engine.regenerator.wait_idle()  # the listings' regenerations
    published = {url: await server.get(url) for url in URLS}

    assert before["/blog/soon"].status == just_before["/blog/soon"].status == 404
    for url in ("/", "/feed.xml"):
        assert "Soon and scheduled" not in before[url].text
        assert "Soon and scheduled" not in just_before[url].text
        assert just_before[url].headers["X-SSG-Cache"] == "HIT"
        # Due at the post's date: sent stale once, regenerated in the background.
        assert past_due[url].headers["X-SSG-Cache"] == "STALE"
    assert past_due["/blog/soon"].status == 200
    assert {url: reply.status for url, reply in published.items()} == dict.fromkeys(URLS, 200)
    assert all("Soon and scheduled" in reply.text for reply in published.values())
