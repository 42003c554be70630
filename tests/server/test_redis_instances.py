"""Instances sharing ISR state through a real Redis, each with its own copy of the site and out/.

The instances run in this process (so renders can be held and the clock
moved), but share nothing except the Redis server: each has its own site
folder, build output, cache folder and page module.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ssg.config import load_config
from ssg.isr import redis_backend, redis_build
from ssg.isr.redis_backend import RedisBackend
from ssg.server.app import BACKEND_KEY, create_app
from tests.conftest import MakeSite, RedisServer
from tests.server.conftest import (
    Hold,
    Server,
    ServeSite,
    _start,
    hold_renders,
    isr_site,
    renders,
)

SECRET = "s"
AUTH = {"Authorization": f"Bearer {SECRET}"}

Instances = Callable[..., Awaitable[list[Server]]]


@pytest.fixture
async def instances(
    redis_server: RedisServer,
    serve_site: ServeSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Instances]:
    """Return `start(site_dir, n) -> [Server]`: build once, then n instances on copies of it.

    The first instance serves `site_dir` (built with the fake clock); the others
    serve copies of the site folder and its out/ (not of .ssg/), all on one
    FakeClock and one Redis. Calling it again for the same site adds n
    instances (started later, as a new machine joining).

    Their Redis calls may take 5 s, not 0.5 s: on a loaded test machine a slow
    connect made an instance take Redis for gone and render under its own
    lock, a render a test holding renders never let finish. (A killed Redis
    still fails at once: its connections are refused.)
    """
    monkeypatch.setattr(redis_backend, "REDIS_TIMEOUT_SECONDS", 5.0)
    started: list[Server] = []

    firsts: dict[Path, Server] = {}

    async def start(site_dir: Path, count: int = 3) -> list[Server]:
        """The first call builds and serves `site_dir`; a later call adds `count` copies."""
        first = firsts.get(site_dir)
        servers = []
        if first is None:
            (site_dir / "ssg.toml").write_text(
                f'cache_url = "{redis_server.url}?lock_ttl=5"\n', encoding="utf-8"
            )
            first = firsts[site_dir] = await serve_site(site_dir, revalidate_secret=SECRET)
            servers.append(first)
            count -= 1
        for _ in range(count):
            copy = tmp_path / f"instance-{len(started) + 1}"
            shutil.copytree(site_dir, copy, ignore=shutil.ignore_patterns(".ssg", "renders.log"))
            config = load_config(copy)
            app = create_app(config, clock=first.clock, revalidate_secret=SECRET)
            runner, port = await _start(app)
            server = Server(
                copy, config, app, runner, aiohttp.ClientSession(), port, first.clock, first.build
            )
            servers.append(server)
            started.append(server)
        return servers

    yield start
    for server in started:
        await server.session.close()
        await server.runner.cleanup()


def total_renders(servers: list[Server], built: int = 0) -> list[str]:
    """Slugs rendered by every instance's copy of the page, after the `built` ones of the build."""
    slugs = renders(servers[0].site_dir)[built:]
    for server in servers[1:]:
        slugs += renders(server.site_dir)
    return slugs


def hold_all(servers: list[Server]) -> list[Hold]:
    return [hold_renders(server, "app/blog/[slug]/page.py") for server in servers]


async def first_started(holds: list[Hold]) -> int:
    """The index of the instance whose render began first."""
    waits = [asyncio.ensure_future(hold.started.wait()) for hold in holds]
    done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return next(index for index, wait in enumerate(waits) if wait in done)


async def settle(servers: list[Server]) -> None:
    for server in servers:
        await server.engine.regenerator.wait_idle()


async def test_a_stale_storm_over_three_instances_regenerates_the_page_once(
    make_site: MakeSite, instances: Instances, redis_server: RedisServer
) -> None:
    site_dir = isr_site(make_site)
    servers = await instances(site_dir)
    built = len(renders(site_dir))
    holds = hold_all(servers)
    for server in servers:
        (server.site_dir / "content" / "version.txt").write_text("2")
    servers[0].clock.advance(61)

    storm = [server.get("/blog/a") for server in servers for _ in range(10)]
    replies = await asyncio.gather(*storm)
    winner = await first_started(holds)
    others = [s for i, s in enumerate(servers) if i != winner]
    await settle(others)  # their tries found the Redis lock taken: skipped
    holds[winner].gate.set()
    await settle(servers)
    for server in others:  # the old copy once more, which adopts the new entry
        assert (await server.get("/blog/a")).headers["X-SSG-Cache"] == "STALE"
        await settle([server])
    after = [await server.get("/blog/a") for server in servers]

    assert {reply.headers["X-SSG-Cache"] for reply in replies} == {"STALE"}
    assert [(r.headers["X-SSG-Cache"], "a v=2" in r.text) for r in after] == [("HIT", True)] * 3
    assert total_renders(servers, built) == ["a"]
    backend = servers[0].app[BACKEND_KEY]
    assert isinstance(backend, RedisBackend)
    stats = redis_server.client().hgetall(
        f"{backend.prefix}{servers[0].engine.build_id[:12]}:stats"
    )
    assert stats == {b"regenerations": b"1"}


async def test_concurrent_first_requests_on_three_instances_render_once_then_hit(
    make_site: MakeSite, instances: Instances
) -> None:
    site_dir = isr_site(make_site)
    servers = await instances(site_dir)
    built = len(renders(site_dir))
    holds = hold_all(servers)

    firsts = [asyncio.ensure_future(server.get("/blog/new")) for server in servers]
    winner = await first_started(holds)
    holds[winner].gate.set()
    replies = await asyncio.gather(*firsts)
    again = [await server.get("/blog/new") for server in servers]

    assert [r.status for r in replies] == [200, 200, 200]
    assert len({r.body for r in replies}) == 1
    assert replies[winner].headers["X-SSG-Cache"] == "MISS"
    assert sorted(r.headers["X-SSG-Cache"] for r in replies) == ["HIT", "HIT", "MISS"]
    assert {r.headers["X-SSG-Cache"] for r in again} == {"HIT"}
    assert total_renders(servers, built) == ["new"]


async def test_a_tag_revalidated_on_one_instance_is_seen_by_the_others(
    make_site: MakeSite, instances: Instances
) -> None:
    site_dir = isr_site(make_site)
    servers = await instances(site_dir)
    before = [await server.get("/blog/b") for server in servers]

    reply = await servers[0].request(
        "POST", "/_ssg/revalidate", json={"tag": "/blog/[slug]/page"}, headers=AUTH
    )
    for server in servers[1:]:
        await wait_marked(server, "/blog/b")
    after = [await server.get("/blog/b") for server in servers]

    assert {r.headers["X-SSG-Cache"] for r in before} == {"HIT"}
    assert reply.json()["marked"] == 2
    assert [r.headers["X-SSG-Cache"] for r in after] == ["STALE"] * 3


async def wait_marked(server: Server, url_path: str, timeout: float = 2.0) -> None:
    """Wait until the instance has marked `url_path` stale (its stream reader applies marks)."""
    async with asyncio.timeout(timeout):
        while True:
            page = server.engine.cache.get(url_path)
            if page is not None and page.marked_stale:
                return
            await asyncio.sleep(0.005)  # the stream reader's task runs meanwhile


async def test_instances_keep_serving_and_regenerating_while_redis_is_down(
    make_site: MakeSite,
    instances: Instances,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site_dir = isr_site(make_site)
    servers = await instances(site_dir, 2)
    built = len(renders(site_dir))
    redis_server.kill()
    for server in servers:
        (server.site_dir / "content" / "version.txt").write_text("2")
    servers[0].clock.advance(61)

    stale = [await server.get("/blog/a") for server in servers]
    await settle(servers)
    fresh = [await server.get("/blog/a") for server in servers]
    home = [await server.get("/") for server in servers]
    revalidated = await servers[0].request(
        "POST", "/_ssg/revalidate", json={"tag": "/blog/[slug]/page"}, headers=AUTH
    )
    new_page = [await server.get("/blog/unlisted") for server in servers]

    assert [r.headers["X-SSG-Cache"] for r in stale] == ["STALE", "STALE"]
    assert [(r.headers["X-SSG-Cache"], "a v=2" in r.text) for r in fresh] == [("HIT", True)] * 2
    assert [r.status for r in home + new_page] == [200] * 4
    assert revalidated.status == 200
    assert sorted(total_renders(servers, built)) == ["a", "a", "unlisted", "unlisted"]
    unreachable = [r for r in caplog.records if "is unreachable" in r.getMessage()]
    assert len(unreachable) == 2  # once per instance (its ISR state and data cache)


async def test_an_instance_started_later_or_back_from_an_outage_catches_up_on_marks(
    make_site: MakeSite, instances: Instances, redis_server: RedisServer
) -> None:
    site_dir = isr_site(make_site)
    first, second = await instances(site_dir, 2)
    redis_server.kill()
    during = await first.request("POST", "/_ssg/revalidate", json={"path": "/blog/a"}, headers=AUTH)
    redis_server.start()
    await wait_marked(second, "/blog/a", timeout=10)  # committed on reconnection, streamed
    await first.request("POST", "/_ssg/revalidate", json={"path": "/blog/b"}, headers=AUTH)
    await wait_marked(second, "/blog/b")
    (late,) = await instances(site_dir, 1)
    await wait_marked(late, "/blog/b")  # read from Redis when it started

    assert during.status == 200
    assert [(await late.get(p)).headers["X-SSG-Cache"] for p in ("/blog/a", "/blog/b", "/")] == [
        "STALE",
        "STALE",
        "HIT",
    ]


# Commands a request path sends and the background tasks (stream reader, heartbeat) do not.
REQUEST_COMMANDS = ("get", "set", "incr", "hmget", "exists", "hincrby")


def request_commands(redis_server: RedisServer) -> int:
    stats = redis_server.client().info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in REQUEST_COMMANDS)


async def test_a_fresh_hit_never_talks_to_redis(
    make_site: MakeSite, instances: Instances, redis_server: RedisServer
) -> None:
    site_dir = isr_site(make_site)
    servers = await instances(site_dir, 2)
    await servers[1].get("/blog/new")  # rendered on demand: an entry of the shared state
    adopted = await servers[0].get("/blog/new")  # taken from Redis into its own copy
    await servers[0].engine.regenerator.wait_idle()
    before = request_commands(redis_server)

    hits = [await server.get(path) for server in servers for path in ("/blog/a", "/blog/new") * 25]

    assert adopted.headers["X-SSG-Cache"] == "HIT"
    assert {r.headers["X-SSG-Cache"] for r in hits} == {"HIT"}
    assert request_commands(redis_server) == before


STATUS_DEADLINE_SECONDS = 15.0
"""Heartbeats come every 2 s: a bound on waiting for every instance to count the others."""


async def cache_status(server: Server) -> dict[str, Any]:
    reply = await server.get("/_ssg/status", headers=AUTH)
    assert reply.status == 200
    cache: dict[str, Any] = reply.json()["cache"]
    return cache


async def test_status_shows_redis_its_url_the_instances_connected_and_the_stream_lag(
    make_site: MakeSite, instances: Instances, redis_server: RedisServer
) -> None:
    servers = await instances(isr_site(make_site), 3)
    revalidated = await servers[0].request(
        "POST", "/_ssg/revalidate", json={"path": "/blog/a"}, headers=AUTH
    )

    async with asyncio.timeout(STATUS_DEADLINE_SECONDS):
        while True:
            seen = [await cache_status(server) for server in servers]
            if all(c["instances"] == 3 and c["stream_lag_ms"] is not None for c in seen):
                break
            await asyncio.sleep(0.1)  # heartbeats and stream reads are background tasks

    assert revalidated.status == 200
    for cache in seen:
        assert cache["backend"] == "redis"
        assert cache["connected"] is True
        assert cache["url"] == redis_server.url
        assert cache["prefix"].startswith("ssg:{") and cache["prefix"].endswith("}:")
        assert cache["stream_lag_ms"] >= 0


async def test_status_never_shows_the_redis_password(
    make_site: MakeSite, serve_site: ServeSite, redis_server: RedisServer
) -> None:
    url = redis_server.url.replace("redis://", "redis://default:hunter2@")
    site_dir = isr_site(make_site, extra={"ssg.toml": f'cache_url = "{url}"\n'})
    server = await serve_site(site_dir, revalidate_secret=SECRET)

    reply = await server.get("/_ssg/status", headers=AUTH)
    page = await server.get("/blog/a")

    assert "hunter2" not in reply.text
    assert reply.json()["cache"]["url"] == url.replace(":hunter2@", ":***@")
    assert page.status == 200


async def test_entries_rendered_or_copied_with_redis_are_served_from_disk_once_redis_is_gone(
    make_site: MakeSite, instances: Instances, redis_server: RedisServer
) -> None:
    site_dir = isr_site(make_site)
    first, second = await instances(site_dir, 2)
    built = len(renders(site_dir))
    urls = [f"/blog/new-{n}" for n in range(5)]
    rendered = await asyncio.gather(*(first.get(url) for url in urls))  # written together
    copied = await asyncio.gather(*(second.get(url) for url in urls))  # read from Redis
    redis_server.kill()
    for server in (first, second):
        await server.restart()  # a new process: only its own cache_dir remembers the pages
    after = [await server.get(url) for server in (first, second) for url in urls]

    assert [r.headers["X-SSG-Cache"] for r in rendered] == ["MISS"] * 5
    assert [r.headers["X-SSG-Cache"] for r in copied] == ["HIT"] * 5
    assert [(r.status, r.body) for r in after] == [(r.status, r.body) for r in rendered] * 2
    assert {r.headers["X-SSG-Cache"] for r in after} == {"HIT"}
    assert sorted(total_renders([first, second], built)) == sorted(s[len("/blog/") :] for s in urls)


async def revalidate_everywhere(servers: list[Server], url_path: str) -> None:
    """Revalidate `url_path` on the first instance; every instance regenerates it."""
    await servers[0].request("POST", "/_ssg/revalidate", json={"path": url_path}, headers=AUTH)
    for server in servers:
        await wait_marked(server, url_path)
        await server.get(url_path)  # stale: starts its regeneration (or adopts another's)
        await settle([server])


@pytest.mark.parametrize("loss", ["flushall", "restart", "restore"])
async def test_revalidations_after_redis_lost_its_data_reach_every_instance_and_settle(
    make_site: MakeSite,
    instances: Instances,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    loss: str,
) -> None:
    monkeypatch.setattr(redis_build, "RESYNC_SECONDS", 0.2)  # the fallback resync, sooner
    site_dir = isr_site(make_site)
    sender, other = servers = await instances(site_dir, 2)
    for count in range(3):  # the counter at 3: both copies of /blog/a rendered after mark 3
        if count == 1 and loss == "restore":
            redis_server.client().save()  # a snapshot with the counter at 1
        await revalidate_everywhere(servers, "/blog/a")
    if loss == "flushall":
        redis_server.client().flushall()
    else:  # restarted empty (no persistence), or from the older snapshot (a crash)
        redis_server.kill()
        redis_server.start()
    for server in servers:
        (server.site_dir / "content" / "version.txt").write_text("2")

    reply = await sender.request("POST", "/_ssg/revalidate", json={"path": "/blog/a"}, headers=AUTH)
    await wait_marked(other, "/blog/a", timeout=10)  # 0.2 s resyncs; a restart reconnects
    seen = {}
    for name, server in (("sender", sender), ("other", other)):
        first = await server.get("/blog/a")
        await settle([server])
        then = [await server.get("/blog/a") for _ in range(3)]
        seen[name] = [first.headers["X-SSG-Cache"]] + [
            f"{r.headers['X-SSG-Cache']} {'v=2' in r.text}" for r in then
        ]

    assert reply.json()["marked"] == 1
    assert seen == {
        "sender": ["STALE", "HIT True", "HIT True", "HIT True"],
        "other": ["STALE", "HIT True", "HIT True", "HIT True"],
    }
    assert "Redis lost the ISR state of build" in caplog.text
