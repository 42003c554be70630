"""A cold build's content parse, begun before the build asks for it: forked processes parse
the site's `content/` folder while the build process imports its renderers and loads the site.

`ssg build` starts it (`early_parse`) when nothing of an earlier parse is kept; the
first `load_files` of the build takes its results (`EarlyParse.take`) when it asks for
exactly the files it parsed (the same folder, files and sizes, no body filter), and
otherwise stops it and parses as usual. The parse of a file does not depend on which
process runs it or when: the entries are those `load_entries` gives.

Processes: the first child scans the folder (`scan_content`, the default patterns),
cuts the files into chunks, queues their numbers in a pipe, makes the lexers of the
fence languages it samples, then forks the other parsers (one per CPU in all), which
inherit them. Each takes chunk numbers from the pipe until it is empty and sends back,
in a pipe of its own, the first child a manifest (the files and their sizes), then
every chunk's pickled `LoadedFile`s, from a thread, so that a parser never waits for
the build process to read.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from queue import SimpleQueue
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from ssg.content.parsing import LoadedFile

EARLY_FOLDER = "content"
"""The folder parsed ahead, under the site folder: where a site keeps its posts."""

_CHUNK = struct.Struct("!i")
_FRAME = struct.Struct("!iQ")  # chunk number (_MANIFEST for the manifest), length in bytes
_MANIFEST = -1

_current: ContextVar[EarlyParse | None] = ContextVar("ssg_early_parse", default=None)


def current_early_parse() -> EarlyParse | None:
    """The early parse of the build running in this context, if one was started and not taken."""
    return _current.get()


@contextlib.contextmanager
def early_parse(site_dir: Path, cache_dir: Path, *, force: bool = False) -> Iterator[bool]:
    """Parse `site_dir/content` in forked processes during the block, for the build inside it.

    Started only for a cold build: `force`, or no content cache kept under `cache_dir`
    (a build that keeps its parses reads them instead, and parses a few files at most);
    and only where this process may fork (Linux, one thread, two CPUs or more). The
    processes end with the block (or with this process), taken or not.

    Args:
        site_dir: the site folder.
        cache_dir: the build's cache folder (`SiteConfig.cache_dir`).
        force: the build ignores what earlier builds kept (`ssg build --force`).

    Yields:
        Whether the parse started (this process then waits for it, later, idle).
    """
    from ssg.content.cache import CACHE_FOLDER

    started = None
    content_dir = site_dir / EARLY_FOLDER
    kept = cache_dir / CACHE_FOLDER
    if content_dir.is_dir() and (force or not _holds_files(kept)):
        started = EarlyParse.start(content_dir.resolve())
    token = _current.set(started)
    try:
        yield started is not None
    finally:
        _current.reset(token)
        if started is not None:
            started.close()


def _holds_files(folder: Path) -> bool:
    try:
        with os.scandir(folder) as found:
            return any(True for _ in found)
    except OSError:
        return False


class EarlyParse:
    """The processes parsing a content folder ahead of the build, and what they sent so far."""

    def __init__(self, content_dir: Path, pid: int, result_fds: list[int]) -> None:
        self.content_dir = content_dir
        self._pid: int | None = pid
        self._fds = result_fds  # the read ends of the parsers' pipes still open
        self._first = result_fds[0]  # the first parser's, which sends the manifest
        self._received = {fd: bytearray() for fd in result_fds}
        self._manifest: tuple[list[str], list[int], list[list[int]]] | None = None
        self._chunks: dict[int, bytes] = {}

    @classmethod
    def start(cls, content_dir: Path, workers: int | None = None) -> EarlyParse | None:
        """Fork the first parser of `content_dir` (absolute, symlinks resolved); None where
        this process may not fork (not Linux, other threads alive, one CPU)."""
        from ssg.content.pool import default_workers

        workers = default_workers() if workers is None else workers
        if workers < 2 or not hasattr(os, "fork") or threading.active_count() != 1:
            return None
        pipes = [os.pipe() for _ in range(workers)]
        parent_pid = os.getpid()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            for read_fd, _write_fd in pipes:
                os.close(read_fd)
            _first_parser(content_dir, [write_fd for _read_fd, write_fd in pipes], parent_pid)
        for _read_fd, write_fd in pipes:
            os.close(write_fd)
        return cls(content_dir, pid, [read_fd for read_fd, _write_fd in pipes])

    def take(
        self, source_files: Sequence[str], content_dir: Path, sizes: Sequence[int] | None
    ) -> list[LoadedFile] | None:
        """Every file's parse, when the parsers parse exactly `source_files` of `content_dir`
        (sizes as given); else None. Either way the parse is over afterwards (`close`).

        Waits for the parsers to finish. A chunk a parser did not send (it died) is
        parsed here.

        Returns:
            One `LoadedFile` per file, in the order of `source_files`, or None.
        """
        try:
            manifest = self._wait_for_manifest() if content_dir == self.content_dir else None
            if manifest is None:
                return None
            names, found_sizes, chunks = manifest
            if list(source_files) != names or (sizes is not None and list(sizes) != found_sizes):
                return None
            results: list[LoadedFile | None] = [None] * len(names)
            while self._fds:
                self._read(block=True)
                # Each chunk as it arrives, while the parsers go on with the others.
                for number, data in self._chunks.items():
                    for index, item in zip(chunks[number], pickle.loads(data), strict=True):
                        results[index] = item
                self._chunks.clear()
            self._reap()
            missing = [index for index, item in enumerate(results) if item is None]
            if missing:
                from ssg.content.parsing import load_entries

                parsed = load_entries([names[i] for i in missing], str(content_dir))
                for index, item in zip(missing, parsed, strict=True):
                    results[index] = item
            return [item for item in results if item is not None]
        finally:
            self.close()

    def close(self) -> None:
        """Stop the parsers if they still run (the first takes the others with it: they die
        with it), reap it."""
        for fd in self._fds:
            os.close(fd)
        self._fds = []
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            self._reap()
        self._chunks.clear()

    def _reap(self) -> None:
        if self._pid is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
            self._pid = None

    def _wait_for_manifest(self) -> tuple[list[str], list[int], list[list[int]]] | None:
        """The first parser's manifest (the files, their sizes, the chunks), or None when it
        ended without one (nothing to parse: too few files; or it died)."""
        while self._manifest is None and self._first in self._fds:
            self._read(block=True, only=self._first)
        return self._manifest

    def _read(self, *, block: bool, only: int | None = None) -> None:
        """Read what the parsers sent; a pipe at its end is closed and forgotten."""
        fds = [only] if only is not None else list(self._fds)
        ready, _, _ = select.select(fds, [], [], None if block else 0)
        for fd in ready:
            data = os.read(fd, 1 << 20)
            if not data:
                os.close(fd)
                self._fds.remove(fd)
                continue
            received = self._received[fd]
            received += data
            self._take_frames(received)

    def _take_frames(self, received: bytearray) -> None:
        at = 0
        while len(received) - at >= _FRAME.size:
            number, length = _FRAME.unpack_from(received, at)
            start = at + _FRAME.size
            if len(received) - start < length:
                break
            data = bytes(received[start : start + length])
            at = start + length
            if number == _MANIFEST:
                self._manifest = pickle.loads(data)
            else:
                self._chunks[number] = data
        del received[:at]


def _first_parser(content_dir: Path, write_fds: list[int], parent_pid: int) -> NoReturn:
    """The first child: scan, queue the chunks, make the lexers, fork the other parsers,
    parse; wait for them and leave with os._exit (the build process's exit handlers are
    its own)."""
    code = 0
    try:
        from ssg.syscalls import die_with_parent

        die_with_parent(parent_pid)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        from ssg.content.highlight import preload_lexers
        from ssg.content.pool import (
            FENCE_SAMPLE_FILES,
            PARALLEL_MIN_FILES,
            fence_languages,
            graded_chunks,
            import_parsers,
        )
        from ssg.content.scan import DEFAULT_EXCLUDE, DEFAULT_PATTERNS, scan_content

        stamps = scan_content(content_dir, DEFAULT_PATTERNS, DEFAULT_EXCLUDE)
        names = [str(content_dir / stamp.relative_name) for stamp in stamps]
        sizes = [stamp.size_bytes for stamp in stamps]
        if len(names) < PARALLEL_MIN_FILES:  # the pool would not run either: parsed there
            chunks: list[list[int]] = []
        else:
            chunks = graded_chunks(len(names), sizes, len(write_fds), two_ended=False)
        queue_fd, fill_fd = os.pipe()
        _write_all(fill_fd, b"".join(_CHUNK.pack(number) for number in range(len(chunks))))
        os.close(fill_fd)  # the queue ends when it is empty
        import_parsers()
        step = -(-len(names) // FENCE_SAMPLE_FILES) if names else 1
        preload_lexers(fence_languages(names[::step]))
        children = []
        first_pid = os.getpid()
        for number, write_fd in enumerate(write_fds[1:], start=1):
            pid = os.fork()
            if pid == 0:
                die_with_parent(first_pid)  # `close` kills the first parser only
                for other in (write_fds[0], *write_fds[number + 1 :]):  # open here still
                    os.close(other)
                _parse(content_dir, names, chunks, queue_fd, write_fd, None)
            children.append(pid)
            os.close(write_fd)
        manifest = pickle.dumps((names, sizes, chunks), protocol=pickle.HIGHEST_PROTOCOL)
        _parse(content_dir, names, chunks, queue_fd, write_fds[0], manifest, children)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _parse(
    content_dir: Path,
    names: list[str],
    chunks: list[list[int]],
    queue_fd: int,
    write_fd: int,
    manifest: bytes | None,
    children: Sequence[int] = (),
) -> NoReturn:
    """Parse the chunks taken from the queue, sending each from a thread; then wait for
    `children` and leave with os._exit."""
    code = 0
    try:
        from ssg.content.pool import load_pickled

        outbox: SimpleQueue[tuple[int, bytes] | None] = SimpleQueue()
        sender = threading.Thread(target=_send_all, args=(outbox, write_fd), daemon=True)
        sender.start()
        if manifest is not None:
            outbox.put((_MANIFEST, manifest))
        while data := os.read(queue_fd, _CHUNK.size):
            (number,) = _CHUNK.unpack(data)
            outbox.put((number, load_pickled([names[i] for i in chunks[number]], str(content_dir))))
        outbox.put(None)
        sender.join()
        for pid in children:
            os.waitpid(pid, 0)  # they die with this process: it outlives them
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _send_all(outbox: SimpleQueue[tuple[int, bytes] | None], write_fd: int) -> None:
    with contextlib.suppress(OSError):  # the build process stopped reading: it stops us too
        for number, data in iter(outbox.get, None):
            _write_all(write_fd, _FRAME.pack(number, len(data)) + data)
    os.close(write_fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
