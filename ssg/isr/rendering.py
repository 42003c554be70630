"""Render one URL for the ISR cache: lock it across workers, adopt or render, store, index."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from ssg.errors import DynamicUsage, RegenerationError, RuntimeDynamicError
from ssg.isr.backend import BuildState
from ssg.isr.cache import CachedPage, PageCache
from ssg.isr.entries import StoredEntry
from ssg.isr.freshness import Freshness, freshness_of, retry_delay_seconds
from ssg.isr.tags import RouteTags
from ssg.records import PageRecord
from ssg.render.renderer import make_scope, render_match
from ssg.revalidate import Revalidate
from ssg.scope import Clock, DataServices
from ssg.site import Site

logger = logging.getLogger("ssg.isr")


@dataclass(frozen=True)
class Rendered:
    """A finished ISR render.

    Attributes:
        page: the page's record (in the cache when `cached`).
        body: its body.
        cached: False for results sent once and not kept: a 404 for an URL that
            had no page, or a render that said revalidate 0.
        adopted: True when another process rendered it and this one took its
            entry (answered as a HIT: nobody waited for a render here).
    """

    page: PageRecord
    body: bytes
    cached: bool
    adopted: bool = False


def entry_page(entry: StoredEntry) -> CachedPage:
    """The CachedPage of an ISR entry."""
    return CachedPage(entry.page, from_entry=True, started_at=entry.started_at)


class PageRenderer:
    """Renders URLs statically (no request) into ISR entries, one process at a time per URL.

    Args:
        site: the loaded site.
        services: the server's data services.
        build_id: the manifest's build.
        route_tags: each route's implicit tags.
        cache: the page index to update.
        state: the build's shared state: locks, entries, marks, counters (a
            render that overlaps a mark is stale at once).
        clock: epoch seconds.
        expire_seconds: config.expire_seconds.
    """

    def __init__(
        self,
        *,
        site: Site,
        services: DataServices,
        build_id: str,
        route_tags: RouteTags,
        cache: PageCache,
        state: BuildState,
        clock: Clock,
        expire_seconds: float,
    ) -> None:
        self.site = site
        self.services = services
        self.build_id = build_id
        self.route_tags = route_tags
        self.cache = cache
        self.state = state
        self.clock = clock
        self.expire_seconds = expire_seconds
        # Renders that ran, counted across every process sharing the state: not
        # the same as Regenerator's *_started counts of one process.
        self.regenerations_rendered = state.regenerations_rendered
        self.on_demand_rendered = state.on_demand_rendered

    async def render(self, url_path: str, background: bool) -> Rendered | None:
        """Render `url_path` and store it, unless another process has it or just did.

        A background regeneration whose URL is locked elsewhere is skipped
        (None): that process is rendering it. An on-demand render waits for the
        lock. Either way, an entry another process wrote since this one's page
        is adopted instead of rendering again, so one render per page holds
        across processes (and instances, with a shared backend).

        Raises:
            RuntimeDynamicError: the render read the request (Next.js: "changed from
                static to dynamic at runtime").
            RegenerationError: the URL no longer matches a route, a 5xx, or a failed write.
            Exception: whatever the page raised.
        """
        state = self.state
        if background:
            lock = await state.try_lock(url_path)
            if lock is None:
                return None
        else:
            lock = await state.lock(url_path)
        try:
            adopted = await self._adopt(url_path)
            if adopted is not None:
                return adopted
            if background and await state.failing(url_path):
                return None  # another instance's try failed: its back-off holds for all
            (self.regenerations_rendered if background else self.on_demand_rendered).add()
            try:
                return await self._render_and_store(url_path)
            except Exception:
                if background:
                    current = self.cache.get(url_path)
                    revalidate = current.record.revalidate if current else Revalidate.NEVER
                    await state.record_failure(url_path, retry_delay_seconds(revalidate))
                raise
        finally:
            await lock.release()

    async def _adopt(self, url_path: str) -> Rendered | None:
        """The stored entry, when another process wrote it after our page and it is fresh."""
        found = await self.state.read_shared(url_path)
        if found is None:
            return None
        entry, body = found
        current = self.cache.get(url_path)
        if current is not None and entry.page.generated_at <= current.record.generated_at:
            return None
        page = entry_page(entry)
        if self.state.revalidated(self._tags(page), page):
            return None
        now = self.clock()
        if freshness_of(page, now, expire_seconds=self.expire_seconds) is not Freshness.FRESH:
            return None
        self.cache.put(page, body)
        return Rendered(entry.page, body, cached=True, adopted=True)

    def _tags(self, page: CachedPage) -> frozenset[str]:
        record = page.record
        return self.route_tags.all_tags(record.route_pattern, record.url_path, record.tags)

    async def _render_and_store(self, url_path: str) -> Rendered:
        match = self.site.table.match(url_path)
        if match is None:
            raise RegenerationError(
                f"{url_path} no longer matches any route in app/", url_path=url_path
            )
        route = match.route
        start = await self.state.begin_render(url_path, self.clock)
        scope = make_scope(self.site, route, url_path, self.services)
        try:
            result = await render_match(self.site, match, scope)
        except DynamicUsage as usage:
            config_file = self.site.settings(route).config_file
            raise RuntimeDynamicError(route.route_pattern, usage.call, config_file) from usage
        if result.status >= 500:
            raise RegenerationError(
                f"{url_path} answered status {result.status}; not caching it",
                url_path=url_path,
            )
        record = result.to_record(
            url_path=url_path,
            route_pattern=route.route_pattern,
            output_file=self.state.store.entry_name(url_path),
            # Freshness counts from when the entry is set (as Next.js), not from
            # the render's start: a render slower than revalidate would otherwise
            # be stale on arrival and regenerate back to back. Marks still count
            # from the start (started_at), so one made mid-render is not lost.
            generated_at=self.clock(),
        )
        if scope.bundle_dirs:
            # Page-bundle files of an entry the build did not list (a scheduled post):
            # the site handler serves them next to this URL.
            files = tuple(
                (name, str(folder / name))
                for folder, names in scope.bundle_dirs.items()
                for name in names
            )
            record = dataclasses.replace(record, bundle_files=files)
        if (self.cache.get(url_path) is None and result.status == 404) or (
            result.revalidate.is_every_request
        ):
            # A 404 for an unknown URL is not stored (random URLs would fill the
            # disk); a render that says revalidate 0 is dynamic: sent, not kept.
            return Rendered(record, result.body, cached=False)
        try:
            stored = await self.state.write(record, result.body, start)
        except OSError as exc:
            raise RegenerationError(
                f"could not write the ISR entry of {url_path}: {exc}", url_path=url_path
            ) from exc
        if stored is None:
            # A render that began later (another process, after this one's lock
            # ran out) stored a newer entry: take it rather than overwrite it.
            adopted = await self._adopt(url_path)
            return adopted if adopted is not None else Rendered(record, result.body, cached=False)
        page = entry_page(stored)
        if self.state.revalidated_during(self._tags(page), start):
            page = page.with_mark(True)  # revalidated while rendering: stale already
        self.cache.put(page, result.body)
        return Rendered(record, result.body, cached=True)
