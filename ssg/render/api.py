"""The functions page and route code calls: request APIs and control flow."""

from __future__ import annotations

from typing import Any, NoReturn

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from ssg.errors import NotFound, Redirect
from ssg.scope import RenderScope, require_scope


def _scope(call: str) -> RenderScope:
    return require_scope(call, "inside load(), generate_metadata() or a route handler")


def site_config() -> dict[str, Any]:
    """The site's ssg.toml values, as templates see them in `site` (e.g. `base_url`, `title`).

    For route handlers and page modules that build absolute URLs (feeds, sitemaps).

    Raises:
        SsgError: called outside a render.
    """
    return dict(_scope("site_config()").services.site_values)


def cookies() -> dict[str, str]:
    """The request's cookies (name -> value).

    Reading them makes the route dynamic (as Next.js cookies()): during a
    static render with dynamic = "auto" the render stops and the build marks
    the route dynamic; with "force-static" this returns {}.

    Raises:
        DynamicUsageError: the route sets dynamic = "error".
        SsgError: called outside a render.
    """
    scope = _scope("cookies()")
    if not scope.use_dynamic("cookies()") or scope.request is None:
        return {}
    return dict(scope.request.cookies)


def headers() -> CIMultiDictProxy[str]:
    """The request's headers (case-insensitive); dynamic like cookies()."""
    scope = _scope("headers()")
    if not scope.use_dynamic("headers()") or scope.request is None:
        return CIMultiDictProxy(CIMultiDict())
    return scope.request.headers


def search_params() -> MultiDictProxy[str]:
    """The request's query string parameters; dynamic like cookies()."""
    scope = _scope("search_params()")
    if not scope.use_dynamic("search_params()") or scope.request is None:
        return MultiDictProxy(MultiDict())
    return scope.request.query


def not_found() -> NoReturn:
    """Stop rendering and send the nearest not-found page with status 404 (as Next.js notFound())."""
    raise NotFound()


def redirect(url: str) -> NoReturn:
    """Stop rendering and redirect with 307 (as Next.js redirect()).

    In a static build the URL gets a redirect page (meta refresh) and a
    manifest entry, so `ssg serve` answers it with a real 307.
    """
    raise Redirect(url, 307)


def permanent_redirect(url: str) -> NoReturn:
    """Stop rendering and redirect with 308 (as Next.js permanentRedirect())."""
    raise Redirect(url, 308)
