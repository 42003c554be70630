"""Render one route: page + nested layouts + slots -> HTML, or a route handler's GET -> bytes.

In two phases: `prepare_page` awaits the data, `finish_page` runs the templates
(no awaits), so the build can finish pages in a forked process. A segment's data
comes from `segment_data`, the layouts' @slots from `slot_pages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from ssg.base_path import with_base_path
from ssg.data.memo import RequestMemo
from ssg.errors import NotFound, Redirect
from ssg.records import Headers
from ssg.render.boundaries import FailedSegment, failing_in, failure_of
from ssg.render.metadata import TEMPLATE_KEY, merge_metadata
from ssg.render.rendered_page import HTML, RenderedPage
from ssg.render.segment_data import load_markdown_page, module_load, module_metadata
from ssg.render.slot_pages import PreparedSlot, load_slot, match_slot, render_slot
from ssg.render.special_pages import redirect_page, render_not_found
from ssg.render.templates import render_template
from ssg.revalidate import Revalidate
from ssg.route_handlers.invoke import call_handler
from ssg.route_handlers.request import Request
from ssg.routing.definitions import RouteDefinition, RouteKind, RouteMatch
from ssg.scope import DataServices, DynamicMode, RenderScope, enter_scope
from ssg.site import Site

__all__ = [
    "PreparedPage",
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


def _effective_revalidate(site: Site, route: RouteDefinition, scope: RenderScope) -> Revalidate:
    """The lowest of the route's segments and the data the render used (as Next.js)."""
    settings = site.settings(route)
    if settings.dynamic is DynamicMode.FORCE_DYNAMIC:
        return Revalidate.EVERY_REQUEST
    return settings.revalidate.lowest(scope.revalidate)


def _scoped_page(
    site: Site,
    route: RouteDefinition,
    scope: RenderScope,
    status: int,
    body: bytes,
    content_type: str,
    *,
    location: str | None = None,
    headers: Headers = (),
) -> RenderedPage:
    """A RenderedPage with what the render recorded in `scope`: revalidate, tags, data keys."""
    return RenderedPage(
        status,
        body,
        content_type,
        _effective_revalidate(site, route, scope),
        tuple(sorted(scope.tags)),
        location=location,
        headers=headers,
        data_keys=tuple(sorted(scope.data_keys)),
        due_at=scope.due_at,
    )


def _redirect_page(
    site: Site, route: RouteDefinition, scope: RenderScope, redirect: Redirect
) -> RenderedPage:
    # As Next.js redirect(): a root-relative target is under the base path.
    config = site.config
    location = with_base_path(
        redirect.location, config.base_path, trailing_slash=config.trailing_slash
    )
    return _scoped_page(
        site, route, scope, redirect.status, redirect_page(location), HTML, location=location
    )


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
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
        slots: the slots of the page's layouts, resolved for the URL.
    """

    match: RouteMatch
    scope: RenderScope
    base: dict[str, Any]
    page_data: dict[str, Any]
    layout_data: tuple[dict[str, Any], ...]
    markdown_html: str | None = None
    slots: tuple[PreparedSlot, ...] = ()


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
    except NotFound as exc:
        with enter_scope(scope):
            return render_not_found(
                site, match.url_path, route=match.route, scope=scope, failure=failure_of(exc)
            )


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
        if route.kind is RouteKind.HANDLER:
            return await _render_handler(site, match, scope)
        try:
            return await _load_page(site, match, scope)
        except NotFound as exc:
            return render_not_found(
                site, match.url_path, route=route, scope=scope, failure=failure_of(exc)
            )
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
        return _scoped_page(site, route, scope, 200, html.encode("utf-8"), HTML)


async def _render_handler(site: Site, match: RouteMatch, scope: RenderScope) -> RenderedPage:
    module = site.module(match.route.module_file)
    assert module is not None  # the scanner only makes handler routes for route.py files
    request = scope.request or Request("GET", match.url_path, guard=scope.use_dynamic)
    try:
        response = await call_handler(
            module,
            request.method,
            request,
            match.params,
            prerender=scope.request is None,
            file_name=site.relative(module.source_file),
        )
    except (NotFound, Redirect) as signal:
        # As Next.js route handlers (test/e2e/app-dir/app-routes, "hooks"): notFound()
        # is a bare 404 and redirect() a bare 307/308 with Location, no HTML page.
        status, location = (
            (signal.status, signal.location) if isinstance(signal, Redirect) else (404, None)
        )
        if location is not None:  # under the base path, as a page's redirect()
            config = site.config
            location = with_base_path(
                location, config.base_path, trailing_slash=config.trailing_slash
            )
        return _scoped_page(
            site, match.route, scope, status, b"", "text/plain; charset=utf-8", location=location
        )
    extra = tuple((k, v) for k, v in response.header_items if k.lower() != "content-type")
    return _scoped_page(
        site,
        match.route,
        scope,
        response.status,
        response.body,
        response.content_type,
        headers=extra,
    )


async def _load_page(site: Site, match: RouteMatch, scope: RenderScope) -> PreparedPage:
    route, params = match.route, match.params
    assert route.page_file is not None
    page_module = site.module(route.module_file)
    metadata: dict[str, Any] = {}
    layout_data: list[dict[str, Any]] = []
    # As Next.js: a layout's title template applies to the segments below it,
    # not to the page in its own folder, so the page gets the one from above.
    page_template = None
    for index, layout in enumerate(route.layouts):
        if layout.segment_dir == route.segment_dir:
            page_template = metadata.get(TEMPLATE_KEY)
        with failing_in(_layout_failure(route, index)):
            module = site.module(layout.module_file)
            metadata = await module_metadata(site, module, params, metadata)
            layout_data.append(await module_load(site, module, params))
    if not route.layouts or route.layouts[-1].segment_dir != route.segment_dir:
        page_template = metadata.get(TEMPLATE_KEY)
    slots: list[PreparedSlot] = []
    for index, layout in enumerate(route.layouts):
        for slot in layout.slots.values():
            prepared_slot = match_slot(site, route, index, slot, match)
            prepared_slot, metadata = await load_slot(site, prepared_slot, metadata, page_template)
            slots.append(prepared_slot)
    with failing_in(FailedSegment(route.dir_chain, False, route.layouts)):
        markdown_html: str | None = None
        if route.page_file.suffix == ".md":
            front, markdown_html = load_markdown_page(site, route.page_file)
            metadata = merge_metadata(metadata, front, template=page_template)
        metadata = await module_metadata(
            site, page_module, params, metadata, template=page_template
        )
        page_data = await module_load(site, page_module, params)
    base = {
        "params": params,
        "metadata": metadata,
        "url_path": match.url_path,
        "site": site.config.template_values(),
    }
    return PreparedPage(
        match, scope, base, page_data, tuple(layout_data), markdown_html, tuple(slots)
    )


def _render_templates(site: Site, prepared: PreparedPage) -> str:
    route, base = prepared.match.route, prepared.base
    assert route.page_file is not None
    with failing_in(FailedSegment(route.dir_chain, False, route.layouts)):
        if prepared.markdown_html is not None:
            page_context = {
                **base,
                **prepared.page_data,
                "content": Markup(prepared.markdown_html),
            }
            html = render_template(site, "markdown_page", page_context, route.page_file)
        else:
            html = render_template(site, None, {**base, **prepared.page_data}, route.page_file)
    for index in range(len(route.layouts) - 1, -1, -1):
        layout, data = route.layouts[index], prepared.layout_data[index]
        context = {**base, **data, "children": Markup(html)}
        context["slots"] = {
            slot.name: render_slot(site, slot, context)
            for slot in prepared.slots
            if slot.layout_index == index
        }
        with failing_in(_layout_failure(route, index)):
            html = render_template(site, None, context, layout.template_file)
    return html


def _layout_failure(route: RouteDefinition, index: int) -> FailedSegment:
    layout = route.layouts[index]
    chain = route.dir_chain[: route.dir_chain.index(layout.segment_dir) + 1]
    return FailedSegment(chain, True, route.layouts)
