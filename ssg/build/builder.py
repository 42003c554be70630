"""The build: load the site, plan params, render every page, write out/ and the manifest."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ssg.build.export import check_export
from ssg.build.manifest import (
    MANIFEST_VERSION,
    layout_patterns,
    revalidate_json,
    route_entry,
    write_manifest,
)
from ssg.build.parallel import FinishedPage, PageJob, finish_pages, page_error
from ssg.build.planner import plan_params
from ssg.build.writer import (
    OutputWriter,
    check_out_dir,
    handler_output_file,
    page_output_file,
)
from ssg.config import SiteConfig
from ssg.data.memo import RequestMemo
from ssg.errors import (
    DynamicUsage,
    SsgError,
)
from ssg.handlers.dispatch import InProcessDispatcher
from ssg.isr.tags import implicit_tags
from ssg.render.renderer import PreparedPage, RenderedPage, make_scope, prepare_page
from ssg.render.scope import Clock, DataServices
from ssg.render.special import render_not_found
from ssg.render.templates import template_frame
from ssg.routing.definitions import Params, RouteDefinition, RouteKind, RouteMatch
from ssg.site import Site

log = logging.getLogger("ssg.build")
RENDER_CONCURRENCY = 16
MAX_REPORTED_ERRORS = 20


@dataclass
class RouteResult:
    """What the build did with one route (a row of the route table).

    Attributes:
        route: the route.
        render: "static" (○), "ssg" (●), "isr" (ISR Ns), or "dynamic" (ƒ).
        revalidate_seconds: the lowest effective revalidate of its pages (None: never).
        url_paths: the prerendered URL paths.
        dynamic_reason: the request API that made it dynamic at build, if any.
        params_count: how many params generate_static_params produced (None: no function).
        dynamic_params: the route's dynamic_params (unlisted params on demand, or 404).
    """

    route: RouteDefinition
    render: str = "static"
    revalidate_seconds: float | None = None
    url_paths: list[str] = field(default_factory=list)
    dynamic_reason: str | None = None
    params_count: int | None = None
    dynamic_params: bool = True


@dataclass
class BuildResult:
    """The outcome of a successful build.

    Attributes:
        out_dir: the output folder.
        routes: one RouteResult per route, in resolution order.
        pages_written: prerendered pages and handler files written.
        seconds: wall time of the build (seconds).
        manifest: the manifest as written.
        params_calls: how many times generate_static_params functions ran.
        fetches: upstream requests and in-process calls actually made.
    """

    out_dir: Path
    routes: list[RouteResult]
    pages_written: int
    seconds: float
    manifest: dict[str, Any]
    params_calls: int = 0
    fetches: int = 0


@dataclass(frozen=True)
class _Planned:
    route: RouteDefinition
    params: Params
    url_path: str


def make_services(
    site: Site, *, clock: Clock, build_memo: RequestMemo | None, strict: bool = False
) -> DataServices:
    """Data services for a build or a server: in-process dispatch, the data cache, a memo."""
    from ssg.data.store import DataStore

    return DataServices(
        clock=clock,
        dispatch=InProcessDispatcher(site),
        store=DataStore(site.config.cache_dir / "data", clock=clock),
        build_memo=build_memo,
        fetch_timeout_seconds=site.config.fetch_timeout_seconds,
        site_dir=site.config.site_dir,
        site_values=site.config.template_values(),
        strict=strict,
    )


async def build_site(
    config: SiteConfig,
    *,
    clock: Clock = time.time,
    on_progress: Callable[[int, int], None] | None = None,
    strict: bool = False,
) -> BuildResult:
    """Build the site into config.out_dir.

    Phases: load (scan routes, import modules) -> plan (generate_static_params)
    -> prepare every page's data concurrently (every fetch in this process, so
    the build-wide memo makes an identical GET once) -> finish the templates
    and write them into a staging folder (half in a forked process on large
    builds) -> check export -> manifest -> swap the staging folder in for out/.
    Any failure leaves the previous out/ intact.

    Args:
        config: the site config.
        clock: epoch seconds; pages count as generated at the build's end time.
        on_progress: called with (pages done, pages total) while the templates
            are finished (pages settled by their data, such as redirects, count
            as done from the start).
        strict: content problems fail the build instead of warning.

    Returns:
        The BuildResult.

    Raises:
        SsgError: any problem in the site (route scan, modules, params,
            templates, fetches, export), with the files involved and the fix.
    """
    started = time.perf_counter()
    check_out_dir(
        config.out_dir,
        site_dir=config.site_dir,
        guarded=(config.app_dir, config.public_dir, config.cache_dir),
    )
    site = Site.load(config)
    memo = RequestMemo()
    services = make_services(site, clock=clock, build_memo=memo, strict=strict)
    writer: OutputWriter | None = None
    try:
        results, planned, params_calls = await _plan(site, services)
        writer = OutputWriter(config.out_dir)
        rendered = await _render_all(site, services, planned, results, writer, on_progress)
        if config.output == "export":
            check_export(site, results.values())
        manifest = await _write(site, writer, results, rendered, clock())
        writer.commit()
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    finally:
        await services.aclose()
    pages_written = len(manifest["pages"])
    return BuildResult(
        out_dir=config.out_dir,
        routes=list(results.values()),
        pages_written=pages_written,
        seconds=time.perf_counter() - started,
        manifest=manifest,
        params_calls=params_calls,
        fetches=memo.calls,
    )


async def _plan(
    site: Site, services: DataServices
) -> tuple[dict[str, RouteResult], list[_Planned], int]:
    results: dict[str, RouteResult] = {}
    planned: list[_Planned] = []
    calls = RequestMemo()
    counter = [0]

    def count(_file: Path) -> None:
        counter[0] += 1

    for route in site.table.routes:
        settings = site.settings(route)
        result = RouteResult(
            route=route,
            revalidate_seconds=settings.revalidate_seconds,
            dynamic_params=settings.dynamic_params,
        )
        results[route.route_pattern] = result
        if route.kind is RouteKind.HANDLER and not site.is_prerenderable_handler(route):
            result.render = "dynamic"
            continue
        if route.kind is RouteKind.PAGE and settings.is_dynamic:
            result.render = "dynamic"
            continue
        if route.is_dynamic_pattern:
            params_list = await plan_params(site, route, services, calls=calls, on_call=count)
            result.params_count = None if params_list is None else len(params_list)
            result.render = "ssg"
        else:
            params_list = [{}]
        for params in params_list or []:
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
                    site.relative(owner.route.page_file or owner.route.segment_dir)
                    if owner
                    else "-",
                )
                continue
            planned.append(_Planned(route, params, url_path))
    return results, planned, counter[0]


def _check_public_files(site: Site, rendered: dict[str, tuple[_Planned, FinishedPage]]) -> None:
    """A file in public/ must not replace a page (as Next.js "conflicting public file").

    Raises:
        SsgError: naming the public file and the route whose page it would replace.
    """
    public_dir = site.config.public_dir
    if not public_dir.is_dir():
        return
    pages = {_output_file(site, item): item for item, _page in rendered.values()}
    reserved = {"404.html", "_ssg", "_assets"}
    for source_file in public_dir.rglob("*"):
        relative = source_file.relative_to(public_dir).as_posix()
        if not source_file.is_file():
            continue
        item = pages.get(relative)
        if item is not None or relative in reserved or relative.split("/")[0] in reserved:
            owner = (
                f"the page {item.url_path} ({item.route.route_pattern})"
                if item
                else "a file ssg writes itself (404.html, _assets/, _ssg/)"
            )
            raise SsgError(
                f"public/{relative} would replace {owner} in the output; "
                "rename or remove one of them"
            )


async def _render_all(
    site: Site,
    services: DataServices,
    planned: list[_Planned],
    results: dict[str, RouteResult],
    writer: OutputWriter,
    on_progress: Callable[[int, int], None] | None,
) -> dict[str, tuple[_Planned, FinishedPage]]:
    """Render every planned page in two phases and write the pages kept.

    Phase A prepares every page here, concurrently: all awaits (metadata, load,
    fetches) happen in this process, so the build-wide request memo makes an
    identical GET once. Phase B runs the Jinja work and the writes, on two
    cores for large builds (`finish_pages` forks a child for half the pages).

    Returns:
        url_path -> (planned page, finished page) for the pages written.

    Raises:
        SsgError: the page errors (one raised as itself, several listed by URL),
            or two URLs writing different bytes to one output file.
    """
    errors: list[SsgError] = []
    ready = await _prepare_all(site, services, planned, results, errors)
    items = {item.url_path: item for item, _page in ready}
    jobs = [
        PageJob(item.route.route_pattern, item.url_path, _output_file(site, item), page)
        for item, page in ready
    ]
    # Phase A reports nothing: the progress bar's refresh thread would then be
    # running when phase B forks. Pages phase A settled count as done at once.
    settled = len(planned) - len(jobs)

    def progress(done: int) -> None:
        if on_progress is not None:
            on_progress(settled + done, len(planned))

    outcome = finish_pages(site, jobs, writer, progress)
    errors.extend(outcome.errors)
    for url_path in sorted(outcome.not_found):
        log.info("%s called not_found() in a template: no page written", url_path)
    finished = {page.url_path: page for page in outcome.finished}
    claimed: dict[str, _Planned] = {}  # output file -> the first URL written to it
    for job in jobs:
        page = finished.get(job.url_path)
        if page is None:
            continue
        other = claimed.setdefault(job.output_file, items[job.url_path])
        # Two URLs, one file ("/a" and "/a.html" without trailing slashes): fine
        # when they write the same bytes, an error when they do not.
        if other.url_path != job.url_path and finished[other.url_path].etag != page.etag:
            errors.append(
                SsgError(
                    f"{other.url_path} ({other.route.route_pattern}) and "
                    f"{job.url_path} ({job.route_pattern}) would both be "
                    f"written to {job.output_file} with different content; rename one "
                    "of the routes or drop one URL from generate_static_params"
                )
            )
    _raise_errors(errors)
    return {url_path: (items[url_path], page) for url_path, page in finished.items()}


async def _prepare_all(
    site: Site,
    services: DataServices,
    planned: list[_Planned],
    results: dict[str, RouteResult],
    errors: list[SsgError],
) -> list[tuple[_Planned, PreparedPage | RenderedPage]]:
    """Phase A: prepare every planned page concurrently, in planned order.

    A route that reads the request turns dynamic and drops all its pages; a page
    that calls not_found() is dropped (no file, or a static host would serve it
    as 200; ssg serve answers the URL with the not-found page on demand).
    Page errors are appended to `errors`.

    Raises:
        Exception: a bug in ssg (no site file in its traceback), with its traceback.
    """
    semaphore = asyncio.Semaphore(RENDER_CONCURRENCY)

    async def prepare_one(item: _Planned) -> PreparedPage | RenderedPage | None:
        result = results[item.route.route_pattern]
        async with semaphore:
            if result.render == "dynamic":
                return None
            scope = make_scope(site, item.route, item.url_path, services)
            match = RouteMatch(item.route, item.url_path, item.params)
            try:
                page = await prepare_page(site, match, scope)
            except DynamicUsage as usage:
                if result.render != "dynamic":
                    result.render = "dynamic"
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

    pages = await asyncio.gather(*(prepare_one(item) for item in planned))
    return [
        (item, page)
        for item, page in zip(planned, pages, strict=True)
        if page is not None and results[item.route.route_pattern].render != "dynamic"
    ]


def _raise_errors(errors: list[SsgError]) -> None:
    """Raise a single error as itself, several as one SsgError listing them by URL."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        # Completion order is arbitrary: list failures by URL, as a reader scans them.
        errors.sort(key=lambda e: getattr(e, "url_path", ""))
        shown = errors[:MAX_REPORTED_ERRORS]
        more = len(errors) - len(shown)
        text = "\n".join(f"  - {e}" for e in shown)
        if more:
            text += f"\n  ... and {more} more"
        raise SsgError(f"{len(errors)} page(s) failed to render:\n{text}")


def _output_file(site: Site, item: _Planned) -> str:
    """The output file of a planned page or prerendered route handler."""
    if item.route.kind is RouteKind.HANDLER:
        return handler_output_file(item.url_path)
    return page_output_file(item.url_path, trailing_slash=site.config.trailing_slash)


async def _write(
    site: Site,
    writer: OutputWriter,
    results: dict[str, RouteResult],
    rendered: dict[str, tuple[_Planned, FinishedPage]],
    now: float,
) -> dict[str, Any]:
    config = site.config
    _check_public_files(site, rendered)
    writer.copy_tree(config.public_dir)
    writer.copy_assets(site.theme)
    pages: dict[str, Any] = {}
    redirects: dict[str, Any] = {}
    layouts = {r.route.route_pattern: layout_patterns(site, r.route) for r in results.values()}
    for url_path, (item, page) in sorted(rendered.items()):
        result = results[item.route.route_pattern]
        output_file = _output_file(site, item)
        if page.location is not None:
            redirects[url_path] = {"location": page.location, "status": page.status}
        result.url_paths.append(url_path)
        if page.revalidate_seconds is not None and (
            result.revalidate_seconds is None or page.revalidate_seconds < result.revalidate_seconds
        ):
            result.revalidate_seconds = page.revalidate_seconds
        pages[url_path] = {
            "route_pattern": item.route.route_pattern,
            "output_file": output_file,
            "status": page.status,
            "content_type": page.content_type,
            "revalidate": revalidate_json(page.revalidate_seconds),
            "tags": list(page.tags),
            "implicit_tags": sorted(
                implicit_tags(item.route.route_pattern, url_path, layouts[item.route.route_pattern])
            ),
            "generated_at": now,
            "etag": page.etag,
            "size_bytes": page.size_bytes,
        }
    for result in results.values():
        if result.render != "dynamic" and result.revalidate_seconds:
            result.render = "isr"
        elif result.render == "ssg" and not result.route.is_dynamic_pattern:
            result.render = "static"
    # The static 404.html answers every missing URL, so it names none (url_path "").
    not_found = await render_not_found(site, "", strict=True)
    writer.write("404.html", not_found.body)
    manifest: dict[str, Any] = {
        "version": MANIFEST_VERSION,
        "build_id": uuid.uuid4().hex,
        "generated_at": now,
        "generated_at_iso": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "config": {
            "trailing_slash": config.trailing_slash,
            "output": config.output,
            "expire_seconds": config.expire_seconds,
            "base_url": config.base_url,
        },
        "routes": [route_entry(site, r) for r in results.values()],
        "pages": pages,
        "redirects": redirects,
        "not_found_file": "404.html",
    }
    write_manifest(writer.staging_dir, manifest)
    return manifest
