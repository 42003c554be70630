"""The builds a server serves: load one beside the other and switch in one step.

`ssg build` swaps a complete out/ in atomically (see ssg.builder.writer); a
running server notices (watchfiles on out/'s parent folder, or SIGHUP), loads
the new build beside the one it serves (ssg.server.served_build), then replaces
one reference. A request reads that reference once when it arrives, so it is
answered wholly by one build; the old build's resources (scheduler jobs,
regenerations, data services, its pin) close once its last request ends.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any

import watchfiles
from aiohttp import web

from ssg.builder.manifest import load_manifest
from ssg.config import SiteConfig
from ssg.errors import BuildNotFoundError
from ssg.records import MANIFEST_FILE
from ssg.server.page_responses import PrebuiltResponse
from ssg.server.pins import remove_pin
from ssg.server.served_build import BuildOptions, ServedBuild, load_build, preload_build
from ssg.server.site_code import config_for_new_build, forget_changed_modules, site_module_stamps

logger = logging.getLogger("ssg.server")

WATCH_STEP_MILLISECONDS = 100
"""A change is reported once out/'s folder has been quiet this long (watchfiles `step`)."""
WATCH_DEBOUNCE_MILLISECONDS = 500
"""Changes are grouped for at most this long before a reload (watchfiles `debounce`)."""


class BuildSwitch:
    """The build a server answers with, switched in one step when a new one is loaded.

    A build switched in is loaded with ssg.toml as it is then and with the site's
    helper modules imported afresh when one changed (`ssg.server.site_code`), so its
    regenerations and on-demand renders match the pages it was built with.

    Args:
        config: the site config the server started with.
        options: how builds are loaded.
        first: the build loaded at start-up.
    """

    def __init__(self, config: SiteConfig, options: BuildOptions, first: ServedBuild) -> None:
        self.config = config
        # The site's helper modules as the current build imported them.
        self._module_stamps = site_module_stamps(config.site_dir)
        self.options = options
        self.current = first
        self.switches = 0
        self.failed_reloads = 0
        self.cancelled_regenerations = 0
        self.reloaded = asyncio.Condition()  # notified after each reload, switched or not
        self._retiring: dict[ServedBuild, asyncio.Task[None]] = {}
        self._reload_lock = asyncio.Lock()
        self.watching = asyncio.Event()  # set once `watch` sees out/
        self._abandoned_retired = 0

    @property
    def live(self) -> list[ServedBuild]:
        """The current build and the old ones still answering requests."""
        return [self.current, *self._retiring]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer `request` with the current build; it keeps that build to the end."""
        build = self.current  # read once: the whole answer comes from one build
        build.requests += 1
        build.idle.clear()
        try:
            return await build.handler.handle(request)
        finally:
            build.requests -= 1
            if build.requests == 0:
                build.idle.set()

    def prebuilt(self, raw_target: str) -> PrebuiltResponse | None:
        """The current build's prebuilt fresh HIT for a raw request target, or None.

        Answered at once from one build (see PageResponses.prebuilt); no
        request is counted since none stays in flight.
        """
        return self.current.handler.pages.prebuilt(raw_target)

    def running_renders(self) -> int:
        """Regenerations and on-demand renders running now, in every live build."""
        return sum(len(build.engine.regenerator.in_flight) for build in self.live)

    def busy_connections(self) -> list[Any]:
        """The connections with a request being answered, by any live build."""
        return [c for build in self.live for c in build.handler.in_flight.busy_connections()]

    def abandon_in_flight(self) -> int:
        """Answer every request still being answered, by any build, with 503 (see InFlight)."""
        return sum(build.handler.in_flight.abandon() for build in self.live)

    @property
    def abandoned(self) -> int:
        """Requests answered 503 by shutdown, by any build."""
        return self._abandoned_retired + sum(
            build.handler.in_flight.abandoned for build in self.live
        )

    def start(self, build: ServedBuild) -> None:
        """Start a loaded build's loop-bound parts: scheduler, content preload."""
        engine = build.engine
        engine.revalidations.attach_loop(asyncio.get_running_loop())
        engine.state.start(engine.revalidations.sync_marks)
        build.scheduler.start()
        # The content the build read parsed, and the templates compiled, in a worker
        # thread now rather than on the event loop by the first render that needs them.
        build.preload = asyncio.create_task(
            asyncio.to_thread(preload_build, engine, build.config.cache_dir), name="ssg-preload"
        )
        engine.content_preload = build.preload

    async def reload(self) -> bool:
        """Load the build now in out/ and switch to it; False when it was kept as it is.

        A build that fails to load (a corrupt or missing manifest, a broken
        module) is logged and the current build goes on serving. The same
        build id as the current one is not loaded again. Reloads run one at a time.
        """
        async with self._reload_lock:
            started = time.monotonic()
            try:
                build = await asyncio.to_thread(self._load_if_new)
            except Exception as exc:
                logger.error(
                    "Could not load the new build in %s (%s); still serving build %s.",
                    self.config.out_dir,
                    exc,
                    self.current.build_id[:8],
                    exc_info=not isinstance(exc, BuildNotFoundError),
                )
                self.failed_reloads += 1
                await self._notify()
                return False
            if build is None:
                await self._notify()
                return False
            self.start(build)
            old, self.current = self.current, build  # the switch: one reference
            self.switches += 1
            self._retiring[old] = asyncio.create_task(
                self._retire(old), name=f"ssg-retire-build {old.build_id[:8]}"
            )
            logger.info(
                "Switched from build %s to %s in %.2f s.",
                old.build_id[:8],
                build.build_id[:8],
                time.monotonic() - started,
            )
            await self._notify()
            return True

    async def _notify(self) -> None:
        async with self.reloaded:
            self.reloaded.notify_all()

    def _load_if_new(self) -> ServedBuild | None:
        manifest = load_manifest(self.config.out_dir)
        if manifest is not None and manifest.build_id == self.current.build_id:
            logger.info(
                "Build %s in %s is the one served.", manifest.build_id[:8], self.config.out_dir
            )
            return None
        config = config_for_new_build(self.config)
        forget_changed_modules(self._module_stamps, config.site_dir)
        build = load_build(config, self.options)
        self._module_stamps = site_module_stamps(config.site_dir)
        return build

    async def wait_retired(self, build: ServedBuild) -> None:
        """Wait until an old build is closed (it is once its last request has ended)."""
        task = self._retiring.get(build)
        if task is not None:
            await asyncio.shield(task)

    async def _retire(self, build: ServedBuild) -> None:
        """Close an old build once the requests it answers have ended."""
        if build.requests:
            await build.idle.wait()
        await self.close(build)
        self._abandoned_retired += build.handler.in_flight.abandoned
        self._retiring.pop(build, None)

    async def close(self, build: ServedBuild) -> None:
        """Stop a build's scheduler, end its renders (grace period), close its services."""
        if build.preload is not None:
            await asyncio.gather(build.preload, return_exceptions=True)
        if build.scheduler.running:
            build.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # the shutdown runs as a loop callback: let it run now
        engine = build.engine
        await engine.regenerator.close(grace_seconds=build.config.shutdown_grace_seconds)
        self.cancelled_regenerations += engine.regenerator.cancelled
        # A revalidation made just before closing survives it.
        await engine.revalidations.save_marks()
        await engine.state.aclose()
        await engine.services.aclose()
        if build.pin is not None:
            await asyncio.to_thread(remove_pin, build.pin)

    async def close_all(self) -> None:
        """Close every build (server shutdown, once requests have ended or been abandoned)."""
        await asyncio.gather(*self._retiring.values(), return_exceptions=True)
        await self.close(self.current)

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload whenever a build swaps out/ in, until `stop` is set.

        Watches out/'s parent folder, not recursively: a build's commit renames
        its staging folder to out/, or (in place) sets out/'s times once done,
        which shows there as a change of out/ itself (the files written inside
        do not). Files copied into
        out/ in place (rsync) are not seen: send SIGHUP after such a copy.
        `self.watching` is set once the watch is in place.
        """
        out_dir = Path(os.path.abspath(self.config.out_dir))
        watched = {str(out_dir), str(out_dir / MANIFEST_FILE)}

        def about_out(_change: watchfiles.Change, changed: str) -> bool:
            return changed in watched

        changes = watchfiles.awatch(
            out_dir.parent,
            watch_filter=about_out,
            recursive=False,
            step=WATCH_STEP_MILLISECONDS,
            debounce=WATCH_DEBOUNCE_MILLISECONDS,
            stop_event=stop,
        )
        next_changes = asyncio.ensure_future(anext(changes))
        # The task's first step creates the inotify watch, before it waits in a thread.
        await asyncio.sleep(0)
        self.watching.set()
        try:
            while True:
                try:
                    await next_changes
                except StopAsyncIteration:
                    return
                try:
                    await self.reload()
                except Exception:  # a bug: keep watching, and keep the traceback
                    logger.exception("Switching to the new build in %s failed.", out_dir)
                next_changes = asyncio.ensure_future(anext(changes))
        finally:
            stop.set()
            await asyncio.gather(next_changes, return_exceptions=True)
