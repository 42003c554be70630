"""Several real `ssg serve` processes, each with its own copy of the site and out/, joined only by Redis."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from ssg.builder.builder import build_site
from ssg.config import load_config
from tests.conftest import MakeSite, RedisServer
from tests.server.conftest import LAYOUT, FakeClock, renders
from tests.server.test_serve_command import (
    follow,
    free_port,
    read_until,
    start_serve,
    stop_serve,
)

LOCK_TTL_SECONDS = 1.0
SECRET = "s"

# A page that logs each render in its own site copy, sleeping first for the seconds in
# SITE/slow.txt when that file exists (so a render can be caught in the middle).
PAGE_PY = """
import asyncio
from pathlib import Path

SITE = Path(__file__).resolve().parents[3]
revalidate = 60

async def generate_static_params(params):
    return [{"slug": "a"}, {"slug": "b"}]

async def load(params):
    with open(SITE / "renders.log", "a", encoding="utf-8") as log:
        log.write(params["slug"] + "\\n")
    slow = SITE / "slow.txt"
    if slow.exists():
        await asyncio.sleep(float(slow.read_text()))
    return {"version": (SITE / "content" / "version.txt").read_text().strip()}
"""


@dataclass
class Instance:
    """One `ssg serve` process and its own site folder."""

    site_dir: Path
    port: int
    process: asyncio.subprocess.Process
    output: list[str] = field(default_factory=list)
    follower: asyncio.Task[None] | None = None
    """Reads the output on (an unread pipe fills up, and the server blocks writing its log)."""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


StartCluster = Callable[[int], Awaitable[list[Instance]]]


@pytest.fixture
async def cluster(
    make_site: MakeSite, redis_server: RedisServer, tmp_path: Path
) -> AsyncIterator[tuple[Path, StartCluster]]:
    """(the built site, `start(n)`: n `ssg serve` processes on copies of it).

    The site is built with a clock an hour back, so its ISR pages are stale on
    their first request; each process gets a copy of the site folder and out/.
    """
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "<h1>home</h1>",
            "app/blog/[slug]/page.html": "<p>{{ params.slug }} v={{ version }}</p>",
            "app/blog/[slug]/page.py": PAGE_PY,
            "content/version.txt": "1",
            "ssg.toml": f'cache_url = "{redis_server.url}?lock_ttl={LOCK_TTL_SECONDS}"\n',
        }
    )
    await build_site(load_config(site_dir), clock=FakeClock(time.time() - 3600))
    (site_dir / "renders.log").unlink()
    started: list[Instance] = []

    async def start(count: int) -> list[Instance]:
        for _ in range(count):
            copy = tmp_path / f"instance-{len(started)}"
            shutil.copytree(site_dir, copy, ignore=shutil.ignore_patterns(".ssg"))
            port = free_port()
            process = await start_serve(copy, port, env={"SSG_REVALIDATE_SECRET": SECRET})
            instance = Instance(copy, port, process)
            await asyncio.wait_for(read_until(process, "ssg serving", instance.output), 30)
            instance.follower = follow(process, instance.output)
            started.append(instance)
        return started[-count:]

    yield site_dir, start
    for instance in started:
        await stop_serve(instance.process, follower=instance.follower)


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, str, str]:
    async with session.get(url) as response:
        return response.status, response.headers.get("X-SSG-Cache", ""), await response.text()


async def until_hit(
    session: aiohttp.ClientSession, url: str, text: str, timeout: float = 10
) -> str:
    """Request `url` until it answers a HIT containing `text` (each STALE one adopts or renders)."""
    async with asyncio.timeout(timeout):
        while True:
            status, cache, body = await get(session, url)
            if status == 200 and cache == "HIT" and text in body:
                return body
            await asyncio.sleep(0.05)  # a background regeneration in another process


def all_renders(instances: list[Instance]) -> list[str]:
    return sorted(slug for instance in instances for slug in renders(instance.site_dir))


async def test_a_stale_storm_on_three_processes_regenerates_once(
    cluster: tuple[Path, StartCluster],
) -> None:
    site_dir, start = cluster
    (site_dir / "content" / "version.txt").write_text("2")
    (site_dir / "slow.txt").write_text("0.5")  # the regeneration outlasts the storm
    instances = await start(3)

    async with aiohttp.ClientSession() as session:
        storm = await asyncio.gather(
            *(get(session, i.base_url + "/blog/a") for i in instances for _ in range(20))
        )
        for instance in instances:
            await until_hit(session, instance.base_url + "/blog/a", "a v=2")

    assert {status for status, _, _ in storm} == {200}
    assert "STALE" in {cache for _, cache, _ in storm}
    assert all_renders(instances) == ["a"]


async def test_kill_9_of_the_render_lock_holder_leads_to_one_render_after_the_lock_expires(
    cluster: tuple[Path, StartCluster],
) -> None:
    _site_dir, start = cluster
    holder, waiter = await start(2)
    (holder.site_dir / "slow.txt").write_text("60")  # only the holder's copy hangs

    async with aiohttp.ClientSession() as session:
        hanging = asyncio.ensure_future(get(session, holder.base_url + "/blog/new"))
        async with asyncio.timeout(10):
            while "new" not in renders(holder.site_dir):
                await asyncio.sleep(0.02)  # the holder's render (a file in its own folder)
        holder.process.kill()
        await holder.process.wait()
        await asyncio.gather(hanging, return_exceptions=True)
        asked = time.monotonic()
        status, cache, body = await get(session, waiter.base_url + "/blog/new")
        waited = time.monotonic() - asked
        again = await get(session, waiter.base_url + "/blog/new")

    assert (status, cache, "new v=1" in body) == (200, "MISS", True)
    assert renders(waiter.site_dir) == ["new"]  # one render, once the dead holder's lock expired
    assert waited < LOCK_TTL_SECONDS + 5
    assert again[1] == "HIT"


async def test_redis_killed_mid_run_gives_no_5xx(
    cluster: tuple[Path, StartCluster], redis_server: RedisServer
) -> None:
    site_dir, start = cluster
    (site_dir / "content" / "version.txt").write_text("2")
    instances = await start(2)
    paths = ["/", "/blog/a", "/blog/b", "/blog/c", "/blog/d", "/missing"]
    statuses: list[int] = []
    stop = asyncio.Event()

    async def load(session: aiohttp.ClientSession) -> None:
        number = 0
        while not stop.is_set():
            instance = instances[number % 2]
            path = paths[number % len(paths)]
            if path.startswith("/blog/") and path > "/blog/b":
                path += f"-{number}"  # unlisted: rendered on demand
            status, _cache, _body = await get(session, instance.base_url + path)
            statuses.append(status)
            number += 1

    async with aiohttp.ClientSession() as session:
        workers = [asyncio.ensure_future(load(session)) for _ in range(4)]
        await asyncio.sleep(0.5)  # load before the outage
        redis_server.kill()
        await asyncio.sleep(1.5)  # load during the outage
        redis_server.start()
        await asyncio.sleep(1.0)  # load after Redis returns
        stop.set()
        await asyncio.gather(*workers)
        home = [await get(session, i.base_url + "/") for i in instances]

    assert len(statuses) > 50
    assert {s for s in statuses if s >= 500} == set()
    assert set(statuses) <= {200, 404}
    assert [status for status, _, _ in home] == [200, 200]
