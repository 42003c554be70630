"""The server's in-memory index of cached pages (build output + ISR entries), bodies in an LRU."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ssg.records import PageRecord

DEFAULT_BODY_BUDGET_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CachedPage:
    """One cached URL: its page record and how the server holds it.

    Attributes:
        record: the page (build output: from the manifest; regenerated: from
            its ISR entry).
        from_entry: True for an ISR entry (`record.output_file` names the entry
            file in the store), False for the build output (relative to out/).
        started_at: epoch seconds its render began, when that differs from
            `record.generated_at` (ISR renders); see `render_started_at`.
        marked_stale: revalidated on demand since it was generated.
    """

    record: PageRecord
    from_entry: bool = False
    started_at: float | None = None
    marked_stale: bool = False

    @property
    def render_started_at(self) -> float:
        """When its render began: a revalidation mark at or after this makes it stale."""
        return self.record.generated_at if self.started_at is None else self.started_at

    def with_mark(self, marked_stale: bool) -> CachedPage:
        """A copy with `marked_stale` set."""
        return dataclasses.replace(self, marked_stale=marked_stale)


class PageCache:
    """URL path -> CachedPage, plus an LRU of bodies by ETag bounded in bytes.

    All methods are synchronous and run on the event loop's thread, which is
    what guards the dicts (no lock: no await happens between a read and the
    write that depends on it).

    Args:
        body_budget_bytes: most body bytes kept in memory; larger bodies are
            not kept (read from disk each time). Bodies are keyed by ETag, so
            identical bodies share one copy.
    """

    def __init__(self, *, body_budget_bytes: int = DEFAULT_BODY_BUDGET_BYTES) -> None:
        self._pages: dict[str, CachedPage] = {}
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._body_bytes = 0
        self.body_budget_bytes = body_budget_bytes

    def __len__(self) -> int:
        return len(self._pages)

    def __iter__(self) -> Iterator[CachedPage]:
        return iter(list(self._pages.values()))

    def get(self, url_path: str) -> CachedPage | None:
        """The cached page for a canonical URL path, or None."""
        return self._pages.get(url_path)

    def put(self, page: CachedPage, body: bytes | None = None) -> None:
        """Insert or replace a page; `body`, when given, goes into the LRU."""
        self._pages[page.record.url_path] = page
        if body is not None:
            self.remember_body(page.record.etag, body)

    def remove(self, url_path: str) -> CachedPage | None:
        """Forget a page and its body in memory; return the page, or None.

        A page sharing the body (same ETag) reads it from disk again when asked.
        """
        page = self._pages.pop(url_path, None)
        if page is not None:
            body = self._bodies.pop(page.record.etag, None)
            if body is not None:
                self._body_bytes -= len(body)
        return page

    def mark_stale(self, matches: Callable[[CachedPage], bool]) -> list[CachedPage]:
        """Mark every page `matches` accepts as stale; return the pages marked."""
        marked: list[CachedPage] = []
        for url_path, page in list(self._pages.items()):
            if matches(page):
                self._pages[url_path] = page.with_mark(True)
                marked.append(page)
        return marked

    def body(self, etag: str) -> bytes | None:
        """A remembered body by ETag (most recently used moves last), or None."""
        body = self._bodies.get(etag)
        if body is not None:
            self._bodies.move_to_end(etag)
        return body

    def remember_body(self, etag: str, body: bytes) -> None:
        """Keep a body in memory, evicting the least recently used beyond the budget."""
        if len(body) > self.body_budget_bytes // 8 or etag in self._bodies:
            return
        self._bodies[etag] = body
        self._body_bytes += len(body)
        while self._body_bytes > self.body_budget_bytes and self._bodies:
            _etag, evicted = self._bodies.popitem(last=False)
            self._body_bytes -= len(evicted)

    @property
    def body_bytes(self) -> int:
        """Bytes of bodies held in memory."""
        return self._body_bytes
