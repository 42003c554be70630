"""Phase B of the build: finish prepared pages (Jinja only) and write them, on one or two cores.

Phase A awaited every page's data in the build process, so the build-wide request
memo saw every fetch. With many pages a forked child inherits the prepared pages
(nothing is pickled on the way in), finishes and writes every other one, and sends
back only small picklable summaries through a pipe.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import signal
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, NoReturn
from urllib.parse import unquote

from ssg.build.writer import OutputWriter
from ssg.errors import BuildError, NotFound, SsgError, TemplateError
from ssg.render.renderer import PreparedPage, RenderedPage, finish_page
from ssg.render.templates import template_frame
from ssg.site import Site

PARALLEL_MIN_PAGES = 300
"""Below this many pages a second process costs more (fork, page faults) than it saves."""
_TICK = b"+"  # the child sends one per page done (progress), then _END and its pickled report
_END = b"="
_WORKER_NOTE = "failed in the render worker process (see the message above for the details)"


@dataclass(frozen=True)
class PageJob:
    """One page for phase B.

    Attributes:
        route_pattern: e.g. "/blog/[slug]".
        url_path: e.g. "/blog/hello".
        output_file: where it is written, relative to the output folder.
        page: the prepared page, or a page phase A finished (a handler, a redirect).
    """

    route_pattern: str
    url_path: str
    output_file: str
    page: PreparedPage | RenderedPage


@dataclass(frozen=True)
class FinishedPage:
    """A written page as the manifest describes it: no body, so it pickles small.

    Attributes:
        etag: '"' + 16 hex digits of the body's SHA-256 + '"'.
        size_bytes: the body's length.
        (the others as in RenderedPage and PageJob)
    """

    url_path: str
    output_file: str
    status: int
    content_type: str
    revalidate_seconds: float | None
    tags: tuple[str, ...]
    location: str | None
    etag: str
    size_bytes: int


class PageFailure(NamedTuple):
    """A page error as the child sends it (custom SsgError subclasses may not unpickle)."""

    route_pattern: str
    url_path: str
    message: str
    template_file: str | None
    line: int | None


@dataclass
class FinishOutcome:
    """What phase B did: pages written, pages that called not_found(), page errors."""

    finished: list[FinishedPage] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    errors: list[BuildError] = field(default_factory=list)


@dataclass
class _ChildReport:
    finished: list[FinishedPage]
    not_found: list[str]
    failures: list[PageFailure]
    bug: str | None = None  # the formatted traceback of a bug in ssg


def page_error(site: Site, route_pattern: str, url_path: str, exc: BaseException) -> BuildError:
    """Wrap a page's failure with its route and URL; the cause stays in __cause__."""
    where = f"{route_pattern} ({unquote(url_path)})"
    if isinstance(exc, SsgError):
        # Messages that already name the page (a relative fetch with no route) keep theirs.
        message = str(exc) if str(exc).startswith(where) else f"{where}: {exc}"
    else:
        file, line = template_frame(exc, site)
        location = f" at {file}:{line}" if file else ""
        message = f"{where}: {type(exc).__name__}: {exc}{location}"
    error = BuildError(message, route_pattern=route_pattern, url_path=url_path)
    error.__cause__ = exc
    return error


def finish_pages(
    site: Site,
    jobs: list[PageJob],
    writer: OutputWriter,
    on_progress: Callable[[int], None] | None = None,
) -> FinishOutcome:
    """Finish and write every job; from PARALLEL_MIN_PAGES jobs a forked child takes half.

    The child gets about half the jobs, whole output folders at a time (see
    `split_by_folder`), writes its files into the same staging folder, and must not touch
    the event loop, the HTTP session or the data store: it only renders and writes.

    Args:
        on_progress: called with the number of jobs done so far (both processes;
            the child's count arrives between this process's pages).

    Returns:
        The outcome; `finished` holds this process's pages, then the child's.

    Raises:
        SsgError: the child died (killed, crashed) before sending its results.
        RuntimeError: a bug in ssg in the child, carrying its traceback text.
        Exception: a bug in ssg in this process, with its own traceback.
    """
    if not _should_fork(len(jobs)):
        return _finish_share(site, jobs, writer, on_progress)
    # Frozen objects are skipped by the collector: neither process's collections
    # walk (and so copy-on-write) the prepared pages and the site they share.
    gc.freeze()
    try:
        mine, theirs = split_by_folder(jobs)
        child = _Child.fork(site, theirs, writer)
        try:

            def progress(done: int) -> None:
                # Polling also drains the pipe, so the child never waits on a full one.
                child_done = child.poll()
                if on_progress is not None:
                    on_progress(done + child_done)

            outcome = _finish_share(site, mine, writer, progress)
            report = child.report()
        finally:
            child.close()
    finally:
        gc.unfreeze()
    if report.bug is not None:
        raise RuntimeError(f"a bug in ssg in the render worker process:\n{report.bug}")
    if on_progress is not None:
        on_progress(len(jobs))  # the child's last pages, if this process finished first
    outcome.finished.extend(report.finished)
    outcome.not_found.extend(report.not_found)
    outcome.errors.extend(_rebuild(failure) for failure in report.failures)
    return outcome


PREPARED_WEIGHT = 4
"""A page still to render costs about this many pages already rendered (a redirect
phase A finished needs only its write, and often a new folder): measured on
examples/blog with rust-blog, ~0.4 ms against ~0.1 ms per page."""


def split_by_folder(jobs: list[PageJob]) -> tuple[list[PageJob], list[PageJob]]:
    """Two shares of about equal work that keep output folders whole where they can.

    Work is counted in weights: a job whose page still needs its templates weighs
    `PREPARED_WEIGHT`, a page phase A finished (a redirect, a route handler) 1.
    Creating files in one directory takes that directory's lock, so two processes
    writing into the same folder wait on each other (measured on ext4: alternating
    pages cost 0.3-0.5 s more on 2,500 pages than whole folders per process).
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
    excess = (loads[heavy] - loads[1 - heavy]) // 2
    if excess > sum(loads) // 20:
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


def _finish_share(
    site: Site, jobs: list[PageJob], writer: OutputWriter, on_done: Callable[[int], None] | None
) -> FinishOutcome:
    """Finish and write `jobs` in this process.

    Raises:
        Exception: a bug in ssg (no site or theme frame in its traceback).
    """
    outcome = FinishOutcome()
    for done, job in enumerate(jobs, 1):
        try:
            page = job.page if isinstance(job.page, RenderedPage) else finish_page(site, job.page)
        except NotFound:
            # not_found() from a template: no file, as when the data calls it.
            outcome.not_found.append(job.url_path)
        except Exception as exc:
            if not isinstance(exc, SsgError) and template_frame(exc, site)[0] is None:
                raise  # no site file in the traceback: a bug in ssg, keep its traceback
            outcome.errors.append(page_error(site, job.route_pattern, job.url_path, exc))
        else:
            writer.write(job.output_file, page.body)
            outcome.finished.append(
                FinishedPage(
                    url_path=job.url_path,
                    output_file=job.output_file,
                    status=page.status,
                    content_type=page.content_type,
                    revalidate_seconds=page.revalidate_seconds,
                    tags=page.tags,
                    location=page.location,
                    etag='"' + hashlib.sha256(page.body).hexdigest()[:16] + '"',
                    size_bytes=len(page.body),
                )
            )
        if on_done is not None:
            on_done(done)
    return outcome


def _failure(site: Site, error: BuildError) -> PageFailure:
    cause = error.__cause__
    file: str | None = None
    line: int | None = None
    if isinstance(cause, TemplateError):
        file, line = cause.template_file, cause.line
    elif cause is not None:
        file, line = template_frame(cause, site)
    return PageFailure(error.route_pattern, error.url_path, str(error), file, line)


def _rebuild(failure: PageFailure) -> BuildError:
    error = BuildError(
        failure.message, route_pattern=failure.route_pattern, url_path=failure.url_path
    )
    if failure.template_file is not None:
        error.__cause__ = TemplateError(
            _WORKER_NOTE, template_file=failure.template_file, line=failure.line
        )
    return error


class _Child:
    """A forked process finishing a share of the jobs; it reports through a pipe."""

    def __init__(self, pid: int, read_fd: int, count: int) -> None:
        self.pid = pid
        self.count = count
        self._read_fd = read_fd
        self._ticks = 0
        self._payload = bytearray()
        self._ended = False  # _END seen: the rest is the pickled report
        self._status: int | None = None  # the wait status once reaped

    @classmethod
    def fork(cls, site: Site, jobs: list[PageJob], writer: OutputWriter) -> _Child:
        """Fork a child that finishes and writes `jobs`, then exits with os._exit."""
        read_fd, write_fd = os.pipe()
        with warnings.catch_warnings():
            # Python 3.12+ warns when forking with threads alive (idle executor
            # workers of phase A here). The child takes no lock they could hold:
            # it only runs Jinja, writes files and calls os._exit.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child_main(site, jobs, writer, write_fd)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        return cls(pid, read_fd, len(jobs))

    def poll(self) -> int:
        """Read what the child sent so far without blocking; returns its pages done."""
        self._read(block=False)
        return self._ticks

    def report(self) -> _ChildReport:
        """Wait for the child's report and its exit.

        Raises:
            SsgError: the child died or exited without a complete report.
        """
        self._read(block=True)
        _pid, self._status = os.waitpid(self.pid, 0)
        try:
            report = pickle.loads(self._payload) if self._ended else None
        except Exception:  # a torn report: the child died while sending it
            report = None
        if not isinstance(report, _ChildReport):
            code = os.waitstatus_to_exitcode(self._status)
            how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            raise SsgError(
                f"the render worker process (pid {self.pid}) {how} before sending the results "
                f"of its {self.count} pages; the build stopped and the previous output was "
                "left as it was. Run the build again; if the process keeps dying, check the "
                "machine's memory (an out-of-memory kill is signal 9)"
            )
        return report

    def close(self) -> None:
        """Kill the child if it still runs (this process failed first), reap it, close the pipe."""
        if self._status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            _pid, self._status = os.waitpid(self.pid, 0)
        os.close(self._read_fd)

    def _read(self, *, block: bool) -> None:
        os.set_blocking(self._read_fd, block)
        while True:
            try:
                chunk = os.read(self._read_fd, 1 << 16)
            except BlockingIOError:
                return
            if not chunk:
                return
            if self._ended:
                self._payload += chunk
                continue
            ticks, end, rest = chunk.partition(_END)
            self._ticks += len(ticks)
            if end:
                self._ended = True
                self._payload += rest


def _child_main(site: Site, jobs: list[PageJob], writer: OutputWriter, write_fd: int) -> NoReturn:
    """Finish `jobs`, send the report, and leave with os._exit (no atexit, no finalizers:
    the parent's event loop, HTTP session and data store are the parent's to close)."""
    code = 0
    try:
        # Ctrl-C reaches the whole process group: the child just ends, the parent reports.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # The data store's SQLite connection stays the parent's (a connection must
        # not cross a fork): an @ssg.cache function a template calls here runs
        # without the store (memoized in this process only), as with the cache off.
        for job in jobs:
            if isinstance(job.page, PreparedPage):
                job.page.scope.services.store = None
        report = _ChildReport([], [], [])
        try:
            outcome = _finish_share(site, jobs, writer, lambda _done: _send(write_fd, _TICK))
            report = _ChildReport(
                outcome.finished,
                outcome.not_found,
                [_failure(site, error) for error in outcome.errors],
            )
        except BaseException:
            report.bug = traceback.format_exc()
        _send(write_fd, _END + pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL))
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _send(write_fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(write_fd, view) :]
