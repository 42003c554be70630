"""In-process dispatch: `ssg.fetch("/api/posts")` calls this site's route handler, no server needed."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from ssg.data.response import FetchResponse
from ssg.errors import FetchError, page_label
from ssg.render.renderer import make_scope, render_match
from ssg.route_handlers.invoke import allowed_methods
from ssg.route_handlers.request import Request
from ssg.routing.definitions import RouteKind
from ssg.scope import current_scope
from ssg.site import Site


class InProcessDispatcher:
    """Answers relative fetches by calling route handlers directly (at build and at serve).

    This is what makes the classic Next.js build failure impossible: a page
    fetching its own /api route during `next build` finds no server running.
    Here the handler runs in-process with the same ssg.Request, params and
    caching rules, and its revalidate and tags count for the calling page.
    """

    def __init__(self, site: Site) -> None:
        self.site = site

    async def __call__(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> FetchResponse:
        """Call the route handler matching `url` ("/api/posts?page=2").

        Raises:
            FetchError: no route handler matches the URL path; names the page
                being rendered, the site file and line that called ssg.fetch
                (`.source_file`, `.line`), the URL and the closest route.
        """
        caller = current_scope()
        url_path = urlsplit(url).path or "/"
        match = self.site.table.match(url_path)
        if match is None or match.route.kind is not RouteKind.HANDLER:
            handlers = [r.route_pattern for r in self.site.routes if r.kind is RouteKind.HANDLER]
            closest = self.site.table.closest(url_path)
            if closest not in handlers:
                closest = _closest_of(url_path, handlers)
            page = page_label(caller.route_pattern, caller.url_path) if caller else "this site"
            source_file, line = self._calling_site_line()
            at = f" at {source_file}:{line}" if source_file else ""
            hint = f" The closest route handler is {closest}." if closest else ""
            found = "a page, not a route handler," if match is not None else "no route"
            raise FetchError(
                f"{page} fetched {url!r}{at}, but {found} matches it.{hint} A URL starting "
                "with '/' calls this site's own app/**/route.py in-process; use an absolute "
                "http(s):// URL for another server.",
                url=url,
                route_pattern=caller.route_pattern if caller else None,
                closest_route=closest,
                source_file=source_file,
                line=line,
            )
        module = self.site.module(match.route.module_file)
        allow = ", ".join(allowed_methods(module)) if module is not None else "OPTIONS"
        method = method.upper()
        # OPTIONS and unsupported methods are answered as the server answers them.
        if method == "OPTIONS":
            return FetchResponse(204, (("Allow", allow),), b"", url)
        if method not in allow.split(", "):
            return FetchResponse(405, (("Allow", allow),), b"", url)
        request = Request(method, url, headers=headers, body=body or b"")
        if caller is None:
            raise FetchError(
                f"fetch({url!r}) of this site's own route needs a render: call it inside "
                "load(), generate_static_params() or a route handler",
                url=url,
            )
        scope = make_scope(
            self.site,
            match.route,
            match.url_path,
            caller.services,
            request=request,
            memo=caller.memo,
        )
        rendered = await render_match(self.site, match, scope)
        caller.record_revalidate(rendered.revalidate)
        if rendered.due_at is not None:
            caller.record_due(rendered.due_at)
        caller.record_tags(rendered.tags)
        headers_out: tuple[tuple[str, str], ...] = (
            ("Content-Type", rendered.content_type),
            *rendered.headers,
        )
        if rendered.location is not None:
            headers_out += (("Location", rendered.location),)
        if method == "HEAD":
            return FetchResponse(rendered.status, headers_out, b"", url)
        return FetchResponse(rendered.status, headers_out, rendered.body, url)

    def _calling_site_line(self) -> tuple[str | None, int | None]:
        """The innermost frame of this call stack in the site's own files: (relative file, line).

        The page's `load()` (or a helper module of the site) awaits ssg.fetch,
        which awaits this dispatcher in the same task, so the caller's frame is
        on the stack above this one; ssg's own frames are skipped.
        """
        site_dir = self.site.config.site_dir
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            file = Path(frame.f_code.co_filename)
            if (
                file.is_absolute()
                and file.is_relative_to(site_dir)
                and not file.is_relative_to(_PACKAGE_DIR)
            ):
                return self.site.relative(file), frame.f_lineno
            frame = frame.f_back
        return None, None


_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _closest_of(url_path: str, patterns: list[str]) -> str | None:
    found = difflib.get_close_matches(url_path, patterns, n=1, cutoff=0.5)
    return found[0] if found else None
