"""The build: load the site, plan params, render every page, write out/ and the manifest."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

from ssg.builder.build_result import BuildResult, PlannedPage, RouteResult
from ssg.builder.export import check_export
from ssg.builder.finish import FinishedPage, PageJob
from ssg.builder.incremental import PreviousBuild, RecordsWriter
from ssg.builder.links import (
    BrokenLink,
    broken_links_message,
    extract_links,
    find_broken_links,
    load_known_links,
    write_known_links,
)
from ssg.builder.manifest import build_manifest, write_manifest
from ssg.builder.parallel import finish_pages
from ssg.builder.planner import plan_params
from ssg.builder.prepare import ReadyPage, prepare_all
from ssg.builder.static_hosts import (
    HEADERS_FILE,
    REDIRECTS_FILE,
    merged,
    render_headers,
    render_redirects,
)
from ssg.builder.writer import (
    OutputWriter,
    check_out_dir,
    handler_output_file,
    page_output_file,
)
from ssg.config import SiteConfig
from ssg.content.memo import collections_read, write_collection_specs
from ssg.data.memo import RequestMemo
from ssg.errors import BrokenLinksError, OutputConflictError, PagesFailedError, SsgError
from ssg.reads import collect_reads
from ssg.records import Manifest, PageRecord, RenderKind
from ssg.render.renderer import PreparedPage
from ssg.render.services import make_services
from ssg.render.special_pages import render_not_found
from ssg.routing.definitions import RouteKind
from ssg.scope import Clock, DataServices, ServiceMode
from ssg.site import Site

log = logging.getLogger("ssg.builder")
MAX_REPORTED_ERRORS = 20


async def build_site(
    config: SiteConfig,
    *,
    clock: Clock = time.time,
    on_progress: Callable[[int, int], None] | None = None,
    strict: bool = False,
    include_drafts: bool = False,
    force: bool = False,
    remove_old_in_background: bool = False,
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
        include_drafts: content collections keep drafts and future-dated
            entries (`ssg build --drafts`); they are never in feeds or sitemaps.
        force: ignore what earlier builds kept under `cache_dir` (parsed content,
            page links, the pages of the last build and what they read) and
            render every page (`ssg build --force`).
        remove_old_in_background: delete the previous out/ (swapped out) in a
            detached process instead of before returning (`ssg build`).

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
    services = make_services(
        site,
        mode=ServiceMode.BUILD,
        clock=clock,
        strict=strict,
        include_drafts=include_drafts,
        force=force,
    )
    writer: OutputWriter | None = None
    try:
        previous = PreviousBuild(
            site, services, force=force, include_drafts=include_drafts, strict=strict
        )
        recorder = RecordsWriter(site, previous)
        results, planned, params_calls = await _plan(site, services, previous, recorder)
        writer = OutputWriter(config.out_dir, remove_old_in_background=remove_old_in_background)
        known_links = {} if force else load_known_links(config.cache_dir)
        rendered, link_seconds, reused = await _render_all(
            site,
            services,
            planned,
            results,
            writer,
            on_progress,
            known_links,
            previous=previous,
            recorder=recorder,
        )
        if config.output == "export":
            check_export(site, results.values())
        indexed = services.page_index.url_paths or ()
        manifest, not_found_links = await _write(site, writer, results, rendered, clock(), indexed)
        started_check = time.process_time()
        files = _output_files(writer.staging_dir)
        # Nothing rendered and the same files as the last build: the same links, answered
        # by the same pages and files, so the same broken ones (the records keep them).
        links_key = previous.links_key(files, not_found_links)
        kept_broken = previous.broken_links(links_key) if reused == len(rendered) else None
        if kept_broken is not None:
            broken = kept_broken
        else:
            broken = _check_links(site, files, results, rendered, not_found_links, manifest)
        recorder.links = (links_key, broken)
        link_seconds += time.process_time() - started_check
        if broken:
            message = broken_links_message(broken)
            if strict:
                raise BrokenLinksError(
                    f"{message}\n(--strict makes broken links errors)", links=broken
                )
            log.warning("%s", message)
        writer.commit()
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    finally:
        await services.aclose()
    try:
        recorder.save(config)
    except OSError as exc:  # only the next build's speed depends on it
        log.warning("Could not keep the build records in %s: %s", config.cache_dir, exc)
    try:
        write_known_links(
            config.cache_dir,
            ((page.record.etag, page.links) for _item, page in rendered.values() if page.links),
        )
    except OSError as exc:  # only a rebuild's speed depends on it
        log.warning("Could not keep the links for the next build in %s: %s", config.cache_dir, exc)
    try:  # the server preloads them off its event loop
        write_collection_specs(config.cache_dir, collections_read(services))
    except OSError as exc:
        log.warning("Could not list the content read in %s: %s", config.cache_dir, exc)
    return BuildResult(
        out_dir=config.out_dir,
        routes=list(results.values()),
        pages_written=len(manifest.pages),
        seconds=time.perf_counter() - started,
        manifest=manifest,
        params_calls=params_calls,
        next_due_at=services.schedule.next_due_at,
        broken_links=broken,
        link_check_seconds=link_seconds,
        exported=config.output == "export",
        pages_rendered=len(rendered) - reused,
        pages_reused=reused,
        full_render_reason=previous.full_reason,
    )


async def _plan(
    site: Site, services: DataServices, previous: PreviousBuild, recorder: RecordsWriter
) -> tuple[dict[str, RouteResult], list[PlannedPage], int]:
    results: dict[str, RouteResult] = {}
    planned: list[PlannedPage] = []
    calls = RequestMemo()
    counter = [0]

    def count(_file: Path) -> None:
        counter[0] += 1

    for route in site.table.routes:
        settings = site.settings(route)
        result = RouteResult(
            route=route,
            revalidate=settings.revalidate,
            dynamic_params=settings.dynamic_params,
        )
        results[route.route_pattern] = result
        if route.kind is RouteKind.HANDLER and not site.is_prerenderable_handler(route):
            result.render = RenderKind.DYNAMIC
            continue
        if route.kind is RouteKind.PAGE and settings.is_dynamic:
            result.render = RenderKind.DYNAMIC
            continue
        if route.is_dynamic_pattern:
            params_list = previous.params(route)
            if params_list is not None:  # nothing generate_static_params read changed
                recorder.keep_params(route)
            else:
                with collect_reads() as reads:
                    params_list = await plan_params(
                        site, route, services, calls=calls, on_call=count
                    )
                if params_list is not None:
                    recorder.add_params(route, params_list, reads)
            result.params_count = None if params_list is None else len(params_list)
            result.render = RenderKind.SSG
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
            planned.append(PlannedPage(route, params, url_path))
    return results, planned, counter[0]


def _check_public_files(site: Site, rendered: dict[str, tuple[PlannedPage, FinishedPage]]) -> None:
    """A file in public/ must not replace a page (as Next.js "conflicting public file").

    Raises:
        OutputConflictError: naming the public file and the route whose page it would replace.
    """
    public_dir = site.config.public_dir
    if not public_dir.is_dir():
        return
    pages = {page.record.output_file: item for item, page in rendered.values()}
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
            raise OutputConflictError(
                f"public/{relative} would replace {owner} in the output; "
                "rename or remove one of them",
                output_file=relative,
                url_path=item.url_path if item else None,
            )


async def _render_all(
    site: Site,
    services: DataServices,
    planned: list[PlannedPage],
    results: dict[str, RouteResult],
    writer: OutputWriter,
    on_progress: Callable[[int, int], None] | None,
    known_links: dict[str, tuple[str, ...]] | None = None,
    *,
    previous: PreviousBuild,
    recorder: RecordsWriter,
) -> tuple[dict[str, tuple[PlannedPage, FinishedPage]], float, int]:
    """Render every planned page in two phases and write the pages kept.

    A page whose reads did not change since the last build (`previous`) is not
    rendered: its previous file is linked into the staging folder. Every page
    written, rendered or reused, goes into `recorder` for the next build.

    Phase A prepares every page here, concurrently: all awaits (metadata, load,
    fetches) happen in this process, so the build-wide request memo makes an
    identical GET once. Phase B runs the Jinja work and the writes, on two
    cores for large builds (`finish_pages` forks a child for half the pages).

    Returns:
        url_path -> (planned page, finished page) for the pages written, the
        CPU seconds spent reading their links, and how many pages were reused.

    Raises:
        BuildError: one page failed.
        OutputConflictError: two URLs write different bytes to one output file.
        PagesFailedError: several of those, listed by URL (`.failures`).
    """
    errors: list[SsgError] = []
    reused: dict[str, tuple[PlannedPage, FinishedPage]] = {}

    def reuse(item: PlannedPage) -> bool | None:
        found = previous.reuse(item, writer)
        if found is None:
            return None
        kept, page = found
        reused[item.url_path] = (item, page)
        recorder.keep_page(item.url_path, kept)
        return kept.indexed

    ready = await prepare_all(site, services, planned, results, errors, reuse=reuse)
    _publish_bundles(ready, writer)
    items = {r.item.url_path: r.item for r in ready}
    jobs = [
        PageJob(
            r.item.route.route_pattern,
            r.item.url_path,
            _output_file(site, r.item),
            r.page,
            r.reads,
        )
        for r in ready
    ]
    # Phase A reports nothing: the progress bar's refresh thread would then be
    # running when phase B forks. Pages phase A settled count as done at once.
    settled = len(planned) - len(jobs)

    def progress(done: int) -> None:
        if on_progress is not None:
            on_progress(settled + done, len(planned))

    outcome = finish_pages(site, jobs, writer, progress, known_links)
    errors.extend(outcome.errors)
    for url_path in sorted(outcome.not_found):
        log.info("%s called not_found() in a template: no page written", url_path)
    finished = {page.record.url_path: page for page in outcome.finished}
    for url_path, (item, kept_page) in reused.items():
        finished[url_path] = kept_page
        items[url_path] = item
    claimed: dict[str, PlannedPage] = {}  # output file -> the first URL written to it
    written = [(job.url_path, job.output_file) for job in jobs]
    written += [(url_path, page.record.output_file) for url_path, (_i, page) in reused.items()]
    for url_path, output_file in written:
        page = finished.get(url_path)
        if page is None:
            continue
        other = claimed.setdefault(output_file, items[url_path])
        # Two URLs, one file ("/a" and "/a.html" without trailing slashes): fine
        # when they write the same bytes, an error when they do not.
        if other.url_path != url_path and finished[other.url_path].record.etag != page.record.etag:
            errors.append(
                OutputConflictError(
                    f"{other.url_path} ({other.route.route_pattern}) and "
                    f"{url_path} ({items[url_path].route.route_pattern}) would both be "
                    f"written to {output_file} with different content; rename one "
                    "of the routes or drop one URL from generate_static_params",
                    output_file=output_file,
                    url_path=url_path,
                )
            )
    _raise_errors(errors)
    bundles = {
        r.item.url_path: r.page.scope.bundle_dirs for r in ready if isinstance(r.page, PreparedPage)
    }
    indexed = {r.item.url_path for r in ready if r.indexed}
    for page in outcome.finished:
        url_path = page.record.url_path
        recorder.add_page(
            items[url_path],
            page,
            indexed=url_path in indexed,
            bundles=bundles.get(url_path, {}),
        )
    rendered = {url_path: (items[url_path], page) for url_path, page in finished.items()}
    return rendered, outcome.link_seconds, len(reused)


def _publish_bundles(ready: list[ReadyPage], writer: OutputWriter) -> None:
    """Write the page-bundle files each page looked up next to its URL (/blog/hello/diagram.png).

    Raises:
        OSError: a bundle file cannot be read (deleted during the build).
    """
    for ready_page in ready:
        item, page = ready_page.item, ready_page.page
        if not isinstance(page, PreparedPage):
            continue
        folder = unquote(item.url_path).strip("/")
        for bundle_dir, names in page.scope.bundle_dirs.items():
            for name in names:
                target = f"{folder}/{name}" if folder else name
                writer.write(target, (bundle_dir / name).read_bytes())


def _raise_errors(errors: list[SsgError]) -> None:
    """Raise a single error as itself, several as one PagesFailedError listing them by URL."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        # Completion order is arbitrary: list failures by URL, as a reader scans them.
        errors.sort(key=lambda e: getattr(e, "url_path", None) or "")
        raise PagesFailedError(errors, shown=MAX_REPORTED_ERRORS)


def _output_file(site: Site, item: PlannedPage) -> str:
    """The output file of a planned page or prerendered route handler."""
    if item.route.kind is RouteKind.HANDLER:
        return handler_output_file(item.url_path)
    return page_output_file(item.url_path, trailing_slash=site.config.trailing_slash)


async def _write(
    site: Site,
    writer: OutputWriter,
    results: dict[str, RouteResult],
    rendered: dict[str, tuple[PlannedPage, FinishedPage]],
    now: float,
    indexed: tuple[str, ...] = (),
) -> tuple[Manifest, tuple[str, ...]]:
    """Copy public/ and the theme's assets, write 404.html and the manifest.

    Returns:
        The manifest, and the links of 404.html.
    """
    _check_public_files(site, rendered)
    writer.copy_tree(site.config.public_dir, inside=site.config.site_dir)
    writer.copy_assets(site.theme)
    _settle_results(results, rendered)
    # The static 404.html answers every missing URL, so it names none (url_path "").
    not_found = render_not_found(site, "", strict=True)
    writer.write("404.html", not_found.body)
    manifest = build_manifest(
        site,
        results.values(),
        (page.record for _item, page in rendered.values()),
        now,
        indexed=[url_path for url_path in indexed if url_path in rendered],
    )
    _write_static_host_files(site, writer, manifest.redirects)
    write_manifest(writer.staging_dir, manifest)
    return manifest, extract_links(not_found.body)


def _write_static_host_files(
    site: Site, writer: OutputWriter, redirects: dict[str, PageRecord]
) -> None:
    """Write out/_redirects and out/_headers (after the site's own public/ ones, if any)."""
    config = site.config
    base_path = config.base_path
    rules = render_redirects(redirects, base_path=base_path, trailing_slash=config.trailing_slash)
    headers = render_headers(base_path=base_path) if site.theme.assets else ""
    for name, generated in ((REDIRECTS_FILE, rules), (HEADERS_FILE, headers)):
        text = merged(config.public_dir / name, generated)
        if text:
            writer.write(name, text.encode("utf-8"))


def _output_files(staging: Path) -> set[str]:
    """Every file under the staging folder, as "/"-separated relative paths."""
    files: set[str] = set()
    for folder, _dirs, names in os.walk(staging):
        relative = os.path.relpath(folder, staging)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        files.update(prefix + name for name in names)
    return files


def _check_links(
    site: Site,
    files: set[str],
    results: dict[str, RouteResult],
    rendered: dict[str, tuple[PlannedPage, FinishedPage]],
    not_found_links: tuple[str, ...],
    manifest: Manifest,
) -> list[BrokenLink]:
    """The links of every written page (and 404.html) that nothing in the build answers.

    A link is answered by a prerendered page, a file of the output (as static
    hosts look it up: `x`, `x.html`, `x/index.html`), or, with `output =
    "server"`, a route that renders per request or on demand (a dynamic route
    with `dynamic_params = True`; unlisted params of one with
    `dynamic_params = False` are broken).
    """
    config = site.config
    pages = manifest.pages
    serves = config.output != "export"

    def answers(url_path: str) -> bool:
        if url_path in pages:
            return True
        relative = unquote(url_path).strip("/")
        if not relative:
            return "index.html" in files
        if relative in files or f"{relative}.html" in files or f"{relative}/index.html" in files:
            return True
        match = site.table.match(url_path) if serves else None
        if match is None:
            return False
        result = results[match.route.route_pattern]
        if result.render == "dynamic":
            return True
        return match.route.is_dynamic_pattern and result.dynamic_params

    listed = [(url_path, page.links) for url_path, (_item, page) in sorted(rendered.items())]
    listed.append(("404.html", not_found_links))
    return find_broken_links(
        listed,
        answers=answers,
        base_path=config.base_path,
        trailing_slash=config.trailing_slash,
    )


def _settle_results(
    results: dict[str, RouteResult], rendered: dict[str, tuple[PlannedPage, FinishedPage]]
) -> None:
    """Give each route its URL paths, its lowest page revalidate and its render kind."""
    for url_path, (item, page) in sorted(rendered.items()):
        result = results[item.route.route_pattern]
        result.url_paths.append(url_path)
        result.revalidate = result.revalidate.lowest(page.record.revalidate)
    for result in results.values():
        if result.render is not RenderKind.DYNAMIC and result.revalidate.is_timed:
            result.render = RenderKind.ISR
        elif result.render is RenderKind.SSG and not result.route.is_dynamic_pattern:
            result.render = RenderKind.STATIC
