"""The persistent data cache behind ssg.fetch: opt-in, expiry, tags, limits, recording."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from ssg.data.fetch import fetch
from ssg.data.memo import RequestMemo
from ssg.data.response import FetchResponse
from ssg.revalidate import Revalidate
from ssg.scope import DataServices, RenderScope, enter_scope

from .conftest import TWO_MB, FakeClock, Upstream


async def _fetch_in_new_render(
    make_scope: Callable[..., RenderScope], url: str, **options: Any
) -> FetchResponse:
    """Fetch in a render of its own (a new memo), as a later build or request would."""
    with enter_scope(make_scope()):
        return await fetch(url, **options)


async def test_cached_response_survives_reopening_the_store(
    upstream: Upstream,
    make_services: Callable[[], DataServices],
    make_scope: Callable[..., RenderScope],
) -> None:
    first = make_services()
    with enter_scope(make_scope(on=first)):
        await fetch(upstream.url("/a"), revalidate=60)
    await first.aclose()

    second = make_services()
    with enter_scope(make_scope(on=second)):
        response = await fetch(upstream.url("/a"), revalidate=60)
    assert upstream.hits["/a"] == 1
    assert response.json()["hit"] == 1


async def test_force_cache_survives_reopening_the_store(
    upstream: Upstream,
    make_services: Callable[[], DataServices],
    make_scope: Callable[..., RenderScope],
) -> None:
    first = make_services()
    with enter_scope(make_scope(on=first)):
        await fetch(upstream.url("/a"), cache="force-cache")
    await first.aclose()
    with enter_scope(make_scope(on=make_services())):
        await fetch(upstream.url("/a"), cache="force-cache")
    assert upstream.hits["/a"] == 1


async def test_fetch_without_cache_options_is_not_stored(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    await _fetch_in_new_render(make_scope, upstream.url("/a"))
    await _fetch_in_new_render(make_scope, upstream.url("/a"))
    assert upstream.hits["/a"] == 2


async def test_entry_is_served_until_revalidate_seconds_pass(
    upstream: Upstream, make_scope: Callable[..., RenderScope], clock: FakeClock
) -> None:
    await _fetch_in_new_render(make_scope, upstream.url("/a"), revalidate=60)
    clock.advance(60)
    await _fetch_in_new_render(make_scope, upstream.url("/a"), revalidate=60)
    assert upstream.hits["/a"] == 1


async def test_expired_entry_is_refetched(
    upstream: Upstream, make_scope: Callable[..., RenderScope], clock: FakeClock
) -> None:
    await _fetch_in_new_render(make_scope, upstream.url("/a"), revalidate=60)
    clock.advance(61)
    response = await _fetch_in_new_render(make_scope, upstream.url("/a"), revalidate=60)
    assert upstream.hits["/a"] == 2
    assert response.json()["hit"] == 2


async def test_refetched_entry_replaces_the_expired_one(
    upstream: Upstream, make_scope: Callable[..., RenderScope], clock: FakeClock
) -> None:
    await _fetch_in_new_render(make_scope, upstream.url("/a"), revalidate=60)
    clock.advance(61)
    await _fetch_in_new_render(make_scope, upstream.url("/a"), revalidate=60)
    response = await _fetch_in_new_render(make_scope, upstream.url("/a"), revalidate=60)
    assert upstream.hits["/a"] == 2
    assert response.json()["hit"] == 2


async def test_shorter_revalidate_of_the_caller_refetches_an_older_entry(
    upstream: Upstream, make_scope: Callable[..., RenderScope], clock: FakeClock
) -> None:
    await _fetch_in_new_render(make_scope, upstream.url("/a"), revalidate=3600)
    clock.advance(120)
    await _fetch_in_new_render(make_scope, upstream.url("/a"), revalidate=60)
    assert upstream.hits["/a"] == 2


async def test_force_cache_entry_does_not_expire(
    upstream: Upstream, make_scope: Callable[..., RenderScope], clock: FakeClock
) -> None:
    await _fetch_in_new_render(make_scope, upstream.url("/a"), cache="force-cache")
    clock.advance(10 * 365 * 86400)
    await _fetch_in_new_render(make_scope, upstream.url("/a"), cache="force-cache")
    assert upstream.hits["/a"] == 1


async def test_revalidate_tag_drops_the_entry_so_fetch_goes_upstream(
    upstream: Upstream, make_scope: Callable[..., RenderScope], services: DataServices
) -> None:
    await _fetch_in_new_render(make_scope, upstream.url("/a"), revalidate=False, tags=["posts"])
    assert services.store is not None
    assert services.store.revalidate_tag("posts") == 1
    await _fetch_in_new_render(make_scope, upstream.url("/a"), revalidate=False, tags=["posts"])
    assert upstream.hits["/a"] == 2


async def test_revalidate_tag_among_many_entries_refetches_only_that_tags_entries(
    upstream: Upstream,
    make_services: Callable[[], DataServices],
    make_scope: Callable[..., RenderScope],
    services: DataServices,
) -> None:
    assert services.store is not None
    for number in range(2000):  # other pages' data, under other tags
        services.store.set(
            f"other-{number}", number, revalidate=Revalidate.NEVER, tags=[f"t{number % 50}"]
        )
    paths = [f"/p{number}" for number in range(40)]
    for number, path in enumerate(paths):
        tags = ["posts", f"post-{number}"] if number % 4 == 0 else [f"post-{number}"]
        await _fetch_in_new_render(make_scope, upstream.url(path), revalidate=False, tags=tags)

    other_process = make_services()  # another worker on the same cache folder revalidates
    assert other_process.store is not None
    assert other_process.store.revalidate_tag("posts") == 10
    for number, path in enumerate(paths):
        tags = ["posts", f"post-{number}"] if number % 4 == 0 else [f"post-{number}"]
        await _fetch_in_new_render(make_scope, upstream.url(path), revalidate=False, tags=tags)

    assert [upstream.hits[path] for path in paths] == [
        2 if number % 4 == 0 else 1 for number in range(40)
    ]
    assert services.store.get("other-1999") is not None


async def test_entry_stored_without_a_callers_tag_is_refetched_and_retagged(
    upstream: Upstream, make_scope: Callable[..., RenderScope], services: DataServices
) -> None:
    await _fetch_in_new_render(make_scope, upstream.url("/a"), revalidate=60)
    await _fetch_in_new_render(make_scope, upstream.url("/a"), revalidate=60, tags=["posts"])
    assert upstream.hits["/a"] == 2
    assert services.store is not None
    assert services.store.revalidate_tag("posts") == 1


async def test_non_2xx_response_is_not_stored(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    first = await _fetch_in_new_render(make_scope, upstream.url("/status/503"), revalidate=60)
    await _fetch_in_new_render(make_scope, upstream.url("/status/503"), revalidate=60)
    assert first.status == 503
    assert upstream.hits["/status/503"] == 2


async def test_body_over_2_mb_is_not_stored_and_says_so(
    upstream: Upstream, make_scope: Callable[..., RenderScope], caplog: pytest.LogCaptureFixture
) -> None:
    path = f"/bytes/{TWO_MB + 1}"
    with caplog.at_level(logging.WARNING, logger="ssg.data"):
        response = await _fetch_in_new_render(make_scope, upstream.url(path), revalidate=60)
    await _fetch_in_new_render(make_scope, upstream.url(path), revalidate=60)
    assert len(response.body) == TWO_MB + 1
    assert upstream.hits[path] == 2
    assert "over the data cache limit of 2097152 bytes" in caplog.text


async def test_body_of_exactly_2_mb_is_stored(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    path = f"/bytes/{TWO_MB}"
    await _fetch_in_new_render(make_scope, upstream.url(path), revalidate=60)
    response = await _fetch_in_new_render(make_scope, upstream.url(path), revalidate=60)
    assert upstream.hits[path] == 1
    assert len(response.body) == TWO_MB


async def test_post_with_revalidate_is_stored_per_body(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    # As Next.js: an explicitly cached POST is stored, with the body in the key.
    with enter_scope(make_scope()):
        await fetch(upstream.url("/graphql"), method="POST", json={"q": 1}, revalidate=60)
        await fetch(upstream.url("/graphql"), method="POST", json={"q": 1}, revalidate=60)
        await fetch(upstream.url("/graphql"), method="POST", json={"q": 2}, revalidate=60)
    assert upstream.hits["/graphql"] == 2


async def test_scope_revalidate_is_the_lowest_of_its_cached_fetches(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    scope = make_scope()
    with enter_scope(scope):
        await fetch(upstream.url("/a"), revalidate=60)
        await fetch(upstream.url("/b"), revalidate=30)
        await fetch(upstream.url("/c"), cache="force-cache")
        await fetch(upstream.url("/d"))
    assert scope.revalidate == Revalidate.after(30)


async def test_uncached_fetch_records_no_revalidate(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    scope = make_scope()
    with enter_scope(scope):
        await fetch(upstream.url("/a"))
    assert scope.revalidate == Revalidate.NEVER


async def test_tags_of_fetches_are_recorded_into_the_scope(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    scope = make_scope()
    with enter_scope(scope):
        await fetch(upstream.url("/a"), revalidate=60, tags=["posts"])
        await fetch(upstream.url("/b"), cache="force-cache", tags=["authors", "posts"])
    assert scope.tags == {"posts", "authors"}


async def test_data_cache_hit_records_revalidate_and_tags(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    await _fetch_in_new_render(make_scope, upstream.url("/a"), revalidate=60, tags=["posts"])
    scope = make_scope()
    with enter_scope(scope):
        await fetch(upstream.url("/a"), revalidate=60, tags=["posts"])
    assert upstream.hits["/a"] == 1
    assert (scope.revalidate, scope.tags) == (Revalidate.after(60), {"posts"})


async def test_memo_hit_records_revalidate_and_tags_in_each_scope(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    build_memo = RequestMemo()
    with enter_scope(make_scope(memo=build_memo)):
        await fetch(upstream.url("/a"), revalidate=45, tags=["posts"])
    second = make_scope(memo=build_memo)
    with enter_scope(second):
        await fetch(upstream.url("/a"), revalidate=45, tags=["posts"])
    assert build_memo.calls == 1
    assert (second.revalidate, second.tags) == (Revalidate.after(45), {"posts"})
