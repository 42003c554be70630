"""Load one build a server serves: its manifest, site, ISR engine and files, read from a pin.

A loaded build reads its files from its own pin (ssg.server.pins), never through
the out/ path: the pin is made before the build loads and removed when it closes
(ssg.server.builds switches between loaded builds).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from ssg.builder.manifest import load_manifest
from ssg.builder.static_hosts import HEADERS_FILE, REDIRECTS_FILE
from ssg.config import SiteConfig
from ssg.content.memo import preload_collections
from ssg.errors import BuildNotFoundError
from ssg.isr.backend import CacheBackend
from ssg.isr.engine import IsrEngine
from ssg.isr.scheduler import make_scheduler
from ssg.plural import plural
from ssg.records import Manifest
from ssg.render.services import make_services
from ssg.render.special_pages import DEFAULT_NOT_FOUND
from ssg.render.templates import compile_templates
from ssg.revalidate import Revalidate
from ssg.scope import Clock, ServiceMode
from ssg.server.endpoints import Endpoints
from ssg.server.not_found import NotFoundPages
from ssg.server.pins import PINS_FOLDER, pin_build, remove_pin
from ssg.server.site_handler import SiteHandler
from ssg.server.static import StaticFiles
from ssg.site import Site

logger = logging.getLogger("ssg.server")


@dataclass(frozen=True)
class BuildOptions:
    """How every build of one server is loaded (the arguments of create_app).

    Attributes:
        clock: epoch seconds.
        prewarm: regenerate stale pages in the background without visitors.
        prewarm_interval_seconds: how often the prewarm job looks for stale pages.
        secret: the bearer secret of the /_ssg/ endpoints (None: they answer 404).
        backend: where ISR state and the data cache are shared (disk or Redis).
        on_revalidate: told (paths, tags) of each revalidation (the purge webhook).
    """

    clock: Clock
    prewarm: bool
    prewarm_interval_seconds: float
    secret: str | None
    backend: CacheBackend
    on_revalidate: Callable[[tuple[str, ...], tuple[str, ...]], None] | None = None


@dataclass(eq=False)  # by identity: a build is a key of the ones retiring
class ServedBuild:
    """One loaded build and what serves it.

    Attributes:
        build_id: the manifest's build id.
        config: the site config (base_path as the build was made).
        engine: its ISR engine (pages, entries scoped by build id, renders).
        scheduler: its prewarm / data-cache jobs.
        static: its servable files.
        handler: the request handler over all of them.
        pin: the folder its files are read from (see ssg.server.pins), removed
            when it closes; None when it reads out/ itself.
        requests: requests being answered by this build.
        idle: set whenever `requests` drops to 0 (the switch then retires an old build).
        preload: the start-up task parsing content and compiling templates
            (`preload_build` in a thread), once started.
    """

    build_id: str
    config: SiteConfig
    engine: IsrEngine
    scheduler: AsyncIOScheduler
    static: StaticFiles
    handler: SiteHandler
    pin: Path | None = None
    requests: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    preload: asyncio.Task[int] | None = None


def preload_build(engine: IsrEngine, cache_dir: Path) -> int:
    """Parse the content collections the build read, then compile the site's templates.

    Blocking: the server runs it in a worker thread at start-up. Returns how
    many collections were parsed.
    """
    loaded = preload_collections(engine.services, cache_dir)
    started = time.monotonic()
    compiled = compile_templates(engine.site.env)
    logger.debug(
        "Compiled %s in %.2f s, off the event loop.",
        plural(compiled, "template"),
        time.monotonic() - started,
    )
    return loaded


def load_build(config: SiteConfig, options: BuildOptions) -> ServedBuild:
    """Load the build in `config.out_dir`: manifest, site, engine, files (blocking I/O).

    The build's files are pinned first (hard links under
    `cache_dir / PINS_FOLDER`), and everything is read from the pin.

    Raises:
        BuildNotFoundError: out/ holds no readable manifest (missing, corrupt, or
            of another ssg version).
        SsgError: the site fails to load (routes, modules, theme).
    """
    pin = pin_build(config.out_dir, config.cache_dir / PINS_FOLDER)
    try:
        return _load_build(config, options, pin)
    except BaseException:
        if pin is not None:
            remove_pin(pin)
        raise


def never_revalidated(manifest: Manifest) -> Manifest:
    """`manifest` with every page's revalidate False: an export's pages never go stale."""
    pages = {
        url: dataclasses.replace(page, revalidate=Revalidate.NEVER)
        for url, page in manifest.pages.items()
    }
    return dataclasses.replace(manifest, pages=pages)


def _load_build(config: SiteConfig, options: BuildOptions, pin: Path | None) -> ServedBuild:
    files_dir = config.out_dir if pin is None else pin
    manifest = load_manifest(files_dir)
    if manifest is None:
        raise BuildNotFoundError(config.out_dir, config.site_dir)
    built_base_path = manifest.base_path
    if built_base_path != config.base_path:
        # The pages' links carry the build's prefix: serve where they point.
        logger.warning(
            "The build in %s was made with base_path %r, not %r: serving under %r "
            "(rebuild to change it).",
            config.out_dir,
            built_base_path,
            config.base_path,
            built_base_path,
        )
        config = dataclasses.replace(config, base_path=built_base_path)
    if manifest.export:
        # A static host serves an export's bytes as they are: never stale, nothing
        # rendered on demand (as Next.js, which refuses `next start` on an export).
        manifest = never_revalidated(manifest)
        logger.info(
            'Build %s is a static export (output = "export"): serving its files only, '
            "as a static host would: no on-demand renders, no regeneration, 404 for "
            "unlisted params.",
            manifest.build_id[:8],
        )
    site = Site.load(config)
    services = make_services(
        site,
        mode=ServiceMode.SERVE,
        clock=options.clock,
        store=options.backend.open_data_cache(options.clock),
    )
    # Sitemaps regenerated by this server list the build's pages (ssg.sitemap()).
    services.page_index.url_paths = manifest.indexed_pages
    build_id = manifest.build_id
    state = options.backend.open_build(build_id, clock=options.clock)
    engine = IsrEngine(site, services, manifest, clock=options.clock, state=state)
    engine.out_dir = files_dir  # prebuilt page bodies are read from the pin
    engine.revalidations.on_revalidate = options.on_revalidate
    engine.load()
    not_found_file = manifest.not_found_file
    page_files = {page.output_file for page in manifest.pages.values()}
    # _redirects and _headers are rules for static hosts, which never serve them either.
    host_files = {REDIRECTS_FILE, HEADERS_FILE}
    static = StaticFiles(files_dir, exclude=page_files | {not_found_file} | host_files)
    try:
        not_found_body = (files_dir / not_found_file).read_bytes()
    except OSError:
        logger.warning("%s is missing from the build; using a built-in 404 page.", not_found_file)
        not_found_body = DEFAULT_NOT_FOUND.encode("utf-8")
    handler = SiteHandler(
        engine=engine,
        static=static,
        endpoints=Endpoints(
            engine,
            backend=options.backend,
            secret=options.secret,
            not_found=lambda r: handler.not_found(r),
            base_path=config.base_path,
        ),
        not_found_pages=NotFoundPages(site, not_found_body),
        body_limit_bytes=config.body_limit_bytes,
        files_only=manifest.export,
    )
    scheduler = make_scheduler(
        engine,
        prewarm=options.prewarm and not manifest.export,
        prewarm_interval_seconds=options.prewarm_interval_seconds,
    )
    return ServedBuild(build_id, config, engine, scheduler, static, handler, pin)
