"""run_server: one server process on a socket, with connection limits and a bounded shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from ssg.config import SiteConfig
from ssg.plural import plural
from ssg.server.app import SWITCH_KEY
from ssg.server.connections import (
    AcceptFailureLog,
    ConnectionCap,
    MalformedRequestFilter,
    connection_cap,
    raise_open_file_limit,
)
from ssg.server.hit_protocol import HitAppRunner
from ssg.server.site_threads import SiteThreads

logger = logging.getLogger("ssg.server")

RESPONSE_WRITE_SECONDS = 2.0
"""After the grace period, how long the 503 answers get to be written before connections close."""


@dataclass(frozen=True)
class ShutdownReport:
    """What a server's shutdown had to abandon.

    Attributes:
        requests: requests answered 503 because they outlasted the grace period.
        regenerations: regenerations cancelled at shutdown.
        threads: the functions still running in threads after the grace period
            ("load() of app/slow/page.py"): a site's sync function, which no one can
            stop; the process ends without waiting for them (see SiteThreads).
    """

    requests: int = 0
    regenerations: int = 0
    threads: tuple[str, ...] = ()

    @property
    def abandoned(self) -> bool:
        """True when any work was cut short."""
        return bool(self.requests or self.regenerations or self.threads)

    def message(self, grace_seconds: float) -> str:
        """What was abandoned and the fix, for the terminal (`grace_seconds`: the grace period)."""
        left = ""
        if self.threads:
            left = (
                f", {plural(len(self.threads), 'function')} of the site left running in a thread "
                f"({'; '.join(self.threads)}: the process did not wait for them, their "
                "results are dropped)"
            )
        return (
            f"shutdown abandoned work: {plural(self.requests, 'request')} answered 503 after the "
            f"{grace_seconds:g} s grace period, {plural(self.regenerations, 'regeneration')} "
            f"cancelled (their previous pages stay){left}. Raise shutdown_grace_seconds in "
            "ssg.toml to wait longer."
        )


def _quit_now() -> NoReturn:
    """Exit at once with 130 (a second Ctrl-C during shutdown), output flushed.

    A site's sync function still running in a thread (a slow load()) would
    otherwise hold the exit until it returns, past the grace period: the
    interpreter joins its threads. What is dropped is safe to drop: stored
    entries are written to a temporary file and renamed, as after a kill.
    """
    logger.warning("Quitting at once: requests and regenerations in progress are dropped")
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)


def make_runner(app: web.Application, **kwargs: Any) -> web.AppRunner:
    """The runner of an `ssg serve` app: fresh HITs answered from prebuilt bytes.

    Args:
        app: an app from create_app.
        kwargs: web.AppRunner's arguments (access_log, keepalive_timeout, ...).
    """
    return HitAppRunner(app, answers=app[SWITCH_KEY].prebuilt, **kwargs)


def run_server(
    app: web.Application,
    config: SiteConfig,
    *,
    host: str,
    port: int,
    reuse_port: bool,
    access_log: logging.Logger | None,
    access_log_class: type[AbstractAccessLogger],
    on_ready: Callable[[int], None],
) -> ShutdownReport:
    """Serve `app` on host:port until SIGINT or SIGTERM; return what shutdown abandoned.

    `on_ready(port)` is called once listening, with the port bound (the one the
    system chose when `port` is 0).

    SIGHUP loads the build now in out/ and switches to it (see BuildSwitch.reload).

    Start-up raises the soft open-file limit to the hard one, caps connections
    (`config.max_connections`, within that limit; see ConnectionCap) and closes
    connections idle, or still sending their headers, after
    `config.keepalive_timeout_seconds` (aiohttp's keep-alive timeout, which
    starts when a connection opens). A failing accept() is logged once, and a
    malformed request only by its access-log line (no traceback).

    Shutdown stops listening, closes idle connections, and gives requests in
    progress `config.shutdown_grace_seconds`; those still running are answered
    503 (`Retry-After`), then the app's cleanup lets regenerations finish or
    cancels them. A second SIGINT (Ctrl-C) while it stops exits at once (130).

    Raises:
        OSError: the address cannot be listened on (see commands.serve.listen_problem).
    """
    return asyncio.run(
        _serve(
            app,
            config,
            host=host,
            port=port,
            reuse_port=reuse_port,
            access_log=access_log,
            access_log_class=access_log_class,
            on_ready=on_ready,
        )
    )


async def _serve(
    app: web.Application,
    config: SiteConfig,
    *,
    host: str,
    port: int,
    reuse_port: bool,
    access_log: logging.Logger | None,
    access_log_class: type[AbstractAccessLogger],
    on_ready: Callable[[int], None],
) -> ShutdownReport:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(AcceptFailureLog())
    threads = SiteThreads()
    loop.set_default_executor(threads)
    malformed = MalformedRequestFilter()
    server_log = logging.getLogger("aiohttp.server")
    server_log.addFilter(malformed)
    stop = asyncio.Event()

    def interrupted() -> None:
        if stop.is_set():
            _quit_now()  # a second Ctrl-C: the user will not wait
        logger.warning(
            "Stopping: work in progress gets up to %g s (Ctrl-C again to quit at once)",
            config.shutdown_grace_seconds,
        )
        stop.set()

    loop.add_signal_handler(signal.SIGINT, interrupted)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    handler = app[SWITCH_KEY]
    reloads: set[asyncio.Task[bool]] = set()

    def reload() -> None:
        task = loop.create_task(handler.reload(), name="ssg-reload-build")
        reloads.add(task)  # a strong reference until it ends
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGHUP, reload)
    runner = make_runner(
        app,
        handle_signals=False,
        access_log=access_log,
        access_log_class=access_log_class,
        keepalive_timeout=config.keepalive_timeout_seconds,
        shutdown_timeout=config.shutdown_grace_seconds + RESPONSE_WRITE_SECONDS,
    )
    await runner.setup()
    abandon: asyncio.TimerHandle | None = None
    try:
        open_files = raise_open_file_limit()
        cap = ConnectionCap(
            connection_cap(config.max_connections, open_files), handler.busy_connections
        )
        assert runner.server is not None
        cap.install(runner.server)
        await web.TCPSite(runner, host, port, reuse_port=reuse_port).start()
        on_ready(runner.addresses[0][1])
        await stop.wait()
        logger.info(
            "Shutting down (%s running, %s in progress).",
            plural(handler.running_renders(), "regeneration"),
            plural(len(handler.busy_connections()), "request"),
        )
        abandon = loop.call_later(config.shutdown_grace_seconds, handler.abandon_in_flight)
    finally:
        loop.remove_signal_handler(signal.SIGHUP)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # stopping: not its default, the end
        await asyncio.gather(*reloads, return_exceptions=True)
        await runner.cleanup()
        if abandon is not None:
            abandon.cancel()
        server_log.removeFilter(malformed)
    report = ShutdownReport(
        requests=handler.abandoned,
        regenerations=handler.cancelled_regenerations,
        threads=tuple(threads.running(config.site_dir)),
    )
    if not report.abandoned:
        logger.info("Stopped.")
    if report.threads:
        # A site's sync function still running (a slow load()): the interpreter would
        # join its thread at exit, however long it takes. Stop now, as a kill would.
        _exit_abandoning(report, config.shutdown_grace_seconds)
    return report


def _exit_abandoning(report: ShutdownReport, grace_seconds: float) -> NoReturn:
    """Print what the shutdown abandoned and exit 1 at once, without joining the threads
    still running (what they would write is written to a temporary file and renamed,
    so it is whole or absent, as after a kill)."""
    logging.shutdown()
    print(f"Error: {report.message(grace_seconds)}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)
