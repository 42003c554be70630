"""RenderedPage: what rendering a URL produces, at build, in-process and at serve."""

from __future__ import annotations

from dataclasses import dataclass

from ssg.records import Headers, PageRecord, make_etag
from ssg.revalidate import Revalidate

HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class RenderedPage:
    """The result of rendering a URL: a body and what a `PageRecord` says about it.

    Attributes:
        status: 200, 404 (not_found()), 307/308 (redirects), or a handler's status.
        body: the response body.
        content_type: the Content-Type.
        revalidate: the effective revalidate: the lowest of the route's segments
            and the data it used (EVERY_REQUEST for a dynamic render).
        tags: the cache tags the render used, sorted.
        location: the target of a redirect, else None.
        headers: extra headers a route handler set (not Content-Type).
        data_keys: the data-cache keys the render read (fetches and ssg.cache
            entries), sorted: what `revalidate_path` expires for this page.
        due_at: when a scheduled post the render left out falls due (epoch
            seconds), else None (see `PageRecord.restamped`).
    """

    status: int
    body: bytes
    content_type: str
    revalidate: Revalidate
    tags: tuple[str, ...] = ()
    location: str | None = None
    headers: Headers = ()
    data_keys: tuple[str, ...] = ()
    due_at: float | None = None

    def to_record(
        self, *, url_path: str, route_pattern: str, output_file: str, generated_at: float
    ) -> PageRecord:
        """The page's record (ETag and size from the body), for the manifest or an ISR entry.

        Args:
            url_path: the canonical URL path it answers.
            route_pattern: its route.
            output_file: where its body is written (see `PageRecord.output_file`).
            generated_at: epoch seconds it counts as generated.
        """
        return PageRecord(
            url_path=url_path,
            route_pattern=route_pattern,
            status=self.status,
            content_type=self.content_type,
            revalidate=self.revalidate,
            tags=self.tags,
            etag=make_etag(self.body),
            size_bytes=len(self.body),
            output_file=output_file,
            location=self.location,
            headers=self.headers,
            data_keys=self.data_keys,
            generated_at=generated_at,
            due_at=self.due_at,
        )
