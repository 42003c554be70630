"""Answers made per request and never cached: dynamic pages and route handlers."""

from __future__ import annotations

import logging

from aiohttp import web

from ssg.errors import page_label
from ssg.isr.regenerator import make_digest
from ssg.records import PageRecord
from ssg.render.rendered_page import RenderedPage
from ssg.render.renderer import make_scope, render_match
from ssg.route_handlers.request import Request
from ssg.routing.definitions import RouteMatch
from ssg.scope import DataServices
from ssg.server.responses import DYNAMIC_CACHE_CONTROL, body_response
from ssg.site import Site

logger = logging.getLogger("ssg.server")


def to_request(request: web.Request, *, method: str | None = None) -> Request:
    """The ssg.Request a page or route handler sees for an aiohttp request.

    The body is read on first use, through aiohttp (which enforces
    `client_max_size`, raising 413).

    Args:
        request: the aiohttp request.
        method: the method to present instead of the request's (HEAD run as GET).
    """
    try:
        url = str(request.url)
    except ValueError:  # an unparsable Host header: keep the path, drop the origin
        url = request.raw_path
    return Request(
        method or request.method,
        url,
        headers=request.headers,
        body=request.read,
        path=request.path,
    )


async def render_with_request(
    site: Site,
    services: DataServices,
    request: web.Request,
    match: RouteMatch,
    *,
    method: str | None = None,
) -> RenderedPage:
    """Render a dynamic page or run a route handler, with the request in its scope.

    Raises:
        web.HTTPException: from aiohttp (e.g. 413 reading a body over client_max_size).
        Exception: whatever the page or handler raised.
    """
    scope = make_scope(
        site,
        match.route,
        match.url_path,
        services,
        request=to_request(request, method=method),
    )
    return await render_match(site, match, scope)


async def run_route_handler(
    site: Site, services: DataServices, request: web.Request, match: RouteMatch
) -> web.StreamResponse:
    """Run a route.py handler per request; 500 (with a logged digest) when it raises.

    HEAD without its own handler runs GET, keeping GET's body so the reply
    carries GET's Content-Length; aiohttp sends no body to HEAD (RFC 9110 9.3.2).
    The handler sees request.method "GET": ssg.route_handlers would drop the body
    of a call made as HEAD.
    """
    module = site.module(match.route.module_file)
    assert module is not None  # the caller answered 404 for a module gone
    method = request.method
    as_get = method == "HEAD" and "HEAD" not in module.handlers
    try:
        result = await render_with_request(
            site, services, request, match, method="GET" if as_get else None
        )
    except web.HTTPException:
        raise  # e.g. 413 from reading a body over client_max_size
    except Exception as exc:
        digest = make_digest()
        logger.error(
            "Route handler %s %s in %s raised %s: %s [digest %s]",
            method,
            page_label(match.route.route_pattern, match.url_path),
            site.relative(module.source_file),
            type(exc).__name__,
            exc,
            digest,
            exc_info=exc,
        )
        return web.Response(
            status=500,
            text=f"500 Internal Server Error (digest {digest})\n",
            headers={"Cache-Control": DYNAMIC_CACHE_CONTROL},
        )
    return uncached_response(request, result, result.body)


def uncached_response(
    request: web.Request, page: RenderedPage | PageRecord, body: bytes
) -> web.Response:
    """A response that no cache may keep (dynamic renders, uncacheable results), as Next.js's
    `private, no-cache, no-store, max-age=0, must-revalidate` for dynamic pages."""
    return body_response(
        request,
        status=page.status,
        body=body,
        content_type=page.content_type,
        cache_control=DYNAMIC_CACHE_CONTROL,
        location=page.location,
        header_items=page.headers,
    )
