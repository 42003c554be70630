"""HTTP responses of the ISR server: Cache-Control policy, ETag/304, 404, 405 and 500 pages."""

from __future__ import annotations

import enum
import math
from collections.abc import Collection, Iterable

from aiohttp import web
from multidict import CIMultiDict

from ssg.records import make_etag
from ssg.revalidate import Revalidate

CACHE_HEADER = "X-SSG-Cache"
NEVER_STALE_SECONDS = 31_536_000
NEVER_STALE_CACHE_CONTROL = f"s-maxage={NEVER_STALE_SECONDS}"
STALE_NEVER_CACHE_CONTROL = "s-maxage=0"
"""A never-stale page revalidated on demand: no CDN may keep it any longer."""
DYNAMIC_CACHE_CONTROL = "private, no-cache, no-store, max-age=0, must-revalidate"
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
PUBLIC_FILE_CACHE_CONTROL = "public, max-age=0"
HTML = "text/html; charset=utf-8"


class CacheState(enum.Enum):
    """The `X-SSG-Cache` value of a cached or ISR-rendered response (as Next.js's `x-nextjs-cache`)."""

    HIT = "HIT"
    STALE = "STALE"
    MISS = "MISS"


def isr_cache_control(
    revalidate: Revalidate, expire_seconds: float, *, fresh_seconds: int | None = None
) -> str:
    """The Cache-Control of a prerendered or ISR page (as Next.js, for CDNs).

    A CDN must never keep a page past its freshness: `s-maxage` is what is
    left of it (`fresh_seconds`), and a stale page is sent with `s-maxage=0`
    (Next.js sent the full `s-maxage` with stale pages, so CDNs kept stale
    pages for a whole revalidate period: vercel/next.js #49084).
    `stale-while-revalidate` always counts from the page's revalidate.

    | revalidate    | expire_seconds | fresh_seconds | Cache-Control                                  |
    | ------------- | -------------- | ------------- | ---------------------------------------------- |
    | 60 s          | 31536000       | None          | `s-maxage=60, stale-while-revalidate=31535940` |
    | 60 s          | 31536000       | 14            | `s-maxage=14, stale-while-revalidate=31535940` |
    | 60 s          | 31536000       | 0 (stale)     | `s-maxage=0, stale-while-revalidate=31535940`  |
    | 60 s          | 60             | None          | `s-maxage=60` (nothing left to serve stale)    |
    | NEVER         | any            | None or > 0   | `s-maxage=31536000`                            |
    | NEVER         | any            | 0 (marked)    | `s-maxage=0`                                   |
    | EVERY_REQUEST | any            | any           | the dynamic one: `private, no-cache, ...`      |

    Args:
        revalidate: the page's revalidate.
        expire_seconds: how long after generation a stale page may be served (seconds).
        fresh_seconds: whole seconds of freshness left (0 when stale); None for
            the full revalidate (a page just generated).
    """
    if revalidate.is_every_request:
        return DYNAMIC_CACHE_CONTROL
    if revalidate.is_never:
        return STALE_NEVER_CACHE_CONTROL if fresh_seconds == 0 else NEVER_STALE_CACHE_CONTROL
    max_age = _seconds(revalidate.seconds) if fresh_seconds is None else str(fresh_seconds)
    window = expire_seconds - revalidate.seconds
    if window <= 0:
        return f"s-maxage={max_age}"
    return f"s-maxage={max_age}, stale-while-revalidate={_seconds(window)}"


def fresh_seconds_left(revalidate: Revalidate, generated_at: float, now: float) -> int:
    """Whole seconds a fresh page stays fresh, at least 1 (its `s-maxage` on a HIT).

    Rounded down, so a CDN drops the page no later than the server would call
    it stale; at least 1 because `s-maxage=0` means stale.

    | revalidate | generated_at | now       | result                  |
    | ---------- | ------------ | --------- | ----------------------- |
    | 60 s       | 1000         | 1000      | 60                      |
    | 60 s       | 1000         | 1045.5    | 14                      |
    | 60 s       | 1000         | 1060      | 1 (last fresh instant)  |
    | NEVER      | any          | any       | 31536000                |
    """
    if revalidate.is_never:
        return NEVER_STALE_SECONDS
    return max(1, math.floor(revalidate.fresh_until(generated_at) - now))


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def etag_matches(request: web.Request, etag: str) -> bool:
    """True when If-None-Match names `etag` (weak comparison, `*` included; RFC 9110 13.1.2)."""
    if "If-None-Match" not in request.headers:
        return False
    try:
        candidates = request.if_none_match
    except ValueError:
        return False
    if not candidates:
        return False
    value = etag.strip('"')
    return any(c.value == "*" or c.value == value for c in candidates)


def page_headers(
    *,
    content_type: str,
    cache_control: str | None,
    etag: str | None = None,
    cache_state: CacheState | None = None,
    location: str | None = None,
    header_items: Iterable[tuple[str, str]] = (),
) -> CIMultiDict[str]:
    """The headers of a response with a body, but Content-Length, Date and Server (aiohttp's).

    `header_items` (a route handler's own headers) come first and keep their
    Cache-Control; Content-Type, ETag, X-SSG-Cache and Location follow.
    """
    headers: CIMultiDict[str] = CIMultiDict(header_items)
    headers["Content-Type"] = content_type
    if cache_control is not None and "Cache-Control" not in headers:
        headers["Cache-Control"] = cache_control
    if etag is not None:
        headers["ETag"] = etag
    if cache_state is not None:
        headers[CACHE_HEADER] = cache_state.value
    if location is not None:
        headers["Location"] = location
    return headers


def body_response(
    request: web.Request,
    *,
    status: int,
    body: bytes,
    content_type: str,
    cache_control: str | None,
    etag: str | None = None,
    cache_state: CacheState | None = None,
    location: str | None = None,
    header_items: Iterable[tuple[str, str]] = (),
) -> web.Response:
    """A response with a body, answering 304 when the client already has `etag`.

    The headers are `page_headers`'. HEAD gets the same headers and no body (aiohttp drops it,
    keeping Content-Length). A 304 applies only to 200 responses (RFC 9110
    15.4.5: a cache can only revalidate what it stored).
    """
    headers = page_headers(
        content_type=content_type,
        cache_control=cache_control,
        etag=etag,
        cache_state=cache_state,
        location=location,
        header_items=header_items,
    )
    if etag is not None and status == 200 and etag_matches(request, etag):
        del headers["Content-Type"]
        return web.Response(status=304, headers=headers)
    return web.Response(status=status, body=body, headers=headers)


def html_response(
    request: web.Request, status: int, body: bytes, *, cache_control: str = DYNAMIC_CACHE_CONTROL
) -> web.Response:
    """An HTML page that is never cached (404, 500, dynamic), with an ETag for 304s."""
    return body_response(
        request,
        status=status,
        body=body,
        content_type=HTML,
        cache_control=cache_control,
        etag=make_etag(body) if status == 200 else None,
    )


def not_found_response(request: web.Request, not_found_body: bytes) -> web.Response:
    """The 404 page of the build (out/404.html, which carries noindex), status 404."""
    response = html_response(request, 404, not_found_body)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


READ_METHODS = ("GET", "HEAD")
"""Methods that read a page or a file."""
PAGE_METHODS = ("GET", "HEAD", "OPTIONS")
"""What a page or a file allows (its `Allow` header)."""


def method_not_allowed(allowed: Iterable[str]) -> web.Response:
    """405 with the Allow header (RFC 9110 15.5.6)."""
    allow = ", ".join(allowed)
    return web.Response(
        status=405,
        text=f"405 Method Not Allowed. Allowed: {allow}\n",
        headers={"Allow": allow, "Cache-Control": DYNAMIC_CACHE_CONTROL},
    )


def options_response(allowed: Iterable[str]) -> web.Response:
    """204 answering OPTIONS with the Allow header (as Next.js route handlers)."""
    return web.Response(status=204, headers={"Allow": ", ".join(allowed)})


def method_refusal(
    method: str, allowed: Collection[str], *, runs_options: bool = False
) -> web.Response | None:
    """The answer to a method the page, file or route handler does not run itself, else None.

    | method                        | answer                   |
    | ----------------------------- | ------------------------ |
    | OPTIONS (not `runs_options`)  | 204 with Allow           |
    | not in `allowed`              | 405 with Allow           |
    | any other                     | None: the caller runs it |

    Args:
        method: the request's method.
        allowed: what the resource allows (`PAGE_METHODS` for a page or a file).
        runs_options: a route handler that defines OPTIONS itself answers it.
    """
    if method == "OPTIONS" and not runs_options:
        return options_response(allowed)
    if method not in allowed:
        return method_not_allowed(allowed)
    return None


def redirect_response(location: str, status: int = 308) -> web.Response:
    """A redirect (308 keeps the method and body, RFC 9110 15.4.9)."""
    return web.Response(status=status, headers={"Location": location})
