"""The dev server's aiohttp app: every request rendered from the current sources, errors as an overlay.

Same routing, layouts, slots, not-found pages, route handlers, public/ files and
theme assets as `ssg serve`, through the same renderer and server pieces, but
nothing is built or cached: `revalidate` is ignored and every render sees the
request (as `next dev`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ssg.builder.planner import plan_params
from ssg.config import SiteConfig, load_config
from ssg.content.cache import CACHE_FOLDER
from ssg.data.memo import RequestMemo
from ssg.dev.events import EVENTS_PATH, EventBroker, inject_script, live_reload_script
from ssg.dev.files import DevFiles
from ssg.dev.open_pages import OpenPages
from ssg.dev.overlay import make_report, render_overlay
from ssg.reads import collect_reads, paused
from ssg.render.dispatch import InProcessDispatcher
from ssg.render.renderer import make_scope, render_match
from ssg.render.special_pages import render_not_found
from ssg.route_handlers.invoke import allowed_methods
from ssg.routing.definitions import RouteKind, RouteMatch
from ssg.scope import Clock, DataServices, ServiceMode
from ssg.server.not_found import NotFoundPages
from ssg.server.paths import ENDPOINT_PREFIX, PathVerdict, parse_site_path
from ssg.server.per_request import to_request, uncached_response
from ssg.server.responses import (
    HTML,
    PAGE_METHODS,
    body_response,
    method_refusal,
    redirect_response,
)
from ssg.site import Site

logger = logging.getLogger("ssg.dev")

DEV_PAGE_CACHE_CONTROL = "no-store"
"""Pages are never kept: each carries the live-reload script of the worker that made it."""


@dataclass
class DevSite:
    """The site as one dev worker loaded it, or the error that stopped it loading.

    Attributes:
        site_dir: the site folder (absolute).
        config: the config, or None when ssg.toml is broken.
        site: the loaded site, or None when it failed to load.
        services: the data services (no data cache: always fresh), or None.
        files: public/ and theme assets, or None.
        not_found_pages: finds the nearest not-found.html of an unmatched URL, or None.
        pages: what each rendered page read (which open pages an edit reloads), or None.
        error: why the site did not load (shown for every request), or None.
    """

    site_dir: Path
    config: SiteConfig | None = None
    site: Site | None = None
    services: DataServices | None = None
    files: DevFiles | None = None
    not_found_pages: NotFoundPages | None = None
    pages: OpenPages | None = None
    error: BaseException | None = None


def load_dev_site(site_dir: Path, *, strict: bool = False, clock: Clock = time.time) -> DevSite:
    """Load the config and the site; a failure is kept (and logged), never raised.

    Args:
        site_dir: the site folder.
        strict: content problems are errors (as `ssg build --strict`).
        clock: epoch seconds.

    Returns:
        The DevSite; `.error` is set when ssg.toml, the routes, a site module
        or the theme could not be loaded.
    """
    dev = DevSite(site_dir=site_dir.resolve())
    try:
        dev.config = load_config(site_dir)
        dev.site = Site.load(dev.config)
    except (Exception, SystemExit) as exc:  # sys.exit() in a site module must not end the worker
        dev.error = exc
        logger.error("The site could not be loaded: %s", exc)
        return dev
    site = dev.site
    # Jinja checks each template's mtime when it is used: an edit shows on the next
    # request without the watcher's help (a stat per template per render).
    site.env.auto_reload = True
    dev.services = DataServices(
        mode=ServiceMode.SERVE,
        clock=clock,
        dispatch=InProcessDispatcher(site),
        store=None,  # no data cache: every fetch and @ssg.cache is fresh in dev
        fetch_timeout_seconds=dev.config.fetch_timeout_seconds,
        site_dir=dev.config.site_dir,
        site_values=dev.config.template_values(),
        strict=strict,
        include_drafts=True,  # as `ssg build --drafts`: drafts and scheduled posts show
        content_cache_dir=dev.config.cache_dir / CACHE_FOLDER,
    )
    dev.files = DevFiles(site)
    dev.not_found_pages = NotFoundPages(site, b"")
    dev.pages = OpenPages(site, dev.services)
    return dev


class DevHandler:
    """Answers every request of `ssg dev` (one catch-all aiohttp route).

    Order: path safety and redirects -> /_ssg/dev/events -> a site that failed
    to load (overlay) -> public/ and theme files -> route match (route
    handler or page, rendered with the request) -> nearest not-found page.
    Any error of the site's code answers the overlay (500).

    Args:
        dev: the loaded site (or its error).
        broker: the live-reload events.
    """

    def __init__(self, dev: DevSite, broker: EventBroker) -> None:
        self.dev = dev
        self.broker = broker
        self.trailing_slash = dev.config.trailing_slash if dev.config is not None else False
        self.base_path = dev.config.base_path if dev.config is not None else ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request."""
        raw_target = request.raw_path
        if not raw_target.startswith("/"):  # absolute-form target (RFC 9112 3.2.2)
            raw_target = request.rel_url.raw_path_qs
        if self.base_path and raw_target.partition("?")[0] == EVENTS_PATH:
            # The live-reload stream the injected script opens stays at the root.
            return await self._events(request)
        # Under a base path only URLs below it are the site's (as `ssg serve`).
        parsed = parse_site_path(
            raw_target, base_path=self.base_path, trailing_slash=self.trailing_slash
        )
        if parsed.verdict is PathVerdict.REDIRECT:
            assert parsed.location is not None
            return redirect_response(parsed.location)
        url_path = parsed.url_path
        if parsed.verdict is PathVerdict.OK and url_path == EVENTS_PATH:
            return await self._events(request)
        dev = self.dev
        if dev.error is not None:
            return self.overlay(dev.error, url_path)
        site, files = dev.site, dev.files
        assert site is not None and files is not None
        if parsed.verdict is PathVerdict.NOT_FOUND or (
            url_path == ENDPOINT_PREFIX or url_path.startswith(ENDPOINT_PREFIX + "/")
        ):
            return await self.not_found(request, url_path)
        method = request.method
        file = files.get(url_path)
        if file is not None:
            refused = method_refusal(method, PAGE_METHODS)
            return files.response(file) if refused is None else refused
        match = site.table.match(url_path)
        if match is None:
            return await self.not_found(request, url_path)
        try:
            if match.route.kind is RouteKind.HANDLER:
                return await self._route_handler(request, match)
            refused = method_refusal(method, PAGE_METHODS)
            if refused is not None:
                return refused
            return await self._page(request, match)
        except web.HTTPException:
            raise  # e.g. 413 from reading a body over client_max_size
        except (Exception, SystemExit) as exc:  # the site's errors, sys.exit() included
            logger.error("%s %s failed: %s", method, url_path, exc)
            return self.overlay(exc, url_path)

    def overlay(self, exc: BaseException, url_path: str) -> web.Response:
        """The error overlay, status 500."""
        theme_dir = self.dev.site.theme.theme_dir if self.dev.site is not None else None
        report = make_report(exc, self.dev.site_dir, theme_dir)
        return web.Response(
            status=500,
            body=render_overlay(report, url_path).encode("utf-8"),
            headers={"Content-Type": HTML, "Cache-Control": DEV_PAGE_CACHE_CONTROL},
        )

    async def not_found(
        self, request: web.Request, url_path: str, match: RouteMatch | None = None
    ) -> web.Response:
        """The nearest not-found.html, rendered now (404, noindex)."""
        site, pages = self.dev.site, self.dev.not_found_pages
        assert site is not None and pages is not None
        route = match.route if match is not None else pages.route_for(url_path)
        page = render_not_found(site, url_path, route=route)
        return body_response(
            request,
            status=404,
            body=page.body,
            content_type=HTML,
            cache_control=DEV_PAGE_CACHE_CONTROL,
        )

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """The live-reload stream of one open page (`?path=` its location, `?seen=` its change)."""
        page = None
        raw_page = request.query.get("path")
        if raw_page:
            parsed = parse_site_path(
                raw_page, base_path=self.base_path, trailing_slash=self.trailing_slash
            )
            # A redirect's url_path is the canonical page ("/blog/a/" without trailing_slash).
            page = parsed.url_path if parsed.verdict is not PathVerdict.NOT_FOUND else None
        try:
            seen: int | None = int(request.query["seen"])
        except (KeyError, ValueError):
            seen = None  # a client other than the injected script: only later changes reach it
        pages = self.dev.pages
        stale = pages is not None and seen is not None and pages.stale_since(page, seen)
        return await self.broker.stream(request, page=page, stale=stale)

    async def _page(self, request: web.Request, match: RouteMatch) -> web.Response:
        """A page, rendered now; what it read is kept (see OpenPages) when it renders fine."""
        pages = self.dev.pages
        started = pages.change if pages is not None else 0
        started_at = time.time()  # compared with the files' modification times
        with collect_reads() as reads:
            if not await self._listed(match):
                return await self.not_found(request, match.url_path, match)
            response = await self._render(request, match)
        if pages is not None and response.status == 200 and response.content_type == "text/html":
            # Digested after the response is out (a first render reads thousands of entry
            # fields).
            pages.record_soon(match.url_path, match.route, reads, started, started_at)
        return response

    async def _listed(self, match: RouteMatch) -> bool:
        """False for params that `dynamic_params = False` turns away (not listed by generate_static_params).

        As `next dev` ("During next dev, generateStaticParams will be called when you
        navigate to a route": Next.js docs, generateStaticParams), a dynamic route's
        functions run on every visit, so a wrong return shows here (the error
        overlay naming the file), not first in `ssg build`.

        Raises:
            ParamsError: a generate_static_params returned a wrong shape.
        """
        site, services = self.dev.site, self.dev.services
        assert site is not None and services is not None
        route = match.route
        if not route.is_dynamic_pattern:
            return True
        if site.settings(route).dynamic_params:
            with paused():  # a check only: the page does not depend on the other params
                await plan_params(site, route, services, calls=RequestMemo())
            return True
        listed = await plan_params(site, route, services, calls=RequestMemo())
        return listed is not None and match.params in listed

    async def _render(
        self, request: web.Request, match: RouteMatch, *, method: str | None = None
    ) -> web.Response:
        site, services = self.dev.site, self.dev.services
        assert site is not None and services is not None
        scope = make_scope(
            site, match.route, match.url_path, services, request=to_request(request, method=method)
        )
        result = await render_match(site, match, scope)
        return uncached_response(request, result, result.body)

    async def _route_handler(self, request: web.Request, match: RouteMatch) -> web.Response:
        """A route.py handler, per request: OPTIONS 204, 405 with Allow, HEAD from GET."""
        site = self.dev.site
        assert site is not None
        module = site.module(match.route.module_file)
        if module is None:
            return await self.not_found(request, match.url_path, match)
        allowed = allowed_methods(module)
        method = request.method
        refused = method_refusal(method, allowed, runs_options="OPTIONS" in module.handlers)
        if refused is not None:
            return refused
        if match.route.is_dynamic_pattern and not await self._listed(match):
            return await self.not_found(request, match.url_path, match)
        # HEAD without its own handler runs GET (as ssg serve; aiohttp sends no body).
        as_get = method == "HEAD" and "HEAD" not in module.handlers
        return await self._render(request, match, method="GET" if as_get else None)


def make_dev_middleware(broker: EventBroker, pages: OpenPages | None = None) -> Middleware:
    """The middleware every dev response goes through.

    It adds `X-Robots-Tag: noindex` (a dev server must never be indexed),
    puts the live-reload script before `</body>` of HTML responses (which are
    never stored: no ETag, `no-store`), and logs one line per request:
    method, path, status and milliseconds.

    Args:
        broker: the worker's events.
        pages: its page records; the script of a page carries how many changes
            were applied when its render started.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        seen = pages.change if pages is not None else 0
        response = await handler(request)
        if request.path == EVENTS_PATH:
            return response
        response.headers["X-Robots-Tag"] = "noindex"
        if (
            isinstance(response, web.Response)
            and not response.prepared
            and response.content_type == "text/html"
            and isinstance(response.body, bytes)
        ):
            script = live_reload_script(broker.generation, seen)
            response.body = inject_script(response.body, script)
            response.headers.pop("ETag", None)
            response.headers["Cache-Control"] = DEV_PAGE_CACHE_CONTROL
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.info(
            "%s %s %d %.0f ms", request.method, request.path_qs, response.status, elapsed_ms
        )
        return response

    return middleware
