"""What a build keeps for the next one, written by a forked child while the build process reports."""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import sys
import traceback
import warnings
from collections.abc import Callable
from types import TracebackType
from typing import NoReturn

from ssg.syscalls import die_with_parent

_LENGTH = struct.Struct("!Q")


class Keeper:
    """Runs the writes a build leaves for the next build in a forked child, then waits for it.

    Once out/ is switched, a build still writes what only the next build reads (its
    records, the pages' links, the input stamps of the short cut); that work needs
    nothing the build process does afterwards. A child forked with the build's memory
    does it while the build process prints its summary; leaving the block waits for
    the child, so when `ssg build` exits, everything is written as if done inline.
    The child dies with the build process (a build killed with SIGKILL leaves no
    process behind; each file is written whole or not at all, as inline).

    Use as a context manager around the build and its report:

        with Keeper() as keeper:
            result = asyncio.run(build_site(config, keeper=keeper))
            print_report(result, console)
    """

    def __init__(self) -> None:
        self._pid: int | None = None
        self._read_fd: int | None = None
        self._handoff: Handoff | None = None

    def __enter__(self) -> Keeper:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.wait()

    def run(self, work: Callable[[], None]) -> None:
        """Run `work` in a forked child; here and now where no child can be forked.

        `work` must handle the errors it expects (a folder it cannot write) itself;
        anything else it raises is a bug, raised again by `wait`.

        Raises:
            Exception: whatever `work` raised, when it ran here.
        """
        if not self._fork(work):
            work()

    def _fork(self, work: Callable[[], None]) -> bool:
        """Run `work` in a forked child; False (and nothing run) where no child can be forked."""
        if self._pid is not None:
            raise RuntimeError("a Keeper runs one child at a time")
        if not hasattr(os, "fork"):
            return False
        read_fd, write_fd = os.pipe()
        parent_pid = os.getpid()
        try:
            with warnings.catch_warnings():
                # Python 3.12+ warns when forking with threads alive (an idle executor, a
                # progress bar's refresh thread): the child takes no lock they could hold,
                # it only writes files under the cache folder and calls os._exit.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:  # no memory or process left for a child: the caller works here
            os.close(read_fd)
            os.close(write_fd)
            return False
        if pid == 0:
            os.close(read_fd)
            _child_main(work, write_fd, parent_pid)
        os.close(write_fd)
        self._pid, self._read_fd = pid, read_fd
        return True

    def start(self, early: Callable[[], None], late: Callable[[bytes], None]) -> Handoff:
        """Run `early` in a forked child now, and `late` there once the caller hands it its data.

        For work that can begin before the build ends but needs what the build does last
        (a result known after the link check and the switch of out/): the child runs
        `early()` while this process goes on, then waits for `Handoff.finish(data)` and runs
        `late(data)`; after `Handoff.cancel()` (the build failed) it leaves without running
        `late`. Where no child can be forked, both run here when `finish` is called.

        Raises:
            RuntimeError: this Keeper runs a child already.
        """
        if self._pid is not None:
            raise RuntimeError("a Keeper runs one child at a time")
        read_fd, write_fd = os.pipe()

        def work() -> None:
            os.close(write_fd)
            early()
            data = _read_message(read_fd)
            if data:
                late(data)

        forked = self._fork(work)
        os.close(read_fd)
        if not forked:
            os.close(write_fd)
        self._handoff = Handoff(early, late, write_fd if forked else None)
        return self._handoff

    def wait(self) -> None:
        """Wait for the child, if one runs.

        Raises:
            RuntimeError: a bug in ssg in the child, carrying its traceback text;
                or the child was killed before it finished (its files are then
                whole or absent: the next build is slower, never wrong).
        """
        if self._handoff is not None:
            self._handoff.cancel()  # not handed its data by now: it never will be
            self._handoff = None
        if self._pid is None or self._read_fd is None:
            return
        pid, read_fd = self._pid, self._read_fd
        self._pid = self._read_fd = None
        chunks = []
        with contextlib.suppress(OSError):
            while chunk := os.read(read_fd, 1 << 16):
                chunks.append(chunk)
        os.close(read_fd)
        _pid, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code == -signal.SIGINT:
            raise KeyboardInterrupt  # Ctrl-C reached the whole process group
        if code != 0:
            found = b"".join(chunks).decode("utf-8", "replace")
            how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            raise RuntimeError(
                f"the process keeping the build's records for the next build (pid {pid}) {how}"
                + (f":\n{found}" if found else "")
            )


def _child_main(work: Callable[[], None], write_fd: int, parent_pid: int) -> NoReturn:
    """Run `work`, send a bug's traceback through `write_fd`, and leave with os._exit.

    os._exit: no atexit handlers and no finalizers, which belong to the build process
    (its event loop, data store, site modules' open files).
    """
    code = 0
    try:
        die_with_parent(parent_pid)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            work()
        except BaseException:
            code = 1
            data = traceback.format_exc().encode("utf-8", "replace")
            with contextlib.suppress(OSError):
                while data:
                    data = data[os.write(write_fd, data) :]
        for stream in (sys.stdout, sys.stderr):  # warnings the work logged
            with contextlib.suppress(Exception):
                stream.flush()
    except BaseException:
        code = 1
    finally:
        os._exit(code)


class Handoff:
    """The data `Keeper.start`'s child waits for: `finish(data)` once, or `cancel()`."""

    def __init__(
        self, early: Callable[[], None], late: Callable[[bytes], None], write_fd: int | None
    ) -> None:
        self.forked = write_fd is not None  # else `finish` runs the work here
        self._write_fd = write_fd
        self._early = early
        self._late = late

    def finish(self, data: bytes) -> None:
        """Hand `data` (not empty) to the child, which runs `late(data)`; or run both here.

        Raises:
            Exception: whatever `early` or `late` raised, when they ran here.
        """
        if not self.forked:
            self._early()
            self._late(data)
            return
        self._send(data)

    def cancel(self) -> None:
        """Tell the child to leave without running `late` (nothing to do without a child)."""
        if self.forked:
            self._send(b"")

    def _send(self, data: bytes) -> None:
        if self._write_fd is None:
            return  # sent already
        fd, self._write_fd = self._write_fd, None
        message = memoryview(_LENGTH.pack(len(data)) + data)
        try:
            with contextlib.suppress(BrokenPipeError):  # the child died: Keeper.wait says how
                while message:
                    message = message[os.write(fd, message) :]
        finally:
            os.close(fd)


def _read_message(fd: int) -> bytes:
    """The data of one message `Handoff._send` wrote; b"" when cancelled or closed."""
    header = _read_exactly(fd, _LENGTH.size)
    if len(header) < _LENGTH.size:
        return b""
    (length,) = _LENGTH.unpack(header)
    data = _read_exactly(fd, length)
    return data if len(data) == length else b""


def _read_exactly(fd: int, size: int) -> bytes:
    parts = []
    while size:
        part = os.read(fd, min(size, 1 << 20))
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)
