"""Render one route: page + nested layouts + slots -> HTML, or a route handler's GET -> bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup

from ssg.data.memo import RequestMemo
from ssg.errors import NotFound, Redirect, SsgError
from ssg.handlers.invoke import call_handler
from ssg.handlers.request import Request
from ssg.modules import SiteModule, call_user
from ssg.render.metadata import merge_metadata
from ssg.render.result import HTML, RenderedPage
from ssg.render.scope import DataServices, RenderScope, enter_scope
from ssg.render.special import redirect_page, render_not_found
from ssg.render.templates import render_template
from ssg.routing.definitions import LayoutDefinition, Params, RouteDefinition, RouteKind, RouteMatch

__all__ = ["RenderedPage", "make_scope", "render_match"]
from ssg.site import Site


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


async def _render_page(site: Site, match: RouteMatch, scope: RenderScope) -> str:
    route, params = match.route, match.params
    assert route.page_file is not None
    page_module = site.module(route.module_file)
    layouts = [(layout, site.module(layout.module_file)) for layout in route.layouts]

    metadata: dict[str, Any] = {}
    layout_data: list[dict[str, Any]] = []
    for _layout, module in layouts:
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
    if markdown_html is not None:
        page_context = {**base, **page_data, "content": Markup(markdown_html)}
        html = render_template(site, "markdown_page", page_context, route.page_file)
    else:
        html = render_template(site, None, {**base, **page_data}, route.page_file)
    for (layout, _module), data in zip(reversed(layouts), reversed(layout_data), strict=True):
        context = {**base, **data, "children": Markup(html)}
        context["slots"] = _render_slots(site, layout, match.url_path, context)
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
    depth = len([p for p in site.layout_url_pattern(layout).split("/") if p])
    sub_path = "/".join([p for p in url_path.split("/") if p][depth:])
    rendered: dict[str, Markup] = {}
    for name, slot in layout.slots.items():
        slot_file = match_slot_page(slot.pages, sub_path) or slot.default_file
        if slot_file is None:
            rendered[name] = Markup("")
            continue
        rendered[name] = Markup(render_template(site, None, context, slot_file))
    return rendered


def match_slot_page(pages: dict[str, Path], sub_path: str) -> Path | None:
    """The slot page for a sub-path below the slot's layout, matching like routes.

    | slot pages keys              | sub_path      | page                    |
    | ---------------------------- | ------------- | ----------------------- |
    | "", "settings"               | "settings"    | settings (exact first)  |
    | "[id]"                       | "5"           | [id]                    |
    | "docs/[...rest]"             | "docs/a/b"    | docs/[...rest]          |
    | "[[...rest]]"                | ""            | [[...rest]]             |
    """
    exact = pages.get(sub_path)
    if exact is not None:
        return exact
    parts = [p for p in sub_path.split("/") if p]
    for key, page in pages.items():
        if _slot_key_matches([p for p in key.split("/") if p], parts):
            return page
    return None


def _slot_key_matches(pattern: list[str], parts: list[str]) -> bool:
    for index, segment in enumerate(pattern):
        if segment.startswith("[[..."):
            return True
        if segment.startswith("[..."):
            return len(parts) > index
        if index >= len(parts) or (not segment.startswith("[") and segment != parts[index]):
            return False
    return len(pattern) == len(parts)
