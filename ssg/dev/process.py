"""A dev worker process and the two pipes the supervisor and the worker talk through.

The supervisor starts each worker with `subprocess` and a one-line `-c` entry
(not `multiprocessing`, whose spawn start re-imports the parent's main module
and starts a resource tracker process: both on the path to the first page).
The listening socket is inherited as a file descriptor. One byte per message:

| pipe                  | byte | meaning                                              |
| --------------------- | ---- | ---------------------------------------------------- |
| supervisor -> worker  | g    | go: load the site and serve (a standby waits for it)  |
| supervisor -> worker  | r    | replaced: a newer worker serves; pages reload on stop |
| supervisor -> worker  | EOF  | the supervisor is gone: stop                          |
| worker -> supervisor  | R    | ready: accepting connections                          |
| worker -> supervisor  | S    | served: the first response is out                     |
| worker -> supervisor  | EOF  | the worker exited                                     |

This module imports only the standard library, so `ssg dev` starts its first
worker before it imports anything else.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

GO = b"g"
REPLACED = b"r"
READY = b"R"
SERVED = b"S"

WORKER_STOP_TIMEOUT_SECONDS = 5.0

_SSG_FOLDER = Path(__file__).resolve().parents[2]
"""The folder this ssg was imported from (the one holding the `ssg` package)."""

_ENTRY = (
    # Ctrl-C reaches the whole process group: the supervisor stops its workers itself
    # (SIGTERM), so a standby still importing must not die with a traceback.
    "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "from ssg.dev.entry import main; main()"
)


@dataclass
class WorkerProcess:
    """The supervisor's handle on one worker process.

    Attributes:
        number: the worker's sequence number in this `ssg dev` (1 for the first).
        generation: its id, sent in its pages' live-reload script ("PID-NUMBER").
        process: the child process.
        control_fd: write end of the supervisor -> worker pipe.
        status_fd: read end of the worker -> supervisor pipe.
        ready_at: `time.monotonic()` when it said ready, or None.
        served: it has sent its first response.
    """

    number: int
    generation: str
    process: subprocess.Popen[bytes]
    control_fd: int
    status_fd: int
    ready_at: float | None = None
    served: bool = False
    _exited: bool = field(default=False, repr=False)

    @classmethod
    def start(
        cls,
        site_dir: Path,
        sock: socket.socket,
        number: int,
        *,
        strict: bool,
        go: bool,
        logged_file: Path | None = None,
    ) -> WorkerProcess:
        """Start a worker on `sock`; it imports ssg, then waits for `go` (sent now if `go`).

        `logged_file` is the session's record of the content warnings logged
        (see `ssg.dev.logged_once`), shared by every worker of one `ssg dev`.

        Raises:
            OSError: the process could not be started.
        """
        generation = f"{os.getpid()}-{number}"
        control_read, control_write = os.pipe()
        status_read, status_write = os.pipe()
        args = [
            sys.executable,
            *_safe_path(),
            "-c",
            _ENTRY,
            str(site_dir),
            generation,
            str(sock.fileno()),
            str(control_read),
            str(status_write),
            "--strict" if strict else "",
            str(logged_file) if logged_file is not None else "",
        ]
        try:
            process = subprocess.Popen(args, pass_fds=(sock.fileno(), control_read, status_write))
        finally:
            os.close(control_read)
            os.close(status_write)
        worker = cls(number, generation, process, control_write, status_read)
        if go:
            worker.send(GO)
        return worker

    def send(self, message: bytes) -> None:
        """Write one message to the worker (ignored when it has exited)."""
        with contextlib.suppress(OSError):  # BrokenPipeError: it exited (see `exit_code`)
            os.write(self.control_fd, message)

    def poll(self, timeout_seconds: float = 0.0) -> None:
        """Read the worker's messages, waiting up to `timeout_seconds` for the first one.

        Updates `ready_at` and `served`; an end of file means the worker exited.
        """
        wait = timeout_seconds
        while not self._exited:
            readable, _, _ = select.select([self.status_fd], [], [], wait)
            if not readable:
                return
            data = os.read(self.status_fd, 64)
            if not data:
                self._exited = True
                return
            if READY in data and self.ready_at is None:
                self.ready_at = time.monotonic()
            if SERVED in data:
                self.served = True
            wait = 0.0  # then read what else is there without waiting

    def wait_ready(self, timeout_seconds: float) -> bool:
        """Wait until the worker accepts connections (True) or exits or times out (False)."""
        deadline = time.monotonic() + timeout_seconds
        while self.ready_at is None and not self._exited:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.poll(left)
        return self.ready_at is not None

    def is_alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None

    @property
    def exit_code(self) -> int | None:
        """The exit code (negative: the signal that ended it), or None while it runs."""
        return self.process.poll()

    def stop(self) -> None:
        """SIGTERM, wait up to WORKER_STOP_TIMEOUT_SECONDS, then SIGKILL; close the pipes."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(WORKER_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self.control_fd, self.status_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.control_fd = self.status_fd = -1


class SupervisorLink:
    """The worker's side of the pipes (see the table above).

    Args:
        control_fd: read end of the supervisor -> worker pipe.
        status_fd: write end of the worker -> supervisor pipe.
    """

    def __init__(self, control_fd: int, status_fd: int) -> None:
        self.control_fd = control_fd
        self.status_fd = status_fd
        self._replaced = False
        self._gone = False
        self._served = False

    def wait_for_go(self) -> bool:
        """Block until the supervisor says go (True) or is gone (False)."""
        while True:
            data = os.read(self.control_fd, 64)
            if not data:
                self._gone = True
                return False
            self._replaced = self._replaced or REPLACED in data
            if GO in data:
                os.set_blocking(self.control_fd, False)
                return True

    def read(self) -> bool:
        """Take the messages waiting (never blocks); return False once the supervisor is gone."""
        while not self._gone:
            try:
                data = os.read(self.control_fd, 64)
            except BlockingIOError:
                break
            if not data:
                self._gone = True
                break
            self._replaced = self._replaced or REPLACED in data
        return not self._gone

    def replaced(self) -> bool:
        """True once the supervisor said a newer worker serves."""
        self.read()
        return self._replaced

    def tell_ready(self) -> None:
        """Tell the supervisor this worker accepts connections."""
        self._tell(READY)

    def tell_served(self) -> None:
        """Tell the supervisor the first response is out (once; later calls do nothing)."""
        if not self._served:
            self._served = True
            self._tell(SERVED)

    def _tell(self, message: bytes) -> None:
        with contextlib.suppress(OSError):  # the supervisor is gone: `read` notices it
            os.write(self.status_fd, message)


def _safe_path() -> list[str]:
    """`-P` (Python 3.11+: no current folder at the front of sys.path) unless this ssg was
    itself found through the current folder (`python -m ssg` in a checkout).

    `python -c` puts the current folder first, where a folder named `ssg` (a clone of
    ssg beside the site, even an empty folder) would be imported instead of the ssg
    that runs `ssg dev`; the `ssg` command itself never looks there.
    """
    try:
        here = Path.cwd().resolve()
    except OSError:  # the current folder was removed
        return ["-P"]
    return [] if here == _SSG_FOLDER else ["-P"]
