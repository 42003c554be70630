"""The data cache in Redis: shared values, tags as sets, misses when Redis is away (fakeredis + lupa)."""

from __future__ import annotations

from collections.abc import Iterator

import fakeredis
import pytest
import redis
import redis.backoff
import redis.retry

from ssg.data.redis_store import RedisDataStore
from ssg.revalidate import Revalidate

PREFIX = "ssg:{t}:"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def client() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis()


@pytest.fixture
def store(client: fakeredis.FakeRedis) -> Iterator[RedisDataStore]:
    store = RedisDataStore(client, PREFIX, clock=Clock())
    yield store
    store.close()


def test_a_value_is_shared_by_every_store_on_the_redis(client: fakeredis.FakeRedis) -> None:
    writer = RedisDataStore(client, PREFIX, clock=Clock())
    reader = RedisDataStore(client, PREFIX, clock=Clock())
    writer.set("k", {"posts": [1, 2]}, revalidate=Revalidate.after(60), tags=["posts"])

    found = reader.get("k")

    assert found is not None
    assert (found.value, found.tags) == ({"posts": [1, 2]}, frozenset({"posts"}))
    assert 59_000 < client.pttl(PREFIX + "d:k") <= 60_000
    writer.close()
    reader.close()


def test_revalidate_tag_drops_only_that_tags_values(
    store: RedisDataStore, client: fakeredis.FakeRedis
) -> None:
    for number in range(50):
        store.set(f"other{number}", number, revalidate=Revalidate.NEVER, tags=["other"])
    store.set("a", 1, revalidate=Revalidate.NEVER, tags=["posts"])
    store.set("b", 2, revalidate=Revalidate.after(60), tags=["posts", "team"])

    dropped = store.revalidate_tag("posts")

    assert dropped == 2
    assert (store.get("a"), store.get("b")) == (None, None)
    assert store.get("other7") is not None
    assert not client.exists(PREFIX + "dt:posts")
    assert client.smembers(PREFIX + "dt:team") == {b"b"}  # dropped by value, kept by tag


def test_a_tag_set_lives_as_long_as_its_longest_lived_value(
    store: RedisDataStore, client: fakeredis.FakeRedis
) -> None:
    store.set("short", 1, revalidate=Revalidate.after(10), tags=["posts"])
    store.set("long", 2, revalidate=Revalidate.after(100), tags=["posts"])
    store.set("short2", 3, revalidate=Revalidate.after(5), tags=["posts"])
    timed = client.pttl(PREFIX + "dt:posts")
    store.set("forever", 4, revalidate=Revalidate.NEVER, tags=["posts"])

    assert 99_000 < timed <= 100_000
    assert client.pttl(PREFIX + "dt:posts") == -1


def test_a_stale_value_is_a_miss_by_the_clock(client: fakeredis.FakeRedis) -> None:
    clock = Clock()
    store = RedisDataStore(client, PREFIX, clock=clock)
    store.set("k", 1, revalidate=Revalidate.after(60), tags=[])
    clock.now += 61

    assert store.get("k") is None
    store.close()


def test_an_unpicklable_value_raises_type_error_and_stores_nothing(
    store: RedisDataStore, client: fakeredis.FakeRedis
) -> None:
    with pytest.raises(TypeError, match="not picklable"):
        store.set("k", lambda: 1, revalidate=Revalidate.NEVER, tags=[])

    assert not client.exists(PREFIX + "d:k")


def test_without_redis_a_read_is_a_miss_and_a_write_is_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A port nothing listens on: connection refused at once.
    unreachable = redis.Redis(
        host="127.0.0.1", port=1, retry=redis.retry.Retry(redis.backoff.NoBackoff(), 0)
    )
    store = RedisDataStore(unreachable, PREFIX, clock=Clock())

    store.set("k", 1, revalidate=Revalidate.NEVER, tags=["posts"])
    missing = store.get("k")
    dropped = store.revalidate_tag("posts")

    assert (missing, dropped) == (None, 0)
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1
    store.close()


def test_a_queued_write_stores_the_value_as_it_was_when_queued(store: RedisDataStore) -> None:
    value = {"n": 1}
    store.set_soon("k", value, revalidate=Revalidate.NEVER, tags=["posts"])
    value["n"] = 2

    found = store.get("k", wait_seconds=5)

    assert found is not None and found.value == {"n": 1}
