"""DataStore: persistence, expiry by the injected clock, tags, and surviving a corrupt directory."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ssg.data import store as store_module
from ssg.data.store import DataStore
from ssg.revalidate import Revalidate

from .conftest import FakeClock


@pytest.fixture
def store(cache_dir: Path, clock: FakeClock) -> Iterator[DataStore]:
    opened = DataStore(cache_dir, clock=clock)
    yield opened
    opened.close()


@dataclass(frozen=True)
class Legacy:
    """A value type that a later ssg version no longer has."""

    text: str


def test_missing_key_is_none(store: DataStore) -> None:
    assert store.get("v1:nope") is None


def test_entry_records_value_time_revalidate_and_tags(store: DataStore, clock: FakeClock) -> None:
    store.set("k", {"a": 1}, revalidate=Revalidate.after(60), tags=["posts"])
    entry = store.get("k")
    assert entry is not None
    assert (entry.value, entry.stored_at, entry.revalidate, entry.tags) == (
        {"a": 1},
        clock.now,
        Revalidate.after(60),
        frozenset({"posts"}),
    )


def test_entry_survives_closing_and_reopening(
    store: DataStore, cache_dir: Path, clock: FakeClock
) -> None:
    store.set("k", b"body", revalidate=Revalidate.NEVER, tags=())
    store.close()
    reopened = DataStore(cache_dir, clock=clock)
    try:
        entry = reopened.get("k")
    finally:
        reopened.close()
    assert entry is not None and entry.value == b"body"


def test_entry_expires_by_the_injected_clock(store: DataStore, clock: FakeClock) -> None:
    store.set("k", 1, revalidate=Revalidate.after(60), tags=())
    clock.advance(60)
    assert store.get("k") is not None
    clock.advance(1)
    assert store.get("k") is None


def test_expire_removes_only_expired_entries_and_counts_them(
    store: DataStore, clock: FakeClock
) -> None:
    store.set("short", 1, revalidate=Revalidate.after(10), tags=())
    store.set("long", 2, revalidate=Revalidate.after(1000), tags=())
    store.set("forever", 3, revalidate=Revalidate.NEVER, tags=())
    clock.advance(11)
    assert store.expire() == 1
    clock.advance(-11)  # back in time: an expired entry that is still there would be fresh
    assert [store.get(k) is not None for k in ("short", "long", "forever")] == [
        False,
        True,
        True,
    ]


def test_revalidate_tag_drops_every_tagged_entry_and_counts_them(store: DataStore) -> None:
    store.set("a", 1, revalidate=Revalidate.NEVER, tags=["posts"])
    store.set("b", 2, revalidate=Revalidate.after(60), tags=["posts", "authors"])
    store.set("c", 3, revalidate=Revalidate.NEVER, tags=["authors"])
    assert store.revalidate_tag("posts") == 2
    assert [store.get(k) is not None for k in ("a", "b", "c")] == [False, False, True]


def test_revalidate_tag_of_an_unused_tag_drops_nothing(store: DataStore) -> None:
    store.set("a", 1, revalidate=Revalidate.NEVER, tags=["posts"])
    assert store.revalidate_tag("nope") == 0


def test_an_entry_stored_again_without_a_tag_is_not_dropped_by_that_tag(store: DataStore) -> None:
    store.set("a", 1, revalidate=Revalidate.NEVER, tags=["old", "kept"])
    store.set("a", 2, revalidate=Revalidate.NEVER, tags=["kept", "new"])
    assert store.revalidate_tag("old") == 0
    entry = store.get("a")
    assert entry is not None and entry.value == 2
    assert store.revalidate_tag("new") == 1
    assert store.get("a") is None


def test_an_entry_stored_again_after_revalidate_tag_is_served(store: DataStore) -> None:
    store.set("a", 1, revalidate=Revalidate.NEVER, tags=["posts"])
    store.revalidate_tag("posts")
    store.set("a", 2, revalidate=Revalidate.NEVER, tags=["posts"])
    entry = store.get("a")
    assert entry is not None and entry.value == 2
    assert store.revalidate_tag("posts") == 1


def test_revalidate_tag_in_another_process_is_seen_by_an_open_store(
    store: DataStore, cache_dir: Path
) -> None:
    store.set("a", 1, revalidate=Revalidate.NEVER, tags=["posts"])
    store.set("b", 2, revalidate=Revalidate.NEVER, tags=["authors"])
    assert store.get("a") is not None
    dropped = subprocess.run(
        [sys.executable, "-c", _REVALIDATE_IN_A_PROCESS, str(cache_dir), "posts"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert dropped.split() == ["go", "1"]
    assert [store.get(k) is not None for k in ("a", "b")] == [False, True]


_REVALIDATE_IN_A_PROCESS = """
import sys, time
from ssg.data.store import DataStore

store = DataStore(sys.argv[1], clock=time.time)
print("go", flush=True)
print(store.revalidate_tag(sys.argv[2]), flush=True)
store.close()
"""


@pytest.mark.parametrize("delay_seconds", [0.0, 0.005, 0.02])
def test_a_revalidate_tag_killed_midway_drops_all_of_the_tags_entries_or_none(
    cache_dir: Path, delay_seconds: float
) -> None:
    # A real clock: the killed process and this one must agree on freshness.
    entries = 3000
    store = DataStore(cache_dir, clock=time.time)
    for number in range(entries):
        tags = ["posts", f"post-{number}"] if number % 2 else [f"post-{number}"]
        store.set(f"k{number}", number, revalidate=Revalidate.NEVER, tags=tags)
    store.close()
    process = subprocess.Popen(
        [sys.executable, "-c", _REVALIDATE_IN_A_PROCESS, str(cache_dir), "posts"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "go\n"
    time.sleep(delay_seconds)  # the kill lands somewhere in the eviction (or after it)
    process.kill()
    process.communicate(timeout=60)

    reopened = DataStore(cache_dir, clock=time.time)
    try:
        tagged = [reopened.get(f"k{n}") is not None for n in range(1, entries, 2)]
        untagged = [reopened.get(f"k{n}") is not None for n in range(0, entries, 2)]
    finally:
        reopened.close()
    assert all(untagged)
    assert all(tagged) or not any(tagged), f"{sum(tagged)} of {len(tagged)} tagged entries left"


def test_the_expiry_sweep_frees_the_disk_of_entries_revalidated_by_tag(
    store: DataStore, cache_dir: Path
) -> None:
    body = b"x" * 100_000  # stored in a file of its own beside the database
    store.set("a", body, revalidate=Revalidate.NEVER, tags=["posts"])
    store.set("b", body, revalidate=Revalidate.NEVER, tags=["authors"])
    before = _value_files(cache_dir)
    store.revalidate_tag("posts")
    assert store.expire() == 0  # nothing expired by the clock
    assert len(_value_files(cache_dir)) == len(before) - 1
    entry = store.get("b")
    assert entry is not None and entry.value == body


def _value_files(cache_dir: Path) -> list[Path]:
    return [p for p in cache_dir.rglob("*.val")]


def test_unpicklable_value_raises_type_error(store: DataStore) -> None:
    with pytest.raises(TypeError, match="not picklable"):
        store.set("k", threading.Lock(), revalidate=Revalidate.NEVER, tags=())
    assert store.get("k") is None


def test_garbage_database_file_starts_an_empty_cache_with_a_warning(
    cache_dir: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    cache_dir.mkdir()
    (cache_dir / "cache.db").write_bytes(b"this is not a sqlite database" * 100)
    (cache_dir / "junk.bin").write_bytes(b"\x00\xff" * 50)
    with caplog.at_level(logging.WARNING, logger="ssg.data"):
        store = DataStore(cache_dir, clock=clock)
    try:
        assert store.enabled
        assert "starting with an empty data cache" in caplog.text
        store.set("k", 1, revalidate=Revalidate.NEVER, tags=())
        entry = store.get("k")
    finally:
        store.close()
    assert entry is not None and entry.value == 1


def test_a_file_where_the_cache_folder_should_be_is_replaced(
    cache_dir: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    cache_dir.write_text("garbage")
    with caplog.at_level(logging.WARNING, logger="ssg.data"):
        store = DataStore(cache_dir, clock=clock)
    try:
        assert store.enabled
    finally:
        store.close()
    assert cache_dir.is_dir()
    assert "starting with an empty data cache" in caplog.text


def test_entry_pickled_by_an_older_version_is_dropped_with_a_warning(
    store: DataStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store.set("k", Legacy("old"), revalidate=Revalidate.NEVER, tags=["posts"])
    monkeypatch.delattr(sys.modules[__name__], "Legacy")
    with caplog.at_level(logging.WARNING, logger="ssg.data"):
        assert store.get("k") is None
    assert "unreadable" in caplog.text and "dropping it" in caplog.text
    assert store.revalidate_tag("posts") == 0  # gone, metadata included


def test_cache_written_in_another_format_is_cleared_with_a_warning(
    store: DataStore,
    cache_dir: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store.set("k", 1, revalidate=Revalidate.NEVER, tags=())
    store.close()
    monkeypatch.setattr(store_module, "FORMAT", "ssg-data-cache/next")
    with caplog.at_level(logging.WARNING, logger="ssg.data"):
        reopened = DataStore(cache_dir, clock=clock)
    try:
        assert reopened.get("k") is None
    finally:
        reopened.close()
    assert "starting with an empty data cache" in caplog.text


def test_new_cache_directory_opens_without_warnings(
    cache_dir: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ssg.data"):
        DataStore(cache_dir, clock=clock).close()
    assert caplog.text == ""


def test_closed_store_misses_and_ignores_writes(store: DataStore) -> None:
    store.set("k", 1, revalidate=Revalidate.NEVER, tags=())
    store.close()
    store.set("k2", 2, revalidate=Revalidate.NEVER, tags=())
    assert (store.get("k"), store.get("k2"), store.expire()) == (None, None, 0)


def test_cache_that_cannot_be_recreated_is_disabled_with_a_warning(
    cache_dir: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache_dir.mkdir()
    (cache_dir / "cache.db").write_bytes(b"garbage" * 100)

    def refuse(directory: Path) -> None:
        raise PermissionError(f"cannot remove {directory}")

    monkeypatch.setattr(store_module, "_remove", refuse)
    with caplog.at_level(logging.WARNING, logger="ssg.data"):
        store = DataStore(cache_dir, clock=clock)
    try:
        store.set("k", 1, revalidate=Revalidate.NEVER, tags=())
        assert (store.enabled, store.get("k")) == (False, None)
    finally:
        store.close()
    assert "running without a data cache" in caplog.text


def _open_files_under(folder: Path) -> list[str]:
    """Files under `folder` this process holds open (Linux /proc)."""
    fd_dir = Path("/proc/self/fd")
    found = []
    for fd in fd_dir.iterdir():
        try:
            target = fd.readlink()
        except OSError:
            continue
        if target.is_relative_to(folder.resolve()):
            found.append(str(target))
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc")
async def test_a_store_on_its_own_thread_closes_its_database_after_use_from_threads(
    cache_dir: Path, clock: FakeClock
) -> None:
    store = DataStore(cache_dir, clock=clock, own_thread=True)
    store.set("k", 1, revalidate=Revalidate.NEVER, tags=())
    worker = threading.Thread(target=lambda: store.get("k"))
    worker.start()
    worker.join()
    await store.aset("k2", 2, revalidate=Revalidate.NEVER, tags=["t"])
    assert (await store.aget("k2")) is not None
    assert store.revalidate_tag("t") == 1
    assert _open_files_under(cache_dir)
    store.close()
    assert _open_files_under(cache_dir) == []


def test_a_bounded_get_misses_while_the_stores_thread_is_busy_and_says_so_once(
    cache_dir: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    store = DataStore(cache_dir, clock=clock, own_thread=True)
    store.set("k", 1, revalidate=Revalidate.NEVER, tags=())
    busy, release = threading.Event(), threading.Event()

    def block() -> int:
        busy.set()
        release.wait()
        return 0

    store._later(block)  # queued work ahead of the reads (a lock, a long scan)
    busy.wait()
    try:
        with caplog.at_level(logging.WARNING, logger="ssg.data"):
            misses = [store.get("k", wait_seconds=0.01) for _ in range(3)]
    finally:
        release.set()
    answered = store.get("k", wait_seconds=10)
    store.close()

    assert misses == [None, None, None]
    assert answered is not None and answered.value == 1
    assert [r.getMessage().count("was busy for more than 10 ms") for r in caplog.records] == [1]


def test_set_soon_stores_the_value_as_it_was_when_called(cache_dir: Path, clock: FakeClock) -> None:
    store = DataStore(cache_dir, clock=clock, own_thread=True)
    release = threading.Event()
    store._later(release.wait)  # the write waits in the queue while the caller changes the value
    value = ["a"]
    store.set_soon("k", value, revalidate=Revalidate.after(60), tags=["t"])
    value.append("changed later")
    release.set()
    entry = store.get("k")  # the thread runs in order: the write is done first
    store.close()

    assert entry is not None
    assert (entry.value, entry.stored_at, entry.tags) == (["a"], clock.now, frozenset({"t"}))


def test_set_soon_of_an_unpicklable_value_raises_at_once(store: DataStore) -> None:
    with pytest.raises(TypeError, match="not picklable"):
        store.set_soon("k", lambda: 1, revalidate=Revalidate.NEVER, tags=())
    assert store.get("k") is None
