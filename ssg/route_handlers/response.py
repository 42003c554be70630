"""`ssg.Response`: what a route handler returns to choose its status, headers or content type."""

from __future__ import annotations

from collections.abc import Mapping

from ssg.errors import ArgumentError


class Response:
    """A route handler's response, as aiohttp's `web.Response` without importing aiohttp.

    `web.Response` works too; this class takes the same keyword arguments for
    the common cases and keeps aiohttp (slow to import, TLS set-up included)
    out of builds that never make an HTTP request, as
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
        headers: more response headers. A Content-Type among them replaces
            `content_type` and `charset` (giving both is an error, as in
            aiohttp); `text` is encoded with its charset, and gets
            "; charset=utf-8" when it names none.
        content_type: the media type without parameters, e.g. "application/xml".
        charset: the charset added to the content type (default "utf-8" for `text`).

    Raises:
        ArgumentError (a TypeError and a ValueError): both `body` and `text`;
            `body` not bytes or `text` not a str; a status outside 100-599; a
            charset inside `content_type`; a Content-Type header with
            `content_type` or `charset`; an unknown charset; a header holding a
            line break or NUL. The message names the calling line.
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
            raise ArgumentError(
                "ssg.Response takes body (bytes) or text (str), not both", call="ssg.Response"
            )
        if body is not None and not isinstance(body, bytes | bytearray):
            raise ArgumentError(
                f"ssg.Response body must be bytes, not {type(body).__name__}", call="ssg.Response"
            )
        if text is not None and not isinstance(text, str):
            raise ArgumentError(
                f"ssg.Response text must be a str, not {type(text).__name__}", call="ssg.Response"
            )
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise ArgumentError(
                f"ssg.Response status must be an HTTP status (100-599), not {status!r}",
                call="ssg.Response",
            )
        if content_type is not None and "charset" in content_type:
            raise ArgumentError(
                "ssg.Response: give the charset as charset=, not in content_type",
                call="ssg.Response",
            )
        items = dict(headers or {})
        header = next((name for name in items if name.lower() == "content-type"), None)
        if header is not None and (content_type is not None or charset is not None):
            raise ArgumentError(
                "ssg.Response: a Content-Type header and content_type or charset; give one of them",
                call="ssg.Response",
            )
        if text is not None:
            if header is None:
                header = "Content-Type"
                charset = charset or "utf-8"
                items[header] = f"{content_type or 'text/plain'}; charset={charset}"
            else:  # as aiohttp: the header's charset encodes the text, utf-8 when it has none
                charset = _charset(items[header])
                if charset is None:
                    charset = "utf-8"
                    items[header] += "; charset=utf-8"
            try:
                data = text.encode(charset)
            except LookupError:
                raise ArgumentError(
                    f"ssg.Response charset {charset!r} is not a known encoding", call="ssg.Response"
                ) from None
        else:
            data = bytes(body or b"")
            if header is None:
                media_type = content_type or "application/octet-stream"
                items["Content-Type"] = (
                    f"{media_type}; charset={charset}" if charset else media_type
                )
        for name, value in items.items():  # the Content-Type made from the arguments too
            if any(c in f"{name}{value}" for c in "\r\n\0"):
                raise ArgumentError(
                    f"ssg.Response header {name!r} holds a line break or NUL", call="ssg.Response"
                )
        self.body: bytes = data
        self.status: int = status
        self.headers: dict[str, str] = items

    def __repr__(self) -> str:
        kind = next((v for k, v in self.headers.items() if k.lower() == "content-type"), "")
        return f"<ssg.Response {self.status} {kind!r} {len(self.body)} bytes>"


def _charset(content_type: str) -> str | None:
    """The charset parameter of a Content-Type value ("text/xml; charset=latin-1" -> "latin-1")."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None
