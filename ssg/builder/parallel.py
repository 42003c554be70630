"""Phase B of the build on one or two cores: a forked render worker and this process share the pages.

Phase A awaited every page's data in the build process, so the build-wide request
memo saw every fetch. With many pages a forked worker (`ssg.builder.worker`)
inherits the prepared pages, finishes and writes the chunks it is handed, and sends
back only small picklable summaries.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from ssg.builder.finish import FinishOutcome, PageJob, finish_in_process
from ssg.builder.heap import frozen_heap
from ssg.builder.worker import ChunkQueue, RenderWorker
from ssg.builder.worker_report import rebuild_error
from ssg.builder.writer import OutputWriter
from ssg.content.early import current_early_parse
from ssg.site import Site

PARALLEL_MIN_PAGES = 300
"""Below this many pages a second process costs more (fork, page faults) than it saves."""

CHUNK_PAGES = 16
"""Pages handed out at a time (fewer on small builds, so each process gets several chunks)."""


def finish_pages(
    site: Site,
    jobs: list[PageJob],
    writer: OutputWriter,
    on_progress: Callable[[int], None] | None = None,
    known_links: Mapping[str, tuple[str, ...]] | None = None,
) -> FinishOutcome:
    """Finish and write every job; from PARALLEL_MIN_PAGES jobs a forked child shares them.

    The jobs are ordered by output folder and cut into chunks (`ChunkQueue`): this
    process takes chunks from the front, the child from the back, each asking for
    its next one when it has finished the last, until they meet. Pages cost what
    their templates do (a listing of every post costs far more than one post), so
    neither process waits for the other at the end; and creating files in one
    directory takes that directory's lock, so the two work in different folders
    until they meet. The child writes its files into the same staging folder and
    must not touch the event loop, the HTTP session or the data store: it only
    renders and writes.

    Args:
        on_progress: called with the number of jobs done so far (both processes;
            the child's count arrives between this process's pages).
        known_links: the previous build's links by page ETag (see finish_in_process).

    Returns:
        The outcome; `finished` holds this process's pages, then the child's.

    Raises:
        SsgError: the child died (killed, crashed) before sending its results.
        RuntimeError: a bug in ssg in the child, carrying its traceback text.
        Exception: a bug in ssg in this process, with its own traceback.
    """
    early = current_early_parse()
    if early is not None:
        early.close()  # no collection loaded by now takes it: its processes would compete
    if not _should_fork(len(jobs)):
        return finish_in_process(site, jobs, writer, on_progress, known_links)
    ordered = sorted(jobs, key=lambda job: job.output_file.rpartition("/")[0])
    queue = ChunkQueue(len(ordered), chunk_size(len(ordered)))
    outcome = FinishOutcome()
    # Frozen objects are skipped by the collector: neither process's collections
    # walk (and so copy-on-write) the prepared pages and the site they share.
    with frozen_heap() as heap:
        heap.freeze()
        child = RenderWorker.fork(site, ordered, queue, writer, known_links)
        try:
            done = 0

            def progress(_done_in_chunk: int) -> None:
                nonlocal done
                done += 1
                # Polling also drains the pipe and answers the child's requests for
                # chunks, so the child never waits on a full pipe or for long.
                child_done = child.poll()
                if on_progress is not None:
                    on_progress(done + child_done)

            while (chunk := queue.take_front()) is not None:
                # Reads merged as each page is done (this process's copy of the jobs).
                part = finish_in_process(site, ordered[chunk], writer, progress, known_links)
                outcome.finished.extend(part.finished)
                outcome.not_found.extend(part.not_found)
                outcome.errors.extend(part.errors)
                outcome.link_seconds += part.link_seconds
            report = child.report()
        finally:
            child.close()
    if report.bug is not None:
        raise RuntimeError(f"a bug in ssg in the render worker process:\n{report.bug}")
    if on_progress is not None:
        on_progress(len(jobs))  # the child's last pages, if this process finished first
    outcome.finished.extend(report.finished)  # their reads merged as they arrived
    outcome.not_found.extend(report.not_found)
    outcome.errors.extend(rebuild_error(failure) for failure in report.failures)
    outcome.link_seconds += report.link_seconds
    return outcome


def chunk_size(count: int) -> int:
    """Pages per chunk: CHUNK_PAGES, or fewer so that there are at least 16 chunks."""
    return max(1, min(CHUNK_PAGES, count // 16))


def _should_fork(count: int) -> bool:
    if count < PARALLEL_MIN_PAGES or not hasattr(os, "fork"):
        return False
    # The CPUs this process may run on (a container's cpuset), else all of them.
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (usable or 1) >= 2
