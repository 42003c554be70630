"""The static-export check: every route must be servable as plain files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ssg.errors import ExportError
from ssg.records import PageRecord, RenderKind
from ssg.routing.definitions import RouteKind
from ssg.scope import DynamicMode
from ssg.site import Site

if TYPE_CHECKING:
    from ssg.builder.build_result import RouteResult


def check_export(
    site: Site, results: Iterable[RouteResult], pages: Iterable[PageRecord] = ()
) -> None:
    """Fail an `output = "export"` build that has routes needing a server (as Next.js's
    `output: 'export'` "Unsupported Features").

    A route needs a server when it renders per request (dynamic, or it read the
    request), is a route handler other than a prerendered GET, or is a dynamic
    route whose pages could only be rendered on demand (no params, or [] while
    dynamic_params is True). A prerendered route handler must also answer 200 or
    redirect: a file host serves every file as 200, so another status (a 204, a
    500) would reach visitors as an empty or wrong page. (A prerendered GET that
    returns nothing fails every build, as Next.js's "No response is returned from
    route handler": `ssg.route_handlers.invoke.call_handler`.)

    Args:
        site: the site.
        results: the routes' settled results.
        pages: the records of the pages rendered.

    Raises:
        ExportError: listing every such route with its file and the fix.
    """
    problems: list[str] = []
    by_route: dict[str, list[PageRecord]] = {}
    for page in pages:
        if page.status != 200 and page.location is None:
            by_route.setdefault(page.route_pattern, []).append(page)
    for result in results:
        route = result.route
        found = by_route.get(route.route_pattern)
        if route.kind is RouteKind.HANDLER and found:
            where = site.relative(route.module_file or route.segment_dir)
            first = found[0]
            answered = "204, an empty answer" if first.status == 204 else str(first.status)
            more = f" and {len(found) - 1:,} more" if len(found) > 1 else ""
            problems.append(
                f"{route.route_pattern} ({where}): GET answered {answered} for "
                f"{first.url_path}{more}, which a file host would serve as a 200 page; "
                "return the body (a dict or list, a str, bytes or an ssg.Response with "
                "status 200)"
            )
    for result in results:
        route = result.route
        settings = site.settings(route)
        where = site.relative(route.module_file or route.page_file or route.segment_dir)
        module = site.module(route.module_file)
        extra_methods = sorted(set(module.handlers) - {"GET", "HEAD"}) if module else []
        if route.kind is RouteKind.HANDLER and result.dynamic_reason:
            problems.append(
                f"{route.route_pattern} ({where}): a route handler that reads the request "
                f'({result.dynamic_reason}); stop reading it or set dynamic = "force-static"'
            )
        elif route.kind is RouteKind.HANDLER and result.render == RenderKind.DYNAMIC:
            problems.append(
                f"{route.route_pattern} ({where}): a route handler that runs per request; "
                'prerender its GET with dynamic = "force-static" or revalidate, or remove it'
            )
        elif route.kind is RouteKind.HANDLER and extra_methods:
            problems.append(
                f"{route.route_pattern} ({where}): also answers {', '.join(extra_methods)}, "
                "which needs a server; remove those functions or deploy with ssg serve"
            )
        elif result.dynamic_reason:
            problems.append(
                f"{route.route_pattern} ({where}): reads the request ({result.dynamic_reason}); "
                'stop reading it or set dynamic = "force-static"'
            )
        elif result.render == RenderKind.DYNAMIC:
            setting = (
                'dynamic = "force-dynamic"'
                if settings.dynamic is DynamicMode.FORCE_DYNAMIC
                else "revalidate = 0"
            )
            problems.append(
                f"{route.route_pattern} ({where}): renders per request ({setting}); "
                "remove that setting"
            )
        elif route.is_dynamic_pattern and not result.params_count and settings.dynamic_params:
            # With dynamic_params = False unlisted params are a plain 404: no server
            # needed (as Next.js output: "export" with dynamicParams = false).
            missing = "returns []" if result.params_count == 0 else "has no generate_static_params"
            problems.append(
                f"{route.route_pattern} ({where}): a dynamic route that {missing}, so its "
                "pages could only be rendered on demand; list them in generate_static_params"
            )
    if problems:
        raise ExportError(problems)
