"""Phase A of the build: await every page's data in this process, concurrently.

All awaits (metadata, load, fetches) happen here, so the build-wide request memo
makes an identical GET once; what is left for phase B is template work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from ssg.builder.build_result import PlannedPage, RouteResult
from ssg.builder.finish import page_error
from ssg.errors import DynamicUsage, SsgError
from ssg.reads import Reads, collect_reads
from ssg.records import RenderKind
from ssg.render.rendered_page import RenderedPage
from ssg.render.renderer import PreparedPage, make_scope, prepare_page
from ssg.render.templates import template_frame
from ssg.routing.definitions import RouteKind, RouteMatch
from ssg.scope import DataServices
from ssg.site import Site

log = logging.getLogger("ssg.builder")

RENDER_CONCURRENCY = 16
"""Pages whose data is awaited at once (their fetches overlap)."""


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class ReadyPage:
    """A page phase A prepared (or finished), with what it read so far.

    Attributes:
        item: the planned page.
        page: prepared for phase B, or finished (a redirect, a route handler).
        reads: what its data read (phase B adds the templates').
        indexed: it belongs in a sitemap (see `PageIndex`).
    """

    item: PlannedPage
    page: PreparedPage | RenderedPage
    reads: Reads
    indexed: bool = False


async def prepare_all(
    site: Site,
    services: DataServices,
    planned: list[PlannedPage],
    results: dict[str, RouteResult],
    errors: list[SsgError],
    *,
    reuse: Callable[[PlannedPage], bool | None] | None = None,
    unchanged: Callable[[PlannedPage], bool] | None = None,
) -> list[ReadyPage]:
    """Phase A: prepare every planned page concurrently, in planned order.

    Pages first, then route handlers: a handler (a sitemap) may list the
    build's pages, which `services.page_index` holds once they are prepared.
    A route that reads the request turns dynamic and drops all its pages; a page
    that calls not_found() is dropped (no file, or a static host would serve it
    as 200; ssg serve answers the URL with the not-found page on demand).
    Page errors are appended to `errors`.

    `unchanged(item)` says whether the page's inputs are as the last build left
    them; `reuse(item)`, asked only of such pages (of every page without
    `unchanged`), keeps its file and returns whether it is indexed, or None when
    it must be rendered after all (its file is gone); reused pages are not returned. A
    page is reused before any task starts, unless another page of its route must
    be rendered: that render may turn the route dynamic, which drops every page of
    the route, as a cold build does; such a route's unchanged pages are reused
    once its rendered pages are prepared. A handler's is asked once the page
    index is known.

    Raises:
        Exception: a bug in ssg (no site file in its traceback), with its traceback.
    """
    semaphore = asyncio.Semaphore(RENDER_CONCURRENCY)

    reused: dict[str, bool] = {}  # url path -> indexed
    reads: dict[str, Reads] = {}

    def reused_now(item: PlannedPage) -> bool:
        if reuse is None or results[item.route.route_pattern].render == RenderKind.DYNAMIC:
            return False
        indexed = reuse(item)
        if indexed is None:
            return False
        reused[item.url_path] = indexed
        return True

    async def prepare_one(item: PlannedPage) -> PreparedPage | RenderedPage | None:
        result = results[item.route.route_pattern]
        async with semaphore:
            if result.render == RenderKind.DYNAMIC:
                return None
            scope = make_scope(site, item.route, item.url_path, services)
            match = RouteMatch(item.route, item.url_path, item.params)
            try:
                with collect_reads() as found:
                    page = await prepare_page(site, match, scope)
                reads[item.url_path] = found
            except DynamicUsage as usage:
                if result.render != RenderKind.DYNAMIC:
                    result.render = RenderKind.DYNAMIC
                    result.dynamic_reason = usage.call
                    log.info(
                        "Route %s is dynamic: it used %s while rendering %s",
                        item.route.route_pattern,
                        usage.call,
                        item.url_path,
                    )
                return None
            except Exception as exc:
                if not isinstance(exc, SsgError) and template_frame(exc, site)[0] is None:
                    raise  # no site file in the traceback: a bug in ssg, keep its traceback
                errors.append(page_error(site, item.route.route_pattern, item.url_path, exc))
                return None
        if isinstance(page, RenderedPage) and page.status == 404:
            log.info("%s called not_found(): no page written", item.url_path)
            return None
        return page

    async def prepare_group(
        items: list[PlannedPage],
    ) -> list[PreparedPage | RenderedPage | None]:
        """Prepare `items` (the result of each, in order), reusing the unchanged ones.

        A page reused from the last build needs no task (all but a few pages after
        an edit); in a route with a page to render, only once that page is
        prepared (see above).
        """
        if unchanged is None:
            must_render = set()
        else:
            must_render = {id(item) for item in items if not unchanged(item)}
        rendering = {item.route.route_pattern for item in items if id(item) in must_render}
        waiting: list[PlannedPage] = []
        deferred: list[PlannedPage] = []
        for item in items:
            if id(item) in must_render:
                waiting.append(item)
            elif item.route.route_pattern in rendering:
                deferred.append(item)
            elif not reused_now(item):
                waiting.append(item)
        prepared = await asyncio.gather(*(prepare_one(item) for item in waiting))
        # Reused now unless their route turned dynamic (prepare_one then drops them at
        # once) or their file is gone from out/ (then rendered).
        again = [item for item in deferred if not reused_now(item)]
        prepared += await asyncio.gather(*(prepare_one(item) for item in again))
        by_item = dict(zip(map(id, waiting + again), prepared, strict=True))
        return [by_item.get(id(item)) for item in items]

    page_items = [item for item in planned if item.route.kind is not RouteKind.HANDLER]
    handler_items = [item for item in planned if item.route.kind is RouteKind.HANDLER]
    page_results = await prepare_group(page_items)
    services.page_index.url_paths = tuple(
        item.url_path
        for item, page in zip(page_items, page_results, strict=True)
        if reused.get(item.url_path)
        or (
            isinstance(page, PreparedPage)
            and results[item.route.route_pattern].render is not RenderKind.DYNAMIC
            and not page.scope.shows_unpublished
            and not _noindex(page)
        )
    )
    indexed = set(services.page_index.url_paths)
    handler_results = await prepare_group(handler_items)  # once the page index is known
    found = {
        id(item): page
        for item, page in zip(
            [*page_items, *handler_items], [*page_results, *handler_results], strict=True
        )
    }
    pages = [found[id(item)] for item in planned]
    return [
        ReadyPage(item, page, reads[item.url_path], item.url_path in indexed)
        for item, page in zip(planned, pages, strict=True)
        if page is not None and results[item.route.route_pattern].render != RenderKind.DYNAMIC
    ]


def _noindex(page: PreparedPage) -> bool:
    """The page asks search engines to stay away (metadata `robots` holds "noindex")."""
    metadata = page.base.get("metadata") or {}
    return "noindex" in str(metadata.get("robots") or "").lower()
