"""The entry of a dev worker process: `python -c "...; from ssg.dev.entry import main; main()" ARGS`.

Light to import: the server stack is imported by `main`, in the worker only.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from ssg.dev.process import SupervisorLink


def main() -> None:
    """Read the arguments `WorkerProcess.start` passed, then run `ssg.dev.worker.worker_main`.

    Arguments (after `-c ...`): SITE_DIR GENERATION SOCKET_FD CONTROL_FD STATUS_FD
    STRICT ("--strict" or "") LOGGED_FILE (the session's content warnings, or ""); the
    three numbers are inherited file descriptors.
    """
    site_dir, generation, sock_fd, control_fd, status_fd, strict, logged = sys.argv[1:8]
    link = SupervisorLink(int(control_fd), int(status_fd))
    sock = socket.socket(fileno=int(sock_fd))

    from ssg.dev.worker import worker_main  # aiohttp, the renderer...: only in the worker

    worker_main(
        Path(site_dir),
        sock,
        generation,
        strict == "--strict",
        link,
        logged_file=Path(logged) if logged else None,
    )
