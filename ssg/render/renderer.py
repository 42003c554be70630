"""Render one route: page + nested layouts + slots -> HTML, or a route handler's GET -> bytes."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from ssg.data.memo import RequestMemo
from ssg.errors import NotFound, Redirect, SsgError, TemplateError
from ssg.handlers.invoke import call_handler
from ssg.handlers.request import Request
from ssg.modules import SiteModule, call_user
from ssg.render.metadata import merge_metadata
from ssg.render.scope import DataServices, RenderScope, enter_scope
from ssg.routing.definitions import LayoutDefinition, Params, RouteDefinition, RouteKind, RouteMatch
from ssg.site import Site

HTML = "text/html; charset=utf-8"
DEFAULT_NOT_FOUND = "<h1>404</h1><p>This page could not be found.</p>"
DEFAULT_ERROR = "<h1>500</h1><p>Something went wrong while rendering this page.</p>"


@dataclass(frozen=True)
class RenderedPage:
    """The result of rendering a URL.

    Attributes:
        status: 200, 404 (not_found()), 307/308 (redirects), or a handler's status.
        body: the response body.
        content_type: the Content-Type.
        revalidate_seconds: the effective revalidate: the lowest of the route's
            segments and the data it used; None = never stale; 0 = dynamic.
        tags: the cache tags the render used.
        location: the target of a redirect, else None.
        header_items: extra headers a route handler set.
    """

    status: int
    body: bytes
    content_type: str
    revalidate_seconds: float | None
    tags: tuple[str, ...] = ()
    location: str | None = None
    header_items: tuple[tuple[str, str], ...] = ()


def make_scope(
    site: Site,
    route: RouteDefinition,
    url_path: str,
    services: DataServices,
    *,
    request: Request | None = None,
    memo: RequestMemo | None = None,
) -> RenderScope:
    """A RenderScope for rendering `url_path` of `route`.

    The memo is the build-wide one when `services.build_memo` is set, else a
    fresh one for this render (as Next.js: memoization lasts one request).
    """
    settings = site.settings(route)
    return RenderScope(
        route_pattern=route.route_pattern,
        url_path=url_path,
        dynamic=settings.dynamic,
        config_file=settings.config_file,
        services=services,
        # `is None`, not `or`: an empty RequestMemo is falsy (it has __len__).
        memo=memo
        if memo is not None
        else (services.build_memo if services.build_memo is not None else RequestMemo()),
        request=request,
    )


def _effective_revalidate(site: Site, route: RouteDefinition, scope: RenderScope) -> float | None:
    settings = site.settings(route)
    values = [v for v in (settings.revalidate_seconds, scope.revalidate_seconds) if v is not None]
    if settings.dynamic == "force-dynamic":
        return 0
    return min(values) if values else None


async def render_match(site: Site, match: RouteMatch, scope: RenderScope) -> RenderedPage:
    """Render a matched URL in `scope`: a page with its layouts, or a handler's GET.

    NotFound renders the nearest not-found page (404); Redirect gives a
    redirect result. DynamicUsage and DynamicUsageError propagate to the caller.

    Raises:
        TemplateError: a template failed (names the template file and line).
        SsgError: a user module failed (names the file and line).
    """
    route = match.route
    with enter_scope(scope):
        try:
            if route.kind is RouteKind.HANDLER:
                return await _render_handler(site, match, scope)
            html = await _render_page(site, match, scope)
        except NotFound:
            return await render_not_found(site, match.url_path, route=route, scope=scope)
        except Redirect as redirect:
            return RenderedPage(
                redirect.status,
                redirect_page(redirect.location),
                HTML,
                _effective_revalidate(site, route, scope),
                tuple(sorted(scope.tags)),
                location=redirect.location,
            )
    return RenderedPage(
        200,
        html.encode("utf-8"),
        HTML,
        _effective_revalidate(site, route, scope),
        tuple(sorted(scope.tags)),
    )


async def _render_handler(site: Site, match: RouteMatch, scope: RenderScope) -> RenderedPage:
    module = site.module(match.route.module_file)
    assert module is not None  # the scanner only makes handler routes for route.py files
    request = scope.request or Request("GET", match.url_path)
    response = await call_handler(module, request.method, request, match.params)
    extra = tuple((k, v) for k, v in response.header_items if k.lower() != "content-type")
    return RenderedPage(
        response.status,
        response.body,
        response.content_type,
        _effective_revalidate(site, match.route, scope),
        tuple(sorted(scope.tags)),
        header_items=extra,
    )


async def _render_page(site: Site, match: RouteMatch, scope: RenderScope) -> str:
    route, params = match.route, match.params
    assert route.page_file is not None
    page_module = site.module(route.module_file)
    layouts = [(layout, site.module(layout.module_file)) for layout in route.layouts]

    metadata: dict[str, Any] = {}
    layout_data: list[dict[str, Any]] = []
    for _layout, module in layouts:
        metadata = await _module_metadata(module, params, metadata)
        layout_data.append(await _module_load(module, params))
    markdown_html: str | None = None
    if route.page_file.suffix == ".md":
        front, markdown_html = _load_markdown_page(site, route.page_file)
        metadata = merge_metadata(metadata, front)
    metadata = await _module_metadata(page_module, params, metadata)
    page_data = await _module_load(page_module, params)

    base = {
        "params": params,
        "metadata": metadata,
        "url_path": match.url_path,
        "site": site.config.template_values(),
    }
    if markdown_html is not None:
        page_context = {**base, **page_data, "content": Markup(markdown_html)}
        html = _render_template(site, "markdown_page", page_context, route.page_file)
    else:
        html = _render_template(site, None, {**base, **page_data}, route.page_file)
    for (layout, _module), data in zip(reversed(layouts), reversed(layout_data), strict=True):
        context = {**base, **data, "children": Markup(html)}
        context["slots"] = _render_slots(site, layout, match.url_path, context)
        html = _render_template(site, None, context, layout.template_file)
    return html


async def _module_metadata(
    module: SiteModule | None, params: Params, metadata: dict[str, Any]
) -> dict[str, Any]:
    if module is None:
        return metadata
    metadata = merge_metadata(metadata, module.metadata)
    generate = module.function("generate_metadata")
    if generate is not None:
        value = await call_user(generate, params)
        if value is not None and not isinstance(value, dict):
            raise SsgError(
                f"{module.source_file}: generate_metadata returned {type(value).__name__}; "
                "return a dict such as {'title': ...}"
            )
        metadata = merge_metadata(metadata, value or {})
    return metadata


async def _module_load(module: SiteModule | None, params: Params) -> dict[str, Any]:
    load = module.function("load") if module is not None else None
    if load is None:
        return {}
    value = await call_user(load, params)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SsgError(
            f"{module.source_file if module else ''}: load returned {type(value).__name__}; "
            "return a dict, whose keys become template variables"
        )
    return value


def _load_markdown_page(site: Site, page_file: Path) -> tuple[dict[str, Any], str]:
    from ssg.content import parse_front_matter, render_markdown

    text = page_file.read_text(encoding="utf-8")
    front = parse_front_matter(text, page_file)
    return dict(front.metadata), render_markdown(front.body).html


def _render_template(
    site: Site, builtin: str | None, context: dict[str, Any], template_file: Path
) -> str:
    """Render a template file; a page.md body is wrapped by a minimal built-in template."""
    try:
        if builtin == "markdown_page":
            template = site.env.from_string('<article class="prose">{{ content }}</article>')
        else:
            template = site.env.get_template(site.template_name(template_file))
        return template.render(context)
    except jinja2.TemplateSyntaxError as exc:
        name = site.relative(Path(exc.filename)) if exc.filename else site.relative(template_file)
        raise TemplateError(
            f"template syntax error: {exc.message}", template_file=name, line=exc.lineno
        ) from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(
            f"template {exc.name!r} not found in app/ or the theme "
            f"({site.relative(site.theme.templates_dir)}); check the name in "
            "{% extends %} / {% include %}",
            template_file=site.relative(template_file),
        ) from exc
    except (SsgError, NotFound, Redirect):
        raise
    except Exception as exc:
        file, line = template_frame(exc, site)
        raise TemplateError(
            f"{type(exc).__name__}: {exc}",
            template_file=file or site.relative(template_file),
            line=line,
        ) from exc


def template_frame(exc: BaseException, site: Site) -> tuple[str | None, int | None]:
    """The deepest template (or site module) frame of a traceback: (relative file, line)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        inside = path.is_relative_to(site.config.site_dir) or path.is_relative_to(
            site.theme.theme_dir
        )
        if inside:
            found = (site.relative(path), frame.lineno)
    return found


def _render_slots(
    site: Site, layout: LayoutDefinition, url_path: str, context: dict[str, Any]
) -> dict[str, Markup]:
    """Render each @slot of a layout for the URL: its page at the sub-path, else default.html."""
    if not layout.slots:
        return {}
    depth = len([p for p in site.layout_url_pattern(layout).split("/") if p])
    sub_path = "/".join([p for p in url_path.split("/") if p][depth:])
    rendered: dict[str, Markup] = {}
    for name, slot in layout.slots.items():
        slot_file = slot.pages.get(sub_path) or slot.default_file
        if slot_file is None:
            rendered[name] = Markup("")
            continue
        rendered[name] = Markup(_render_template(site, None, context, slot_file))
    return rendered


def nearest_not_found_file(site: Site, route: RouteDefinition | None, url_path: str) -> Path | None:
    """The not-found.html for a URL: the route's nearest, else app/not-found.html."""
    if route is not None and route.not_found_file is not None:
        return route.not_found_file
    root = site.config.app_dir / "not-found.html"
    return root if root.is_file() else None


async def render_not_found(
    site: Site,
    url_path: str,
    *,
    route: RouteDefinition | None = None,
    scope: RenderScope | None = None,
) -> RenderedPage:
    """Render the nearest not-found page inside the layouts above it (status 404, noindex).

    Falls back to the theme's not-found.html, then to a built-in page, so a
    404 never fails; a failing layout falls back to the page without layouts.
    """
    file = nearest_not_found_file(site, route, url_path)
    metadata: dict[str, Any] = {"title": "Page not found", "robots": "noindex"}
    layouts: list[LayoutDefinition] = []
    for layout in route.layouts if route is not None else _root_layouts(site):
        if file is None or file.parent.is_relative_to(layout.segment_dir):
            layouts.append(layout)
    context: dict[str, Any] = {
        "params": {},
        "url_path": url_path,
        "site": site.config.template_values(),
    }
    body = await _render_special(
        site, file, "not-found.html", DEFAULT_NOT_FOUND, layouts, metadata, context
    )
    revalidate = None if scope is None else scope.revalidate_seconds
    return RenderedPage(404, body.encode("utf-8"), HTML, revalidate)


async def render_error_page(
    site: Site, url_path: str, error: BaseException, *, route: RouteDefinition | None = None
) -> RenderedPage:
    """Render the nearest error.html (or a default) with status 500; never raises."""
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
    body = await _render_special(
        site, file, "error.html", DEFAULT_ERROR, layouts, metadata, context
    )
    return RenderedPage(500, body.encode("utf-8"), HTML, 0)


def _root_layouts(site: Site) -> list[LayoutDefinition]:
    for route in site.routes:
        if route.layouts and route.layouts[0].segment_dir == site.config.app_dir:
            return [route.layouts[0]]
    return []


async def _render_special(
    site: Site,
    file: Path | None,
    theme_name: str,
    fallback: str,
    layouts: list[LayoutDefinition],
    metadata: dict[str, Any],
    context: dict[str, Any],
) -> str:
    """Render a not-found / error template in its layouts, degrading step by step."""
    context = {**context, "metadata": metadata}
    try:
        if file is not None:
            html = _render_template(site, None, context, file)
        else:
            try:
                html = site.env.get_template(theme_name).render(context)
            except jinja2.TemplateNotFound:
                html = fallback
    except Exception:
        html = fallback
    inner = html
    try:
        for layout in reversed(layouts):
            html = _render_template(
                site,
                None,
                {**context, "children": Markup(html), "slots": {}},
                layout.template_file,
            )
    except Exception:
        html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="robots" content="noindex"><title>'
            f"{Markup.escape(str(metadata.get('title', '')))}</title></head>"
            f"<body>{inner}</body></html>"
        )
    if 'name="robots"' not in html and "<head>" in html:
        html = html.replace("<head>", '<head><meta name="robots" content="noindex">', 1)
    return html


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
