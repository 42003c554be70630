"""The local disk backend: ISR state in `cache_dir`, shared by the server processes of one machine.

Entries are files (ssg.isr.entries), render locks are flocks and counters are
appended bytes (ssg.isr.locks), marks are one JSON file (ssg.isr.marks). This
is the default, and what `ssg serve --workers N` shares.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ssg.isr.backend import BackendStatus, Counter, Marks, RenderStart
from ssg.isr.entries import EntryStore, StoredEntry
from ssg.isr.entry_writer import EntryWriter
from ssg.isr.locks import RenderLock, RenderLocks, SharedCounter
from ssg.isr.marks import RevalidationMarks
from ssg.records import PageRecord
from ssg.scope import Clock

if TYPE_CHECKING:
    from ssg.data.cached_value import DataCache
    from ssg.isr.cache import CachedPage

ISR_FOLDER = "isr"


class DiskLease:
    """A held flock (see RenderLocks); `release` frees it."""

    def __init__(self, lock: RenderLock) -> None:
        self._lock = lock

    async def release(self) -> None:
        """Unlock (idempotent)."""
        self._lock.release()


class DiskBuild:
    """One build's ISR state under `cache_dir/isr` (see the module docstring).

    Args:
        directory: the ISR folder.
        build_id: the build; entries and marks of another build are ignored.
        clock: epoch seconds (render starts and marks are times on disk).
    """

    def __init__(
        self,
        directory: Path,
        build_id: str,
        *,
        clock: Clock,
    ) -> None:
        self.build_id = build_id
        self.clock = clock
        self.store = EntryStore(directory, build_id)
        self.writer = EntryWriter(self.store)
        self.disk_marks = RevalidationMarks(directory, build_id)
        self.marks: Marks = self.disk_marks
        self.locks = RenderLocks(directory / "locks")
        tag = build_id[:12]
        # Renders that ran, counted across the server's workers (a file each):
        # not the same as Regenerator's *_started counts of one process.
        self.regenerations_rendered: Counter = SharedCounter(
            directory / f"regenerations-{tag}.count"
        )
        self.on_demand_rendered: Counter = SharedCounter(directory / f"renders-{tag}.count")

    def load(self) -> None:
        """Read this build's marks; remove counters of older builds."""
        for counter in self.store.directory.glob("*.count"):
            if self.build_id[:12] not in counter.name:
                counter.unlink(missing_ok=True)
        self.disk_marks.load()

    def build_page_start(self) -> float | None:
        """None: a built page's render began at its generated_at."""
        return None

    def _lock_key(self, url_path: str) -> str:
        # Locks are per build, as entries are: a server switching builds never has
        # the new build's render wait for the old build's render of the same URL.
        return f"{self.build_id} {url_path}"

    async def try_lock(self, url_path: str) -> DiskLease | None:
        """Take the URL's flock if free now; None when another worker holds it."""
        lock = self.locks.try_acquire(self._lock_key(url_path))
        return None if lock is None else DiskLease(lock)

    async def lock(self, url_path: str) -> DiskLease:
        """Wait for the URL's flock."""
        return DiskLease(await self.locks.acquire(self._lock_key(url_path)))

    async def begin_render(self, url_path: str, clock: Clock) -> RenderStart:
        """Now, by the clock, and this process's mark sequence."""
        return RenderStart(started_at=clock(), seq=self.marks.seq)

    async def read_shared(self, url_path: str) -> tuple[StoredEntry, bytes] | None:
        """The entry file of `url_path` (another worker may have written it).

        Most calls are for URLs nobody rendered yet (a first request): one stat
        on the loop answers them, as the lock calls do; only an existing file
        is read, in a thread.
        """
        if not self.store.has_entry(url_path):
            return None
        return await asyncio.to_thread(self.store.read, url_path)

    async def write(self, page: PageRecord, body: bytes, start: RenderStart) -> StoredEntry:
        """Write the entry file (a transaction, batched with others: see EntryWriter).

        Raises:
            OSError: the disk write failed (the previous entry is left as it was).
        """
        return await self.writer.write(page, body, started_at=start.started_at)

    def revalidated(self, tags: Iterable[str], page: CachedPage) -> bool:
        """A mark of one of `tags` at or after the page's render began."""
        return self.marks.marked_at_or_after(tags, page.render_started_at)

    def revalidated_during(self, tags: Iterable[str], start: RenderStart) -> bool:
        """A mark made in this process since `start` (other workers' marks come by refresh)."""
        return self.marks.marked_since(tags, start.seq)

    async def save_marks(self) -> None:
        """Merge this process's marks into the marks file (in a thread)."""
        snapshot = self.disk_marks.snapshot()  # the thread must not read a dict the loop changes
        await asyncio.to_thread(self.disk_marks.save, snapshot)

    def refresh(self) -> dict[str, float]:
        """Marks other workers saved since the last call (one stat when none)."""
        return self.disk_marks.refresh()

    async def failing(self, url_path: str) -> bool:
        """False: each worker keeps its own failure back-off (see Regenerator)."""
        return False

    async def record_failure(self, url_path: str, retry_seconds: float) -> None:
        """Nothing: each worker keeps its own failure back-off."""

    def start(self, on_marks: Callable[[], int] | None = None) -> None:
        """Nothing runs in the background: the scheduler's sync job calls `refresh`."""

    async def aclose(self) -> None:
        """Wait for the entry writes queued; close the lock and counter files."""
        await self.writer.aclose()
        self.locks.close()
        for counter in (self.regenerations_rendered, self.on_demand_rendered):
            if isinstance(counter, SharedCounter):
                counter.close()


class DiskBackend:
    """State on the local disk, under the site's `cache_dir` (see the module docstring).

    Args:
        cache_dir: the site's cache folder (`.ssg`).
    """

    name = "disk"

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir

    def open_build(self, build_id: str, *, clock: Clock) -> DiskBuild:
        """The build's state under `cache_dir/isr`."""
        return DiskBuild(self.cache_dir / ISR_FOLDER, build_id, clock=clock)

    def open_data_cache(self, clock: Clock) -> DataCache | None:
        """None: the data cache stays the diskcache under `cache_dir/data`."""
        return None

    def status(self) -> BackendStatus:
        """One machine, always reachable."""
        return BackendStatus(backend=self.name, connected=True, instances=1)

    async def aclose(self) -> None:
        """Nothing to close."""
