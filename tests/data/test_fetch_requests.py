"""How ssg.fetch sends requests: bodies, relative routes, errors, and use outside a render."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable

import pytest

from ssg.data.fetch import fetch
from ssg.errors import FetchError
from ssg.scope import DataServices, RenderScope, enter_scope

from .conftest import FakeDispatcher, Upstream


async def test_json_body_is_sent_with_its_content_type(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    with enter_scope(make_scope()):
        response = await fetch(upstream.url("/echo"), method="post", json={"q": 1})
    echoed = response.json()
    assert (echoed["method"], echoed["body"]) == ("POST", '{"q": 1}')
    assert echoed["headers"]["content-type"] == "application/json"


async def test_form_data_is_urlencoded(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    with enter_scope(make_scope()):
        response = await fetch(upstream.url("/echo"), method="POST", data={"a": "1 2"})
    assert response.json()["body"] == "a=1+2"
    assert response.json()["headers"]["content-type"] == "application/x-www-form-urlencoded"


async def test_response_exposes_status_headers_and_body(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    with enter_scope(make_scope()):
        response = await fetch(upstream.url("/a"))
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["path"] == "/a"
    assert response.url == upstream.url("/a")


async def test_relative_url_goes_through_the_dispatcher(
    upstream: Upstream, make_scope: Callable[..., RenderScope], dispatcher: FakeDispatcher
) -> None:
    with enter_scope(make_scope()):
        response = await fetch(
            "/api/posts?page=2", method="POST", headers={"X-Key": "k"}, json={"a": 1}
        )
    assert dispatcher.calls == [
        (
            "POST",
            "/api/posts?page=2",
            {"content-type": "application/json", "x-key": "k"},
            b'{"a": 1}',
        )
    ]
    assert response.json()["route"] == "/api/posts?page=2"
    assert sum(upstream.hits.values()) == 0


async def test_timeout_raises_fetch_error_naming_url_route_and_fix(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    url = upstream.url("/slow")
    with enter_scope(make_scope()), pytest.raises(FetchError) as caught:
        await fetch(url, timeout=0.05)
    message = str(caught.value)
    assert f'ssg.fetch("{url}") got no complete response within 0.05 s' in message
    assert "while rendering /x." in message  # the route is named only where it differs
    assert "timeout=SECONDS" in message
    assert (caught.value.url, caught.value.route_pattern) == (url, "/x")
    assert isinstance(caught.value.__cause__, TimeoutError)


async def test_refused_connection_raises_fetch_error_naming_url(
    make_scope: Callable[..., RenderScope],
) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/a"
    with enter_scope(make_scope()), pytest.raises(FetchError, match="Check the URL") as caught:
        await fetch(url)
    assert caught.value.url == url
    assert caught.value.__cause__ is not None


async def test_failed_fetch_is_not_memoized(
    make_scope: Callable[..., RenderScope], upstream: Upstream
) -> None:
    url = upstream.url("/slow")
    with enter_scope(make_scope()):
        for _attempt in range(2):
            with pytest.raises(FetchError):
                await fetch(url, timeout=0.5)
    assert upstream.hits["/slow"] == 2


@pytest.mark.parametrize(
    "url", ["ftp://example.org/a", "example.org/a", "https://"], ids=["ftp", "no-scheme", "no-host"]
)
async def test_unsupported_url_raises_fetch_error(
    url: str, make_scope: Callable[..., RenderScope]
) -> None:
    with enter_scope(make_scope()), pytest.raises(FetchError, match="only http\\(s\\) URLs"):
        await fetch(url)


async def test_unknown_cache_mode_suggests_the_nearest(
    make_scope: Callable[..., RenderScope], upstream: Upstream
) -> None:
    with (
        enter_scope(make_scope()),
        pytest.raises(FetchError, match='Did you mean cache="force-cache"') as caught,
    ):
        await fetch(upstream.url("/a"), cache="force_cache")
    assert caught.value.route_pattern == "/x"


async def test_json_and_data_together_raise_fetch_error(
    make_scope: Callable[..., RenderScope], upstream: Upstream
) -> None:
    with enter_scope(make_scope()), pytest.raises(FetchError, match="either json= or data="):
        await fetch(upstream.url("/a"), method="POST", json={}, data=b"x")


async def test_outside_a_render_fetch_is_a_plain_one_off_request(upstream: Upstream) -> None:
    first = await fetch(upstream.url("/a"), revalidate=60)
    second = await fetch(upstream.url("/a"), revalidate=60)
    assert (first.json()["hit"], second.json()["hit"]) == (1, 2)


async def test_relative_url_outside_a_render_raises_fetch_error() -> None:
    with pytest.raises(FetchError, match="only inside a page, layout or route module"):
        await fetch("/api/posts")


@pytest.mark.parametrize("path", ["/bytes/5000", "/chunked/5000"], ids=["length", "chunked"])
async def test_a_body_over_fetch_max_bytes_raises_fetch_error_naming_the_route(
    upstream: Upstream, make_scope: Callable[..., RenderScope], services: DataServices, path: str
) -> None:
    limited = dataclasses.replace(services, fetch_max_bytes=4096)
    url = upstream.url(path)
    with enter_scope(make_scope(on=limited)), pytest.raises(FetchError) as caught:
        await fetch(url)
    await limited.aclose()

    assert "over the limit of 4096 bytes while rendering /x;" in str(caught.value)
    assert "fetch_max_bytes" in str(caught.value)
    assert (caught.value.url, caught.value.route_pattern) == (url, "/x")


async def test_a_body_within_fetch_max_bytes_is_read_whole(
    upstream: Upstream, make_scope: Callable[..., RenderScope], services: DataServices
) -> None:
    limited = dataclasses.replace(services, fetch_max_bytes=4096)
    with enter_scope(make_scope(on=limited)):
        response = await fetch(upstream.url("/chunked/4096"))
    await limited.aclose()

    assert response.text() == "x" * 4096
