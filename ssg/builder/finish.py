"""Finish prepared pages (their templates) and write them, in one process."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ssg.builder.links import LinkReader, is_internal
from ssg.builder.writer import OutputWriter
from ssg.errors import BuildError, NotFound, SsgError, page_label
from ssg.reads import Reads, collect_reads
from ssg.records import PageRecord
from ssg.render.rendered_page import RenderedPage
from ssg.render.renderer import PreparedPage, finish_page
from ssg.render.templates import template_frame
from ssg.site import Site


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class PageJob:
    """One page for phase B.

    Attributes:
        route_pattern: e.g. "/blog/[slug]".
        url_path: e.g. "/blog/hello".
        output_file: where it is written, relative to the output folder.
        page: the prepared page, or a page phase A finished (a handler, a redirect).
        reads: what phase A read, to which phase B adds the templates and entry
            fields it reads (for the incremental build's records); None records nothing.
    """

    route_pattern: str
    url_path: str
    output_file: str
    page: PreparedPage | RenderedPage
    reads: Reads | None = None


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class FinishedPage:
    """A written page: its record (no body, so it pickles small) and its links.

    Attributes:
        record: the page as the manifest holds it; `generated_at` is 0 until the
            manifest stamps the build's end time.
        links: the internal href/src values of an HTML page (`extract_links`), else ();
            for the link check, not part of the record.
        reads: everything its render read (both phases), or None when not recorded;
            only what phase B read when it was finished with `merge_reads=False`
            (`with_phase_a_reads` adds the rest).
    """

    record: PageRecord
    links: tuple[str, ...] = ()
    reads: Reads | None = None


@dataclass(eq=False)  # identity equality: no generated __eq__
class FinishOutcome:
    """What phase B did: pages written, pages that called not_found(), page errors, and the
    CPU seconds spent reading links out of the pages (the link check's share of the build)."""

    finished: list[FinishedPage] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    errors: list[BuildError] = field(default_factory=list)
    link_seconds: float = 0.0


def page_error(site: Site, route_pattern: str, url_path: str, exc: BaseException) -> BuildError:
    """Wrap a page's failure with its route, URL, and the file and line where known.

    The cause stays in __cause__.
    """
    where = page_label(route_pattern, url_path)
    file, line = _failure_location(site, exc)
    if isinstance(exc, SsgError):
        # Messages that already name the page (a relative fetch with no route) keep theirs.
        message = str(exc) if str(exc).startswith(where) else f"{where}: {exc}"
    else:
        location = f" at {file}:{line}" if file else ""
        message = f"{where}: {type(exc).__name__}: {exc}{location}"
    error = BuildError(
        message, route_pattern=route_pattern, url_path=url_path, source_file=file, line=line
    )
    error.__cause__ = exc
    return error


def _failure_location(site: Site, exc: BaseException) -> tuple[str | None, int | None]:
    """(file, line) of a page failure: from the error's fields, else its traceback."""
    source_file = getattr(exc, "source_file", None)
    if isinstance(exc, SsgError) and isinstance(source_file, str):
        line = getattr(exc, "line", None)
        return source_file, line if isinstance(line, int) else None
    return template_frame(exc, site)


def is_html(content_type: str) -> bool:
    """True for an HTML Content-Type ("text/html; charset=utf-8")."""
    return content_type.split(";", 1)[0].strip().lower() == "text/html"


def finish_in_process(
    site: Site,
    jobs: list[PageJob],
    writer: OutputWriter,
    on_done: Callable[[int], None] | None,
    known_links: Mapping[str, tuple[str, ...]] | None = None,
    *,
    merge_reads: bool = True,
) -> FinishOutcome:
    """Finish and write `jobs` in this process, calling `on_done(pages done so far)`.

    `known_links` (ETag -> links, from the previous build) spares reading the
    links of a page whose bytes did not change. With `merge_reads=False` a
    finished page's reads are only those of its templates (phase B), and the
    jobs' own Reads are left as they were: a forked worker then sends back (and
    the processes copy-on-write) far less; `with_phase_a_reads` merges them later.

    Raises:
        Exception: a bug in ssg (no site or theme frame in its traceback).
    """
    outcome = FinishOutcome()
    reader = LinkReader(known_links)
    for done, job in enumerate(jobs, 1):
        reads = job.reads
        try:
            if isinstance(job.page, RenderedPage):
                page = job.page
            elif reads is None:
                page = finish_page(site, job.page)
            else:
                with collect_reads() as reads:
                    page = finish_page(site, job.page)
                if merge_reads:
                    assert job.reads is not None
                    job.reads.merge(reads)
                    reads = job.reads
        except NotFound:
            # not_found() from a template: no file, as when the data calls it.
            outcome.not_found.append(job.url_path)
        except Exception as exc:
            if not isinstance(exc, SsgError) and template_frame(exc, site)[0] is None:
                raise  # no site file in the traceback: a bug in ssg, keep its traceback
            outcome.errors.append(page_error(site, job.route_pattern, job.url_path, exc))
        else:
            writer.write(job.output_file, page.body)
            record = page.to_record(
                url_path=job.url_path,
                route_pattern=job.route_pattern,
                output_file=job.output_file,
                generated_at=0.0,
            )
            links: tuple[str, ...] = ()
            if page.location is not None:
                # A redirect page's one link is its target: no need to parse it.
                links = (page.location,) if is_internal(page.location) else ()
            elif is_html(page.content_type):
                reader.add(len(outcome.finished), page.body, record.etag)  # links: below
            outcome.finished.append(FinishedPage(record, links, reads))
            if reader.due:
                _take_links(outcome, reader)
        if on_done is not None:
            on_done(done)
    _take_links(outcome, reader)
    return outcome


def with_phase_a_reads(
    finished: list[FinishedPage], jobs: Sequence[PageJob] | Mapping[str, PageJob]
) -> list[FinishedPage]:
    """`finished` (from `finish_in_process(..., merge_reads=False)`) with each page's reads
    merged into its job's (phase A's), as `merge_reads=True` would have given them.

    Args:
        jobs: the jobs, or the jobs by URL path (kept by a caller that merges often).

    Side effect: the jobs' Reads are updated in place.
    """
    by_url = jobs if isinstance(jobs, Mapping) else {job.url_path: job for job in jobs}
    merged = []
    for page in finished:
        job = by_url[page.record.url_path]
        if page.reads is not None and job.reads is not None and page.reads is not job.reads:
            job.reads.merge(page.reads)
            page = FinishedPage(page.record, page.links, job.reads)
        merged.append(page)
    return merged


def _take_links(outcome: FinishOutcome, reader: LinkReader) -> None:
    """Give the finished pages the reader has queued their links."""
    finished = outcome.finished
    for index, links in reader.read():
        page = finished[index]
        # Built directly: dataclasses.replace looks the fields up again for every page.
        finished[index] = FinishedPage(page.record, links, page.reads)
    outcome.link_seconds = reader.seconds
