"""The on-disk ISR entry store: transactions that survive kill -9, build tagging, corruption."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import textwrap
from pathlib import Path

import pytest

from ssg.isr.entries import EntryStore, EntryWrite, StoredEntry
from ssg.records import PageRecord, make_etag
from ssg.revalidate import Revalidate

URL = "/blog/a"


def page_for(store: EntryStore, body: bytes, *, url_path: str = URL) -> PageRecord:
    return PageRecord(
        url_path=url_path,
        route_pattern="/blog/[slug]",
        status=200,
        content_type="text/html; charset=utf-8",
        revalidate=Revalidate.after(60),
        tags=("posts",),
        etag=make_etag(body),
        size_bytes=len(body),
        output_file=store.entry_file(url_path).name,
        headers=(("X-Extra", "1"),),
        generated_at=1000.0,
    )


def write(store: EntryStore, body: bytes) -> StoredEntry:
    return store.write(page_for(store, body), body, started_at=990.0)


def test_written_entry_reads_back_with_its_record(tmp_path: Path) -> None:
    store = EntryStore(tmp_path / "isr", "b1")
    body = b"<p>hello\nworld</p>"

    stored = write(store, body)
    found = store.read(URL)

    assert found == (stored, body)
    assert stored.page == page_for(store, body)
    assert stored.started_at == 990.0
    assert list(store.scan()) == [stored]
    assert store.read_body(stored.entry_file, stored.page.etag) == body


def test_entry_of_another_build_is_ignored_and_removed_on_scan(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(EntryStore(tmp_path / "isr", "old-build"), b"old")
    store = EntryStore(tmp_path / "isr", "new-build")

    assert store.read(URL) is None
    with caplog.at_level(logging.INFO, logger="ssg.isr"):
        assert list(store.scan()) == []
    assert not list((tmp_path / "isr").glob("*.entry"))
    assert "older build" in caplog.text


def test_header_that_disagrees_with_the_body_is_refused(tmp_path: Path) -> None:
    store = EntryStore(tmp_path / "isr", "b1")

    with pytest.raises(ValueError, match="does not match"):
        store.write(page_for(store, b"one body"), b"another body", started_at=0.0)
    assert not list((tmp_path / "isr").iterdir())


def test_corrupt_entry_is_logged_dropped_and_reads_as_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = EntryStore(tmp_path / "isr", "b1")
    stored = write(store, b"good body")
    data = stored.entry_file.read_bytes()
    stored.entry_file.write_bytes(data[:-3] + b"BAD")

    with caplog.at_level(logging.WARNING, logger="ssg.isr"):
        assert store.read(URL) is None
    assert "corrupt" in caplog.text
    assert not stored.entry_file.exists()


def test_truncated_entry_is_skipped_by_scan(tmp_path: Path) -> None:
    store = EntryStore(tmp_path / "isr", "b1")
    stored = write(store, b"0123456789")
    stored.entry_file.write_bytes(stored.entry_file.read_bytes()[:-4])

    assert list(store.scan()) == []


def test_entry_zeroed_by_a_power_loss_is_scanned_but_its_body_never_read(tmp_path: Path) -> None:
    # A first entry is not fsynced: after a power loss its blocks may read as zeros.
    store = EntryStore(tmp_path / "isr", "b1")
    stored = write(store, b"<p>first render</p>")
    data = stored.entry_file.read_bytes()
    head = data.partition(b"\n")[0] + b"\n"
    stored.entry_file.write_bytes(head + bytes(len(data) - len(head)))

    scanned = list(store.scan())

    assert [s.page.url_path for s in scanned] == [URL]  # the header and size look right
    assert store.read_body(stored.entry_file, stored.page.etag) is None
    assert not stored.entry_file.exists()


def test_only_a_replaced_entry_is_fsynced_and_the_folder_once_per_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EntryStore(tmp_path / "isr", "b1")
    write(store, b"old a")
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    bodies = {URL: b"new a", "/blog/b": b"first b", "/blog/c": b"first c"}
    results = store.write_many(
        [
            EntryWrite(page_for(store, body, url_path=url_path), body, 1.0)
            for url_path, body in bodies.items()
        ]
    )

    assert [isinstance(r, StoredEntry) for r in results] == [True, True, True]
    assert [Path(f).suffix for f in synced] == [".tmp", ""]  # the replacement, then the folder
    assert synced[1] == str(store.directory)
    assert {url: store.read(url)[1] for url in bodies} == bodies  # type: ignore[index]
    synced.clear()
    store.write_many([EntryWrite(page_for(store, b"x", url_path="/blog/d"), b"x", 1.0)])
    assert synced == []  # a batch of first entries waits for no flush


def test_leftover_temp_files_of_a_killed_writer_are_removed_once_old(tmp_path: Path) -> None:
    store = EntryStore(tmp_path / "isr", "b1")
    leftover = store.directory / ".abc.entry.123.456.tmp"
    leftover.write_bytes(b"half")
    os.utime(leftover, (1.0, 1.0))

    assert list(store.scan()) == []
    assert not leftover.exists()


CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from ssg.isr.entries import EntryStore, EntryWrite, StoredEntry
    from ssg.records import PageRecord, make_etag
    from ssg.revalidate import Revalidate

    directory, mode = Path(sys.argv[1]), sys.argv[2]

    def page(store, body):
        return PageRecord("/blog/a", "/blog/[slug]", 200, "text/html", Revalidate.after(60),
                          (), make_etag(body), len(body), store.entry_file("/blog/a").name)

    OLD, NEW = b"a" * 1_000_000, b"b" * 700_000
    if mode == "pause":
        store = EntryStore(directory, "b1")
        store.write(page(store, OLD), OLD, started_at=1.0)
        def pause(temp, target):
            assert Path(temp).read_bytes().endswith(NEW)  # written in full, not renamed yet
            print("paused", flush=True)
            time.sleep(3600)   # the parent kills us here, between fsync and rename
        os.replace = pause   # this process only writes the entry: its one rename is the commit
        store.write(page(store, NEW), NEW, started_at=1.0)
    else:
        store = EntryStore(directory, "b1")
        count = 0
        while True:
            body = OLD if count % 2 == 0 else NEW
            store.write(page(store, body), body, started_at=1.0)
            count += 1
            print(count, flush=True)
    """
)


async def _child(directory: Path, mode: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        str(directory),
        mode,
        stdout=asyncio.subprocess.PIPE,
    )


async def test_kill_9_between_temp_write_and_rename_leaves_the_old_entry(tmp_path: Path) -> None:
    directory = tmp_path / "isr"
    child = await _child(directory, "pause")
    assert child.stdout is not None
    assert (await child.stdout.readline()).strip() == b"paused"

    child.send_signal(signal.SIGKILL)
    await child.wait()

    store = EntryStore(directory, "b1")
    found = store.read(URL)
    assert found is not None
    assert found[1] == b"a" * 1_000_000
    assert list(directory.glob(".*.tmp"))  # the killed writer's temp file, never renamed
    assert [s.page.size_bytes for s in store.scan()] == [1_000_000]


async def test_kill_9_during_a_loop_of_writes_never_leaves_a_torn_entry(tmp_path: Path) -> None:
    directory = tmp_path / "isr"
    child = await _child(directory, "loop")
    assert child.stdout is not None
    while int(await child.stdout.readline()) < 25:
        pass

    child.send_signal(signal.SIGKILL)  # at whatever point of a write it has reached
    await child.wait()

    store = EntryStore(directory, "b1")
    found = store.read(URL)
    assert found is not None
    stored, body = found
    assert body in (b"a" * 1_000_000, b"b" * 700_000)
    assert stored.page.size_bytes == len(body)
    header = json.loads(store.entry_file(URL).read_bytes().partition(b"\n")[0])
    assert header["page"]["etag"] == make_etag(body)
