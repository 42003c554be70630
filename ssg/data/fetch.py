"""ssg.fetch: HTTP (or this site's own routes) with request memoization and the data cache.

Follows Next.js App Router fetch: GETs are deduplicated per build or render,
`revalidate=N` / `cache="force-cache"` opt into the persistent data cache.
"""

from __future__ import annotations

import json as jsonlib
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from ssg.data.keys import fetch_data_key, fetch_memo_key, normalize_headers
from ssg.data.policy import RevalidateOption, make_policy, run_cached
from ssg.data.response import FetchResponse
from ssg.errors import FetchError, page_label
from ssg.scope import current_scope

if TYPE_CHECKING:
    import aiohttp

    from ssg.scope import RenderScope

logger = logging.getLogger("ssg.data")

MAX_CACHED_BODY_BYTES = 2 * 1024 * 1024
"""Bodies over this many bytes are not stored in the data cache (as Next.js's 2 MB limit)."""

DEFAULT_TIMEOUT_SECONDS = 30.0
"""Total timeout of a fetch made outside a render (inside one, the services' setting applies)."""

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
"""Largest body read by a fetch made outside a render (inside one, the services' setting)."""


async def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    data: bytes | str | Mapping[str, str] | None = None,
    revalidate: RevalidateOption = None,
    tags: Iterable[str] = (),
    cache: str | None = None,
    timeout: float | None = None,
) -> FetchResponse:
    """Fetch `url` and return the fully read response (as Next.js's extended fetch).

    A URL starting with "/" is this site's own route, called in-process through
    the render's dispatcher (no server, no base URL). Absolute URLs must be http(s).

    Caching, inside a render:
    - Request memoization: an identical GET (method, URL, headers, body, and
      `revalidate`/`cache`/`tags`) is made once per build (at build) or per render
      (at serve), also when awaited concurrently. Other methods never are.
    - Data cache (opt-in): `revalidate=N` (seconds > 0) or `cache="force-cache"`
      / `revalidate=False` (until `revalidate_tag`) store 2xx responses of at most
      2 MB on disk, across builds and restarts, keyed by method, URL, headers and
      body. An entry older than this call's `revalidate` is refetched before the
      render goes on (Next.js would serve it stale and refresh it afterwards).
      Each cached fetch records its revalidate (the page's is the lowest) and tags.
    - `cache="no-store"` or `revalidate=0`: not stored, and the route is dynamic
      (see Raises); under dynamic="force-static" it is fetched without storing.

    Outside a render (no current scope) it is a plain one-off request with a
    temporary session: no memoization, no data cache, options only validated.

    Args:
        url: "https://..." / "http://...", or "/path?query" for this site's route.
        method: HTTP method, any case.
        headers: request headers (names are case-insensitive).
        json: a JSON-serializable body; sets Content-Type application/json.
        data: a raw body (bytes, str as UTF-8) or a form (mapping, urlencoded).
        revalidate: seconds the cached response stays fresh; False = until
            revalidate_tag; 0 = never cached (dynamic).
        tags: cache tags, recorded into the page and used by revalidate_tag.
        cache: None, "force-cache" or "no-store".
        timeout: total seconds for the request (default: the services' setting, 30 s).

    Returns:
        The response, already read; a non-2xx status is returned, not raised.

    Raises:
        FetchError: bad options, an unsupported URL, a timeout or a connection
            error (naming the URL, the route being rendered and the fix), or a
            relative URL outside a render. The dispatcher raises it for a "/..."
            URL no route matches.
        DynamicUsage: no-store during a static render with dynamic="auto".
        DynamicUsageError: no-store in a route with dynamic="error".
    """
    scope = current_scope()
    route_pattern = scope.route_pattern if scope is not None else None
    method = method.upper()
    try:
        policy = make_policy(revalidate=revalidate, cache=cache, tags=tags)
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout={timeout!r} must be more than 0 seconds")
        body, request_headers = _encode_body(headers, json, data)
    except (ValueError, TypeError) as exc:
        raise FetchError(
            f'ssg.fetch("{url}"){_where(scope)}: {exc}', url=url, route_pattern=route_pattern
        ) from exc
    relative = url.startswith("/")
    if not relative:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FetchError(
                f'ssg.fetch("{url}"){_where(scope)}: only http(s) URLs and paths starting '
                'with "/" (this site\'s routes) can be fetched.',
                url=url,
                route_pattern=route_pattern,
            )

    if scope is None:
        if relative:
            raise FetchError(
                f'ssg.fetch("{url}"): a URL starting with "/" calls this site\'s own route, '
                "which works only inside a page, layout or route module during ssg build or "
                "ssg serve. Outside a render, fetch an absolute http(s) URL.",
                url=url,
            )
        one_off = timeout if timeout is not None else DEFAULT_TIMEOUT_SECONDS
        import aiohttp  # here: builds that fetch only their own routes never load it

        async with aiohttp.ClientSession() as session:
            return await _request(
                session, method, url, request_headers, body, one_off, None, DEFAULT_MAX_BYTES
            )

    if policy.no_store:
        # Raises in "auto"/"error"; True (a request render) or False
        # (force-static) both mean: fetch now, store nothing.
        scope.use_dynamic(_dynamic_call(url, revalidate, cache))

    async def produce() -> FetchResponse:
        return await _send(scope, method, url, request_headers, body, timeout)

    memo_key = (
        fetch_memo_key(method, url, request_headers, body, policy.memo_options)
        if method == "GET"
        else None
    )
    response: FetchResponse = await run_cached(
        scope,
        memo_key=memo_key,
        data_key=fetch_data_key(method, url, request_headers, body),
        policy=policy,
        produce=produce,
        should_store=lambda value: _should_store(url, value),
        describe=f'ssg.fetch("{_shown(url)}")',
    )
    return response


def _encode_body(
    headers: Mapping[str, str] | None,
    json: Any,
    data: bytes | str | Mapping[str, str] | None,
) -> tuple[bytes | None, tuple[tuple[str, str], ...]]:
    """Return (body bytes, normalized headers) with a Content-Type for json= and form data.

    Raises:
        ValueError: both json= and data= were given.
        TypeError: json= is not JSON-serializable, or data= has another type.
    """
    if json is not None and data is not None:
        raise ValueError("pass either json= or data=, not both")
    normalized = dict(normalize_headers(headers))
    body: bytes | None = None
    content_type: str | None = None
    if json is not None:
        body = jsonlib.dumps(json).encode()
        content_type = "application/json"
    elif isinstance(data, bytes):
        body = data
    elif isinstance(data, str):
        body = data.encode()
    elif isinstance(data, Mapping):
        body = urlencode(data).encode()
        content_type = "application/x-www-form-urlencoded"
    elif data is not None:
        raise TypeError(f"data= must be bytes, str or a mapping, not {type(data).__name__}")
    if content_type is not None:
        normalized.setdefault("content-type", content_type)
    return body, tuple(sorted(normalized.items()))


async def _send(
    scope: RenderScope,
    method: str,
    url: str,
    headers: tuple[tuple[str, str], ...],
    body: bytes | None,
    timeout: float | None,
) -> FetchResponse:
    """Make the request: in-process for "/..." URLs, else through the shared aiohttp session."""
    if url.startswith("/"):
        return await scope.services.dispatch(method, url, dict(headers), body)
    seconds = timeout if timeout is not None else scope.services.fetch_timeout_seconds
    session = scope.services.client_session()
    max_bytes = scope.services.fetch_max_bytes
    return await _request(session, method, url, headers, body, seconds, scope, max_bytes)


async def _request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    headers: tuple[tuple[str, str], ...],
    body: bytes | None,
    timeout_seconds: float,
    scope: RenderScope | None,
    max_bytes: int,
) -> FetchResponse:
    """Send one HTTP request and read the whole response, of at most `max_bytes` (decoded).

    Raises:
        FetchError: on a timeout, a connection/protocol error, or a body over
            `max_bytes` (refused from its Content-Length, or once that much is read).
    """
    import aiohttp

    route_pattern = scope.route_pattern if scope is not None else None
    try:
        async with session.request(
            method,
            url,
            headers=dict(headers),
            data=body,
            timeout=aiohttp.ClientTimeout(total=timeout_seconds),
        ) as resp:
            declared = resp.content_length
            if declared is not None and declared > max_bytes:
                raise _too_large(url, scope, declared, max_bytes)
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.content.iter_chunked(1 << 16):
                size += len(chunk)
                if size > max_bytes:
                    raise _too_large(url, scope, None, max_bytes)
                chunks.append(chunk)
            payload = b"".join(chunks)
            return FetchResponse(
                status=resp.status,
                header_items=tuple(resp.headers.items()),
                body=payload,
                url=str(resp.url),
            )
    except TimeoutError as exc:
        raise FetchError(
            f'ssg.fetch("{url}") got no complete response within {timeout_seconds:g} s'
            f"{_where(scope)}. Check that the URL is right and its server is up, or allow "
            f'more time with ssg.fetch("{url}", timeout=SECONDS).',
            url=url,
            route_pattern=route_pattern,
        ) from exc
    except aiohttp.ClientError as exc:
        raise FetchError(
            f'ssg.fetch("{url}") failed{_where(scope)}: {type(exc).__name__}: {exc}. Check the '
            "URL and that its server is reachable from this machine.",
            url=url,
            route_pattern=route_pattern,
        ) from exc


def _too_large(url: str, scope: RenderScope | None, size: int | None, max_bytes: int) -> FetchError:
    size_text = f"{size} bytes" if size is not None else "more"
    return FetchError(
        f'ssg.fetch("{url}") got a response body of {size_text}, over the limit of '
        f"{max_bytes} bytes{_where(scope)}; it was not read. Fetch a smaller resource, "
        "or raise fetch_max_bytes in ssg.toml.",
        url=url,
        route_pattern=scope.route_pattern if scope is not None else None,
    )


def _should_store(url: str, response: FetchResponse) -> bool:
    """True for a 2xx response of at most MAX_CACHED_BODY_BYTES."""
    if not response.ok:
        logger.debug(
            'ssg.fetch("%s"): status %d is not stored in the data cache.', url, response.status
        )
        return False
    if len(response.body) > MAX_CACHED_BODY_BYTES:
        # Loud, as Next.js: "items over 2MB can not be cached".
        logger.warning(
            'ssg.fetch("%s"): the body is %d bytes, over the data cache limit of %d bytes; '
            "it is not stored and will be fetched again on every build or render.",
            url,
            len(response.body),
            MAX_CACHED_BODY_BYTES,
        )
        return False
    return True


def _dynamic_call(url: str, revalidate: RevalidateOption, cache: str | None) -> str:
    """The call named in dynamic-usage messages, e.g. 'fetch("https://a/x", cache="no-store")'."""
    option = 'cache="no-store"' if cache == "no-store" else f"revalidate={revalidate!r}"
    return f'fetch("{url}", {option})'


def _where(scope: RenderScope | None) -> str:
    """' while rendering /blog/a (route /blog/[slug])', or '' outside a render."""
    if scope is None:
        return ""
    return f" while rendering {page_label(scope.route_pattern, scope.url_path)}"


def _shown(url: str) -> str:
    """`url` as logs and build summaries show it: without its query, fragment and user
    info, which may hold an API key or a password ("https://api.example/x?…")."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    shown = parts._replace(netloc=host, query="", fragment="").geturl()
    return shown + ("?…" if parts.query else "")
