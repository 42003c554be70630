"""The build's phases after the short cut: load the site, plan, render, write the site's other
files (public/, assets, 404.html, manifest), check links, swap out/ in, keep the records."""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

from ssg.builder.build_records import record_inputs
from ssg.builder.build_result import BuildResult, PlannedPage, RouteResult
from ssg.builder.export import check_export
from ssg.builder.file_stamps import start_marker
from ssg.builder.finish import FinishedPage
from ssg.builder.heap import FrozenHeap, frozen_heap
from ssg.builder.incremental import PreviousBuild
from ssg.builder.links import (
    BrokenLink,
    broken_links_message,
    extract_links,
    find_broken_links,
    load_known_links,
    write_known_links,
)
from ssg.builder.manifest import build_manifest, write_manifest
from ssg.builder.planner import plan_pages
from ssg.builder.records_writer import RecordsWriter
from ssg.builder.rendering import render_pages
from ssg.builder.static_hosts import (
    HEADERS_FILE,
    REDIRECTS_FILE,
    merged,
    mime_type_mismatches,
    render_headers,
    render_redirects,
    warn_mime_types,
)
from ssg.builder.unchanged import BuildSummary, build_settings, write_snapshot
from ssg.builder.writer import OutputWriter, check_out_dir
from ssg.config import SiteConfig
from ssg.content.memo import collections_read
from ssg.content.specs import write_collection_specs
from ssg.errors import BrokenLinksError, OutputConflictError
from ssg.records import Manifest, RenderKind
from ssg.render.services import make_services
from ssg.render.special_pages import render_not_found
from ssg.scope import Clock, DataServices, ServiceMode
from ssg.site import Site

log = logging.getLogger("ssg.builder")


async def run_build(
    config: SiteConfig,
    *,
    clock: Clock,
    on_progress: Callable[[int, int], None] | None,
    strict: bool,
    include_drafts: bool,
    force: bool,
    remove_old_in_background: bool,
    started: float,
) -> BuildResult:
    """Build the site into config.out_dir (`ssg.builder.builder.build_site` without its short cut).

    Arguments and errors are build_site's; `started` is `time.perf_counter()` at its start.
    """
    check_out_dir(
        config.out_dir,
        site_dir=config.site_dir,
        guarded=(config.app_dir, config.public_dir, config.cache_dir),
    )
    started_ns = start_marker(config.cache_dir)
    content_warnings = _Collected()
    logging.getLogger("ssg.content").addHandler(content_warnings)
    try:
        with frozen_heap() as heap:
            return await _build(
                config,
                heap,
                clock=clock,
                on_progress=on_progress,
                strict=strict,
                include_drafts=include_drafts,
                force=force,
                remove_old_in_background=remove_old_in_background,
                started=started,
                started_ns=started_ns,
                content_warnings=content_warnings,
            )
    finally:
        logging.getLogger("ssg.content").removeHandler(content_warnings)


class _Collected(logging.Handler):
    """Keeps the messages of warnings logged (the content problems an unchanged build repeats)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def _build(
    config: SiteConfig,
    heap: FrozenHeap,
    *,
    clock: Clock,
    on_progress: Callable[[int, int], None] | None,
    strict: bool,
    include_drafts: bool,
    force: bool,
    remove_old_in_background: bool,
    started: float,
    started_ns: int | None,
    content_warnings: _Collected,
) -> BuildResult:
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
        results, planned, params_calls = await plan_pages(site, services, previous, recorder)
        # The site, its modules and the content planned from live to the build's end.
        heap.freeze()
        # An incremental build updates out/ in place; a full render swaps a new one in.
        writer = OutputWriter(
            config.out_dir,
            remove_old_in_background=remove_old_in_background,
            in_place=previous.records is not None,
        )
        known_links = {} if force else load_known_links(config.cache_dir)
        rendered, link_seconds, reused = await render_pages(
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
        started_check = time.thread_time()
        files = writer.output_files()
        # Nothing rendered and the same files as the last build: the same links, answered
        # by the same pages and files, so the same broken ones (the records keep them).
        links_key = previous.links_key(files, not_found_links)
        kept_broken = previous.broken_links(links_key) if reused == len(rendered) else None
        if kept_broken is not None:
            broken = kept_broken
        else:
            broken = _check_links(site, files, results, rendered, not_found_links, manifest)
        recorder.links = (links_key, broken)
        link_seconds += time.thread_time() - started_check
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
    result = BuildResult(
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
    try:
        _keep_snapshot(
            site,
            services,
            recorder,
            result,
            started_ns=started_ns,
            settings=build_settings(config, include_drafts=include_drafts, strict=strict),
            warnings=tuple(content_warnings.messages),
        )
    # Only the next build's speed depends on it: a route result a site made unpicklable
    # costs the short cut, never the build.
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        log.warning("Could not keep the input stamps in %s: %s", config.cache_dir, exc)
    return result


def _keep_snapshot(
    site: Site,
    services: DataServices,
    recorder: RecordsWriter,
    result: BuildResult,
    *,
    started_ns: int | None,
    settings: str,
    warnings: tuple[str, ...],
) -> None:
    """Keep the stamps of this build's inputs for the next build's short cut (`ssg.builder.unchanged`)."""
    config = site.config
    records = recorder.saved
    if records is None:
        started_ns = None  # no records: nothing says which files the pages read
        files: set[str] = set()
        content_dirs: set[Path] = set()
        volatile = True
    else:
        files, content_dirs, volatile = record_inputs(records, config.site_dir)
    content_dirs.update(Path(spec.content_dir) for spec in collections_read(services))
    write_snapshot(
        config,
        started_ns=started_ns,
        settings=settings,
        roots=[config.site_dir, site.theme.theme_dir, *content_dirs],
        files=files,
        volatile=volatile,
        next_due_at=result.next_due_at,
        summary=BuildSummary(
            routes=result.routes,
            manifest=replace(result.manifest, pages={}),
            pages_written=result.pages_written,
            broken_links=result.broken_links,
            exported=result.exported,
            warnings=warnings,
        ),
    )


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
    _write_static_host_files(site, writer, manifest)
    write_manifest(writer.staging_dir, manifest)
    return manifest, extract_links(not_found.body)


def _write_static_host_files(site: Site, writer: OutputWriter, manifest: Manifest) -> None:
    """Write out/_redirects and out/_headers (after the site's own public/ ones, if any)."""
    config = site.config
    base_path = config.base_path
    rules = render_redirects(
        manifest.redirects, base_path=base_path, trailing_slash=config.trailing_slash
    )
    pages = manifest.pages.values()
    headers = render_headers(pages, base_path=base_path, assets=bool(site.theme.assets))
    if config.output == "export":  # ssg serve sends each page's own type
        warn_mime_types(mime_type_mismatches(pages))
    for name, generated in ((REDIRECTS_FILE, rules), (HEADERS_FILE, headers)):
        text = merged(config.public_dir / name, generated)
        if text:
            writer.write(name, text.encode("utf-8"))


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
