"""The ISR engine: cached pages of one build, their freshness, regeneration and revalidation."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ssg.errors import OutsideRenderError
from ssg.isr.backend import BuildState
from ssg.isr.cache import CachedPage, PageCache
from ssg.isr.freshness import Freshness, freshness_of
from ssg.isr.regenerator import Outcome, Regenerator
from ssg.isr.rendering import PageRenderer, Rendered, entry_page
from ssg.isr.tags import RouteTags, path_tag
from ssg.records import Manifest, RenderKind, RouteRecord, make_etag
from ssg.routing.definitions import RouteMatch
from ssg.scope import Clock, DataServices
from ssg.site import Site

logger = logging.getLogger("ssg.isr")


class IsrEngine:
    """Everything the server knows about cached pages, and the `Revalidator` of its services.

    Args:
        site: the loaded site.
        services: the server's data services (SERVE mode); the engine keeps a copy
            whose `revalidator` is itself, so ssg.revalidate_* in a render reach it.
        manifest: the build manifest; its pages go into the page index on `load`.
        clock: epoch seconds.
        state: this build's shared ISR state (entries, locks, marks, counters;
            see ssg.isr.backend).
        cache: the page index to fill (a new one when None).
    """

    def __init__(
        self,
        site: Site,
        services: DataServices,
        manifest: Manifest,
        *,
        clock: Clock,
        state: BuildState,
        cache: PageCache | None = None,
    ) -> None:
        self.site = site
        self.services = dataclasses.replace(services, revalidator=self)
        # The pages are indexed by `load` and then dropped: the parsed JSON of
        # every page is memory the server does not need twice.
        self.manifest = manifest
        self.build_id = manifest.build_id
        self.out_dir = site.config.out_dir
        self.expire_seconds = float(site.config.expire_seconds)
        self.clock = clock
        self.state = state
        self.store = state.store
        self.marks = state.marks
        self.cache = cache if cache is not None else PageCache()
        self.routes: dict[str, RouteRecord] = {r.route_pattern: r for r in manifest.routes}
        self.route_tags = RouteTags(
            {pattern: list(r.layout_patterns) for pattern, r in self.routes.items()}
        )
        self.renderer = PageRenderer(
            site=site,
            services=self.services,
            build_id=self.build_id,
            route_tags=self.route_tags,
            cache=self.cache,
            state=state,
            clock=clock,
            expire_seconds=self.expire_seconds,
        )
        self.regenerator: Regenerator[Rendered | None] = Regenerator(
            self.renderer.render,
            clock=clock,
            timeout_seconds=site.config.render_timeout_seconds,
        )
        # One task saves the marks file; marks made while it writes set the flag
        # and are saved by its next round (no lock, no overlapping writes).
        self._marks_saver: asyncio.Task[None] | None = None
        # Pages rendered on demand (URLs the build did not list), least recently
        # used first: anyone can request new URLs, so they are bounded.
        self.on_demand_max_entries = site.config.on_demand_max_entries
        self._prerendered: frozenset[str] = frozenset(manifest.pages)
        self._on_demand: OrderedDict[str, None] = OrderedDict()
        self.evicted = 0
        # URL path -> the deletion of its evicted entry file, running in a thread.
        self._deleting: dict[str, asyncio.Future[None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None  # set by attach_loop
        # The server's start-up task parsing content collections and compiling templates
        # (ssg.server.builds).
        self.content_preload: asyncio.Task[int] | None = None
        self._marks_dirty = False
        # Told of each revalidation made here (the purge webhook): (url paths, tags).
        self.on_revalidate: Callable[[tuple[str, ...], tuple[str, ...]], None] | None = None

    def load(self) -> None:
        """Index the build's pages, then this build's ISR entries over them (blocking I/O)."""
        built_start = self.state.build_page_start()
        for record in self.manifest.pages.values():
            self.cache.put(CachedPage(record, started_at=built_start))
        self.state.load()
        entries = 0
        on_demand = []
        for stored in self.store.scan():
            page = entry_page(stored)
            self.cache.put(page)
            entries += 1
            if page.record.url_path not in self._prerendered:
                on_demand.append(page)
        for page in sorted(on_demand, key=lambda p: p.record.generated_at):  # newest kept
            _unlink_all(list(self._admit(page.record.url_path).values()))  # blocking I/O here
        stale = self.cache.mark_stale(lambda page: self.state.revalidated(self.tags_of(page), page))
        logger.info(
            "Serving build %s: %d pages, %d regenerated since, %d revalidated on demand.",
            self.build_id[:8],
            len(self.cache),
            entries,
            len(stale),
        )

    def lookup(self, url_path: str) -> tuple[CachedPage | None, Freshness]:
        """The cached page for a canonical URL path and its freshness now."""
        page = self.cache.get(url_path)
        if page is not None and url_path in self._on_demand:
            self._on_demand.move_to_end(url_path)  # recently used
        return page, freshness_of(page, self.clock(), expire_seconds=self.expire_seconds)

    @property
    def on_demand_entries(self) -> int:
        """Cached pages rendered on demand (bounded by `on_demand_max_entries`)."""
        return len(self._on_demand)

    def _admit(self, url_path: str) -> dict[str, Path]:
        """Count a cached page rendered on demand; evict the least recently used beyond the budget.

        An evicted page leaves the index; the next request for it renders it again.

        Returns:
            The ISR entry files of the evicted pages, by URL path, to delete.
        """
        evicted: dict[str, Path] = {}
        if url_path in self._prerendered or self.cache.get(url_path) is None:
            return evicted
        self._on_demand[url_path] = None
        self._on_demand.move_to_end(url_path)
        rendering: list[str] = []
        while len(self._on_demand) > self.on_demand_max_entries:
            evicted_path, _ = self._on_demand.popitem(last=False)
            if evicted_path in self.regenerator.in_flight:
                rendering.append(evicted_path)  # being rendered: keep it, evict another
                continue
            page = self.cache.remove(evicted_path)
            if page is not None and page.from_entry:
                evicted[evicted_path] = self.body_file(page)
            self.evicted += 1
        for kept in rendering:
            self._on_demand[kept] = None
        return evicted

    async def _delete_entries(self, entry_files: dict[str, Path]) -> None:
        """Delete evicted entry files in a thread, off the event loop.

        An unlink waits for the file system's journal, which other writers' fsyncs
        keep busy; a render of one of these URLs waits for its deletion first
        (see render), so a new entry is never the one deleted.
        """
        deletion = asyncio.ensure_future(asyncio.to_thread(_unlink_all, list(entry_files.values())))
        for url_path in entry_files:
            self._deleting[url_path] = deletion

        def forget(_done: asyncio.Future[None]) -> None:
            for url_path in entry_files:
                if self._deleting.get(url_path) is deletion:
                    del self._deleting[url_path]

        deletion.add_done_callback(forget)
        await asyncio.shield(deletion)

    def tags_of(self, page: CachedPage) -> frozenset[str]:
        """Every tag of a page: explicit, its URL path, and its route's implicit tags."""
        record = page.record
        return self.route_tags.all_tags(record.route_pattern, record.url_path, record.tags)

    def body_file(self, page: CachedPage) -> Path:
        """Where a page's body is: its ISR entry file, or its file under out/."""
        folder = self.store.directory if page.from_entry else self.out_dir
        return folder / page.record.output_file

    def is_dynamic(self, match: RouteMatch) -> bool:
        """True when the route renders per request (the build said so, or its settings do)."""
        built = self.routes.get(match.route.route_pattern)
        built_dynamic = built is not None and built.render == RenderKind.DYNAMIC
        return built_dynamic or self.site.settings(match.route).is_dynamic

    def renders_on_demand(self, match: RouteMatch) -> bool:
        """True when an URL with no cached page may be rendered on demand.

        The route must be in the build (routes added since are unknown, as
        Next.js), and a dynamic pattern needs `dynamic_params` (page or layouts).
        """
        if match.route.route_pattern not in self.routes:
            return False
        if match.route.is_dynamic_pattern:
            return self.site.settings(match.route).dynamic_params
        return True

    async def body(self, page: CachedPage) -> bytes | None:
        """The page's body, from memory or disk; None when its file is gone or changed."""
        body = self.cache.body(page.record.etag)
        if body is not None:
            return body
        body = await asyncio.to_thread(self._read_body, page)
        if body is not None:
            self.cache.remember_body(page.record.etag, body)
        return body

    def regenerate(self, page: CachedPage) -> bool:
        """Start one background regeneration of a stale page (see Regenerator.regenerate)."""
        return self.regenerator.regenerate(
            page.record.url_path, page.record.route_pattern, page.record.revalidate
        )

    async def render(self, match: RouteMatch) -> Outcome[Rendered | None]:
        """Render an URL while the caller waits, sharing a render already in flight.

        A page the build did not list counts against `on_demand_max_entries`;
        the entry files of the pages it evicts are deleted before this returns.
        """
        deleting = self._deleting.get(match.url_path)
        if deleting is not None:
            await asyncio.shield(deleting)  # its evicted entry file goes before a new one comes
        outcome = await self.regenerator.render(match.url_path, match.route.route_pattern)
        if outcome.value is not None and outcome.value.cached:
            evicted = self._admit(match.url_path)
            if evicted:
                await self._delete_entries(evicted)
        return outcome

    def revalidate_path(self, url_path: str, type: str | None = None) -> int:
        """Mark the pages `revalidate_path` names stale now (as Next.js); return how many.

        Runs on the event loop thread (route handlers and load() do); saving the
        mark for other workers and restarts is scheduled, not awaited. The
        data-cache entries those pages' last renders read are dropped, so their
        regenerations call the upstream again, as Next.js revalidatePath does
        (test/e2e/app-dir/app-static, "should revalidate all fetches during
        on-demand revalidate"); pages that did not read them keep their data.

        Raises:
            ValueError: a bad `type`, or a `[param]` pattern without a type.
            OutsideRenderError: called off the event loop (e.g. from a thread)
                before the server runs.
        """
        if self._off_loop():  # a sync route handler or load() runs in a worker thread
            return self._on_loop(self.revalidate_path, url_path, type)
        tag = path_tag(url_path, type)
        marked = self._mark({tag})
        if self.on_revalidate is not None:
            self.on_revalidate((tag,) if type is None else (), (tag,))
        store = self.services.store
        if store is not None:
            keys = {key for page in marked for key in page.record.data_keys}
            if keys:
                # Queued on the store's thread, ahead of the regeneration's reads.
                store.drop_soon(keys)
                logger.info("Revalidated %s: dropping %d data cache entries.", url_path, len(keys))
        return len(marked)

    def revalidate_tag(self, tag: str) -> int:
        """Drop data cache entries tagged `tag` and mark pages using it stale now; return pages marked.

        Raises:
            OutsideRenderError: called off the event loop (e.g. from a thread).
        """
        if self._off_loop():
            return self._on_loop(self.revalidate_tag, tag)
        self._require_loop(f"ssg.revalidate_tag({tag!r})")
        if self.services.store is not None:
            self.services.store.revalidate_tag_soon(tag)  # before the regenerations' reads
        marked = self._mark({tag})
        if self.on_revalidate is not None:
            self.on_revalidate((), (tag,))
        return len(marked)

    async def save_marks(self) -> None:
        """Wait until every mark made so far is stored (the marks file, or Redis).

        The revalidate endpoint, route handlers, dynamic pages and shutdown await it.
        """
        saver = self._marks_saver
        if saver is not None and not saver.done():
            await asyncio.shield(saver)

    def prewarm(self, limit: int) -> int:
        """Start regenerations of stale pages, keeping at most `limit` renders in flight.

        Returns:
            How many regenerations were started.
        """
        now = self.clock()
        started = 0
        for page in self.cache:
            if len(self.regenerator.in_flight) >= limit:
                break
            fresh = freshness_of(page, now, expire_seconds=self.expire_seconds)
            if (
                fresh is not Freshness.FRESH
                and page.record.url_path not in self.regenerator.in_flight
            ):
                started += int(self.regenerate(page))
        return started

    def sync_marks(self) -> int:
        """Apply revalidations other processes saved since the last call; return pages marked.

        On disk: one stat of the marks file when nothing changed; the scheduler
        calls it every second, so a revalidation reaches every worker within ~1 s.
        With Redis the invalidation stream's reader calls it as events arrive.
        """
        return self.apply_marks(self.state.refresh())

    def apply_marks(self, newer: dict[str, float]) -> int:
        """Mark stale the pages whose render began at or before a mark in `newer`.

        Args:
            newer: tag -> position of marks made elsewhere (see RenderStart).

        Returns:
            How many pages were marked.
        """
        if not newer:
            return 0

        def revalidated(page: CachedPage) -> bool:
            return any(
                newer.get(tag, float("-inf")) >= page.render_started_at
                for tag in self.tags_of(page)
            )

        return len(self.cache.mark_stale(revalidated))

    def _mark(self, tags: set[str]) -> list[CachedPage]:
        self._require_loop("ssg.revalidate_path / revalidate_tag")
        marked = self.cache.mark_stale(lambda page: not self.tags_of(page).isdisjoint(tags))
        self.marks.mark(tags, self.clock())
        self._marks_dirty = True
        if self._marks_saver is None or self._marks_saver.done():
            self._marks_saver = asyncio.create_task(self._save_marks(), name="ssg-save-marks")
        logger.info(
            "Revalidated %s: %d page(s) marked stale.", ", ".join(sorted(tags)), len(marked)
        )
        return marked

    async def _save_marks(self) -> None:
        """Save the marks until none is left unsaved: one writer task, so saves never overlap."""
        while self._marks_dirty:
            self._marks_dirty = False
            try:
                await self.state.save_marks()
            except OSError as exc:
                logger.warning(
                    "Could not save revalidation marks (%s); the pages are stale now, "
                    "but would count as fresh again after a restart.",
                    exc,
                )

    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Remember the server's loop: revalidations from worker threads are run on it."""
        self._loop = loop

    def _off_loop(self) -> bool:
        loop = self._loop
        if loop is None or loop.is_closed():
            return False
        try:
            return asyncio.get_running_loop() is not loop
        except RuntimeError:
            return True

    def _on_loop(self, function: Callable[..., int], *args: Any) -> int:
        """Run `function(*args)` on the server's loop from a worker thread and wait for it."""

        async def call() -> int:
            return function(*args)

        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(call(), self._loop).result()

    @staticmethod
    def _require_loop(call: str) -> None:
        # The page index is guarded by the event loop thread (see PageCache), so a
        # revalidation from another thread would race the requests reading it.
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise OutsideRenderError(
                f"{call} was called off the server's event loop (from a thread?): call it "
                "directly in the route handler or load(), not through asyncio.to_thread",
                call=call,
            ) from None

    def _read_body(self, page: CachedPage) -> bytes | None:
        record, body_file = page.record, self.body_file(page)
        if page.from_entry:
            return self.store.read_body(body_file, record.etag)
        try:
            body = body_file.read_bytes()
        except OSError as exc:
            logger.error(
                "Cannot read %s for %s (%s); out/ changed under the server: run ssg build "
                "(the server switches to the build it writes) or send ssg serve SIGHUP.",
                body_file,
                record.url_path,
                exc,
            )
            return None
        if len(body) != record.size_bytes or make_etag(body) != record.etag:
            # Another build replaced out/ under this one (its requests still in
            # flight while the server switches, or files copied in place): these
            # bytes belong to another version than the page's ETag, and pairing them
            # would let a client's If-None-Match get 304 for changed content. Not
            # served: the caller renders the page again.
            logger.warning(
                "%s changed since the build the server loaded; rendering %s again. The "
                "server switches to a build `ssg build` writes; after copying one into "
                "out/ in place, send ssg serve SIGHUP.",
                body_file,
                record.url_path,
            )
            return None
        return body


def _unlink_all(files: list[Path]) -> None:
    for file in files:
        file.unlink(missing_ok=True)
