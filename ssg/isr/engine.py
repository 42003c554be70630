"""The ISR engine: cached pages of one build, their freshness, bodies and renders.

Revalidation lives in ssg.isr.revalidation, the budget of pages rendered on
demand in ssg.isr.on_demand; the engine holds one of each.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from pathlib import Path

from ssg.isr.backend import BuildState
from ssg.isr.cache import CachedPage, PageCache
from ssg.isr.freshness import Freshness, freshness_of
from ssg.isr.on_demand import OnDemandPages, unlink_all
from ssg.isr.regenerator import Outcome, Regenerator
from ssg.isr.rendering import PageRenderer, Rendered, entry_page
from ssg.isr.revalidation import Revalidations
from ssg.isr.tags import RouteTags
from ssg.plural import plural
from ssg.records import Manifest, RenderKind, RouteRecord, make_etag
from ssg.render.templates import template_frame
from ssg.routing.definitions import RouteMatch
from ssg.scope import Clock, DataServices
from ssg.site import Site

logger = logging.getLogger("ssg.isr")


class IsrEngine:
    """Everything the server knows about cached pages of one build.

    Args:
        site: the loaded site.
        services: the server's data services (SERVE mode); the engine keeps a copy
            whose `revalidator` is its `revalidations`, so ssg.revalidate_* in a
            render reach it.
        manifest: the build manifest; its pages go into the page index on `load`.
        clock: epoch seconds.
        state: this build's shared ISR state (entries, locks, marks, counters;
            see ssg.isr.backend).
        cache: the page index to fill (a new one when None).

    Attributes:
        revalidations: revalidate_path / revalidate_tag and their marks.
        on_demand: the pages rendered on demand, within their budget.
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
        # The pages are indexed by `load` and then dropped: the parsed JSON of
        # every page is memory the server does not need twice.
        self.manifest = manifest
        self.build_id = manifest.build_id
        self.out_dir = site.config.out_dir
        self.expire_seconds = float(site.config.expire_seconds)
        self.clock = clock
        self.state = state
        self.store = state.store
        self.cache = cache if cache is not None else PageCache()
        self.routes: dict[str, RouteRecord] = {r.route_pattern: r for r in manifest.routes}
        self.route_tags = RouteTags(
            {pattern: list(r.layout_patterns) for pattern, r in self.routes.items()}
        )
        self.revalidations = Revalidations(
            self.cache, self.tags_of, state, clock=clock, data_store=services.store
        )
        self.services = dataclasses.replace(services, revalidator=self.revalidations)
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
            locate=functools.partial(template_frame, site=site),
        )
        self.on_demand = OnDemandPages(
            self.cache,
            manifest.pages,
            site.config.on_demand_max_entries,
            rendering=self.regenerator.in_flight,
            body_file=self.body_file,
        )
        # The server's start-up task parsing content collections and compiling templates
        # (ssg.server.served_build).
        self.content_preload: asyncio.Task[int] | None = None

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
            if not self.on_demand.is_prerendered(page.record.url_path):
                on_demand.append(page)
        for page in sorted(on_demand, key=lambda p: p.record.generated_at):  # newest kept
            unlink_all(list(self.on_demand.admit(page.record.url_path).values()))  # blocking I/O
        stale = self.cache.mark_stale(lambda page: self.state.revalidated(self.tags_of(page), page))
        logger.info(
            "Serving build %s: %s, %d regenerated since, %d revalidated on demand.",
            self.build_id[:8],
            plural(len(self.cache), "page"),
            entries,
            len(stale),
        )

    def lookup(self, url_path: str) -> tuple[CachedPage | None, Freshness]:
        """The cached page for a canonical URL path and its freshness now."""
        page = self.cache.get(url_path)
        if page is not None:
            self.on_demand.touch(url_path)  # recently used
        return page, freshness_of(page, self.clock(), expire_seconds=self.expire_seconds)

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
        await self.on_demand.wait_deleted(match.url_path)  # its evicted file goes first
        outcome = await self.regenerator.render(match.url_path, match.route.route_pattern)
        if outcome.value is not None and outcome.value.cached:
            evicted = self.on_demand.admit(match.url_path)
            if evicted:
                await self.on_demand.delete(evicted)
        return outcome

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
