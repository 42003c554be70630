"""`ssg.Response`: what a route handler returns to choose its status, headers or content type."""

from __future__ import annotations

from collections.abc import Mapping


class Response:
    """A route handler's response, as aiohttp's `web.Response` without importing aiohttp.

    `web.Response` works too (SPEC 6); this class takes the same keyword
    arguments for the common cases and keeps aiohttp (~0.15 s to import, TLS
    set-up included) out of builds that never make an HTTP request, as
    Next.js route handlers return the standard `Response`.

        return ssg.Response(text=rss, content_type="application/rss+xml")
        return ssg.Response(body=png, content_type="image/png")
        return ssg.Response(text="gone", status=410, headers={"Cache-Control": "no-store"})

    Args:
        body: bytes sent as they are (content type application/octet-stream
            unless `content_type` says otherwise).
        text: a str sent UTF-8 encoded (content type text/plain unless
            `content_type` says otherwise; "; charset=utf-8" is added).
        status: the HTTP status code (100-599).
        headers: more response headers; a Content-Type here wins over
            `content_type`, as in aiohttp.
        content_type: the media type, e.g. "application/xml".
        charset: the charset added to the content type (default "utf-8" for `text`).

    Raises:
        ValueError: both `body` and `text` given, a status outside 100-599, or
            a charset or content type holding a line break.
        TypeError: `body` is not bytes, or `text` not a str.
    """

    __slots__ = ("body", "headers", "status")

    def __init__(
        self,
        body: bytes | None = None,
        *,
        text: str | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        charset: str | None = None,
    ) -> None:
        if body is not None and text is not None:
            raise ValueError("ssg.Response takes body (bytes) or text (str), not both")
        if body is not None and not isinstance(body, bytes | bytearray):
            raise TypeError(f"ssg.Response body must be bytes, not {type(body).__name__}")
        if text is not None and not isinstance(text, str):
            raise TypeError(f"ssg.Response text must be a str, not {type(text).__name__}")
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(
                f"ssg.Response status must be an HTTP status (100-599), not {status!r}"
            )
        if text is not None:
            charset = charset or "utf-8"
            data = text.encode(charset)
            media_type = content_type or "text/plain"
        else:
            data = bytes(body or b"")
            media_type = content_type or "application/octet-stream"
        if charset:
            media_type += f"; charset={charset}"
        if "\r" in media_type or "\n" in media_type:
            raise ValueError(f"ssg.Response content type {media_type!r} holds a line break")
        items = dict(headers or {})
        if not any(name.lower() == "content-type" for name in items):
            items["Content-Type"] = media_type
        self.body: bytes = data
        self.status: int = status
        self.headers: dict[str, str] = items

    def __repr__(self) -> str:
        return f"<ssg.Response {self.status} {self.headers.get('Content-Type', '')!r} {len(self.body)} bytes>"
