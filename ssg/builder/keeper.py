"""What a build keeps for the next one, written by a forked child while the build process reports."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Callable
from types import TracebackType
from typing import NoReturn

from ssg.syscalls import die_with_parent


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
        if self._pid is not None:
            raise RuntimeError("a Keeper runs one child at a time")
        if not hasattr(os, "fork"):
            work()
            return
        read_fd, write_fd = os.pipe()
        parent_pid = os.getpid()
        try:
            with warnings.catch_warnings():
                # Python 3.12+ warns when forking with threads alive (an idle executor, a
                # progress bar's refresh thread): the child takes no lock they could hold,
                # it only writes files under the cache folder and calls os._exit.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:  # no memory or process left for a child: write them here
            os.close(read_fd)
            os.close(write_fd)
            work()
            return
        if pid == 0:
            os.close(read_fd)
            _child_main(work, write_fd, parent_pid)
        os.close(write_fd)
        self._pid, self._read_fd = pid, read_fd

    def wait(self) -> None:
        """Wait for the child, if one runs.

        Raises:
            RuntimeError: a bug in ssg in the child, carrying its traceback text;
                or the child was killed before it finished (its files are then
                whole or absent: the next build is slower, never wrong).
        """
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
