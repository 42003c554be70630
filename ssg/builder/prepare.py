"""Phase A of the build: await every page's data in this process, concurrently.

All awaits (metadata, load, fetches) happen here, so the build-wide request memo
makes an identical GET once; what is left for phase B is template work.
"""

from __future__ import annotations

import asyncio
import logging

from ssg.builder.build_result import PlannedPage, RouteResult
from ssg.builder.finish import page_error
from ssg.errors import DynamicUsage, SsgError
from ssg.records import RenderKind
from ssg.render.renderer import PreparedPage, RenderedPage, make_scope, prepare_page
from ssg.render.templates import template_frame
from ssg.routing.definitions import RouteKind, RouteMatch
from ssg.scope import DataServices
from ssg.site import Site

log = logging.getLogger("ssg.builder")

RENDER_CONCURRENCY = 16
"""Pages whose data is awaited at once (their fetches overlap)."""


async def prepare_all(
    site: Site,
    services: DataServices,
    planned: list[PlannedPage],
    results: dict[str, RouteResult],
    errors: list[SsgError],
) -> list[tuple[PlannedPage, PreparedPage | RenderedPage]]:
    """Phase A: prepare every planned page concurrently, in planned order.

    Pages first, then route handlers: a handler (a sitemap) may list the
    build's pages, which `services.page_index` holds once they are prepared.
    A route that reads the request turns dynamic and drops all its pages; a page
    that calls not_found() is dropped (no file, or a static host would serve it
    as 200; ssg serve answers the URL with the not-found page on demand).
    Page errors are appended to `errors`.

    Raises:
        Exception: a bug in ssg (no site file in its traceback), with its traceback.
    """
    semaphore = asyncio.Semaphore(RENDER_CONCURRENCY)

    async def prepare_one(item: PlannedPage) -> PreparedPage | RenderedPage | None:
        result = results[item.route.route_pattern]
        async with semaphore:
            if result.render == RenderKind.DYNAMIC:
                return None
            scope = make_scope(site, item.route, item.url_path, services)
            match = RouteMatch(item.route, item.url_path, item.params)
            try:
                page = await prepare_page(site, match, scope)
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

    page_items = [item for item in planned if item.route.kind is not RouteKind.HANDLER]
    handler_items = [item for item in planned if item.route.kind is RouteKind.HANDLER]
    page_results = await asyncio.gather(*(prepare_one(item) for item in page_items))
    services.page_index.url_paths = tuple(
        item.url_path
        for item, page in zip(page_items, page_results, strict=True)
        if isinstance(page, PreparedPage)
        and results[item.route.route_pattern].render is not RenderKind.DYNAMIC
        and not page.scope.shows_unpublished
        and not _noindex(page)
    )
    handler_results = await asyncio.gather(*(prepare_one(item) for item in handler_items))
    found = {
        id(item): page
        for item, page in zip(
            [*page_items, *handler_items], [*page_results, *handler_results], strict=True
        )
    }
    pages = [found[id(item)] for item in planned]
    return [
        (item, page)
        for item, page in zip(planned, pages, strict=True)
        if page is not None and results[item.route.route_pattern].render != RenderKind.DYNAMIC
    ]


def _noindex(page: PreparedPage) -> bool:
    """The page asks search engines to stay away (metadata `robots` holds "noindex")."""
    metadata = page.base.get("metadata") or {}
    return "noindex" in str(metadata.get("robots") or "").lower()
