"""create_app: the aiohttp application of `ssg serve` over a build's output (SPEC 8)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from ssg.builder.manifest import load_manifest
from ssg.config import SiteConfig
from ssg.errors import BuildNotFoundError
from ssg.isr.engine import IsrEngine
from ssg.isr.entries import BeforeReplace, EntryStore
from ssg.isr.marks import RevalidationMarks
from ssg.isr.scheduler import PREWARM_INTERVAL_SECONDS, make_scheduler
from ssg.render.services import make_services
from ssg.render.special_pages import DEFAULT_NOT_FOUND
from ssg.scope import Clock, ServiceMode
from ssg.server.endpoints import SECRET_ENV, Endpoints
from ssg.server.not_found import NotFoundPages
from ssg.server.site_handler import SiteHandler
from ssg.server.static import StaticFiles
from ssg.site import Site

logger = logging.getLogger("ssg.server")

CONFIG_KEY = web.AppKey("config", SiteConfig)
ENGINE_KEY = web.AppKey("engine", IsrEngine)
SCHEDULER_KEY = web.AppKey("scheduler", AsyncIOScheduler)
STATIC_KEY = web.AppKey("static", StaticFiles)
HANDLER_KEY = web.AppKey("handler", SiteHandler)


def create_app(
    config: SiteConfig,
    *,
    clock: Clock = time.time,
    prewarm: bool = False,
    prewarm_interval_seconds: float = PREWARM_INTERVAL_SECONDS,
    revalidate_secret: str | None = None,
    before_replace: BeforeReplace | None = None,
) -> web.Application:
    """The ISR server for a built site.

    Loads the site (routes, modules, templates) and the manifest of its last
    build, and indexes its pages and this build's ISR entries
    (`config.cache_dir / "isr"`). The app's cleanup context starts the
    scheduler and, on shutdown, stops it, lets in-flight regenerations finish
    for up to `config.shutdown_grace_seconds` then cancels them, and closes the
    data services.

    Args:
        config: the site config.
        clock: epoch seconds; freshness and backoff follow it (tests pass a fake).
        prewarm: regenerate stale pages in the background without visitors.
        prewarm_interval_seconds: how often the prewarm job looks for stale pages.
        revalidate_secret: the bearer secret of /_ssg/revalidate and
            /_ssg/status; None reads $SSG_REVALIDATE_SECRET (unset or empty: both 404).
        before_replace: test hook for entry writes (see EntryStore).

    Returns:
        The application; state under typed keys (CONFIG_KEY, ENGINE_KEY,
        SCHEDULER_KEY, STATIC_KEY, HANDLER_KEY).

    Raises:
        BuildNotFoundError: there is no build in config.out_dir (run `ssg build`).
        SsgError: the site fails to load (routes, modules, theme).
    """
    manifest = load_manifest(config.out_dir)
    if manifest is None:
        raise BuildNotFoundError(config.out_dir, config.site_dir)
    site = Site.load(config)
    services = make_services(site, mode=ServiceMode.SERVE, clock=clock)
    build_id = str(manifest["build_id"])
    store = EntryStore(config.cache_dir / "isr", build_id, before_replace=before_replace)
    marks = RevalidationMarks(store.directory, build_id)
    engine = IsrEngine(site, services, manifest, clock=clock, store=store, marks=marks)
    engine.load()
    not_found_file = str(manifest.get("not_found_file", "404.html"))
    page_files = {str(info["output_file"]) for info in manifest["pages"].values()}
    static = StaticFiles(config.out_dir, exclude=page_files | {not_found_file})
    try:
        not_found_body = (config.out_dir / not_found_file).read_bytes()
    except OSError:
        logger.warning("%s is missing from the build; using a built-in 404 page.", not_found_file)
        not_found_body = DEFAULT_NOT_FOUND.encode("utf-8")
    secret = revalidate_secret or os.environ.get(SECRET_ENV) or None
    handler = SiteHandler(
        engine=engine,
        static=static,
        endpoints=Endpoints(engine, secret=secret, not_found=lambda r: handler.not_found(r)),
        not_found_pages=NotFoundPages(site, not_found_body),
        body_limit_bytes=config.body_limit_bytes,
    )
    scheduler = make_scheduler(
        engine, prewarm=prewarm, prewarm_interval_seconds=prewarm_interval_seconds
    )
    app = web.Application(client_max_size=config.body_limit_bytes)
    app[CONFIG_KEY] = config
    app[ENGINE_KEY] = engine
    app[SCHEDULER_KEY] = scheduler
    app[STATIC_KEY] = static
    app[HANDLER_KEY] = handler
    app.router.add_route("*", "/{tail:.*}", handler.handle)
    app.cleanup_ctx.append(_lifecycle)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Start the scheduler with the app; on shutdown stop it, end renders, close services."""
    scheduler = app[SCHEDULER_KEY]
    engine = app[ENGINE_KEY]
    scheduler.start()
    try:
        yield
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        await engine.regenerator.close(grace_seconds=app[CONFIG_KEY].shutdown_grace_seconds)
        await engine.save_marks()  # a revalidation made just before shutdown survives it
        await engine.services.aclose()
        # The scheduler's shutdown runs as a loop callback; let it run before the loop ends.
        await asyncio.sleep(0)
