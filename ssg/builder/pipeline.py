"""The build's phases after the short cut: load the site, plan, render, write the site's other
files (public/, assets, 404.html, manifest), check links, swap out/ in, keep the records."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import pickle
import time
from collections.abc import Callable

from ssg.builder.build_result import BuildResult, PlannedPage
from ssg.builder.export import check_export
from ssg.builder.file_stamps import output_names, start_marker
from ssg.builder.finish import FinishedPage
from ssg.builder.heap import FrozenHeap, frozen_heap
from ssg.builder.incremental import PreviousBuild
from ssg.builder.keeper import Handoff, Keeper
from ssg.builder.link_check import answers_key, check_links
from ssg.builder.links import broken_links_message, load_known_links
from ssg.builder.next_build import keep_for_next_build
from ssg.builder.out_folder import check_out_dir
from ssg.builder.planner import plan_pages
from ssg.builder.records_writer import RecordsWriter
from ssg.builder.rendering import render_pages
from ssg.builder.site_files import write_site_files
from ssg.builder.unchanged import Taken, build_settings
from ssg.builder.writer import OutputWriter
from ssg.config import SiteConfig
from ssg.content.cache import ContentCache
from ssg.content.cache_file import collector_paused
from ssg.content.memo import unsaved_content_caches
from ssg.errors import BrokenLinksError
from ssg.records import Manifest
from ssg.render.services import make_services
from ssg.scope import Clock, DataServices, ServiceMode
from ssg.site import Site

log = logging.getLogger("ssg.builder")

BACKGROUND_CACHE_MIN_FILES = 64
"""From this many content files parsed, their cache is written by a forked child."""

BACKGROUND_KEEP_MIN_PAGES = 300
"""From this many pages rendered, what the next build reads is written by the Keeper's child."""


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
    keeper: Keeper | None = None,
    taken: Taken | None = None,
) -> BuildResult:
    """Build the site into config.out_dir (`ssg.builder.builder.build_site` without its short cut).

    Arguments and errors are build_site's; `started` is `time.perf_counter()` at its start;
    `taken` is what the short cut stamped before it (`ssg.builder.unchanged.short_cut`).
    With a `keeper` and BACKGROUND_KEEP_MIN_PAGES pages rendered, what the next build
    reads is written by its forked child (`Keeper.start`): forked once the pages are
    rendered, it digests what they read while this process finishes the build, and
    writes once handed the rest (the link check, the manifest); else it is written here
    before returning.
    """
    check_out_dir(
        config.out_dir,
        site_dir=config.site_dir,
        guarded=(config.app_dir, config.public_dir, config.cache_dir),
    )
    started_ns = start_marker(config.cache_dir)
    content_warnings = _Collected()
    for name in _REPEATED_LOGGERS:
        logging.getLogger(name).addHandler(content_warnings)
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
                keeper=keeper,
                taken=taken,
            )
    finally:
        for name in _REPEATED_LOGGERS:
            logging.getLogger(name).removeHandler(content_warnings)


_REPEATED_LOGGERS = ("ssg.content", "ssg.layouts", "ssg.routing")
"""The warnings about the sources (content problems, layouts without children) that a build
keeps, so a build that finds nothing changed repeats them."""


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
    keeper: Keeper | None,
    taken: Taken | None,
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
    content_cache = Keeper()
    handoff: Handoff | None = None
    try:
        # The last build's records and the content live to the build's end: the collector
        # would walk them again and again to free nothing. It runs again for planning,
        # which runs the site's own code (generate_static_params), whose cyclic garbage
        # must be freed before what lives on is frozen.
        with collector_paused():
            previous = PreviousBuild(
                site, services, force=force, include_drafts=include_drafts, strict=strict
            )
            recorder = RecordsWriter(site, previous)
            # What changed since the last build (planning asks it first) loads the content
            # the records' digests read. The records and that content are frozen before
            # the collector runs again: its next young collections would walk them all.
            previous.changed_ids()
            heap.freeze()
        results, planned, params_calls = await plan_pages(site, services, previous, recorder)
        # The site, its modules and the content planned from live to the build's end.
        heap.freeze()
        _save_content_caches(services, content_cache)
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
        content_cache.wait()
        _save_content_caches(services, None)  # content first loaded after planning
        # After a few pages (an edit), the fork and its copied memory cost what it saves.
        if keeper is not None and len(rendered) - reused >= BACKGROUND_KEEP_MIN_PAGES:
            # The child digests what the pages read while this process writes the site's
            # other files, checks the links and switches out/; then it writes the records.
            handoff = keeper.start(
                recorder.warm_digests,
                functools.partial(
                    _keep_handed,
                    site,
                    services,
                    recorder,
                    rendered,
                    started_ns=started_ns,
                    settings=build_settings(config, include_drafts=include_drafts, strict=strict),
                    taken=taken,
                ),
            )
        if config.output == "export":
            check_export(site, results.values(), (p.record for _, p in rendered.values()))
        indexed = services.page_index.url_paths or ()
        manifest, not_found_links = await write_site_files(
            site, writer, results, rendered, clock(), indexed, previous.kept_manifest()
        )
        started_check = time.thread_time()
        files = writer.output_files()
        # The same pages, files and routes as the last build: the links of the pages
        # that did not change have the answers they had (`check_links`).
        links_key = answers_key(site, files, results, manifest, not_found_links)
        broken = check_links(
            site,
            files,
            results,
            rendered,
            not_found_links,
            manifest,
            kept=previous.kept_links(links_key),
        )
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
        page_files = {page.record.output_file for _item, page in rendered.values()}
        outputs = output_names(files, page_files)
    except BaseException:
        if handoff is not None:
            handoff.cancel()  # no records for a build that failed
        with contextlib.suppress(Exception):  # the build's own error is the one to report
            content_cache.wait()
            _save_content_caches(services, None)  # a rebuild after the fix parses nothing again
        if writer is not None:
            writer.discard()
        raise
    finally:
        await services.aclose()
    changed, never_kept = previous.changed_inputs()
    result = BuildResult(
        out_dir=config.out_dir,
        routes=list(results.values()),
        pages_written=len(manifest.pages),
        seconds=time.perf_counter() - started,
        manifest=manifest,
        params_calls=params_calls,
        next_due_at=_next_due(services.schedule.next_due_at, manifest),
        broken_links=broken,
        link_check_seconds=link_seconds,
        exported=config.output == "export",
        pages_rendered=len(rendered) - reused,
        pages_reused=reused,
        pages_removed=previous.pages_removed(manifest.pages.keys()),
        full_render_reason=previous.full_reason,
        changed_inputs=tuple(changed),
        never_kept=tuple(never_kept),
    )
    warnings = tuple(content_warnings.messages)
    if handoff is not None:
        try:
            # What the child has not got: what this process did after forking it.
            data = pickle.dumps(
                (recorder.links, _summary(result), warnings, outputs),
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        except (pickle.PicklingError, TypeError, AttributeError):
            handoff.cancel()  # a route result a site made unpicklable: written here (see below)
        else:
            handoff.finish(data)
            return result
    keep_for_next_build(
        site,
        services,
        recorder,
        result,
        _page_links(rendered),
        outputs=outputs,
        started_ns=started_ns,
        settings=build_settings(config, include_drafts=include_drafts, strict=strict),
        warnings=warnings,
        taken=taken,
    )
    return result


def _summary(result: BuildResult) -> BuildResult:
    """The result without the manifest's pages (the next build's short cut keeps none)."""
    return dataclasses.replace(result, manifest=dataclasses.replace(result.manifest, pages={}))


def _page_links(
    rendered: dict[str, tuple[PlannedPage, FinishedPage]],
) -> list[tuple[str, tuple[str, ...]]]:
    """(ETag, links) of the pages written that have links (`write_known_links`)."""
    return [(page.record.etag, page.links) for _item, page in rendered.values() if page.links]


def _keep_handed(
    site: Site,
    services: DataServices,
    recorder: RecordsWriter,
    rendered: dict[str, tuple[PlannedPage, FinishedPage]],
    data: bytes,
    *,
    started_ns: int | None,
    settings: str,
    taken: Taken | None,
) -> None:
    """`keep_for_next_build` in the Keeper's child, with what the build process handed it."""
    recorder.links, result, warnings, outputs = pickle.loads(data)
    keep_for_next_build(
        site,
        services,
        recorder,
        result,
        _page_links(rendered),
        outputs=outputs,
        started_ns=started_ns,
        settings=settings,
        warnings=warnings,
        taken=taken,
    )


def _save_content_caches(services: DataServices, keeper: Keeper | None) -> None:
    """Write the content parsed by this build and not written yet, for the next build.

    With a `keeper` and a large parse, its forked child writes it (while this process
    prepares the pages on one core); else it is written here, where a fork would
    cost more than the write.
    """
    caches = unsaved_content_caches(services)
    if not caches:
        return
    if keeper is None or sum(cache.parsed for cache in caches) < BACKGROUND_CACHE_MIN_FILES:
        _save_all(caches)
        return
    keeper.run(functools.partial(_save_all, caches))
    for cache in caches:
        cache.mark_saved()  # by the child, which this process waits for before the build ends


def _save_all(caches: list[ContentCache]) -> None:
    for cache in caches:
        cache.save()  # logs a failure to write: only the next build's speed depends on it


def _next_due(noted: float | None, manifest: Manifest) -> float | None:
    """The earliest due date of the build: the renders' and the reused pages' records'
    (a page reused from an earlier build still counts down to its scheduled post)."""
    dates = [page.due_at for page in manifest.pages.values() if page.due_at is not None]
    if noted is not None:
        dates.append(noted)
    return min(dates, default=None)
