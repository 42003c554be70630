"""This instance's copy of the ISR entries shared through Redis: each one rendered here or
read from Redis is also kept on the local disk, written in batches."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from ssg.isr.entries import ENTRY_FORMAT, EntryStore, StoredEntry
from ssg.isr.entry_writer import EntryWriter
from ssg.records import PageRecord

logger = logging.getLogger("ssg.isr")


class LocalEntries:
    """One build's entries as this instance keeps them, beside Redis.

    With Redis unreachable, and after a restart while it is, the instance
    answers from this copy instead of rendering each page again. Writes go
    through the batch writer (see EntryWriter), as the disk backend's do.

    Args:
        directory: the folder of the copy (`cache_dir/isr-shared`).
        build_id: the build; entries of another build are ignored.
    """

    def __init__(self, directory: Path, build_id: str) -> None:
        self.build_id = build_id
        self.store = EntryStore(directory, build_id)
        self.writer = EntryWriter(self.store)

    def shared_meta(self, page: PageRecord, started_at: float) -> str:
        """The JSON that goes beside an entry's body in Redis (read back by `adopt`).

        Args:
            page: the entry's record.
            started_at: its render start, as a position in the build's sequence of marks.
        """
        header = {
            "format": ENTRY_FORMAT,
            "build_id": self.build_id,
            "started_at": started_at,
            "page": page.to_json(),
        }
        return json.dumps(header, ensure_ascii=False, separators=(",", ":"))

    async def read(self, url_path: str) -> tuple[StoredEntry, bytes] | None:
        """The local entry of `url_path` and its body, or None.

        A URL nobody rendered here has no file: one stat on the event loop
        answers it; only an existing file is read, in a thread.
        """
        if not self.store.has_entry(url_path):
            return None
        return await asyncio.to_thread(self.store.read, url_path)

    async def write(self, page: PageRecord, body: bytes, *, started_at: float) -> StoredEntry:
        """Write an entry (batched with the others written meanwhile) and return it.

        Raises:
            ValueError: `page` does not describe `body` or this entry.
            OSError: the disk write failed (the previous entry is left as it was).
        """
        return await self.writer.write(page, body, started_at=started_at)

    async def adopt(
        self, url_path: str, meta: bytes, body: bytes
    ) -> tuple[StoredEntry, bytes] | None:
        """Keep an entry read from Redis (`shared_meta` and body) here, unless it is already.

        Returns:
            The entry and its body; None when `meta` is unreadable, of another
            build or URL, or does not describe `body` (logged: the caller renders).

        Raises:
            OSError: the local write failed.
        """
        try:
            data = json.loads(meta)
            if data.get("format") != ENTRY_FORMAT or data.get("build_id") != self.build_id:
                return None
            page = PageRecord.from_json(data["page"])
            started_at = float(data["started_at"])
            if page.url_path != url_path:
                return None
            local = await self.read(url_path)
            if local is not None and local[0].page.etag == page.etag:
                return local
            return await self.write(page, body, started_at=started_at), body
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            logger.warning(
                "The shared ISR entry of %s is unreadable (%s); rendering it here.", url_path, exc
            )
            return None

    async def aclose(self) -> None:
        """Wait until every queued entry is written."""
        await self.writer.aclose()
