"""Plan a build: run generate_static_params top-down, validate what it returns, and list the pages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssg.builder.build_result import PlannedPage, RouteResult
from ssg.builder.incremental import PreviousBuild
from ssg.builder.records_writer import RecordsWriter
from ssg.data.memo import RequestMemo
from ssg.errors import ControlFlow, ModuleError, ParamsError, SsgError
from ssg.modules import SiteModule, call_user
from ssg.reads import Reads, collect_reads
from ssg.records import RenderKind
from ssg.render.renderer import make_scope
from ssg.render.templates import template_frame
from ssg.routing.definitions import Params, RouteDefinition, RouteKind, SegmentKind
from ssg.scope import DataServices, enter_scope
from ssg.site import Site

log = logging.getLogger("ssg.builder")


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class ParamsSource:
    """A module defining generate_static_params for a route, and the params it owns.

    Attributes:
        module: the page.py / layout.py / route.py module.
        owned: the param names this function must return (the segments at or
            above its folder that no higher function returned).
    """

    module: SiteModule
    owned: tuple[str, ...]


def params_sources(site: Site, route: RouteDefinition) -> list[ParamsSource]:
    """The route's generate_static_params functions, root first, with the params each owns.

    | module                               | owns          |
    | ------------------------------------ | ------------- |
    | app/shop/[cat]/layout.py             | ("cat",)      |
    | app/shop/[cat]/[item]/page.py        | ("item",)     |
    | app/shop/[cat]/[item]/page.py alone  | ("cat", "item") (bottom-up) |
    """
    segment_of = [
        (folder, segment)
        for folder, segment in route.folder_segments
        if segment.param is not None and segment.in_url
    ]
    candidates: list[tuple[SiteModule, Path]] = []
    for layout in route.layouts:
        module = site.module(layout.module_file)
        if module is not None and module.function("generate_static_params"):
            candidates.append((module, layout.segment_dir))
    own = site.module(route.module_file)
    if own is not None and own.function("generate_static_params"):
        candidates.append((own, route.segment_dir))
    sources: list[ParamsSource] = []
    provided: set[str] = set()
    for module, folder in candidates:
        # Only the route's own module may return params of segments below its
        # folder (bottom-up); a layout owns the segments at or above it.
        last = module is own
        owned = tuple(
            seg.param
            for seg_dir, seg in segment_of
            if seg.param is not None
            and seg.param not in provided
            and (last or folder.is_relative_to(seg_dir))
        )
        if not owned and not last:
            continue  # a layout above every dynamic segment has nothing to generate
        provided.update(owned)
        sources.append(ParamsSource(module, owned))
    return sources


async def plan_params(
    site: Site,
    route: RouteDefinition,
    services: DataServices,
    *,
    calls: RequestMemo,
    on_call: Callable[[Path], None] | None = None,
) -> list[Params] | None:
    """Run the route's generate_static_params functions top-down.

    A child's function gets its parents' params and runs once per parent
    combination; a function may also return its parents' keys (bottom-up,
    then it runs once with {}). Calls with the same module and parent params
    are shared across routes through `calls` (a layout's function runs once
    for all the pages below it).

    Args:
        site: the loaded site.
        route: a route with dynamic segments.
        services: the build's data services (fetches inside are memoized build-wide).
        calls: the build's memo of generate_static_params calls.
        on_call: called with the module file each time a function really runs.

    Returns:
        The list of complete params dicts (possibly empty), or None when some
        dynamic segment of the route has no generate_static_params covering it.

    Raises:
        ParamsError: a function returned a wrong shape (names the file and value).
    """
    sources = params_sources(site, route)
    owned = {name for source in sources for name in source.owned}
    if not sources or set(route.param_names) - owned:
        # Some segment has no generate_static_params: its pages can only be
        # rendered on demand (as Next.js, when a child segment lists nothing).
        return None
    kinds = {seg.param: seg.kind for seg in route.segments if seg.param is not None}
    combos: list[Params] = [{}]
    for source in sources:
        generate = source.module.function("generate_static_params")
        assert generate is not None
        next_combos: list[Params] = []
        seen: set[tuple[tuple[str, Any], ...]] = set()
        for parent in combos:
            key = (str(source.module.source_file), _freeze(parent))

            async def run(
                parent: Params = parent, generate: Any = generate, source: ParamsSource = source
            ) -> Any:
                if on_call is not None:
                    on_call(source.module.source_file)
                scope = make_scope(site, route, route.route_pattern, services)
                scope.generating_params = True
                scope.config_file = site.relative(source.module.source_file)
                with enter_scope(scope):
                    try:
                        return await call_user(generate, dict(parent))
                    except (SsgError, ControlFlow):
                        raise
                    except Exception as exc:
                        file, line = template_frame(exc, site)
                        if file is None:
                            raise  # no site file in the traceback: a bug in ssg
                        raise ModuleError(
                            f"generate_static_params raised {type(exc).__name__}: {exc}",
                            source_file=file,
                            line=line,
                        ) from exc

            result = await calls.get_or_run(key, run)
            for item in _validate(site, route, source, result, parent, kinds):
                merged = {**parent, **item}
                frozen = _freeze(merged)
                if frozen not in seen:
                    seen.add(frozen)
                    next_combos.append(merged)
        combos = next_combos
    return combos


def _freeze(params: Params) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


def _validate(
    site: Site,
    route: RouteDefinition,
    source: ParamsSource,
    result: Any,
    parent: Params,
    kinds: dict[str, SegmentKind],
) -> list[Params]:
    source_file = site.relative(source.module.source_file)

    def fail(message: str, value: Any) -> ParamsError:
        return ParamsError(
            message, source_file=source_file, route_pattern=route.route_pattern, value=value
        )

    if isinstance(result, dict) or not isinstance(result, list | tuple):
        raise fail(
            "must return a list of dicts such as [{'slug': 'hello'}], "
            f"not {type(result).__name__}",
            result,
        )
    items: list[Params] = []
    expected = ", ".join(repr(k) for k in source.owned) or "(none)"
    for item in result:
        if not isinstance(item, dict):
            raise fail(
                f"returned a {type(item).__name__} in its list; each item must be a dict "
                f"with the keys {expected}",
                item,
            )
        for key in item:
            if key not in kinds:
                takes = ", ".join(repr(k) for k in kinds) or "no params"
                raise fail(
                    f"returned the key {key!r}, but the route takes {takes}; "
                    "remove it or rename the folder",
                    item,
                )
            if key in parent and item[key] != parent[key]:
                raise fail(
                    f"returned {key}={item[key]!r}, but its parent params have "
                    f"{key}={parent[key]!r}",
                    item,
                )
        for key in source.owned:
            if key not in item and kinds[key] is not SegmentKind.OPTIONAL_CATCH_ALL:
                raise fail(
                    f"returned an item without the key {key!r}; each item needs {expected}", item
                )
        for key, value in item.items():
            problem = _value_problem(kinds[key], value)
            if problem:
                raise fail(f"returned {key}={value!r}: {problem}", item)
        items.append({k: list(v) if isinstance(v, tuple) else v for k, v in item.items()})
    return items


def _value_problem(kind: SegmentKind, value: Any) -> str | None:
    if kind is SegmentKind.DYNAMIC:
        if not isinstance(value, str):
            return f"[x] segments take a str; use str({value!r})"
        return _part_problem(value)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        return "catch-all segments take a list of str, e.g. ['a', 'b']"
    if kind is SegmentKind.CATCH_ALL and not value:
        return "[...x] needs at least one part; use [[...x]] to allow the bare path"
    for part in value:
        problem = _part_problem(part)
        if problem:
            return problem
    return None


def _part_problem(part: str) -> str | None:
    if part in ("", ".", ".."):
        return "a segment value cannot be empty, '.' or '..'"
    if "/" in part or "\\" in part:
        return "a segment value cannot hold '/'; use a catch-all [...x] for several segments"
    return None


async def plan_pages(
    site: Site, services: DataServices, previous: PreviousBuild, recorder: RecordsWriter
) -> tuple[dict[str, RouteResult], list[PlannedPage], int]:
    """Every route's result row and every page to render, in resolution order.

    A dynamic route's params come from the last build when nothing its
    generate_static_params read changed (`previous`), else from a new call,
    kept in `recorder` with what it read. A URL a more specific route owns is
    skipped with a warning.

    Returns:
        (route pattern -> its RouteResult, the planned pages, how many times
        generate_static_params functions ran).
    """
    results: dict[str, RouteResult] = {}
    planned: list[PlannedPage] = []
    calls = RequestMemo()
    counter = [0]

    def count(_file: Path) -> None:
        counter[0] += 1

    for route in site.table.routes:
        settings = site.settings(route)
        result = RouteResult.planned(
            route,
            settings.revalidate,
            tuple(site.layout_url_pattern(layout) for layout in route.layouts),
            dynamic_params=settings.dynamic_params,
        )
        results[route.route_pattern] = result
        if route.kind is RouteKind.HANDLER and not site.is_prerenderable_handler(route):
            result.render = RenderKind.DYNAMIC
            continue
        if route.kind is RouteKind.PAGE and settings.is_dynamic:
            result.render = RenderKind.DYNAMIC
            continue
        params_list: list[Params] | None
        kept_urls: tuple[str | None, ...] = ()
        fresh: Reads | None = None
        if route.is_dynamic_pattern:
            kept = previous.params(route)
            if kept is not None:  # nothing generate_static_params read changed
                recorder.keep_params(route)
                params_list, kept_urls = kept.params, kept.url_paths
            else:
                with collect_reads() as fresh:
                    params_list = await plan_params(
                        site, route, services, calls=calls, on_call=count
                    )
            result.params_count = None if params_list is None else len(params_list)
            result.render = RenderKind.SSG
        else:
            params_list = [{}]
        if len(kept_urls) != len(params_list or ()):
            kept_urls = ()
        url_paths: list[str | None] = []
        for index, params in enumerate(params_list or []):
            # Where the last build planned the same params (incremental: same routes).
            url_path = kept_urls[index] if kept_urls else None
            if url_path is None:
                url_path = _planned_url(site, route, params)
            url_paths.append(url_path)
            if url_path is not None:
                planned.append(PlannedPage(route, params, url_path))
        if fresh is not None and params_list is not None:
            recorder.add_params(route, params_list, fresh, tuple(url_paths))
    return results, planned, counter[0]


def _planned_url(site: Site, route: RouteDefinition, params: Params) -> str | None:
    """The URL of a route's params, or None (with a warning) when a more specific route owns it."""
    url_path = site.table.build_url_path(route, params)
    owner = site.table.match(url_path)
    if owner is None or owner.route is not route:
        # Resolution order decides, as it does at serve time: the URL belongs
        # to a more specific route, which renders it itself.
        log.warning(
            "Skipped %s from generate_static_params of %s: that URL is served by %s "
            "(%s); remove it from the list",
            url_path,
            route.route_pattern,
            owner.route.route_pattern if owner else "no route",
            site.relative(owner.route.page_file or owner.route.segment_dir) if owner else "-",
        )
        return None
    return url_path
