"""create_app: the aiohttp application of `ssg serve` over a build's output."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator

from aiohttp import web

from ssg.config import SiteConfig
from ssg.isr.backend import CacheBackend, open_backend
from ssg.isr.scheduler import PREWARM_INTERVAL_SECONDS
from ssg.plural import plural
from ssg.scope import Clock
from ssg.server.builds import BuildSwitch
from ssg.server.endpoints import SECRET_ENV
from ssg.server.purge import PurgeWebhook, Sleep
from ssg.server.served_build import BuildOptions, load_build

logger = logging.getLogger("ssg.server")

SHORT_SECRET_CHARS = 16
"""A revalidation secret shorter than this is warned of at start (a placeholder such as "x")."""

CONFIG_KEY = web.AppKey("config", SiteConfig)
SWITCH_KEY = web.AppKey("builds", BuildSwitch)
PURGE_KEY = web.AppKey("purge_webhook", PurgeWebhook)
BACKEND_KEY = web.AppKey("backend", CacheBackend)


def create_app(
    config: SiteConfig,
    *,
    clock: Clock = time.time,
    prewarm: bool = False,
    prewarm_interval_seconds: float = PREWARM_INTERVAL_SECONDS,
    revalidate_secret: str | None = None,
    watch_builds: bool = False,
    purge_sleep: Sleep = asyncio.sleep,
) -> web.Application:
    """The ISR server for a built site.

    Loads the site (routes, modules, templates) and the manifest of its last
    build, and indexes its pages and this build's ISR entries
    (`config.cache_dir / "isr"`). The app's cleanup context starts the
    scheduler and, on shutdown, stops it, lets in-flight regenerations finish
    for up to `config.shutdown_grace_seconds` then cancels them, and closes the
    data services.

    A new build replaces the served one without a restart on
    `app[SWITCH_KEY].reload()` (SIGHUP in `ssg serve`), or by itself when
    `watch_builds` is on and `ssg build` swaps a new out/ in (see BuildSwitch).

    Args:
        config: the site config.
        clock: epoch seconds; freshness and backoff follow it (tests pass a fake).
        prewarm: regenerate stale pages in the background without visitors.
        prewarm_interval_seconds: how often the prewarm job looks for stale pages.
        revalidate_secret: the bearer secret of /_ssg/revalidate and
            /_ssg/status; None reads $SSG_REVALIDATE_SECRET (unset or empty: both 404).
        watch_builds: watch out/ for new builds and switch to them.
        purge_sleep: the purge webhook's waits (batch window, back-off); tests pass
            one they control.

    Returns:
        The application; state under typed keys (CONFIG_KEY, SWITCH_KEY: the
        served build is `app[SWITCH_KEY].current`; BACKEND_KEY: where ISR state
        is shared, see ssg.isr.backend; PURGE_KEY when
        `config.purge_webhook` is set: one webhook for every build).

    Raises:
        BuildNotFoundError: there is no build in config.out_dir (run `ssg build`).
        SsgError: the site fails to load (routes, modules, theme).
    """
    webhook = (
        PurgeWebhook(config.purge_webhook, base_path=config.base_path, sleep=purge_sleep)
        if config.purge_webhook
        else None
    )
    backend = open_backend(config)
    secret = revalidate_secret or os.environ.get(SECRET_ENV) or None
    if secret is not None and len(secret) < SHORT_SECRET_CHARS:
        logger.warning(
            "%s is %s long: whoever guesses it can mark every page stale. Use a long "
            "random one (openssl rand -hex 32).",
            SECRET_ENV,
            plural(len(secret), "character"),
        )
    options = BuildOptions(
        clock=clock,
        backend=backend,
        prewarm=prewarm,
        prewarm_interval_seconds=prewarm_interval_seconds,
        secret=secret,
        on_revalidate=webhook.notify if webhook is not None else None,
    )
    first = load_build(config, options)
    switch = BuildSwitch(config, options, first)
    app = web.Application(client_max_size=config.body_limit_bytes)
    app[CONFIG_KEY] = first.config
    app[SWITCH_KEY] = switch
    app[BACKEND_KEY] = backend
    if webhook is not None:
        app[PURGE_KEY] = webhook
    app.router.add_route("*", "/{tail:.*}", switch.handle)
    app.cleanup_ctx.append(_watching if watch_builds else _lifecycle)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Start the build with the app; on shutdown stop its scheduler, end renders, close services."""
    switch = app[SWITCH_KEY]
    switch.start(switch.current)
    try:
        yield
    finally:
        await switch.close_all()
        await app[BACKEND_KEY].aclose()
        webhook = app.get(PURGE_KEY)
        if webhook is not None:
            await webhook.close(grace_seconds=app[CONFIG_KEY].shutdown_grace_seconds)
        # The scheduler's shutdown runs as a loop callback; let it run before the loop ends.
        await asyncio.sleep(0)


async def _watching(app: web.Application) -> AsyncIterator[None]:
    """_lifecycle, plus a watch of out/ that switches to each new build."""
    stop = asyncio.Event()
    watch = asyncio.create_task(app[SWITCH_KEY].watch(stop), name="ssg-watch-builds")
    try:
        async for _ in _lifecycle(app):
            yield
    finally:
        stop.set()
        await asyncio.gather(watch, return_exceptions=True)


def backend_line(backend: CacheBackend, config: SiteConfig) -> str:
    """Where ISR state is kept, for the start-up log: Redis (URL without its password, key
    prefix) or this machine's disk (the folder)."""
    status = backend.status()
    detail = status.detail or {}
    if status.backend == "redis":
        return f"shared through Redis at {detail.get('url')} (key prefix {detail.get('prefix')})"
    return f"kept on this machine in {config.cache_dir / 'isr'} (no cache_url)"
