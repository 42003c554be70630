"""`ssg dev SITE`: serve the site from its sources, reloading pages as files change."""

from __future__ import annotations

import logging
import os
import socket
import sys
import tempfile
from pathlib import Path

from ssg.dev.process import WorkerProcess
from ssg.errors import ListenError, SiteNotFoundError

DEFAULT_PORT = 3000


def run(
    site_dir: Path, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT, strict: bool = False
) -> None:
    """Serve `site_dir` from its sources until SIGINT or SIGTERM.

    Binds host:port here (port 0 picks a free one) and starts the first
    worker at once; while it imports and loads the site, the supervisor sets up
    its watch, then prints `ssg dev serving SITE on http://HOST:PORT/BASE_PATH` (a
    browser that connects before the worker listens waits in the socket's
    backlog, never refused), and watches the site's code (see Supervisor)
    until a signal arrives.

    Args:
        site_dir: the site folder.
        host: the interface to listen on.
        port: the TCP port; 0 = any free port (the printed URL names it).
        strict: content problems (bad front matter or dates) are errors.

    Raises:
        SiteNotFoundError: the site folder does not exist.
        ListenError: host:port cannot be listened on.
        WorkerExitError: the first worker exited before serving.
    """
    if not site_dir.is_dir():
        raise SiteNotFoundError(site_dir)
    logging.getLogger("ssg").setLevel(logging.INFO)
    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # "1 change detected": ours say more
    sock = _listen(host, port)
    # The content warnings logged this session: each worker (a restart loads the content
    # again) shows only those not shown yet.
    fd, name = tempfile.mkstemp(prefix="ssg-dev-", suffix=".logged")
    os.close(fd)
    logged_file = Path(name)
    first = WorkerProcess.start(
        site_dir.resolve(), sock, 1, strict=strict, go=True, logged_file=logged_file
    )
    try:
        # Imported while the first worker starts: watchfiles, the config and route scan.
        from ssg.dev.supervisor import Supervisor

        supervisor = Supervisor(
            site_dir, sock, strict=strict, first_worker=first, logged_file=logged_file
        )
    except BaseException:
        first.stop()
        sock.close()
        logged_file.unlink(missing_ok=True)
        raise
    supervisor.handle_signals()
    try:
        supervisor.start()
        bound = sock.getsockname()[1]

        def announce() -> None:
            print(
                # With the base path: the server's root is a 404 under one (as next dev,
                # vercel/next.js#82882).
                f"ssg dev serving {site_dir} on http://{host}:{bound}{supervisor.base_path} "
                "(pages reload as you edit; Ctrl-C stops)",
                file=sys.stderr,
                flush=True,
            )

        supervisor.watch(on_watching=announce)
    finally:
        supervisor.stop()
        sock.close()
        logged_file.unlink(missing_ok=True)
    print("ssg dev stopped", file=sys.stderr, flush=True)


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port, shared with the workers.

    Raises:
        ListenError: the address cannot be listened on (see `listen_problem`).
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _name, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        from ssg.commands.serve import listen_problem  # the server stack, only for this message

        problem = listen_problem(exc, host, port) or f"cannot listen on {host}:{port}: {exc}"
        raise ListenError(problem, host=host, port=port) from exc
    sock.set_inheritable(True)
    return sock
