"""On-demand revalidation of one build's pages: marking them stale and keeping the marks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ssg.errors import OutsideRenderError
from ssg.isr.backend import BuildState
from ssg.isr.cache import CachedPage, PageCache
from ssg.isr.tags import path_tag
from ssg.plural import plural
from ssg.scope import Clock

if TYPE_CHECKING:
    from ssg.data.cached_value import DataCache

logger = logging.getLogger("ssg.isr")


class Revalidations:
    """`ssg.revalidate_path` / `revalidate_tag` of a served build (the `Revalidator` of its services).

    A revalidation marks the matching cached pages stale at once and records
    a mark in the build's shared state, saved for the other workers (or
    instances) and for restarts by one background task; marks made elsewhere
    arrive through `sync_marks`.

    Args:
        cache: the build's page index.
        tags_of: every tag of a cached page (explicit and implicit).
        state: the build's shared ISR state (marks, their saving and refreshing).
        clock: epoch seconds.
        data_store: the data cache, whose entries a revalidation drops (None: none).

    Attributes:
        on_revalidate: told of each revalidation made here (the purge webhook):
            (url paths, tags).
    """

    def __init__(
        self,
        cache: PageCache,
        tags_of: Callable[[CachedPage], frozenset[str]],
        state: BuildState,
        *,
        clock: Clock,
        data_store: DataCache | None,
    ) -> None:
        self.cache = cache
        self.tags_of = tags_of
        self.state = state
        self.clock = clock
        self.data_store = data_store
        self.on_revalidate: Callable[[tuple[str, ...], tuple[str, ...]], None] | None = None
        # One task saves the marks; marks made while it writes set the flag and
        # are saved by its next round (no lock, no overlapping writes).
        self._marks_saver: asyncio.Task[None] | None = None
        self._marks_dirty = False
        self._loop: asyncio.AbstractEventLoop | None = None  # set by attach_loop

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
        store = self.data_store
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
        if self.data_store is not None:
            self.data_store.revalidate_tag_soon(tag)  # before the regenerations' reads
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

    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Remember the server's loop: revalidations from worker threads are run on it."""
        self._loop = loop

    def _mark(self, tags: set[str]) -> list[CachedPage]:
        self._require_loop("ssg.revalidate_path / revalidate_tag")
        marked = self.cache.mark_stale(lambda page: not self.tags_of(page).isdisjoint(tags))
        self.state.marks.mark(tags, self.clock())
        self._marks_dirty = True
        if self._marks_saver is None or self._marks_saver.done():
            self._marks_saver = asyncio.create_task(self._save_marks(), name="ssg-save-marks")
        logger.info(
            "Revalidated %s: %s marked stale.", ", ".join(sorted(tags)), plural(len(marked), "page")
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
