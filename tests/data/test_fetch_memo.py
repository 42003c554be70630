"""Request memoization of ssg.fetch, counted at a real upstream server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ssg.data.fetch import fetch
from ssg.data.memo import RequestMemo
from ssg.scope import RenderScope, enter_scope

from .conftest import FakeDispatcher, Upstream


async def test_concurrent_identical_gets_make_one_upstream_request(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    with enter_scope(make_scope()):
        responses = await asyncio.gather(*(fetch(upstream.url("/a")) for _ in range(5)))
    assert upstream.hits["/a"] == 1
    assert {r.json()["hit"] for r in responses} == {1}


async def test_sequential_identical_gets_make_one_upstream_request(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    with enter_scope(make_scope()):
        await fetch(upstream.url("/a"), headers={"Accept": "application/json"})
        await fetch(upstream.url("/a"), headers={"Accept": "application/json"})
    assert upstream.hits["/a"] == 1


async def test_gets_with_different_headers_make_two_requests(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    with enter_scope(make_scope()):
        await fetch(upstream.url("/a"), headers={"Accept": "text/html"})
        await fetch(upstream.url("/a"), headers={"Accept": "application/json"})
    assert upstream.hits["/a"] == 2


async def test_header_name_case_does_not_split_the_memo(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    with enter_scope(make_scope()):
        await fetch(upstream.url("/a"), headers={"Accept": "text/html"})
        await fetch(upstream.url("/a"), headers={"accept": "text/html"})
    assert upstream.hits["/a"] == 1


async def test_gets_with_different_cache_options_are_memoized_apart(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    with enter_scope(make_scope()):
        await fetch(upstream.url("/a"), tags=["posts"])
        await fetch(upstream.url("/a"))
    assert upstream.hits["/a"] == 2


async def test_post_twice_makes_two_requests(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    with enter_scope(make_scope()):
        await asyncio.gather(
            fetch(upstream.url("/a"), method="POST", json={"q": 1}),
            fetch(upstream.url("/a"), method="POST", json={"q": 1}),
        )
    assert upstream.hits["/a"] == 2


async def test_scopes_sharing_the_build_memo_make_one_request(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    build_memo = RequestMemo()
    for _page in range(3):
        with enter_scope(make_scope(memo=build_memo)):
            await fetch(upstream.url("/a"))
    assert upstream.hits["/a"] == 1


async def test_renders_with_their_own_memo_each_make_a_request(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    for _render in range(2):
        with enter_scope(make_scope()):
            await fetch(upstream.url("/a"))
    assert upstream.hits["/a"] == 2


async def test_relative_get_is_memoized(
    make_scope: Callable[..., RenderScope], dispatcher: FakeDispatcher
) -> None:
    with enter_scope(make_scope()):
        await asyncio.gather(fetch("/api/posts"), fetch("/api/posts"))
    assert len(dispatcher.calls) == 1
