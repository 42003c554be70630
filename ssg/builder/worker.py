"""The forked render worker: it finishes the chunks of pages it is handed and reports through a pipe.

Protocol, worker to build process: an _ASK byte for the next chunk (sent when it starts
one, so the answer is ready when it ends), then the chunk's results as a _CHUNK_DONE
frame (a 4-byte length and a pickled WorkerReport), and last a _LAST frame (the same,
with the traceback of a bug if there was one). Build process to worker: each answer to
_ASK, a 4-byte signed chunk number (-1: none left). The build process reads the
results of each chunk as it arrives, between its own pages, so none are left to
unpickle when both are done. The worker inherits the prepared pages and the chunk list
(nothing is pickled on the way in) and leaves with os._exit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import signal
import struct
import traceback
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from ssg.builder.finish import PageJob, finish_in_process, with_phase_a_reads
from ssg.builder.worker_report import WorkerReport, failure_of
from ssg.builder.writer import OutputWriter
from ssg.errors import WorkerExitError
from ssg.render.renderer import PreparedPage
from ssg.render.templates import load_templates
from ssg.scope import DataServices
from ssg.site import Site
from ssg.syscalls import die_with_parent

_ASK = b"?"[0]
_CHUNK_DONE = b"="[0]
_LAST = b"."[0]
_CHUNK = struct.Struct("!i")
_LENGTH = struct.Struct("!I")
_NONE_LEFT = -1


class ChunkQueue:
    """Consecutive slices of `count` jobs, handed out from the front and from the back.

    The build process takes from the front and the worker (through the build process,
    which alone hands them out) from the back, so the two never take the same chunk.

    | count, size | front takes     | back takes   |
    | ----------- | --------------- | ------------ |
    | 10, 4       | 0:4, then 4:8   | 8:10         |
    | 10, 4       | 0:4             | 8:10, 4:8    |
    """

    def __init__(self, count: int, size: int) -> None:
        self.starts = list(range(0, count, size))
        self.count = count
        self._front = 0  # the next chunk from the front
        self._back = len(self.starts) - 1  # the next chunk from the back

    def take_front(self) -> slice | None:
        """The next chunk from the front, or None when every chunk is taken."""
        if self._front > self._back:
            return None
        self._front += 1
        return self.chunk(self._front - 1)

    def take_back(self) -> int:
        """The number of the next chunk from the back, or -1 when every chunk is taken."""
        if self._front > self._back:
            return _NONE_LEFT
        self._back -= 1
        return self._back + 1

    def length(self, number: int) -> int:
        """How many jobs chunk `number` holds."""
        chunk = self.chunk(number)
        return chunk.stop - chunk.start

    def chunk(self, number: int) -> slice:
        """The jobs of chunk `number`."""
        start = self.starts[number]
        end = self.starts[number + 1] if number + 1 < len(self.starts) else self.count
        return slice(start, end)


class RenderWorker:
    """A forked process finishing the chunks of jobs it is handed; it reports through a pipe."""

    def __init__(
        self, pid: int, read_fd: int, reply_fd: int, queue: ChunkQueue, jobs: list[PageJob]
    ) -> None:
        self.pid = pid
        self.count = 0  # pages handed to the worker so far
        self._read_fd = read_fd
        self._reply_fd = reply_fd
        self._queue = queue
        self._jobs = {job.url_path: job for job in jobs}
        self._received = bytearray()  # what was read and not yet taken apart
        self._results = WorkerReport([], [], [])  # the chunks reported so far
        self._ended = False  # the _LAST frame arrived
        self._status: int | None = None  # the wait status once reaped
        self._blocking = False  # the read end's mode (fork() made it non-blocking)

    @classmethod
    def fork(
        cls,
        site: Site,
        jobs: list[PageJob],
        queue: ChunkQueue,
        writer: OutputWriter,
        known_links: Mapping[str, tuple[str, ...]] | None = None,
    ) -> RenderWorker:
        """Fork a child that finishes and writes the chunks of `jobs` it is handed, starting
        with the last one (taken from `queue` here), then exits with os._exit."""
        first = queue.take_back()
        # Compiled here once, not in each process (a cold build has no bytecode cache).
        load_templates(site, _template_files(jobs))
        read_fd, write_fd = os.pipe()
        ask_fd, reply_fd = os.pipe()
        parent_pid = os.getpid()
        with warnings.catch_warnings():
            # Python 3.12+ warns when forking with threads alive (idle executor
            # workers of phase A here). The child takes no lock they could hold:
            # it only runs Jinja, writes files and calls os._exit.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            os.close(reply_fd)
            _child_main(
                site, jobs, queue, first, writer, (ask_fd, write_fd), parent_pid, known_links
            )
        os.close(write_fd)
        os.close(ask_fd)
        os.set_blocking(read_fd, False)
        worker = cls(pid, read_fd, reply_fd, queue, jobs)
        worker.count = queue.length(first) if first >= 0 else 0
        return worker

    def poll(self) -> int:
        """Read what the child sent so far without blocking; returns its pages done."""
        self._read(block=False)
        return self._results.pages

    def report(self) -> WorkerReport:
        """Wait for the child's last results and its exit; its report, every chunk's.

        Its pages' reads hold what phase A read too (as `with_phase_a_reads` gives).

        Raises:
            WorkerExitError: the child died or exited without a complete report.
            KeyboardInterrupt: the child was stopped by SIGINT (Ctrl-C).
        """
        try:
            self._read(block=True)
        except (pickle.UnpicklingError, EOFError, ValueError):  # a torn frame
            self._ended = False
        _pid, self._status = os.waitpid(self.pid, 0)
        if not self._ended:
            code = os.waitstatus_to_exitcode(self._status)
            if code == -signal.SIGINT:
                # Ctrl-C reached the whole process group: stop as the user asked
                # (the CLI says "Aborted!"), not as if the worker had crashed.
                raise KeyboardInterrupt
            how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            raise WorkerExitError(
                f"the render worker process (pid {self.pid}) {how} before sending the results "
                f"of its {self.count} pages; the build stopped and the previous output was "
                "left as it was. Run the build again; if the process keeps dying, check the "
                "machine's memory (an out-of-memory kill is signal 9)",
                exit_codes=(code,),
            )
        return self._results

    def close(self) -> None:
        """Kill the child if it still runs (this process failed first), reap it, close the pipe."""
        if self._status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            _pid, self._status = os.waitpid(self.pid, 0)
        os.close(self._read_fd)
        os.close(self._reply_fd)

    def _read(self, *, block: bool) -> None:
        """Read and act on what the child sent: answer its asks, take in its results.
        Blocking, until the child closed its end of the pipe."""
        if block != self._blocking:  # polled once a page: no two fcntl calls each time
            os.set_blocking(self._read_fd, block)
            self._blocking = block
        while True:
            try:
                chunk = os.read(self._read_fd, 1 << 16)
            except BlockingIOError:
                return
            if not chunk:
                return
            self._received += chunk
            self._take_frames()

    def _take_frames(self) -> None:
        """Act on every complete message in what was received; keep a partial frame."""
        received = self._received
        at = 0
        while at < len(received):
            kind = received[at]
            if kind == _ASK:
                self._answer()
                at += 1
                continue
            if len(received) - at < 1 + _LENGTH.size:
                break
            (length,) = _LENGTH.unpack_from(received, at + 1)
            start = at + 1 + _LENGTH.size
            if len(received) - start < length:
                break
            part = pickle.loads(received[start : start + length])
            at = start + length
            if not isinstance(part, WorkerReport):
                raise ValueError("the render worker sent something other than a report")
            # Phase A's reads are merged in here, between this process's pages, rather
            # than for every page once both are done.
            part.finished = with_phase_a_reads(part.finished, self._jobs)
            self._results.add(part)
            if kind == _LAST:
                self._ended = True
        del received[:at]

    def _answer(self) -> None:
        """Hand the worker the next chunk from the back (or none left)."""
        number = self._queue.take_back()
        if number >= 0:
            self.count += self._queue.length(number)
        with contextlib.suppress(BrokenPipeError):  # the worker died: report() says how
            _send(self._reply_fd, _CHUNK.pack(number))


def _child_main(
    site: Site,
    jobs: list[PageJob],
    queue: ChunkQueue,
    first: int,
    writer: OutputWriter,
    fds: tuple[int, int],
    parent_pid: int,
    known_links: Mapping[str, tuple[str, ...]] | None = None,
) -> NoReturn:
    """Finish the chunks handed out (from `first` on), send the report, and leave with
    os._exit (no atexit, no finalizers: the parent's event loop, HTTP session and data
    store are the parent's to close). `fds`: the pipe to read answers from and the one
    to write ticks, asks and the report to."""
    code = 0
    answers_fd, write_fd = fds
    try:
        die_with_parent(parent_pid)  # a build killed with SIGKILL takes its worker with it
        # Ctrl-C reaches the whole process group: the child just ends, the parent reports.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # One copy of each services object (the pages of a build share one), kept
        # with its original so that the id stays the original's.
        without_store: dict[int, tuple[DataServices, DataServices]] = {}
        bug = None
        try:
            number = first
            while number >= 0:
                _send(write_fd, bytes((_ASK,)))  # answered while this chunk renders
                chunk = jobs[queue.chunk(number)]
                # The data store's SQLite connection stays the parent's (a connection must
                # not cross a fork): an @ssg.cache function a template calls here runs
                # without the store (memoized in this process only), as with the cache
                # off. Only this chunk's pages are touched (each write copies a page of
                # memory shared with the parent).
                for job in chunk:
                    if isinstance(job.page, PreparedPage):
                        scope = job.page.scope
                        original = scope.services
                        kept = without_store.get(id(original))
                        if kept is None:
                            kept = (original, dataclasses.replace(original, store=None))
                            without_store[id(original)] = kept
                        scope.services = kept[1]
                # Phase B's reads only: the build process merges them into the jobs'
                # (writing to the shared Reads here would copy their memory pages).
                outcome = finish_in_process(
                    site, chunk, writer, None, known_links, merge_reads=False
                )
                report = WorkerReport(
                    outcome.finished,
                    outcome.not_found,
                    [failure_of(error) for error in outcome.errors],
                    link_seconds=outcome.link_seconds,
                )
                _send(write_fd, _frame(_CHUNK_DONE, report))
                (number,) = _CHUNK.unpack(_read_exactly(answers_fd, _CHUNK.size))
        except BaseException:
            bug = traceback.format_exc()
        _send(write_fd, _frame(_LAST, WorkerReport([], [], [], bug)))
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _template_files(jobs: list[PageJob]) -> list[Path]:
    """The page and layout templates of the jobs' routes, each once."""
    routes = {
        id(job.page.match.route): job.page.match.route
        for job in jobs
        if isinstance(job.page, PreparedPage)
    }
    files: dict[Path, None] = {}
    for route in routes.values():
        for layout in route.layouts:
            files[layout.template_file] = None
        if route.page_file is not None and route.page_file.suffix != ".md":  # page.md: no template
            files[route.page_file] = None
    return list(files)


def _frame(kind: int, report: WorkerReport) -> bytes:
    """A results message: its kind, the pickled report's length, the pickled report."""
    data = pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL)
    return bytes((kind,)) + _LENGTH.pack(len(data)) + data


def _read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        part = os.read(fd, size - len(data))
        if not part:
            raise EOFError("the build process closed the pipe")
        data += part
    return data


def _send(write_fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(write_fd, view) :]
