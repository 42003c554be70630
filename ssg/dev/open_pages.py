"""What each page `ssg dev` rendered read, so an edit reloads only the open pages it touches.

The reads are the incremental build's (`ssg.reads`: templates, entry fields,
collections, files, memoized calls' reads, plus the route's own files) and so are
their digests (`ReadDigests`): after a change is applied, every recorded read is
digested again, and a page is told to reload when one of its reads changed. A page
with no record (a 404, an error overlay, a page this worker did not render), or one
whose render overlapped a change, reloads on every change: nothing proves it
unaffected. This is Vite's module graph turned to pages: a changed file reaches the
pages that read it; one nothing is known about reloads everything.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from ssg.builder.read_digests import ReadDigests
from ssg.builder.route_inputs import route_files
from ssg.content.entry import Entry
from ssg.content.memo import memoized_collection
from ssg.content.specs import CollectionOrigin
from ssg.reads import COLLECTION_READS, Read, ReadKind, Reads
from ssg.routing.definitions import RouteDefinition
from ssg.scope import DataServices
from ssg.site import Site

logger = logging.getLogger("ssg.dev")

KEPT_PAGES = 500
"""Records kept (the least recently rendered go first; a page without one reloads always)."""
KEPT_CHANGES = 100
"""Changes remembered for a page whose events stream connects after they were applied."""
_NEVER_PROVEN = frozenset({ReadKind.VOLATILE, ReadKind.PAGE_INDEX})
"""Reads no digest speaks for in dev (`ssg dev` has no page index): always changed."""
_ENTRY_READS = frozenset({ReadKind.FIELD, ReadKind.ENTRY})
"""Reads of one content entry, named by its source file."""
_DISK_READS = frozenset({ReadKind.TEMPLATE, ReadKind.FILE, ReadKind.DIR})
"""Reads a render takes from disk itself (content comes from the memo, changed only by
`begin_change`): one edited while the page rendered may have been read on either side."""
MTIME_SLACK = 0.05
"""Seconds: a file's modification time is the kernel's coarse clock (a tick behind the
render's `time.time()` at most), so edits this close before a render count as during it."""


@dataclass(frozen=True)
class RenderReads:
    """What one render of a page read.

    Attributes:
        reads: every read, own and from memoized calls, with the route's files.
        change: how many changes had been applied when its render started.
        overlapped: a change was applied while it rendered (so it may show either side).
    """

    reads: frozenset[Read]
    change: int
    overlapped: bool


class OpenPages:
    """The reads of the pages this dev worker rendered, and which of them a change touched.

    `record` and `changed_pages` digest (reading files and content): call them off the
    event loop. A lock keeps one of them at a time; `begin_change` is quick.

    Args:
        site: the loaded site.
        services: the worker's data services (the renders' content memo).
    """

    def __init__(self, site: Site, services: DataServices) -> None:
        self._site = site
        self._services = services
        self._lock = threading.Lock()
        self._records: OrderedDict[str, RenderReads] = OrderedDict()
        self._digests: dict[Read, str | None] = {}
        self._current = ReadDigests(site, services)
        self._route_files: dict[str, frozenset[Read]] = {}
        self._entries: dict[str, tuple[Entry, ...]] = {}  # source file -> entries, last change
        self._log: list[tuple[int, frozenset[str]]] = []
        self._recording: set[asyncio.Task[None]] = set()
        self.change = 0
        """How many changes (of templates or content) have been applied or begun."""

    def record(
        self,
        url_path: str,
        route: RouteDefinition,
        reads: Reads,
        started: int,
        started_at: float,
    ) -> None:
        """Keep what the render of `url_path` read; digest the reads not seen before.

        Args:
            url_path: the page's URL path ("/blog/hello").
            route: its route (its folder's files and site modules count as read, as in a build).
            reads: what the render recorded.
            started: `change` when the render started.
            started_at: `time.time()` when the render started (seconds since the epoch,
                compared with the modification times of the files it read).
        """
        found = reads.flat() | self._files_of(route)
        with self._lock:
            current = self._current
            current.add_origins(found)
            new = [read for read in found if read not in self._digests]
            for read in new:
                self._digests[read] = _digest(current, read)
            # The entries those field reads were digested from, for `_same_entries`.
            sources = {read[1] for read in new if read[0] in _ENTRY_READS} - self._entries.keys()
            if sources:
                now = self._entries_now(found) or {}
                self._entries.update((src, now[src]) for src in sources if src in now)
            # A file edited after the render started and before its digest above was read
            # by the render on the old side and digested on the new one: the change that
            # brings the edit would find its digest unchanged. Stat after digesting.
            edited = any(self._edited_since(read, started_at) for read in new)
            overlapped = started != self.change or edited
            self._records[url_path] = RenderReads(found, started, overlapped)
            self._records.move_to_end(url_path)
            while len(self._records) > KEPT_PAGES:
                self._records.popitem(last=False)

    def record_soon(
        self, url_path: str, route: RouteDefinition, reads: Reads, started: int, started_at: float
    ) -> None:
        """`record` in a thread, in the background (on the event loop; see `settle`)."""
        task = asyncio.create_task(
            asyncio.to_thread(self.record, url_path, route, reads, started, started_at),
            name="ssg-dev-record",
        )
        self._recording.add(task)
        task.add_done_callback(self._recorded)

    async def settle(self) -> None:
        """Wait for the records `record_soon` started (before a change, and on shutdown)."""
        if self._recording:
            await asyncio.gather(*self._recording, return_exceptions=True)

    def _recorded(self, task: asyncio.Task[None]) -> None:
        self._recording.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # No record: the page reloads on every change (nothing proves it unaffected).
            logger.error("Could not record what a page read: %r", task.exception())

    def begin_change(self) -> None:
        """A change is being applied (call before the content memo is expired).

        Renders that started before it are marked `overlapped` when they record;
        digests from now on see the sources after the change.
        """
        with self._lock:
            self.change += 1
            self._current = ReadDigests(self._site, self._services)

    def changed_pages(self) -> frozenset[str]:
        """Digest every recorded read again (after `begin_change`); the URL paths whose reads changed.

        Returns:
            The recorded pages the change touched (a page not recorded is not listed:
            `reloads` decides for it).
        """
        with self._lock:
            current = self._current
            # Only the reads of the pages still recorded (those of dropped ones go).
            live: set[Read] = set()
            for record in self._records.values():
                live.update(record.reads)
            current.add_origins(live)
            same = self._same_entries(live)
            changed: set[Read] = set()
            digests: dict[Read, str | None] = {}
            for read in live:
                known = self._digests.get(read)
                if known is not None and read[0] in _ENTRY_READS and read[1] in same:
                    digests[read] = known  # the very entry objects it was digested from
                    continue
                now = digests[read] = _digest(current, read)
                if now is None or now != known:
                    changed.add(read)
            self._digests = digests
            touched = frozenset(
                url_path
                for url_path, record in self._records.items()
                if record.overlapped or not changed.isdisjoint(record.reads)
            )
            self._log.append((self.change, touched))
            del self._log[:-KEPT_CHANGES]
        return touched

    def reloads(self, url_path: str | None, touched: frozenset[str]) -> bool:
        """Whether the open page at `url_path` reloads for a change that touched `touched`."""
        return url_path is None or url_path not in self._records or url_path in touched

    def stale_since(self, url_path: str | None, seen: int) -> bool:
        """Whether a page rendered when `seen` changes were applied missed one since.

        For an events stream that connects after a change was applied (the page
        was on its way to the browser meanwhile).

        Args:
            url_path: the page's URL path, or None when the stream did not say.
            seen: `change` when the page was rendered (its script sends it back).
        """
        with self._lock:
            if seen >= self.change:
                return False
            record = self._records.get(url_path) if url_path is not None else None
            if record is None or record.overlapped or seen < self.change - len(self._log):
                return True
            return any(url_path in touched for number, touched in self._log if number > seen)

    def _same_entries(self, live: set[Read]) -> set[str]:
        """The content files whose entries are the very objects they were at the last change.

        Entries are frozen, and the content memo keeps the entry of a file that did not
        change (only new or changed files are parsed again): the same object has the
        same fields, so their thousands of field reads need no digest of their own.
        """
        now = self._entries_now(live)
        if now is None:
            self._entries = {}
            return set()
        before, self._entries = self._entries, now
        return {
            src
            for src, found in now.items()
            if len(found) == len(before.get(src, ()))
            and all(a is b for a, b in zip(found, before[src], strict=True))
        }

    def _entries_now(self, reads: Iterable[Read]) -> dict[str, tuple[Entry, ...]] | None:
        """The entries of the collections the reads name, by source file (from the memo).

        None when nothing can be proven: a collection failed, or one is a view by the
        clock (drafts hidden: a scheduled entry comes out without changing).
        """
        origins = {
            read[1]
            for read in reads
            if read[0] in COLLECTION_READS and isinstance(read[1], CollectionOrigin)
        }
        if any(not origin.drafts for origin in origins):
            return None
        base_path = str(self._services.site_values.get("base_path", ""))
        now: dict[str, list[Entry]] = {}
        for origin in sorted(origins, key=repr):
            try:
                memo = memoized_collection(self._services, origin.spec, None, base_path)
            except Exception:  # the render reports it; nothing is proven here
                return None
            for entry in memo.collection.entries:
                now.setdefault(str(entry.source_file), []).append(entry)
        return {src: tuple(found) for src, found in now.items()}

    def _edited_since(self, read: Read, started_at: float) -> bool:
        """Whether the file or folder a disk read names was modified since `started_at`
        (or is gone, or cannot be told)."""
        if read[0] not in _DISK_READS:
            return False
        try:
            if read[0] == ReadKind.TEMPLATE:
                env = self._site.env
                assert env.loader is not None  # make_environment always sets one
                path = env.loader.get_source(env, str(read[1]))[1]
                if path is None:  # a template not from a file: it cannot be edited
                    return False
            else:
                path = str(self._site.config.site_dir / str(read[1]))
            return os.stat(path).st_mtime >= started_at - MTIME_SLACK
        except Exception:  # gone (the edit deleted it), or a loader that cannot say
            return True

    def _files_of(self, route: RouteDefinition) -> frozenset[Read]:
        found = self._route_files.get(route.route_pattern)
        if found is None:
            found = self._route_files[route.route_pattern] = frozenset(
                (ReadKind.FILE, name) for name in route_files(self._site, route)
            )
        return found


def _digest(digests: ReadDigests, read: Read) -> str | None:
    """The read's digest now, or None when no digest speaks for it (it always counts as changed)."""
    if read[0] in _NEVER_PROVEN:
        return None
    try:
        return digests.digest(read)
    except Exception as exc:  # a read this version cannot digest proves nothing
        logger.debug("Could not digest %r: %s", read, exc)
        return None
