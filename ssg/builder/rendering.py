"""The render phase of a build: reuse the pages nothing changed for, prepare and finish the
others (templates, writes), publish page bundles, and report the pages that failed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import unquote

from ssg.builder.build_records import KeptPage
from ssg.builder.build_result import PlannedPage, RouteResult
from ssg.builder.finish import FinishedPage, PageJob
from ssg.builder.incremental import PreviousBuild
from ssg.builder.parallel import finish_pages
from ssg.builder.prepare import ReadyPage, prepare_all
from ssg.builder.records_writer import RecordsWriter
from ssg.builder.writer import OutputWriter, handler_output_file, page_output_file
from ssg.errors import OutputConflictError, PagesFailedError, SsgError, page_label
from ssg.render.renderer import PreparedPage
from ssg.routing.definitions import RouteKind
from ssg.scope import DataServices
from ssg.site import Site

log = logging.getLogger("ssg.builder")
MAX_REPORTED_ERRORS = 20


async def render_pages(
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
    cores for large builds (`finish_pages` forks a child that shares the pages).

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

    unchanged_pages: dict[str, KeptPage] = {}  # url path -> its record, checked once

    def unchanged(item: PlannedPage) -> bool:
        kept = previous.unchanged(item)
        if kept is not None:
            unchanged_pages[item.url_path] = kept
        return kept is not None

    def reuse(item: PlannedPage) -> bool | None:
        kept = unchanged_pages.get(item.url_path)
        if kept is None or not previous.reuse(item, kept, writer):
            return None
        reused[item.url_path] = (item, kept.page)
        recorder.keep_page(item.url_path, kept)
        return kept.indexed

    ready = await prepare_all(
        site,
        services,
        planned,
        results,
        errors,
        reuse=reuse,
        unchanged=unchanged,
    )
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
                    f"{page_label(other.route.route_pattern, other.url_path)} and "
                    f"{page_label(items[url_path].route.route_pattern, url_path)} would both be "
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
