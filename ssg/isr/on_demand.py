"""Pages rendered on demand: a budget, least recently used out first, their entry files deleted."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Collection
from pathlib import Path

from ssg.isr.cache import CachedPage, PageCache


class OnDemandPages:
    """The cached pages of URLs the build did not list, at most `max_entries` of them.

    Anyone can request new URLs, so these pages are kept least recently used
    first and evicted beyond the budget: an evicted page leaves the page index,
    its entry file is deleted, and its next request renders it again. Pages the
    build listed are never counted nor evicted. Guarded by the event loop
    thread, as the PageCache is.

    Args:
        cache: the page index pages are evicted from.
        prerendered: the URL paths the build listed.
        max_entries: most pages kept (config.on_demand_max_entries).
        rendering: URL paths being rendered now (kept even when least recently used).
        body_file: where a cached page's body is (its entry file for an ISR entry).

    Attributes:
        evicted: pages evicted so far.
    """

    def __init__(
        self,
        cache: PageCache,
        prerendered: Collection[str],
        max_entries: int,
        *,
        rendering: Collection[str],
        body_file: Callable[[CachedPage], Path],
    ) -> None:
        self.cache = cache
        self.max_entries = max_entries
        self.evicted = 0
        self._prerendered = frozenset(prerendered)
        self._rendering = rendering
        self._body_file = body_file
        self._pages: OrderedDict[str, None] = OrderedDict()
        # URL path -> the deletion of its evicted entry file, running in a thread.
        self._deleting: dict[str, asyncio.Future[None]] = {}

    def __len__(self) -> int:
        return len(self._pages)

    def is_prerendered(self, url_path: str) -> bool:
        """True for an URL the build listed."""
        return url_path in self._prerendered

    def touch(self, url_path: str) -> None:
        """Count a request of `url_path` (most recently used now), if it is an on-demand page."""
        if url_path in self._pages:
            self._pages.move_to_end(url_path)

    def admit(self, url_path: str) -> dict[str, Path]:
        """Count a cached page rendered on demand; evict the least recently used beyond the budget.

        Returns:
            The ISR entry files of the evicted pages, by URL path, to delete.
        """
        evicted: dict[str, Path] = {}
        if url_path in self._prerendered or self.cache.get(url_path) is None:
            return evicted
        self._pages[url_path] = None
        self._pages.move_to_end(url_path)
        rendering: list[str] = []
        while len(self._pages) > self.max_entries:
            evicted_path, _ = self._pages.popitem(last=False)
            if evicted_path in self._rendering:
                rendering.append(evicted_path)  # being rendered: keep it, evict another
                continue
            page = self.cache.remove(evicted_path)
            if page is not None and page.from_entry:
                evicted[evicted_path] = self._body_file(page)
            self.evicted += 1
        for kept in rendering:
            self._pages[kept] = None
        return evicted

    async def delete(self, entry_files: dict[str, Path]) -> None:
        """Delete evicted entry files in a thread, off the event loop.

        An unlink waits for the file system's journal, which other writers'
        fsyncs keep busy; a render of one of these URLs waits for its deletion
        first (`wait_deleted`), so a new entry is never the one deleted.
        """
        deletion = asyncio.ensure_future(asyncio.to_thread(unlink_all, list(entry_files.values())))
        for url_path in entry_files:
            self._deleting[url_path] = deletion

        def forget(_done: asyncio.Future[None]) -> None:
            for url_path in entry_files:
                if self._deleting.get(url_path) is deletion:
                    del self._deleting[url_path]

        deletion.add_done_callback(forget)
        await asyncio.shield(deletion)

    async def wait_deleted(self, url_path: str) -> None:
        """Wait until the evicted entry file of `url_path` is deleted, if one is being deleted."""
        deleting = self._deleting.get(url_path)
        if deleting is not None:
            await asyncio.shield(deleting)


def unlink_all(files: list[Path]) -> None:
    """Delete files (blocking I/O); missing ones are skipped."""
    for file in files:
        file.unlink(missing_ok=True)
