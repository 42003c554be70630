"""The Redis backend's protocol corner cases, on fakeredis (with lupa running the Lua scripts)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path

import fakeredis
import pytest

from ssg.config import SiteConfig, load_config
from ssg.isr.backend import RenderStart
from ssg.isr.redis_backend import RedisBackend
from ssg.isr.redis_build import RedisBuild
from ssg.isr.redis_keys import site_key_of, split_cache_url
from ssg.isr.redis_lease import RedisLease
from ssg.isr.sequence_marks import SequenceMarks
from ssg.records import PageRecord, make_etag
from ssg.revalidate import Revalidate
from tests.conftest import MakeSite

URL = "/blog/a"


@pytest.fixture
def config(make_site: MakeSite) -> SiteConfig:
    config = load_config(make_site({"app/page.html": "hi"}))
    return dataclasses.replace(config, cache_url="redis://fake:6379/0?prefix=t&lock_ttl=0.3")


@pytest.fixture
def fake_server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer()


def fake_backend(config: SiteConfig, server: fakeredis.FakeServer) -> RedisBackend:
    """A RedisBackend whose clients talk to `server` (one fake Redis per test)."""
    return RedisBackend(
        config,
        client=fakeredis.FakeAsyncRedis(server=server),
        reader=fakeredis.FakeAsyncRedis(server=server),
    )


@pytest.fixture
async def backend(
    config: SiteConfig, fake_server: fakeredis.FakeServer
) -> AsyncIterator[RedisBackend]:
    backend = fake_backend(config, fake_server)
    yield backend
    await backend.aclose()


def page_of(build: RedisBuild, body: bytes) -> PageRecord:
    return PageRecord(
        url_path=URL,
        route_pattern="/blog/[slug]",
        status=200,
        content_type="text/html; charset=utf-8",
        revalidate=Revalidate.after(60),
        tags=(),
        etag=make_etag(body),
        size_bytes=len(body),
        output_file=build.store.entry_file(URL).name,
        generated_at=1000.0,
    )


async def test_a_write_older_than_the_stored_entry_is_refused(backend: RedisBackend) -> None:
    build = backend.open_build("b" * 40, clock=lambda: 1000.0)
    slow = await build.begin_render(URL, build.clock)  # its lock ran out mid-render...
    fast = await build.begin_render(URL, build.clock)  # ...and another render began after

    newer = await build.write(page_of(build, b"newer"), b"newer", fast)
    older = await build.write(page_of(build, b"older"), b"older", slow)
    stored = await backend.client.hgetall(build.keys.entry(URL))

    assert (slow.version, fast.version) == (1, 2)
    assert newer is not None and older is None
    assert (stored[b"v"], stored[b"body"]) == (b"2", b"newer")
    assert build.store.read(URL) is not None and build.store.read(URL)[1] == b"newer"  # type: ignore[index]


async def test_another_instance_reads_the_entry_into_its_own_copy(
    backend: RedisBackend, config: SiteConfig, fake_server: fakeredis.FakeServer, tmp_path: Path
) -> None:
    writer = backend.open_build("b" * 40, clock=lambda: 1000.0)
    other = fake_backend(dataclasses.replace(config, cache_dir=tmp_path / "other"), fake_server)
    reader = other.open_build("b" * 40, clock=lambda: 1000.0)
    start = await writer.begin_render(URL, writer.clock)
    await writer.write(page_of(writer, b"page"), b"page", start)

    found = await reader.read_shared(URL)

    assert found is not None
    entry, body = found
    assert (body, entry.started_at, entry.entry_file.parent) == (
        b"page",
        0.5,
        tmp_path / "other" / "isr-shared",
    )
    await other.aclose()


async def test_the_lock_is_exclusive_and_the_watchdog_keeps_it_past_its_ttl(
    backend: RedisBackend,
) -> None:
    build = backend.open_build("b" * 40, clock=lambda: 1000.0)
    held = await build.try_lock(URL)
    assert isinstance(held, RedisLease)

    await asyncio.sleep(backend.lock_ttl_seconds * 2)  # two TTLs: only the watchdog keeps it
    while_held = await build.try_lock(URL)
    await held.release()
    after = await build.try_lock(URL)

    assert while_held is None
    assert isinstance(after, RedisLease)
    await after.release()


async def test_a_release_never_deletes_a_lock_another_holder_took_since(
    backend: RedisBackend,
) -> None:
    build = backend.open_build("b" * 40, clock=lambda: 1000.0)
    first = await build.try_lock(URL)
    assert isinstance(first, RedisLease)
    await backend.client.delete(build.keys.lock(URL))  # expired...
    second = await build.try_lock(URL)  # ...and taken by another instance

    await first.release()
    token = await backend.client.get(build.keys.lock(URL))

    assert isinstance(second, RedisLease)
    assert token is not None  # the second holder's lock is still there
    await second.release()
    assert await backend.client.get(build.keys.lock(URL)) is None


async def test_marks_are_numbered_by_the_shared_sequence_and_streamed(
    backend: RedisBackend,
) -> None:
    build = backend.open_build("b" * 40, clock=lambda: 1000.0)
    build.marks.mark({"posts"}, 0.0)
    await build.save_marks()
    build.marks.mark({"posts", "team"}, 0.0)
    await build.save_marks()

    marks = await backend.client.hgetall(build.keys.marks)
    events = await backend.client.xrange(build.keys.events)

    assert marks == {b"posts": b"2", b"team": b"2"}
    assert [(e[b"t"], e[b"seq"], json.loads(e[b"tags"])) for _id, e in events] == [
        (b"reval", b"1", ["posts"]),
        (b"reval", b"2", ["posts", "team"]),
    ]


async def test_a_render_begun_after_a_mark_is_not_stale_and_one_before_it_is(
    backend: RedisBackend,
) -> None:
    build = backend.open_build("b" * 40, clock=lambda: 1000.0)
    before = await build.begin_render(URL, build.clock)
    build.marks.mark({"posts"}, 0.0)
    await build.save_marks()
    after = await build.begin_render(URL, build.clock)

    assert build.revalidated_during({"posts"}, before)
    assert not build.revalidated_during({"posts"}, after)
    assert not build.revalidated_during({"other"}, before)


def test_sequence_positions_put_a_render_between_two_marks() -> None:
    marks = SequenceMarks()
    marks.merge({"posts": 3.0})

    assert marks.marked_at_or_after({"posts"}, 2.5)  # began after mark 2, before mark 3
    assert not marks.marked_at_or_after({"posts"}, 3.5)  # began after mark 3
    assert marks.marked_at_or_after({"posts"}, 0.0)  # a page of the build
    assert marks.take_newer() == {"posts": 3.0}
    assert marks.take_newer() == {}


async def test_a_failed_regeneration_backs_off_every_instance(backend: RedisBackend) -> None:
    build = backend.open_build("b" * 40, clock=lambda: 1000.0)

    await build.record_failure(URL, 30)
    ttl = await backend.client.pttl(build.keys.failure(URL))

    assert await build.failing(URL)
    assert not await build.failing("/blog/other")
    assert 29_000 < ttl <= 30_000


@pytest.mark.parametrize(
    ("cache_url", "expected"),
    [
        ("redis://r:6379/0", ("redis://r:6379/0", {})),
        (
            "redis://r/1?lock_ttl=5&prefix=blog",
            ("redis://r/1", {"lock_ttl": "5", "prefix": "blog"}),
        ),
        ("rediss://r/0?ssl_cert_reqs=none", ("rediss://r/0?ssl_cert_reqs=none", {})),
    ],
    ids=["plain", "own-options", "redis-py-options-kept"],
)
def test_ssg_options_are_taken_off_the_url_before_redis_py_opens_it(
    cache_url: str, expected: tuple[str, dict[str, str]]
) -> None:
    assert split_cache_url(cache_url) == expected


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('base_url = "https://blog.example.com"\n', "blog.example.com"),
        ('base_url = "https://x.org"\nbase_path = "/docs"\n', "x.org-docs"),
        ('title = "My Blog"\n', "My-Blog"),
        ("", "site"),
    ],
    ids=["host", "host-and-base-path", "title", "nothing"],
)
def test_the_site_key_comes_from_the_sites_address_or_title(
    make_site: MakeSite, toml: str, key: str
) -> None:
    config = load_config(make_site({"app/page.html": "hi", "ssg.toml": toml}))

    assert site_key_of(config) == key


async def test_a_start_is_a_fallback_position_without_redis(backend: RedisBackend) -> None:
    build = backend.open_build("b" * 40, clock=lambda: 1000.0)
    backend.health.down = True

    start = await build.begin_render(URL, build.clock)

    assert start == RenderStart(started_at=0.5, seq=0, version=0)


async def test_a_mark_made_while_redis_was_away_is_committed_with_its_data_drop_later(
    backend: RedisBackend,
) -> None:
    build = backend.open_build("b" * 40, clock=lambda: 1000.0)
    data = f"{backend.prefix}d:"
    await backend.client.set(data + "k1", b"v")
    await backend.client.set(data + "k2", b"v")
    await backend.client.sadd(f"{backend.prefix}dt:posts", "k1")
    backend.health.down = True
    build.marks.mark({"posts"}, 0.0)
    await build.save_marks()  # kept for later
    kept = await backend.client.exists(data + "k1")

    backend.health.down = False
    await build.resync()  # what the stream reader runs once Redis answers again

    assert kept == 1
    assert await backend.client.hgetall(build.keys.marks) == {b"posts": b"1"}
    assert (await backend.client.exists(data + "k1"), await backend.client.exists(data + "k2")) == (
        0,
        1,
    )
