"""Responses for cached pages: Cache-Control per second left, CDN tags, and prebuilt HIT bytes.

A fresh HIT is the server's most common answer. After one HIT has gone
through the request handler, its response (status line, headers, body) is
kept here as bytes, redone when its `s-maxage` or its `Date` changes (at most
twice a second), and `prebuilt` hands those bytes to the connection
(ssg.server.hit_protocol) without building a request or a response object.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE
from multidict import CIMultiDict

from ssg.isr.cache import CachedPage
from ssg.isr.cdn_tags import cdn_tag_header_value
from ssg.isr.freshness import Freshness
from ssg.records import PageRecord
from ssg.revalidate import Revalidate
from ssg.scope import Clock
from ssg.server.responses import (
    CacheState,
    body_response,
    fresh_seconds_left,
    isr_cache_control,
    page_headers,
)

if TYPE_CHECKING:
    from ssg.isr.engine import IsrEngine

CACHE_CONTROLS_KEPT = 4096
CDN_TAG_VALUES_KEPT = 20_000
PREBUILT_KEPT = 4096
"""Request targets with a prebuilt HIT at most (the table is emptied when full)."""
PREBUILT_BUDGET_BYTES = 32 * 1024 * 1024
"""Body bytes referenced by the prebuilt table at most (emptied beyond it); mostly the
same bytes objects as the page cache's body LRU."""
PREBUILT_MAX_BODY_BYTES = 512 * 1024
"""Larger pages are always answered by the request handler."""


@dataclass(slots=True)
class PrebuiltResponse:
    """One request target's HIT: the page it was made from and its bytes for one second.

    Attributes:
        url_path: the page's URL path.
        cached: the cached page it was made from (a new one makes it obsolete).
        body: the page's body.
        key: the (s-maxage, Date second) `head` was made for.
        head: status line and headers (the answer to HEAD; GET adds `body`).
        not_modified: the 304 answer to a GET whose If-None-Match is the page's ETag.
    """

    url_path: str
    cached: CachedPage
    body: bytes
    key: tuple[int, int] = (-1, -1)
    head: bytes = b""
    not_modified: bytes = b""

    @property
    def etag(self) -> str:
        """The page's ETag (quoted)."""
        return self.cached.record.etag


class PageResponses:
    """Builds the responses of cached pages for one build (see ssg.server.site_handler).

    Args:
        engine: the build's ISR engine (pages, freshness, clock, route tags).
        wall_clock: epoch seconds for the `Date` header (the engine's clock
            decides freshness; tests fake only that one).
    """

    def __init__(self, engine: IsrEngine, *, wall_clock: Clock = time.time) -> None:
        self.engine = engine
        self.wall_clock = wall_clock
        self.cdn_tag_header = engine.site.config.cdn_tag_header
        self._cache_controls: dict[tuple[Revalidate, int], str] = {}
        # (url_path, etag) -> the cdn_tag_header value: a page's tags change only
        # with its body, and the HIT path should not sort and hash them each time.
        self._cdn_tag_values: dict[tuple[str, str], str] = {}
        self._prebuilt: dict[str, PrebuiltResponse] = {}
        self._prebuilt_bytes = 0
        self._date: tuple[int, str] = (-1, "")

    def response(
        self, request: web.Request, page: PageRecord, body: bytes, state: CacheState
    ) -> web.Response:
        """The response of a cached or ISR-rendered page (304 when the client has its ETag)."""
        return body_response(
            request,
            status=page.status,
            body=body,
            content_type=page.content_type,
            cache_control=None,
            etag=page.etag,
            header_items=self.headers(page, state).items(),
        )

    def headers(
        self, page: PageRecord, state: CacheState, *, fresh_seconds: int | None = None
    ) -> CIMultiDict[str]:
        """Every header of a page's response but Content-Length, Date and Server.

        Args:
            page: the page.
            state: HIT, STALE (`s-maxage=0`) or MISS.
            fresh_seconds: the seconds of freshness left (HIT, MISS), when the
                caller has them; else from the engine's clock.
        """
        if state is CacheState.STALE:
            fresh_seconds = 0
        elif fresh_seconds is None:
            fresh_seconds = fresh_seconds_left(
                page.revalidate, page.generated_at, self.engine.clock()
            )
        header_items = page.headers
        if self.cdn_tag_header:
            header_items = (*header_items, (self.cdn_tag_header, self._cdn_tags(page)))
        return page_headers(
            content_type=page.content_type,
            cache_control=self._cache_control(page.revalidate, fresh_seconds),
            etag=page.etag,
            cache_state=state,
            location=page.location,
            header_items=header_items,
        )

    def _cache_control(self, revalidate: Revalidate, fresh_seconds: int) -> str:
        key = (revalidate, fresh_seconds)
        cache_control = self._cache_controls.get(key)
        if cache_control is None:
            cache_control = isr_cache_control(
                revalidate, self.engine.expire_seconds, fresh_seconds=fresh_seconds
            )
            if len(self._cache_controls) >= CACHE_CONTROLS_KEPT:
                self._cache_controls.clear()  # bounded: one per revalidate and second left
            self._cache_controls[key] = cache_control
        return cache_control

    def _cdn_tags(self, page: PageRecord) -> str:
        """The `cdn_tag_header` value of a page: its tags, explicit and implicit (see cdn_tags)."""
        key = (page.url_path, page.etag)
        value = self._cdn_tag_values.get(key)
        if value is None:
            tags = self.engine.route_tags.all_tags(page.route_pattern, page.url_path, page.tags)
            value = cdn_tag_header_value(self.cdn_tag_header, tags)
            if len(self._cdn_tag_values) >= CDN_TAG_VALUES_KEPT:
                self._cdn_tag_values.clear()  # bounded like the parsed paths
            self._cdn_tag_values[key] = value
        return value

    def remember_hit(self, raw_target: str, cached: CachedPage, body: bytes) -> None:
        """Keep a HIT just answered for `raw_target` ("/blog/a?x=1") to answer it again as bytes.

        Only a plain 200 page whose headers aiohttp would send as they are
        (no CR or LF in them) and whose body is at most PREBUILT_MAX_BODY_BYTES.
        """
        page = cached.record
        if page.status != 200 or len(body) > PREBUILT_MAX_BODY_BYTES:
            return
        headers = self.headers(page, CacheState.HIT)
        if any(_unsafe(name) or _unsafe(value) for name, value in headers.items()):
            return
        old = self._prebuilt.pop(raw_target, None)
        if old is not None:
            self._prebuilt_bytes -= len(old.body)
        if (
            len(self._prebuilt) >= PREBUILT_KEPT
            or self._prebuilt_bytes + len(body) > PREBUILT_BUDGET_BYTES
        ):
            self._prebuilt.clear()  # bounded: the pages asked for again come back at once
            self._prebuilt_bytes = 0
        self._prebuilt[raw_target] = PrebuiltResponse(page.url_path, cached, body)
        self._prebuilt_bytes += len(body)

    def prebuilt(self, raw_target: str) -> PrebuiltResponse | None:
        """The HTTP/1.1 response to a GET or HEAD of `raw_target` when it is a fresh HIT.

        The same bytes the request handler would send (headers, Cache-Control
        with the seconds left, Date, Server): `head` answers HEAD, `head` +
        `body` GET, `not_modified` a GET whose If-None-Match is the ETag. None
        when the page is not a fresh HIT any more (stale, regenerated,
        revalidated, evicted) or was never remembered: the request handler
        answers then.
        """
        entry = self._prebuilt.get(raw_target)
        if entry is None:
            return None
        cached, freshness = self.engine.lookup(entry.url_path)  # also keeps the LRU order
        if cached is not entry.cached or freshness is not Freshness.FRESH:
            del self._prebuilt[raw_target]
            self._prebuilt_bytes -= len(entry.body)
            return None
        page = cached.record
        fresh_seconds = fresh_seconds_left(page.revalidate, page.generated_at, self.engine.clock())
        second = int(self.wall_clock())
        if entry.key != (fresh_seconds, second):
            self._make_bytes(entry, fresh_seconds, second)
        return entry

    def _make_bytes(self, entry: PrebuiltResponse, fresh_seconds: int, second: int) -> None:
        if self._date[0] != second:
            self._date = (second, formatdate(second, usegmt=True))
        headers = self.headers(entry.cached.record, CacheState.HIT, fresh_seconds=fresh_seconds)
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        tail = f"Date: {self._date[1]}\r\nServer: {SERVER_SOFTWARE}\r\n\r\n"
        entry.key = (fresh_seconds, second)
        entry.head = (
            f"HTTP/1.1 200 OK\r\n{lines}Content-Length: {len(entry.body)}\r\n{tail}"
        ).encode()
        # As body_response's 304: the same headers but Content-Type, and no body.
        del headers["Content-Type"]
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        entry.not_modified = f"HTTP/1.1 304 Not Modified\r\n{lines}{tail}".encode()


def _unsafe(text: str) -> bool:
    return "\r" in text or "\n" in text
