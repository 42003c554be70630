"""Group commit of ISR entry writes: the entries rendered meanwhile go to disk in one thread hop."""

from __future__ import annotations

import asyncio

from ssg.isr.entries import EntryStore, EntryWrite, StoredEntry
from ssg.records import PageRecord


class EntryWriter:
    """Writes a store's entries off the event loop, many per trip to a worker thread.

    The first write starts a task that hands the queued entries to
    `EntryStore.write_many` in a thread; entries queued while it runs go in its
    next batch. Under load, one thread hop (and at most one fsync of the folder)
    serves every entry rendered during the previous batch, instead of one each.
    The queue and the task are guarded by the event loop (touched only between
    awaits).

    Args:
        store: the entry store written to.
    """

    def __init__(self, store: EntryStore) -> None:
        self.store = store
        self._queue: list[tuple[EntryWrite, asyncio.Future[StoredEntry]]] = []
        self._task: asyncio.Task[None] | None = None

    async def write(self, page: PageRecord, body: bytes, *, started_at: float) -> StoredEntry:
        """Write one entry (see EntryStore.write_many) and return it once it is in place.

        A caller cancelled while waiting does not cancel the write.

        Raises:
            ValueError: `page` does not describe `body` or this entry.
            OSError: the disk write failed (the previous entry is left as it was).
        """
        future: asyncio.Future[StoredEntry] = asyncio.get_running_loop().create_future()
        self._queue.append((EntryWrite(page, body, started_at), future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._write_queued(), name="ssg-entry-writer")
        return await future

    async def aclose(self) -> None:
        """Wait until every queued entry is written."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _write_queued(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                results = await asyncio.to_thread(
                    self.store.write_many, [write for write, _future in batch]
                )
            except BaseException as exc:  # cancelled at shutdown: the thread finishes its renames
                for _write, future in batch:
                    if future.done():
                        continue
                    if isinstance(exc, asyncio.CancelledError):
                        future.cancel()
                    else:
                        future.set_exception(exc)
                raise
            for (_write, future), result in zip(batch, results, strict=True):
                if future.done():  # its caller was cancelled
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)
