"""Phase B of the build on one or two cores: split the pages, fork a render worker for one share.

Phase A awaited every page's data in the build process, so the build-wide request
memo saw every fetch. With many pages a forked worker (`ssg.builder.worker`)
inherits the prepared pages, finishes and writes its share, and sends back only
small picklable summaries.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from ssg.builder.finish import FinishOutcome, PageJob, finish_in_process
from ssg.builder.heap import frozen_heap
from ssg.builder.worker import RenderWorker, rebuild_error
from ssg.builder.writer import OutputWriter
from ssg.render.renderer import RenderedPage
from ssg.site import Site

PARALLEL_MIN_PAGES = 300
"""Below this many pages a second process costs more (fork, page faults) than it saves."""


def finish_pages(
    site: Site,
    jobs: list[PageJob],
    writer: OutputWriter,
    on_progress: Callable[[int], None] | None = None,
    known_links: Mapping[str, tuple[str, ...]] | None = None,
) -> FinishOutcome:
    """Finish and write every job; from PARALLEL_MIN_PAGES jobs a forked child takes half.

    The child gets about half the jobs, whole output folders at a time (see
    `split_by_folder`), writes its files into the same staging folder, and must not touch
    the event loop, the HTTP session or the data store: it only renders and writes.

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
    if not _should_fork(len(jobs)):
        return finish_in_process(site, jobs, writer, on_progress, known_links)
    # Frozen objects are skipped by the collector: neither process's collections
    # walk (and so copy-on-write) the prepared pages and the site they share.
    with frozen_heap() as heap:
        heap.freeze()
        mine, theirs = split_by_folder(jobs)
        child = RenderWorker.fork(site, theirs, writer, known_links)
        try:

            def progress(done: int) -> None:
                # Polling also drains the pipe, so the child never waits on a full one.
                child_done = child.poll()
                if on_progress is not None:
                    on_progress(done + child_done)

            outcome = finish_in_process(site, mine, writer, progress, known_links)
            report = child.report()
        finally:
            child.close()
    if report.bug is not None:
        raise RuntimeError(f"a bug in ssg in the render worker process:\n{report.bug}")
    if on_progress is not None:
        on_progress(len(jobs))  # the child's last pages, if this process finished first
    outcome.finished.extend(report.finished)
    outcome.not_found.extend(report.not_found)
    outcome.errors.extend(rebuild_error(failure) for failure in report.failures)
    outcome.link_seconds += report.link_seconds
    return outcome


PREPARED_WEIGHT = 4
"""A page still to render costs about this many pages already rendered (a redirect
phase A finished needs only its write, and often a new folder); bench/ measures it."""


def split_by_folder(jobs: list[PageJob]) -> tuple[list[PageJob], list[PageJob]]:
    """Two shares of about equal work that keep output folders whole where they can.

    Work is counted in weights: a job whose page still needs its templates weighs
    `PREPARED_WEIGHT`, a page phase A finished (a redirect, a route handler) 1.
    Creating files in one directory takes that directory's lock, so two processes
    writing into the same folder wait on each other (on ext4, alternating pages
    between processes is slower than whole folders per process).
    Whole folders are dealt heaviest first to the lighter share; when the shares
    still differ by more than 5 % of the work, the heavier one hands the excess
    (from its last, lightest folders) to the other.

    | output folders (pages to render)  | shares (pages)                 |
    | --------------------------------- | ------------------------------ |
    | blog (750), tags (40), "" (10)    | 400, 400 (blog cut in two)     |
    | a (52), b (48)                    | 52, 48 (both whole: within 5 %) |
    | a (6), b (4)                      | 5, 5 (a cut: 1 page over 5 %)  |
    | blog (24), old (240 redirects)    | 24 + 72 redirects, 168 redirects |
    """
    folders: dict[str, list[PageJob]] = {}
    for job in jobs:
        folders.setdefault(job.output_file.rpartition("/")[0], []).append(job)
    shares: tuple[list[PageJob], list[PageJob]] = ([], [])
    loads = [0, 0]
    for group in sorted(folders.values(), key=_group_weight, reverse=True):
        lighter = 0 if loads[0] <= loads[1] else 1
        shares[lighter].extend(group)
        loads[lighter] += _group_weight(group)
    heavy = 0 if loads[0] >= loads[1] else 1
    if loads[heavy] - loads[1 - heavy] > sum(loads) // 20:
        excess = (loads[heavy] - loads[1 - heavy]) // 2
        moved: list[PageJob] = []
        while excess > 0 and shares[heavy]:
            job = shares[heavy].pop()
            moved.append(job)
            excess -= _weight(job)
        shares[1 - heavy].extend(reversed(moved))
    return shares


def _weight(job: PageJob) -> int:
    return 1 if isinstance(job.page, RenderedPage) else PREPARED_WEIGHT


def _group_weight(group: list[PageJob]) -> int:
    return sum(_weight(job) for job in group)


def _should_fork(count: int) -> bool:
    if count < PARALLEL_MIN_PAGES or not hasattr(os, "fork"):
        return False
    # The CPUs this process may run on (a container's cpuset), else all of them.
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (usable or 1) >= 2
