"""`ssg serve SITE`: the ISR server over out/, building first when there is no build.

With `--workers N > 1` a supervisor starts N worker processes that share the
port (SO_REUSEPORT) and the ISR entries on disk (see ssg.isr.locks).
"""

from __future__ import annotations

import errno
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from multiprocessing.connection import wait
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from types import FrameType

from ssg.builder.manifest import load_manifest
from ssg.builder.out_folder import recover_output
from ssg.config import load_config
from ssg.errors import ListenError, ShutdownError, SsgError, WorkerExitError
from ssg.server.access_log import ACCESS_LOGGER, AccessLogBuffer, access_logger_class
from ssg.server.app import BACKEND_KEY, CONFIG_KEY, backend_line, create_app
from ssg.server.runner import run_server
from ssg.syscalls import die_with_parent, sigint_blocked

logger = logging.getLogger("ssg.server")

CACHE_URL_ENV = "SSG_CACHE_URL"

DEFAULT_WORKERS = 1
"""One worker by default: each extra worker loads the whole site again (plus the
supervisor), so memory grows faster than throughput; bench/serve.py prints both."""


def run(
    site_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    prewarm: bool = False,
    access_log: bool = True,
    workers: int = DEFAULT_WORKERS,
    cache_url: str | None = None,
    out_dir: Path | None = None,
) -> None:
    """Serve `site_dir` until SIGINT or SIGTERM; switch to each new build without a restart.

    A build that `ssg build` swaps into out/ is loaded and switched to within
    about a second (watched), as is the build in out/ on SIGHUP (after copying
    files into out/ in place, e.g. rsync); requests in flight finish on the
    build they started with (see ssg.server.builds). With workers, the
    supervisor forwards SIGHUP to each, and each watches out/ itself.

    Builds the site first when out/ holds no build. Each worker handles the
    signals (see ssg.server.runner.run_server): it stops accepting
    connections, lets requests finish for `shutdown_grace_seconds` and answers
    the rest 503, then lets in-flight regenerations finish or cancels them
    (entries are never torn). A supervisor forwards SIGINT/SIGTERM to workers.

    Args:
        site_dir: the site folder.
        host: the interface to listen on.
        port: the TCP port.
        prewarm: regenerate stale ISR pages without waiting for visitors.
        access_log: one line per request on the "ssg.access" logger (batched, see
            AccessLogBuffer).
        workers: server processes sharing the port; 1 serves in this process.
        cache_url: share ISR state through this Redis URL (overrides the
            `cache_url` setting and $SSG_CACHE_URL; workers inherit it).
        out_dir: the build folder to serve (`--out`; relative to the cwd), instead
            of the config's out_dir.

    Raises:
        SsgError: the config, the build or the site is broken (the CLI prints
            it); with workers, a worker that fails to start stops the others.
    """
    # SIGHUP means "reload" once serving; before that it must not end the process.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    stamp_logs()
    # A bad --cache-url is reported as the flag's, before it goes on to the workers.
    config = load_config(site_dir, cache_url=cache_url, out_dir=out_dir)
    if cache_url is not None:
        # Through the environment, so the workers' load_config sees it too.
        os.environ[CACHE_URL_ENV] = cache_url
    logging.getLogger("ssg").setLevel(logging.INFO)
    recover_output(config.out_dir)  # a build killed while switching out/ left it aside
    manifest = load_manifest(config.out_dir)
    if manifest is None:
        from ssg.commands import build

        logger.info("No build in %s yet: building the site first.", config.out_dir)
        build.run(site_dir, out_dir=out_dir)
        manifest = load_manifest(config.out_dir)
    if workers <= 1:
        serve_worker(site_dir, host, port, prewarm, access_log, reuse_port=False, out_dir=out_dir)
        return
    # The workers serve the build's base path (see served_build), announced here.
    base_path = manifest.base_path if manifest is not None else config.base_path
    _supervise(site_dir, host, port, base_path, prewarm, access_log, workers, out_dir)


def serve_worker(
    site_dir: Path,
    host: str,
    port: int,
    prewarm: bool,
    access_log: bool,
    *,
    reuse_port: bool,
    on_ready: Callable[[int], None] | None = None,
    out_dir: Path | None = None,
) -> None:
    """Run one server process until a signal stops it.

    Announces the URL once listening (with the port bound, also when `port` is 0),
    or calls `on_ready(port)` instead (workers tell their supervisor, which
    announces when all of them listen).

    Raises:
        SsgError: the site fails to load.
        ListenError: the address cannot be listened on (in use, not allowed, not
            on this machine).
        ShutdownError: shutdown abandoned requests or regenerations (the exit
            code is then 1).
    """
    _quiet_scheduler_logs()
    # SIGHUP's default is to end the process: until the server listens (and handles
    # it as "reload"), a SIGHUP is ignored, since the build being loaded is out/'s.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    config = load_config(site_dir, out_dir=out_dir)
    app = create_app(config, prewarm=prewarm, watch_builds=True)
    logger.info("ISR state: %s.", backend_line(app[BACKEND_KEY], config))
    access_buffer = AccessLogBuffer(logging.getLogger(ACCESS_LOGGER))
    app.cleanup_ctx.append(access_buffer.run)

    def announce(bound_port: int) -> None:
        if on_ready is not None:
            on_ready(bound_port)
        else:
            base_path = app[CONFIG_KEY].base_path  # the served build's
            _announce(site_dir, host, bound_port, base_path, prewarm, workers=1)

    try:
        report = run_server(
            app,
            config,
            host=host,
            port=port,
            reuse_port=reuse_port,
            access_log=logging.getLogger(ACCESS_LOGGER) if access_log else None,
            access_log_class=access_logger_class(access_buffer),
            on_ready=announce,
        )
    except OSError as exc:
        problem = listen_problem(exc, host, port)
        if problem is None:
            raise  # not a bind failure: a bug, keep the traceback
        raise ListenError(problem, host=host, port=port) from exc
    if report.abandoned:
        raise ShutdownError(
            report.message(config.shutdown_grace_seconds),
            requests=report.requests,
            regenerations=report.regenerations,
        )


@contextmanager
def reserve_port(host: str, port: int) -> Iterator[int]:
    """Bind host:port as the workers will (SO_REUSEPORT) and hold it while they start.

    Yields the port: `port` itself, or the one the system chose when `port` is 0,
    which every worker then binds, so they share one port. The probe sockets never
    listen, so connections go only to the workers; they are closed on exit.

    Raises:
        ListenError: the address cannot be listened on (see `listen_problem`).
    """
    with ExitStack() as probes:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
            for family, kind, proto, _name, address in infos:
                probe = probes.enter_context(socket.socket(family, kind, proto))
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                probe.bind((address[0], port, *address[2:]))
                port = probe.getsockname()[1]  # port 0: all families take the first's port
        except OSError as exc:
            problem = listen_problem(exc, host, port)
            if problem is None:
                raise ListenError(
                    f"cannot listen on {host}:{port}: {exc}", host=host, port=port
                ) from exc
            raise ListenError(problem, host=host, port=port) from exc
        yield port


def listen_problem(exc: OSError, host: str, port: int) -> str | None:
    """The message for a failure to listen on host:port, or None when `exc` is something else.

    | errno         | message says                                          |
    | ------------- | ----------------------------------------------------- |
    | EADDRINUSE    | host:port is in use; pick another with --port         |
    | EACCES        | not allowed (ports below 1024 need root); use --port  |
    | EADDRNOTAVAIL | host is not an address of this machine; use --host    |
    """
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"cannot listen on {where}: the address is already in use (another ssg serve "
            f"or server?). Stop it, or pick a free port with --port, e.g. --port {port + 1}."
        )
    if exc.errno == errno.EACCES:
        return (
            f"cannot listen on {where}: permission denied (ports below 1024 need root). "
            "Pick a port of 1024 or more with --port, e.g. --port 3000."
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"cannot listen on {where}: {host} is not an address of this machine. "
            "Pass one of its addresses with --host, e.g. --host 127.0.0.1."
        )
    return None


def _worker_main(
    site_dir: Path,
    host: str,
    port: int,
    prewarm: bool,
    access_log: bool,
    ready: EventType,
    supervisor_pid: int,
    out_dir: Path | None,
) -> None:
    """Entry point of a spawned worker: logging as the CLI sets it, then serve.

    A supervisor killed with SIGKILL cannot stop its workers, so each asks for
    a SIGTERM when it dies (a clean shutdown), rather than serving on unsupervised.
    """
    die_with_parent(supervisor_pid, signal.SIGTERM)
    # Started with SIGINT blocked (see _supervise), through its imports. The supervisor
    # stops workers with SIGTERM: the terminal's Ctrl-C is not theirs until they serve
    # (the server handles it then), rather than a KeyboardInterrupt traceback here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("ssg").setLevel(logging.INFO)
    stamp_logs()
    try:
        serve_worker(
            site_dir,
            host,
            port,
            prewarm,
            access_log,
            reuse_port=True,
            on_ready=lambda _port: ready.set(),
            out_dir=out_dir,
        )
    except SsgError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)


def _supervise(
    site_dir: Path,
    host: str,
    port: int,
    base_path: str,
    prewarm: bool,
    access_log: bool,
    workers: int,
    out_dir: Path | None,
) -> None:
    """Start `workers` processes and wait; a signal or one worker's exit stops them all.

    Raises:
        ListenError: the address cannot be listened on (checked once here, so the
            message is not repeated by every worker).
        WorkerExitError: a worker exited with an error (its message is on stderr).
    """
    context = multiprocessing.get_context("spawn")  # no fork of a loaded site or its threads
    ready = [context.Event() for _ in range(workers)]
    processes: list[multiprocessing.process.BaseProcess] = []
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)

    def reload(_signum: int, _frame: FrameType | None) -> None:
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGHUP)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, reload)
    try:
        # Checked once here, so a bad address is one message, not one per worker.
        with reserve_port(host, port) as port:
            processes.extend(
                context.Process(
                    target=_worker_main,
                    args=(
                        site_dir,
                        host,
                        port,
                        prewarm,
                        access_log,
                        ready[index],
                        os.getpid(),
                        out_dir,
                    ),
                    name=f"ssg-worker-{index}",
                )
                for index in range(workers)
            )
            with sigint_blocked():  # a Ctrl-C meanwhile is `stop`ped after it (see _worker_main)
                for process in processes:
                    process.start()
            sentinels = [process.sentinel for process in processes]
            # Announce once every worker listens, so the URL printed serves with all of them.
            while not all(event.is_set() for event in ready) and not wait(sentinels, timeout=0.05):
                pass
        if all(event.is_set() for event in ready):
            _announce(site_dir, host, port, base_path, prewarm, workers=workers)
        wait(sentinels)
        worker_died = not stopping
        if worker_died:
            stop(signal.SIGTERM, None)  # do not go on serving with fewer workers silently
        for process in processes:
            process.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    failed = [p for p in processes if p.exitcode not in (0, -signal.SIGTERM)]
    if failed or worker_died:
        codes = ", ".join(f"{p.name}: {p.exitcode}" for p in processes)
        raise WorkerExitError(
            f"ssg serve stopped because a worker exited ({codes})",
            exit_codes=[p.exitcode for p in failed],
        )


def _announce(
    site_dir: Path, host: str, port: int, base_path: str, prewarm: bool, *, workers: int
) -> None:
    """Print where the site is served: its URL with the base path (the server's root is a
    404 under one; as `next dev`, vercel/next.js#82882)."""
    extra = " (prewarming stale pages)" if prewarm else ""
    many = f", {workers} workers" if workers > 1 else ""
    url = f"http://{host}:{port}{base_path}"
    print(f"ssg serving {site_dir} on {url}{many}{extra}", file=sys.stderr)


def stamp_logs() -> None:
    """Start every log line with the UTC time (ISO 8601, ms) and level when stderr is not a
    terminal (`docker logs`, a file, a pipe), so lines can be matched with other systems'
    (journald adds its own time, a terminal has none)."""
    if sys.stderr.isatty():
        return
    formatter = logging.Formatter(
        "%(asctime)s.%(msecs)03dZ %(levelname)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)


def _quiet_scheduler_logs() -> None:
    # apscheduler logs every job added and run at INFO: noise next to the access log.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
