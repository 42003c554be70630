"""The server's 404 and 500 pages: the nearest not-found.html for any URL, and what error.html sees."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from ssg.render.special_pages import render_not_found
from ssg.routing.definitions import RouteDefinition, Segment, SegmentKind
from ssg.routing.matching import match_segments, split_url_path
from ssg.site import Site

logger = logging.getLogger("ssg.server")

NOT_FOUND_FILE = "not-found.html"
GENERIC_ERROR_MESSAGE = "Internal Server Error"


@dataclasses.dataclass(frozen=True)
class RedactedError:
    """What error.html sees as `error` at serve time: nothing of the real exception.

    As Next.js in production, a server error's message never reaches the
    visitor: `error.message` is a generic text and `error.digest` a short id
    that the server logs next to the real exception, so an operator can find
    it from a visitor's report. `{{ error }}` prints the generic text. (A value,
    not an exception: it is never raised.)

    Attributes:
        digest: the failure's id (`ssg.isr.regenerator.make_digest`).
        message: always GENERIC_ERROR_MESSAGE.
    """

    digest: str
    message: str = GENERIC_ERROR_MESSAGE

    def __str__(self) -> str:
        return self.message


@dataclasses.dataclass(frozen=True)
class _Scope:
    """A folder with a not-found.html: its URL prefix pattern and a route to render it with."""

    segments: tuple[Segment, ...]
    route: RouteDefinition


class NotFoundPages:
    """The 404 body for an unmatched URL: the not-found.html of the deepest folder it is under.

    Folders holding a not-found.html are found once from the site's routes
    (each route's folder chain); a URL is under a folder when the folder's URL
    segments match the URL's first parts (`[slug]` matches any one part,
    catch-alls the rest). The deepest such folder wins, static segments before
    dynamic ones; route groups add no depth, so a not-found.html directly in a
    top-level group does not replace the root one. Bodies are rendered on
    first use and kept (a 404 is the same page whatever the URL, as the
    build's out/404.html).

    With app/not-found.html, app/posts/not-found.html, app/[lang]/docs/not-found.html:

    | URL            | 404 page from                  |
    | -------------- | ------------------------------ |
    | `/posts/x/y`   | app/posts/not-found.html       |
    | `/posts`       | app/posts/not-found.html       |
    | `/about/x`     | out/404.html (the root one)    |
    | `/fr/docs/x`   | app/[lang]/docs/not-found.html |

    Args:
        site: the loaded site.
        root_body: the build's out/404.html, for every other URL.
    """

    def __init__(self, site: Site, root_body: bytes) -> None:
        self.site = site
        self.root_body = root_body
        self._scopes = _scan_scopes(site)
        self._bodies: dict[Path, bytes] = {}

    def __len__(self) -> int:
        """How many folders below app/ have their own not-found.html."""
        return len(self._scopes)

    def route_for(self, url_path: str) -> RouteDefinition | None:
        """A route to render a URL's nested not-found.html with; None for the root one."""
        scope = self._scope_for(url_path)
        return None if scope is None else scope.route

    async def body(self, url_path: str | None) -> bytes:
        """The 404 body for a URL (the root one when `url_path` is None or nothing nearer)."""
        scope = None if url_path is None else self._scope_for(url_path)
        if scope is None:
            return self.root_body
        file = scope.route.not_found_file
        assert file is not None  # _scan_scopes only keeps routes with a file
        body = self._bodies.get(file)
        if body is None:
            # url_path "" as the build's 404.html: the page is shared by every URL.
            page = render_not_found(self.site, "", route=scope.route)
            body = self._bodies[file] = page.body
        return body

    def _scope_for(self, url_path: str) -> _Scope | None:
        if not self._scopes:
            return None
        parts = split_url_path(url_path)
        if parts is None:
            return None
        for scope in self._scopes:
            if match_segments(scope.segments, parts, prefix=True) is not None:
                return scope
        return None


def _scan_scopes(site: Site) -> list[_Scope]:
    """Every folder below app/ with a not-found.html, deepest first, static before dynamic."""
    found: dict[Path, _Scope] = {}
    for route in site.routes:
        segments: list[Segment] = []
        # Folders below app/ only: app/not-found.html is the build's out/404.html.
        for folder, segment in route.folder_segments:
            if segment.in_url:
                segments.append(segment)
            file = folder / NOT_FOUND_FILE
            if not segments or file in found or not file.is_file():
                continue
            # A route to render it with: this file as its nearest not-found.html,
            # and the layouts above it (render_not_found keeps only those).
            found[file] = _Scope(tuple(segments), dataclasses.replace(route, not_found_file=file))
    return sorted(found.values(), key=_rank)


def _rank(scope: _Scope) -> tuple[int, tuple[int, ...]]:
    order = {
        SegmentKind.STATIC: 0,
        SegmentKind.DYNAMIC: 1,
        SegmentKind.CATCH_ALL: 2,
        SegmentKind.OPTIONAL_CATCH_ALL: 3,
    }
    return (-len(scope.segments), tuple(order[s.kind] for s in scope.segments))
