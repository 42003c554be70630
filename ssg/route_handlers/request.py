"""ssg.Request: what route handlers receive, the same at build, in-process and at serve."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Awaitable, Callable, Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

BodyReader = Callable[[], Awaitable[bytes]]


class Request:
    """An HTTP request as a route handler sees it (as Next.js NextRequest).

    Attributes:
        method: upper-case HTTP method.
        url: the full URL string ("http://127.0.0.1:3000/api/posts?page=2");
            in-process requests use the origin "http://localhost".
        path: the URL path, percent-decoded ("/api/posts").
        query: the query string parameters (a read-only multidict).
        headers: case-insensitive read-only headers.
        cookies: cookie name -> value.

    A prerendered route handler (at build or during a regeneration) gets a
    stand-in request whose `query`, `headers` and `cookies` are guarded: reading
    them makes an "auto" route dynamic, fails a dynamic = "error" route, and
    reads empty under "force-static".
    """

    def __init__(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | CIMultiDictProxy[str] | None = None,
        body: bytes | BodyReader | None = None,
        path: str | None = None,
        guard: Callable[[str], bool] | None = None,
    ) -> None:
        from urllib.parse import unquote

        self.method = method.upper()
        self.url = url if "://" in url else f"http://localhost{url}"
        parts = urlsplit(self.url)
        self.path = path if path is not None else unquote(parts.path or "/")
        self._query: MultiDictProxy[str] = MultiDictProxy(
            MultiDict(parse_qsl(parts.query, keep_blank_values=True))
        )
        self._headers: CIMultiDictProxy[str] = (
            headers
            if isinstance(headers, CIMultiDictProxy)
            else CIMultiDictProxy(CIMultiDict(headers or {}))
        )
        cookie = SimpleCookie()
        try:
            cookie.load(self._headers.get("Cookie", ""))
        except Exception:  # a malformed Cookie header reads as no cookies, as browsers send it
            cookie = SimpleCookie()
        self._cookies: dict[str, str] = {k: m.value for k, m in cookie.items()}
        self._guard = guard
        self._body = body
        self._body_bytes: bytes | None = body if isinstance(body, bytes) else None

    def _readable(self, what: str) -> bool:
        # A prerendered handler's request is a stand-in: reading it is reading the
        # request (as Next.js tracks dynamic access in static GET handlers).
        return self._guard is None or self._guard(what)

    @property
    def query(self) -> MultiDictProxy[str]:
        """The query string parameters (read-only multidict)."""
        return self._query if self._readable("request.query") else MultiDictProxy(MultiDict())

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The request headers (case-insensitive, read-only)."""
        if self._readable("request.headers"):
            return self._headers
        return CIMultiDictProxy(CIMultiDict())

    @property
    def cookies(self) -> dict[str, str]:
        """Cookie name -> value."""
        return self._cookies if self._readable("request.cookies") else {}

    async def body(self) -> bytes:
        """The request body, read once (b"" when there is none)."""
        if self._body_bytes is None:
            self._body_bytes = await self._body() if callable(self._body) else b""
        return self._body_bytes

    async def text(self) -> str:
        """The body decoded as UTF-8 (invalid bytes replaced)."""
        return (await self.body()).decode("utf-8", errors="replace")

    async def json(self) -> Any:
        """The body parsed as JSON.

        Raises:
            ValueError: the body is not valid JSON.
        """
        return jsonlib.loads(await self.body())

    async def form(self) -> MultiDictProxy[str]:
        """The body parsed as application/x-www-form-urlencoded."""
        text = await self.text()
        return MultiDictProxy(MultiDict(parse_qsl(text, keep_blank_values=True)))

    def __repr__(self) -> str:
        return f"<ssg.Request {self.method} {self.url}>"
