"""Group commit of ISR entries: one thread hop per batch, and writes outlive their callers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from ssg.isr.entries import EntryStore, EntryWrite, StoredEntry
from ssg.isr.entry_writer import EntryWriter
from ssg.records import PageRecord, make_etag
from ssg.revalidate import Revalidate


def page_for(store: EntryStore, url_path: str, body: bytes) -> PageRecord:
    return PageRecord(
        url_path=url_path,
        route_pattern="/blog/[slug]",
        status=200,
        content_type="text/html; charset=utf-8",
        revalidate=Revalidate.after(60),
        tags=(),
        etag=make_etag(body),
        size_bytes=len(body),
        output_file=store.entry_file(url_path).name,
        generated_at=1000.0,
    )


class CountingStore(EntryStore):
    """An EntryStore that records the size of each batch it writes."""

    batches: list[int]

    def write_many(self, writes: Sequence[EntryWrite]) -> list[StoredEntry | Exception]:
        self.batches.append(len(writes))
        return super().write_many(writes)


async def test_entries_rendered_together_are_written_in_one_batch(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "isr", "b1")
    store.batches = []
    writer = EntryWriter(store)
    bodies = {f"/blog/{n}": f"<p>{n}</p>".encode() for n in range(10)}

    stored = await asyncio.gather(
        *(
            writer.write(page_for(store, url, body), body, started_at=1.0)
            for url, body in bodies.items()
        )
    )

    assert store.batches == [10]
    assert [entry.page.url_path for entry in stored] == list(bodies)
    assert {url: store.read(url)[1] for url in bodies} == bodies  # type: ignore[index]


async def test_a_bad_entry_fails_alone_and_the_rest_of_its_batch_is_written(
    tmp_path: Path,
) -> None:
    store = EntryStore(tmp_path / "isr", "b1")
    writer = EntryWriter(store)
    good = writer.write(page_for(store, "/a", b"a"), b"a", started_at=1.0)
    bad = writer.write(page_for(store, "/b", b"b"), b"not b", started_at=1.0)

    results = await asyncio.gather(good, bad, return_exceptions=True)

    assert isinstance(results[0], StoredEntry)
    assert isinstance(results[1], ValueError)
    assert store.read("/a") is not None and store.read("/b") is None


async def test_a_caller_cancelled_while_waiting_does_not_cancel_the_write(tmp_path: Path) -> None:
    store = EntryStore(tmp_path / "isr", "b1")
    writer = EntryWriter(store)
    waiting = asyncio.create_task(writer.write(page_for(store, "/a", b"a"), b"a", started_at=1.0))
    await asyncio.sleep(0)  # queued, its batch started

    waiting.cancel()
    await writer.aclose()

    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert store.read("/a") is not None
