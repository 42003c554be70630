"""Render one route: page + nested layouts + slots -> HTML, or a route handler's GET -> bytes.

In two phases: `prepare_page` awaits the data, `finish_page` runs the templates
(no awaits), so the build can finish pages in a forked process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ssg.data.memo import RequestMemo
from ssg.errors import NotFound, Redirect, SsgError
from ssg.modules import SiteModule, call_user
from ssg.render.metadata import merge_metadata
from ssg.render.rendered_page import HTML, RenderedPage
from ssg.render.special_pages import redirect_page, render_not_found
from ssg.render.templates import render_template
from ssg.route_handlers.invoke import call_handler
from ssg.route_handlers.request import Request
from ssg.routing.definitions import (
    LayoutDefinition,
    Params,
    RouteDefinition,
    RouteKind,
    RouteMatch,
    Segment,
)
from ssg.routing.matching import match_segments, split_url_path
from ssg.scope import DataServices, DynamicMode, RenderScope, enter_scope
from ssg.site import Site

__all__ = [
    "PreparedPage",
    "RenderedPage",
    "finish_page",
    "make_scope",
    "prepare_page",
    "render_match",
]


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
    if settings.dynamic is DynamicMode.FORCE_DYNAMIC:
        return 0
    return min(values) if values else None


def _redirect_page(
    site: Site, route: RouteDefinition, scope: RenderScope, redirect: Redirect
) -> RenderedPage:
    return RenderedPage(
        redirect.status,
        redirect_page(redirect.location),
        HTML,
        _effective_revalidate(site, route, scope),
        tuple(sorted(scope.tags)),
        location=redirect.location,
    )


@dataclass(frozen=True)
class PreparedPage:
    """A page whose data is loaded (phase 1): all that `finish_page` needs for the Jinja work.

    Attributes:
        match: the matched route and params.
        scope: the render's scope, with the revalidate and tags its data recorded.
        base: the variables every template of the page sees (params, metadata,
            url_path, site).
        page_data: what the page's `load` returned.
        layout_data: what each layout's `load` returned, root layout first.
        markdown_html: the body of a page.md as HTML, else None.
    """

    match: RouteMatch
    scope: RenderScope
    base: dict[str, Any]
    page_data: dict[str, Any]
    layout_data: tuple[dict[str, Any], ...]
    markdown_html: str | None = None


async def render_match(site: Site, match: RouteMatch, scope: RenderScope) -> RenderedPage:
    """Render a matched URL in `scope`: a page with its layouts, or a handler's GET.

    `prepare_page` then `finish_page`. NotFound renders the nearest not-found
    page (404); Redirect gives a redirect result. DynamicUsage and
    DynamicUsageError propagate to the caller.

    Raises:
        TemplateError: a template failed (names the template file and line).
        SsgError: a user module failed (names the file and line).
    """
    prepared = await prepare_page(site, match, scope)
    if isinstance(prepared, RenderedPage):
        return prepared
    try:
        return finish_page(site, prepared)
    except NotFound:
        with enter_scope(scope):
            return await render_not_found(site, match.url_path, route=match.route, scope=scope)


async def prepare_page(
    site: Site, match: RouteMatch, scope: RenderScope
) -> PreparedPage | RenderedPage:
    """Phase 1 of a render: everything that may await (metadata, load, page.md front matter).

    Returns:
        A PreparedPage for `finish_page`, or a finished RenderedPage: a route
        handler's response, the not-found page (404) when the data called
        not_found(), or a redirect page when it called redirect().

    Raises:
        DynamicUsage, DynamicUsageError: the data read the request (as render_match).
        SsgError: a user module failed (names the file and line).
    """
    route = match.route
    with enter_scope(scope):
        try:
            if route.kind is RouteKind.HANDLER:
                return await _render_handler(site, match, scope)
            return await _load_page(site, match, scope)
        except NotFound:
            return await render_not_found(site, match.url_path, route=route, scope=scope)
        except Redirect as redirect:
            return _redirect_page(site, route, scope, redirect)


def finish_page(site: Site, prepared: PreparedPage) -> RenderedPage:
    """Phase 2 of a render: the Jinja work only (page, slots, layouts from leaf to root).

    No awaits and no I/O beyond reading templates, so the build can run it in a
    forked process. The revalidate and tags come from the scope, as phase 1 left
    it (plus anything a template recorded).

    Returns:
        The page (status 200), or a redirect page when a template called redirect().

    Raises:
        NotFound: a template called not_found() (render_match answers with the
            not-found page; the build writes no file).
        TemplateError: a template failed (names the template file and line).
    """
    route, scope = prepared.match.route, prepared.scope
    with enter_scope(scope):
        try:
            html = _render_templates(site, prepared)
        except Redirect as redirect:
            return _redirect_page(site, route, scope, redirect)
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
    request = scope.request or Request("GET", match.url_path, guard=scope.use_dynamic)
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


async def _load_page(site: Site, match: RouteMatch, scope: RenderScope) -> PreparedPage:
    route, params = match.route, match.params
    assert route.page_file is not None
    page_module = site.module(route.module_file)
    layout_modules = [site.module(layout.module_file) for layout in route.layouts]
    metadata: dict[str, Any] = {}
    layout_data: list[dict[str, Any]] = []
    for module in layout_modules:
        metadata = await _module_metadata(site, module, params, metadata)
        layout_data.append(await _module_load(site, module, params))
    markdown_html: str | None = None
    if route.page_file.suffix == ".md":
        front, markdown_html = _load_markdown_page(site, route.page_file)
        metadata = merge_metadata(metadata, front)
    metadata = await _module_metadata(site, page_module, params, metadata)
    page_data = await _module_load(site, page_module, params)
    base = {
        "params": params,
        "metadata": metadata,
        "url_path": match.url_path,
        "site": site.config.template_values(),
    }
    return PreparedPage(match, scope, base, page_data, tuple(layout_data), markdown_html)


def _render_templates(site: Site, prepared: PreparedPage) -> str:
    route, url_path, base = prepared.match.route, prepared.match.url_path, prepared.base
    assert route.page_file is not None
    if prepared.markdown_html is not None:
        page_context = {**base, **prepared.page_data, "content": Markup(prepared.markdown_html)}
        html = render_template(site, "markdown_page", page_context, route.page_file)
    else:
        html = render_template(site, None, {**base, **prepared.page_data}, route.page_file)
    for layout, data in zip(reversed(route.layouts), reversed(prepared.layout_data), strict=True):
        context = {**base, **data, "children": Markup(html)}
        context["slots"] = _render_slots(site, layout, url_path, context)
        html = render_template(site, None, context, layout.template_file)
    return html


async def _module_metadata(
    site: Site, module: SiteModule | None, params: Params, metadata: dict[str, Any]
) -> dict[str, Any]:
    if module is None:
        return metadata
    metadata = merge_metadata(metadata, module.metadata)
    generate = module.function("generate_metadata")
    if generate is not None:
        value = await call_user(generate, params)
        if value is not None and not isinstance(value, dict):
            raise SsgError(
                f"{site.relative(module.source_file)}: generate_metadata returned "
                f"{type(value).__name__}; "
                "return a dict such as {'title': ...}"
            )
        metadata = merge_metadata(metadata, value or {})
    return metadata


async def _module_load(site: Site, module: SiteModule | None, params: Params) -> dict[str, Any]:
    load = module.function("load") if module is not None else None
    if load is None:
        return {}
    value = await call_user(load, params)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SsgError(
            f"{site.relative(module.source_file) if module else ''}: load returned "
            f"{type(value).__name__}; "
            "return a dict, whose keys become template variables"
        )
    return value


def _load_markdown_page(site: Site, page_file: Path) -> tuple[dict[str, Any], str]:
    from ssg.content import parse_front_matter, render_markdown

    text = page_file.read_text(encoding="utf-8")
    front = parse_front_matter(text, page_file)
    return dict(front.metadata), render_markdown(front.body).html


def _render_slots(
    site: Site, layout: LayoutDefinition, url_path: str, context: dict[str, Any]
) -> dict[str, Markup]:
    """Render each @slot of a layout for the URL: its page at the sub-path, else default.html."""
    if not layout.slots:
        return {}
    parts = split_url_path(url_path) or ()
    # The layout's own segments match the URL's first parts (it wraps this URL).
    sub_parts = parts[sum(1 for s in layout.url_segments if s.in_url) :]
    rendered: dict[str, Markup] = {}
    for name, slot in layout.slots.items():
        slot_file = match_slot_page(slot.pages, sub_parts) or slot.default_file
        if slot_file is None:
            rendered[name] = Markup("")
            continue
        rendered[name] = Markup(render_template(site, None, context, slot_file))
    return rendered


def match_slot_page(
    pages: dict[tuple[Segment, ...], Path], sub_parts: tuple[str, ...]
) -> Path | None:
    """The slot page for the URL parts below the slot's layout, matching as routes do.

    `pages` is most specific first (static before dynamic before catch-alls), so
    the first match wins, as for `RouteTable.match`.

    | slot pages             | sub_parts   | page           |
    | ---------------------- | ----------- | -------------- |
    | (), (settings,)        | settings    | settings       |
    | (settings,), ([id],)   | settings    | settings       |
    | ([id],)                | 5           | [id]           |
    | (docs, [...rest])      | docs, a, b  | docs/[...rest] |
    | ([[...rest]],)         | ()          | [[...rest]]    |
    """
    for segments, page in pages.items():
        if match_segments(segments, sub_parts) is not None:
            return page
    return None
