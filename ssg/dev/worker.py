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
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ssg.dev.app import DevHandler, load_dev_site, make_dev_middleware
from ssg.dev.events import EVENTS_PATH, DevEvent, EventBroker
from ssg.dev.logged_once import LoggedOnce
from ssg.dev.logged_once import install as install_logged_once
from ssg.dev.process import SupervisorLink
from ssg.dev.watcher import SiteWatcher, count_pages
from ssg.scope import Clock

logger = logging.getLogger("ssg.dev")

SHUTDOWN_TIMEOUT_SECONDS = 2.0
"""How long a stopping worker lets requests finish (event streams end at once)."""
WATCH_START_TIMEOUT_SECONDS = 30.0
PARSERS_IMPORT_DELAY_SECONDS = 1.0
"""After start-up, once the first pages are out: import the Markdown stack, so the first
edit of a post (its content came from the cache, unparsed) is not slowed by it."""


def create_dev_app(
    site_dir: Path,
    *,
    generation: str,
    strict: bool = False,
    watch: bool = True,
    clock: Clock = time.time,
    replaced: Callable[[], bool] = lambda: False,
    logged_once: LoggedOnce | None = None,
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
        logged_once: the session's content warnings filter; an edited file's
            warnings may be logged again.
    """
    dev = load_dev_site(site_dir, strict=strict, clock=clock)
    broker = EventBroker(generation)
    handler = DevHandler(dev, broker)
    watcher = SiteWatcher(dev, broker, logged_once) if watch and dev.error is None else None
    middlewares: list[Middleware] = [make_dev_middleware(broker, dev.pages)]
    if watcher is not None:

        @web.middleware
        async def notice_folders(request: web.Request, handler: Handler) -> web.StreamResponse:
            try:
                return await handler(request)
            finally:
                watcher.notice_content_folders()
                watcher.keep_collection_specs()

        middlewares.append(notice_folders)
    limit = dev.config.body_limit_bytes if dev.config is not None else 1_048_576
    app = web.Application(client_max_size=limit, middlewares=middlewares)
    app.router.add_route("*", "/{tail:.*}", handler.handle)

    async def settle_records(_app: web.Application) -> None:
        if dev.pages is not None:
            await dev.pages.settle()

    app.on_cleanup.append(settle_records)

    async def end_streams(_app: web.Application) -> None:
        if replaced():
            told = broker.publish(DevEvent.RELOAD)
            logger.info("%s reloaded for the new site code", count_pages(told))
        await broker.close()

    app.on_shutdown.append(end_streams)

    async def import_parsers_when_idle() -> None:
        await asyncio.sleep(PARSERS_IMPORT_DELAY_SECONDS)
        from ssg.content.pool import import_parsers  # with the process pool's imports

        await asyncio.to_thread(import_parsers)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        task = None
        warm = None
        if watcher is not None:
            # The collections read last time are loaded (from the content cache) while the
            # watch starts, before this worker counts as ready, so its first page is quick.
            watcher.listed_content_folders()
            task = asyncio.create_task(watcher.run())
            await watcher.preload_content()
            # The worker counts as ready (the supervisor then stops the previous one)
            # only once edits are watched, so none made from then on is missed.
            await asyncio.wait_for(watcher.started.wait(), WATCH_START_TIMEOUT_SECONDS)
            warm = asyncio.create_task(import_parsers_when_idle(), name="ssg-dev-parsers")
        try:
            yield
        finally:
            for running in (task, warm):
                if running is not None:
                    running.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await running
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
    link: SupervisorLink,
    *,
    logged_file: Path | None = None,
) -> None:
    """Serve the site on `sock` until SIGINT/SIGTERM or the supervisor is gone.

    The process may start ahead of need (a standby: Python and ssg are
    imported by the time this runs): it waits for the supervisor's go, then
    loads the site and serves, and tells the supervisor once it accepts
    connections and once its first response is out (see `ssg.dev.process`).
    With `logged_file`, a content warning an earlier worker of the session
    logged is not logged again (see `ssg.dev.logged_once`).
    """
    if not link.wait_for_go():
        return  # the supervisor is gone
    # No .pyc files for the site's modules: an edit within the same second that keeps
    # the file's size would otherwise be hidden by the bytecode of the previous worker
    # (pyc files are checked by whole-second mtime and size).
    sys.dont_write_bytecode = True
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("ssg").setLevel(logging.INFO)
    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # "1 change detected": ours say more
    once = install_logged_once(logged_file) if logged_file is not None else None
    app = create_dev_app(
        site_dir, generation=generation, strict=strict, replaced=link.replaced, logged_once=once
    )

    @web.middleware
    async def first_response(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        finally:
            if request.path != EVENTS_PATH:
                link.tell_served()

    app.middlewares.append(first_response)
    app.cleanup_ctx.append(_stop_without_supervisor(link))
    web.run_app(
        app,
        sock=sock,
        print=lambda *_: link.tell_ready(),
        access_log=None,
        shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        handle_signals=True,
    )


def _stop_without_supervisor(
    link: SupervisorLink,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that stops the worker when its supervisor is gone (killed with -9)."""

    async def watch_link(_app: web.Application) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()

        def on_message() -> None:
            if not link.read():
                loop.remove_reader(link.control_fd)
                os.kill(os.getpid(), signal.SIGTERM)  # aiohttp shuts down cleanly

        loop.add_reader(link.control_fd, on_message)
        try:
            yield
        finally:
            loop.remove_reader(link.control_fd)

    return watch_link
