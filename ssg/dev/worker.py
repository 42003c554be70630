"""One dev worker: loads the site, serves it on the supervisor's socket, watches non-code edits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ssg.dev.app import DevHandler, load_dev_site, make_dev_middleware
from ssg.dev.events import DevEvent, EventBroker
from ssg.dev.watcher import SiteWatcher
from ssg.scope import Clock

SHUTDOWN_TIMEOUT_SECONDS = 2.0
"""How long a stopping worker lets requests finish (event streams end at once)."""
PARENT_CHECK_SECONDS = 1.0
WATCH_START_TIMEOUT_SECONDS = 30.0


def create_dev_app(
    site_dir: Path,
    *,
    generation: str,
    strict: bool = False,
    watch: bool = True,
    clock: Clock = time.time,
    replaced: Callable[[], bool] = lambda: False,
) -> web.Application:
    """The aiohttp app of one dev worker.

    Loads the site (a failure is shown as the overlay for every request, never
    raised), and while the app runs, watches the site's templates, public/,
    theme and content (see SiteWatcher).

    Args:
        site_dir: the site folder.
        generation: this worker's id; pages made by another worker reload.
        strict: content problems are errors (as `ssg build --strict`).
        watch: run the watcher (tests of the handler alone pass False).
        clock: epoch seconds.
        replaced: true once a newer worker serves: open pages are then told to
            reload as this one shuts down (it no longer accepts connections by
            then, so they reach the new one).
    """
    dev = load_dev_site(site_dir, strict=strict, clock=clock)
    broker = EventBroker(generation)
    handler = DevHandler(dev, broker)
    watcher = SiteWatcher(dev, broker) if watch and dev.error is None else None
    middlewares: list[Middleware] = [make_dev_middleware(broker)]
    if watcher is not None:

        @web.middleware
        async def notice_folders(request: web.Request, handler: Handler) -> web.StreamResponse:
            try:
                return await handler(request)
            finally:
                watcher.notice_content_folders()
                watcher.keep_parsed_content()

        middlewares.append(notice_folders)
    limit = dev.config.body_limit_bytes if dev.config is not None else 1_048_576
    app = web.Application(client_max_size=limit, middlewares=middlewares)
    app.router.add_route("*", "/{tail:.*}", handler.handle)

    async def end_streams(_app: web.Application) -> None:
        if replaced():
            broker.publish(DevEvent.RELOAD)
        await broker.close()

    app.on_shutdown.append(end_streams)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        task = None
        if watcher is not None:
            # Content an earlier worker parsed (unchanged files are not parsed again),
            # read before this worker counts as ready, so its first page is quick.
            await watcher.reuse_parsed_content()
            task = asyncio.create_task(watcher.run())
            # The worker counts as ready (the supervisor then stops the previous one)
            # only once edits are watched, so none made from then on is missed.
            await asyncio.wait_for(watcher.started.wait(), WATCH_START_TIMEOUT_SECONDS)
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if watcher is not None:
                await watcher.close()
            if dev.services is not None:
                await dev.services.aclose()

    app.cleanup_ctx.append(lifecycle)
    return app


def worker_main(
    site_dir: Path,
    sock: socket.socket,
    generation: str,
    strict: bool,
    ready: EventType,
    go: EventType,
    replaced: EventType,
) -> None:
    """Entry point of a spawned worker: serve on `sock` until SIGINT/SIGTERM or the supervisor dies.

    The process starts ahead of need (a standby: Python and ssg are imported
    by the time this runs), waits for `go`, then loads the site and serves;
    it sets `ready` once it accepts connections. The supervisor sets `replaced`
    before stopping it for a newer worker.
    """
    parent_pid = os.getppid()
    try:
        while not go.wait(PARENT_CHECK_SECONDS):
            if os.getppid() != parent_pid:
                return  # the supervisor is gone (killed with -9)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group
        return
    # No .pyc files for the site's modules: an edit within the same second that keeps
    # the file's size would otherwise be hidden by the bytecode of the previous worker
    # (pyc files are checked by whole-second mtime and size).
    sys.dont_write_bytecode = True
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("ssg").setLevel(logging.INFO)
    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # "1 change detected": ours say more
    app = create_dev_app(site_dir, generation=generation, strict=strict, replaced=replaced.is_set)
    app.cleanup_ctx.append(_exit_with_parent(parent_pid))
    web.run_app(
        app,
        sock=sock,
        print=lambda *_: ready.set(),
        access_log=None,
        shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        handle_signals=True,
    )


def _exit_with_parent(parent_pid: int) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that stops the worker if its supervisor is gone (killed with -9)."""

    async def watch_parent(_app: web.Application) -> AsyncIterator[None]:
        async def check() -> None:
            while os.getppid() == parent_pid:
                await asyncio.sleep(PARENT_CHECK_SECONDS)
            os.kill(os.getpid(), signal.SIGTERM)  # aiohttp shuts down cleanly

        task = asyncio.create_task(check())
        try:
            yield
        finally:
            task.cancel()

    return watch_parent
