"""Ctrl-C of `ssg serve` while its child processes work: a clean stop, no traceback.

The terminal's Ctrl-C sends SIGINT to the whole process group, so each test starts
`ssg serve` in a session of its own and signals that group, as a terminal would.
A site module marks the moment (a line on stderr) and holds the child there until
the test removes a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from ssg.builder.builder import build_site
from ssg.config import load_config
from ssg.content.pool import PARALLEL_MIN_FILES, default_workers
from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT
from tests.server.test_serve_command import read_until, start_serve

HELD = '''
import os, sys, time
from pathlib import Path

SITE = Path(__file__).resolve().parent


def hold(where):
    """While the file `hold` exists: say so on stderr, then wait for the test to remove it."""
    if (SITE / "hold").exists():
        print(f"held: {where} {os.getpid()}", file=sys.stderr, flush=True)
        while (SITE / "hold").exists():
            time.sleep(0.01)


def mark(body):
    """A body filter: each parse (in the content pool's workers) waits while `hold` exists."""
    hold("parse")
    return body
'''


async def output_at_exit(process: asyncio.subprocess.Process, seen: list[str]) -> str:
    """Wait for the process to end (its group is killed after 60 s) and return all it wrote."""
    try:
        rest, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
    return "".join(seen) + rest.decode(errors="replace")


@pytest.mark.skipif(default_workers() < 2, reason="the content pool needs two CPUs")
async def test_ctrl_c_while_the_content_pool_parses_stops_serve_without_a_traceback(
    make_site: MakeSite,
) -> None:
    posts = {f"posts/p{n}.md": f"---\ntitle: Post {n}\n---\nBody {n}.\n" for n in range(80)}
    assert len(posts) >= PARALLEL_MIN_FILES  # parsed by the pool
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "{% for post in posts %}<p>{{ post.title }}</p>{% endfor %}",
            "app/page.py": "import held\nfrom ssg.content import load_collection\n\n"
            "def load(params):\n"
            '    return {"posts": load_collection("posts", body_filter=held.mark)}\n',
            "held.py": HELD,
            **posts,
        }
    )
    await build_site(load_config(site_dir))
    # Serve parses the posts again at start (in its content pool), from no cache.
    shutil.rmtree(load_config(site_dir).cache_dir / "content")
    (site_dir / "hold").touch()
    process = await start_serve(site_dir, 0, own_group=True)
    seen: list[str] = []
    try:
        await asyncio.wait_for(read_until(process, "held: parse", seen), 60)
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C while a pool worker parses
        (site_dir / "hold").unlink()  # the parse may end: the server stops once it has
    finally:
        output = await output_at_exit(process, seen)
    assert "Traceback" not in output, output
    assert process.returncode == 0, output


async def test_ctrl_c_while_workers_start_stops_serve_without_a_traceback(
    make_site: MakeSite,
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "<h1>Home</h1>",
            "app/page.py": "import held\n\nheld.hold('load')\n",
            "held.py": HELD,
        }
    )
    await build_site(load_config(site_dir))
    (site_dir / "hold").touch()
    process = await start_serve(site_dir, 0, workers=2, own_group=True)
    seen: list[str] = []
    try:
        for _worker in range(2):
            await asyncio.wait_for(read_until(process, "held: load", seen), 60)
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C while both workers load the site
    finally:
        output = await output_at_exit(process, seen)
        # Another test's build in this process may call this site's `held` (sys.modules).
        (site_dir / "hold").unlink()
    assert "Traceback" not in output, output
    assert process.returncode == 0, output


SLOW_SITE = {
    "app/layout.html": LAYOUT,
    "app/slow/page.html": "<h1>Slow</h1>",
    "app/slow/page.py": 'import held\n\ndynamic = "force-dynamic"\n\n'
    "def load(params):\n    held.hold('load')\n    return {}\n",
    "held.py": HELD,
}


@contextlib.asynccontextmanager
async def serving_a_held_load(
    site_dir: Path,
) -> AsyncIterator[tuple[asyncio.subprocess.Process, list[str], asyncio.Task[int]]]:
    """`ssg serve` of `site_dir` (its own process group) with a request for /slow whose
    load() is held until the block ends: (the process, its output lines, the request)."""
    await build_site(load_config(site_dir))
    process = await start_serve(site_dir, 0, own_group=True)
    seen: list[str] = []
    request = None
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), 60)
        found = re.search(r" on (http://[^\s,]+)", seen[-1])
        assert found is not None, seen
        (site_dir / "hold").touch()  # the page's load() waits until the test is done
        request = asyncio.create_task(_get(found.group(1) + "/slow"))
        await asyncio.wait_for(read_until(process, "held: load", seen), 60)
        yield process, seen, request
    finally:
        (site_dir / "hold").unlink(missing_ok=True)
        if request is not None:
            request.cancel()
            await asyncio.gather(request, return_exceptions=True)


async def test_a_second_ctrl_c_quits_at_once_while_a_slow_load_still_runs(
    make_site: MakeSite,
) -> None:
    site_dir = make_site(SLOW_SITE)
    async with serving_a_held_load(site_dir) as (process, seen, _request):
        os.killpg(process.pid, signal.SIGINT)
        await asyncio.wait_for(read_until(process, "Ctrl-C again to quit at once", seen), 60)
        os.killpg(process.pid, signal.SIGINT)  # the load is still held: quit without it
        output = await output_at_exit(process, seen)
    assert "Quitting at once" in output and "Traceback" not in output, output
    assert process.returncode == 130, output


async def _get(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url) as reply:
        return reply.status


async def test_one_ctrl_c_stops_after_the_grace_period_naming_the_load_left_running(
    make_site: MakeSite,
) -> None:
    site_dir = make_site({**SLOW_SITE, "ssg.toml": "shutdown_grace_seconds = 0.5\n"})
    async with serving_a_held_load(site_dir) as (process, seen, request):
        os.killpg(process.pid, signal.SIGINT)  # one Ctrl-C
        output = await output_at_exit(process, seen)  # the load is still held
        status = await request
    assert status == 503
    assert (
        "1 function of the site left running in a thread (load() of app/slow/page.py"
        in " ".join(output.split())
    ), output
    assert "Traceback" not in output and "Quitting at once" not in output, output
    assert process.returncode == 1, output
