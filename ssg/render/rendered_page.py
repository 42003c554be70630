"""RenderedPage: what rendering a URL produces, at build, in-process and at serve."""

from __future__ import annotations

from dataclasses import dataclass

HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class RenderedPage:
    """The result of rendering a URL.

    Attributes:
        status: 200, 404 (not_found()), 307/308 (redirects), or a handler's status.
        body: the response body.
        content_type: the Content-Type.
        revalidate_seconds: the effective revalidate: the lowest of the route's
            segments and the data it used; None = never stale; 0 = dynamic.
        tags: the cache tags the render used.
        location: the target of a redirect, else None.
        header_items: extra headers a route handler set.
        data_keys: the data-cache keys the render read (fetches and ssg.cache
            entries), sorted: what `revalidate_path` expires for this page.
    """

    status: int
    body: bytes
    content_type: str
    revalidate_seconds: float | None
    tags: tuple[str, ...] = ()
    location: str | None = None
    header_items: tuple[tuple[str, str], ...] = ()
    data_keys: tuple[str, ...] = ()
