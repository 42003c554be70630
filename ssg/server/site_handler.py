"""The request handler: cached pages (HIT/STALE/MISS), files, dynamic pages and route handlers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from aiohttp import web

from ssg.errors import page_label
from ssg.isr.cache import CachedPage
from ssg.isr.freshness import Freshness
from ssg.isr.regenerator import make_digest
from ssg.render.boundaries import failure_of
from ssg.render.special_pages import render_error_page
from ssg.route_handlers.invoke import allowed_methods
from ssg.routing.definitions import RouteKind, RouteMatch
from ssg.server.in_flight import InFlight
from ssg.server.not_found import NotFoundPages, RedactedError
from ssg.server.page_responses import PageResponses
from ssg.server.paths import ENDPOINT_PREFIX, ParsedPath, PathVerdict, parse_site_path
from ssg.server.per_request import render_with_request, run_route_handler, uncached_response
from ssg.server.responses import (
    PAGE_METHODS,
    PUBLIC_FILE_CACHE_CONTROL,
    READ_METHODS,
    CacheState,
    html_response,
    method_refusal,
    not_found_response,
    redirect_response,
)
from ssg.server.static import StaticFile

if TYPE_CHECKING:
    from ssg.isr.engine import IsrEngine
    from ssg.server.endpoints import Endpoints
    from ssg.server.static import StaticFiles

logger = logging.getLogger("ssg.server")

PARSED_PATHS_KEPT = 20_000
MAX_BUNDLE_DEPTH = 4
"""How many folders up from a missing file to look for the page whose bundle holds it."""


class SiteHandler:
    """Answers every request of `ssg serve` (one catch-all aiohttp route).

    Order: body limit -> path safety and redirects -> /_ssg/ endpoints ->
    cached page (one dict lookup: the HIT path) -> file -> route match
    (route handler, dynamic page, on-demand ISR render) -> 404 page (the
    nearest not-found.html, see NotFoundPages). A fresh HIT answered here is
    remembered as bytes (`pages.prebuilt`), so its next request skips all of it.

    A failed render answers 500 with the nearest error.html, which sees a
    `RedactedError` (generic message + digest), never the exception: the digest
    is logged next to the real error.

    Args:
        engine: the ISR engine (pages, freshness, renders).
        static: the servable files of out/.
        endpoints: the /_ssg/ endpoints.
        not_found_pages: the 404 bodies (out/404.html and nested not-found.html).
        body_limit_bytes: largest request body accepted (413 beyond).
        files_only: serve the build's files and pages only, as a static host
            serves an export: never regenerated, and a URL the build did not
            write (an unlisted param, a route handler, a dynamic page) is a 404.
    """

    def __init__(
        self,
        *,
        engine: IsrEngine,
        static: StaticFiles,
        endpoints: Endpoints,
        not_found_pages: NotFoundPages,
        body_limit_bytes: int,
        files_only: bool = False,
    ) -> None:
        self.engine = engine
        self.site = engine.site
        self.static = static
        self.endpoints = endpoints
        self.not_found_pages = not_found_pages
        self.body_limit_bytes = body_limit_bytes
        self.files_only = files_only
        self.trailing_slash = engine.site.config.trailing_slash
        self.base_path = engine.site.config.base_path
        self.pages = PageResponses(engine)
        # Raw request target -> its parse: repeated URLs (the HIT path) skip the
        # split / decode / re-encode. The parse is pure, so caching it is safe.
        self._parsed: dict[str, ParsedPath] = {}
        self.in_flight = InFlight()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request (503 if shutdown abandons it, see InFlight.abandon)."""
        return await self.in_flight.answer(request, self._handle)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        length = request.content_length
        if length is not None and length > self.body_limit_bytes:
            return _too_large(self.body_limit_bytes, length)
        raw_target = request.raw_path
        if not raw_target.startswith("/"):  # absolute-form target (RFC 9112 3.2.2)
            raw_target = request.rel_url.raw_path_qs
        parsed = self._parsed.get(raw_target)
        if parsed is None:
            parsed = parse_site_path(
                raw_target, base_path=self.base_path, trailing_slash=self.trailing_slash
            )
            if len(self._parsed) >= PARSED_PATHS_KEPT:
                self._parsed.clear()  # bounded: random URLs cannot grow it without limit
            self._parsed[raw_target] = parsed
        if parsed.verdict is PathVerdict.NOT_FOUND:
            return self.not_found(request)
        if parsed.verdict is PathVerdict.REDIRECT:
            assert parsed.location is not None
            return redirect_response(parsed.location)
        url_path = parsed.url_path
        if url_path == ENDPOINT_PREFIX or url_path.startswith(ENDPOINT_PREFIX + "/"):
            return await self.endpoints.dispatch(request, url_path)
        method = request.method
        page, freshness = self.engine.lookup(url_path)
        if page is not None and method in READ_METHODS:
            return await self._cached(request, page, freshness, raw_target)
        static_file = self.static.get(url_path)
        if static_file is not None:
            refused = method_refusal(method, PAGE_METHODS)
            if refused is not None:
                return refused
            if not static_file.file.is_file():  # deleted by a build since the server started
                return await self.not_found_under(request, url_path)
            return self.static.response(static_file)
        match = None if self.files_only else self.site.table.match(url_path)
        if match is None:
            bundle_file = self._bundle_file(url_path)
            if bundle_file is not None and method in READ_METHODS:
                return self.static.response(StaticFile(bundle_file, PUBLIC_FILE_CACHE_CONTROL))
            return await self.not_found_under(request, url_path)
        if match.route.kind is RouteKind.HANDLER:
            return await self._route_handler(request, match)
        refused = method_refusal(method, PAGE_METHODS)
        if refused is not None:
            return refused
        if self.engine.is_dynamic(match):
            return await self._dynamic(request, match)
        if not self.engine.renders_on_demand(match):
            return await self.not_found_under(request, url_path)
        return await self._on_demand(request, match)

    def _bundle_file(self, url_path: str) -> Path | None:
        """A page-bundle file of a page rendered on demand ("/blog/soon/diagram.png"), or None.

        The build writes the bundle files of the pages it prerendered into out/;
        a page first rendered by this server (a scheduled post) lists them in
        its record, looked up here from the nearest cached page above the URL.
        """
        parent = url_path
        for _ in range(MAX_BUNDLE_DEPTH):
            parent, _, _ = parent.rpartition("/")
            if not parent:
                return None
            page, _freshness = self.engine.lookup(parent)
            if page is not None and page.record.bundle_files:
                name = unquote(url_path[len(parent) + 1 :])
                for bundle_name, source in page.record.bundle_files:
                    if bundle_name == name and Path(source).is_file():
                        return Path(source)
                return None
        return None

    def not_found(self, request: web.Request) -> web.Response:
        """The build's 404 page (out/404.html, noindex), status 404."""
        return not_found_response(request, self.not_found_pages.root_body)

    async def not_found_under(self, request: web.Request, url_path: str) -> web.Response:
        """The nearest not-found.html for `url_path` (noindex), status 404."""
        return not_found_response(request, await self.not_found_pages.body(url_path))

    async def error_page(
        self,
        request: web.Request,
        match: RouteMatch,
        digest: str,
        exc: BaseException | None = None,
    ) -> web.Response:
        """The error boundary of `exc` (error.html), status 500; it sees `error` as a RedactedError only."""
        failed = render_error_page(
            self.site,
            match.url_path,
            RedactedError(digest),
            route=match.route,
            failure=failure_of(exc),
        )
        return html_response(request, 500, failed.body)

    async def _cached(
        self, request: web.Request, page: CachedPage, freshness: Freshness, raw_target: str
    ) -> web.StreamResponse:
        if freshness is Freshness.FRESH or self.files_only:
            state = CacheState.HIT
        elif freshness is Freshness.STALE:
            # As Next.js: the stale page now, one regeneration in the background.
            self.engine.regenerate(page)
            state = CacheState.STALE
        else:
            return await self._render_missing(request, page.record.url_path)
        body = await self.engine.body(page)
        if body is None:
            return await self._render_missing(request, page.record.url_path)
        if state is CacheState.HIT and raw_target.startswith("/"):
            self.pages.remember_hit(raw_target, page, body)
        return self.pages.response(request, page.record, body, state)

    async def _render_missing(self, request: web.Request, url_path: str) -> web.StreamResponse:
        """A cached page that is past expire_seconds or unreadable: render it while waiting."""
        match = None if self.files_only else self.site.table.match(url_path)
        if match is None:
            return await self.not_found_under(request, url_path)
        return await self._on_demand(request, match)

    async def _on_demand(self, request: web.Request, match: RouteMatch) -> web.StreamResponse:
        outcome = await self.engine.render(match)
        if outcome.error is not None:
            # The regenerator logged the error with this digest.
            return await self.error_page(
                request, match, outcome.digest or make_digest(), outcome.error
            )
        rendered = outcome.value
        if rendered is None:
            # Joined a background regeneration that another worker's lock skipped.
            digest = make_digest()
            logger.error(
                "Rendering %s on demand produced nothing [digest %s]: another "
                "worker held its lock; answered 500, the next request renders it.",
                page_label(match.route.route_pattern, match.url_path),
                digest,
            )
            return await self.error_page(request, match, digest)
        if rendered.cached:
            # Adopted: another process rendered it, this one answers from its cache.
            state = CacheState.HIT if rendered.adopted else CacheState.MISS
            return self.pages.response(request, rendered.page, rendered.body, state)
        return uncached_response(request, rendered.page, rendered.body)

    async def _dynamic(self, request: web.Request, match: RouteMatch) -> web.StreamResponse:
        """Render a page per request, with the request; the response is never cached."""
        try:
            result = await render_with_request(self.site, self.engine.services, request, match)
        except web.HTTPException:
            raise
        except Exception as exc:
            digest = make_digest()
            logger.error(
                "Rendering %s failed: %s [digest %s]",
                page_label(match.route.route_pattern, match.url_path),
                exc,
                digest,
                exc_info=exc,
            )
            return await self.error_page(request, match, digest, exc)
        await self.engine.revalidations.save_marks()  # as after a route handler
        if result.status == 200 and result.location is None:
            return html_response(request, 200, result.body)
        return uncached_response(request, result, result.body)

    async def _route_handler(self, request: web.Request, match: RouteMatch) -> web.StreamResponse:
        """Run a route.py handler: OPTIONS 204, 405 with Allow, ISR GETs, else per request."""
        module = self.site.module(match.route.module_file)
        if module is None:
            return await self.not_found_under(request, match.url_path)
        allowed = allowed_methods(module)
        method = request.method
        refused = method_refusal(method, allowed, runs_options="OPTIONS" in module.handlers)
        if refused is not None:
            return refused
        if (
            method in READ_METHODS
            and self.site.is_prerenderable_handler(match.route)
            and not self.engine.is_dynamic(match)
        ):
            if not self.engine.renders_on_demand(match):
                return await self.not_found_under(request, match.url_path)
            return await self._on_demand(request, match)
        response = await run_route_handler(self.site, self.engine.services, request, match)
        # A revalidation the handler made (ssg.revalidate_*) is stored (and, with a
        # shared backend, seen by every instance) before the caller gets its answer.
        await self.engine.revalidations.save_marks()
        return response


def _too_large(limit: int, length: int) -> web.Response:
    return web.Response(
        status=413,
        text=f"413 Request body of {length} bytes is over the limit of {limit} bytes.\n",
        headers={"Connection": "close"},
    )
