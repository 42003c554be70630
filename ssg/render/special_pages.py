"""The special pages: the nearest not-found page (404), error page (500), and redirect pages."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from ssg.render.boundaries import FailedSegment, find_boundary
from ssg.render.rendered_page import HTML, RenderedPage
from ssg.render.templates import render_template
from ssg.revalidate import Revalidate
from ssg.routing.definitions import LayoutDefinition, RouteDefinition
from ssg.scope import RenderScope
from ssg.site import Site

log = logging.getLogger("ssg.render")
DEFAULT_NOT_FOUND = "<h1>404</h1><p>This page could not be found.</p>"
DEFAULT_ERROR = "<h1>500</h1><p>Something went wrong while rendering this page.</p>"


def nearest_not_found_file(site: Site, route: RouteDefinition | None, url_path: str) -> Path | None:
    """The not-found.html for a URL: the route's nearest, else app/not-found.html."""
    if route is not None and route.not_found_file is not None:
        return route.not_found_file
    root = site.config.app_dir / "not-found.html"
    return root if root.is_file() else None


def render_not_found(
    site: Site,
    url_path: str,
    *,
    route: RouteDefinition | None = None,
    scope: RenderScope | None = None,
    strict: bool = False,
    failure: FailedSegment | None = None,
) -> RenderedPage:
    """Render the nearest not-found page inside the layouts above it (status 404, noindex).

    Args:
        site: the loaded site.
        url_path: the URL not found ("" for the build's 404.html, which answers any URL).
        route: the route whose nearest not-found.html applies, if one matched.
        scope: the render's scope (for the data revalidate it recorded).
        strict: raise template errors (the build) instead of degrading (serve).
        failure: where not_found() was raised, when known: a layout calling it
            is answered by the not-found.html above that layout, inside the
            layouts above it (as Next.js); the root layout calling it gives a
            complete built-in page.

    Returns:
        A 404 RenderedPage. Without `strict` it never raises: it falls back to the
        theme's not-found.html, then a built-in page, logging what failed.

    Raises:
        TemplateError: with `strict`, when not-found.html or a layout fails.
    """
    metadata: dict[str, Any] = {"title": "Page not found", "robots": "noindex"}
    layouts: list[LayoutDefinition] = []
    theme_name = "not-found.html"
    if failure is not None and failure.layout_failed:
        boundary = find_boundary(failure, "not-found.html")
        file, layouts = boundary.file, list(boundary.layouts)
        if file is None:
            theme_name = "theme/not-found.html"  # app/not-found.html sits below the failure
    else:
        file = nearest_not_found_file(site, route, url_path)
        for layout in route.layouts if route is not None else _root_layouts(site):
            if file is None or file.parent.is_relative_to(layout.segment_dir):
                layouts.append(layout)
    context: dict[str, Any] = {
        "params": {},
        "url_path": url_path,
        "site": site.config.template_values(),
    }
    body = _render_special(
        site, file, theme_name, DEFAULT_NOT_FOUND, layouts, metadata, context, strict=strict
    )
    if scope is None:
        return RenderedPage(404, body.encode("utf-8"), HTML, Revalidate.NEVER)
    return RenderedPage(404, body.encode("utf-8"), HTML, scope.revalidate, due_at=scope.due_at)


def render_error_page(
    site: Site,
    url_path: str,
    error: object,
    *,
    route: RouteDefinition | None = None,
    failure: FailedSegment | None = None,
) -> RenderedPage:
    """Render the error boundary of a failed render (status 500); never raises.

    Args:
        site: the loaded site.
        url_path: the URL whose render failed.
        error: what error.html sees as `error` (the server passes a redacted
            value with `message` and `digest`, never the exception itself).
        route: the route that failed, if one matched.
        failure: where the render failed (`boundaries.failure_of`), when known.

    Returns:
        The nearest error.html above the failed segment, inside the layouts
        that did not fail (as Next.js error boundaries); when the root layout
        itself failed, app/global-error.html as a whole page, else a complete
        built-in page. Without `failure`: the route's nearest error.html.
    """
    theme_name = "error.html"
    if failure is not None:
        boundary = find_boundary(failure, "error.html")
        file, layouts = boundary.file, list(boundary.layouts)
        if file is None and not layouts:
            global_error = site.config.app_dir / "global-error.html"
            file = global_error if global_error.is_file() else None
        if file is None:
            # Nothing above the failure: the theme's page, never app/error.html,
            # which sits below the layouts that failed.
            theme_name = "theme/error.html"
    else:
        file = route.error_file if route is not None else None
        layouts = [
            layout
            for layout in (route.layouts if route is not None else _root_layouts(site))
            if file is None or file.parent.is_relative_to(layout.segment_dir)
        ]
    context = {
        "params": {},
        "url_path": url_path,
        "site": site.config.template_values(),
        "error": error,
    }
    metadata = {"title": "Error", "robots": "noindex"}
    body = _render_special(site, file, theme_name, DEFAULT_ERROR, layouts, metadata, context)
    return RenderedPage(500, body.encode("utf-8"), HTML, Revalidate.EVERY_REQUEST)


def _root_layouts(site: Site) -> list[LayoutDefinition]:
    for route in site.routes:
        if route.layouts and route.layouts[0].segment_dir == site.config.app_dir:
            return [route.layouts[0]]
    return []


def _render_special(
    site: Site,
    file: Path | None,
    theme_name: str,
    fallback: str,
    layouts: list[LayoutDefinition],
    metadata: dict[str, Any],
    context: dict[str, Any],
    *,
    strict: bool = False,
) -> str:
    """Render a not-found / error template in its layouts.

    With `strict` (the build) a broken template raises its TemplateError. At
    serve time a 404 or 500 must still be answered, so each failure is logged
    and the page degrades: the built-in body, then no layouts.
    """
    context = {**context, "metadata": metadata}
    try:
        if file is not None:
            html = render_template(site, None, context, file)
        else:
            try:
                html = site.env.get_template(theme_name).render(context)
            except jinja2.TemplateNotFound:
                html = fallback
    except Exception as exc:
        if strict:
            raise
        log.error("%s failed, sending the built-in page instead: %s", theme_name, exc)
        html = fallback
    inner = html
    try:
        for layout in reversed(layouts):
            html = render_template(
                site,
                None,
                {**context, "children": Markup(html), "slots": {}},
                layout.template_file,
            )
    except Exception as exc:
        if strict:
            raise
        log.error("a layout failed around %s, sending it without layouts: %s", theme_name, exc)
        html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{Markup.escape(str(metadata.get('title', '')))}</title></head>"
            f"<body>{inner}</body></html>"
        )
    if not layouts and not _HTML_START.search(html):
        # No layout around it (the root layout failed): still a whole page, never a fragment.
        html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{Markup.escape(str(metadata.get('title', '')))}</title></head>"
            f"<body>{html}</body></html>"
        )
    return with_noindex(html)


_HTML_START = re.compile(r"<html\b", re.IGNORECASE)
_HEAD_OR_HTML = re.compile(r"<head\b[^>]*>|<html\b[^>]*>", re.IGNORECASE)


def with_noindex(html: str) -> str:
    """Make sure a 404/500 page carries <meta name="robots" content="noindex">.

    | page starts                      | meta inserted                    |
    | -------------------------------- | -------------------------------- |
    | already has name="robots"        | nowhere (kept as is)             |
    | <html ...><head ...>             | right after <head ...>           |
    | <html ...> (no head)             | right after <html ...>           |
    | neither                          | at the very start                |
    """
    if 'name="robots"' in html:
        return html
    meta = '<meta name="robots" content="noindex">'
    heads = [m for m in _HEAD_OR_HTML.finditer(html)]
    head = next((m for m in heads if m.group(0).lower().startswith("<head")), None)
    anchor = head or (heads[0] if heads else None)
    if anchor is None:
        return meta + html
    return html[: anchor.end()] + meta + html[anchor.end() :]


def redirect_page(location: str) -> bytes:
    """A static redirect page for plain file hosting (meta refresh + canonical link)."""
    url = Markup.escape(location)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0; url={url}">'
        f'<link rel="canonical" href="{url}"><meta name="robots" content="noindex">'
        f'<title>Redirecting…</title></head><body><p>Redirecting to <a href="{url}">{url}</a>.'
        "</p></body></html>"
    ).encode()
