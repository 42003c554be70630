"""Cross-process render locks, shared counters and merged revalidation marks."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

from ssg.isr.locks import OPEN_STRIPES_KEPT, RenderLocks, SharedCounter
from ssg.isr.marks import RevalidationMarks


def test_a_url_lock_has_one_holder_at_a_time(tmp_path: Path) -> None:
    locks = RenderLocks(tmp_path / "locks")

    held = locks.try_acquire("/blog/a")
    second = locks.try_acquire("/blog/a")
    assert held is not None
    held.release()
    after = locks.try_acquire("/blog/a")

    assert second is None
    assert after is not None
    after.release()


async def test_acquire_waits_for_the_holder(tmp_path: Path) -> None:
    locks = RenderLocks(tmp_path / "locks")
    held = locks.try_acquire("/a")
    assert held is not None

    waiting = asyncio.create_task(locks.acquire("/a"))
    await asyncio.sleep(0.05)
    was_waiting = not waiting.done()
    held.release()
    lock = await asyncio.wait_for(waiting, timeout=5)
    lock.release()

    assert was_waiting


async def test_a_killed_holders_lock_is_released_by_the_kernel(tmp_path: Path) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        textwrap.dedent(
            f"""
            import time
            from pathlib import Path
            from ssg.isr.locks import RenderLocks
            lock = RenderLocks(Path({str(tmp_path / "locks")!r})).try_acquire("/a")
            print("locked" if lock else "busy", flush=True)
            time.sleep(3600)
            """
        ),
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    assert (await child.stdout.readline()).strip() == b"locked"
    locks = RenderLocks(tmp_path / "locks")
    busy = locks.try_acquire("/a")

    child.send_signal(signal.SIGKILL)
    await child.wait()
    free = locks.try_acquire("/a")

    assert busy is None
    assert free is not None
    free.release()


def test_shared_counter_counts_adds_from_every_instance(tmp_path: Path) -> None:
    one, other = SharedCounter(tmp_path / "n.count"), SharedCounter(tmp_path / "n.count")

    assert one.value() == 0
    one.add()
    other.add()
    one.add()

    assert (one.value(), other.value()) == (3, 3)


def test_marks_saved_by_two_workers_are_merged_not_overwritten(tmp_path: Path) -> None:
    first, second = RevalidationMarks(tmp_path, "b1"), RevalidationMarks(tmp_path, "b1")
    first.mark({"posts"}, 100.0)
    first.save(first.snapshot())
    second.mark({"/about"}, 101.0)
    second.save(second.snapshot())

    reader = RevalidationMarks(tmp_path, "b1")
    reader.load()
    newer_for_first = first.refresh()

    assert reader.marked_at_or_after({"posts"}, 100.0)
    assert reader.marked_at_or_after({"/about"}, 101.0)
    assert newer_for_first == {"/about": 101.0}
    assert first.refresh() == {}


def test_marks_of_another_build_are_ignored(tmp_path: Path) -> None:
    old = RevalidationMarks(tmp_path, "old")
    old.mark({"posts"}, 100.0)
    old.save(old.snapshot())

    new = RevalidationMarks(tmp_path, "new")
    new.load()

    assert not new.marked_at_or_after({"posts"}, 0.0)


def test_lock_files_stay_open_only_up_to_the_bound_and_held_ones_stay_locked(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "locks"
    locks = RenderLocks(directory, stripes=OPEN_STRIPES_KEPT * 4)
    other = RenderLocks(directory, stripes=OPEN_STRIPES_KEPT * 4)
    held = {}
    for n in range(OPEN_STRIPES_KEPT * 2):
        lock = locks.try_acquire(f"/blog/{n}")
        if lock is not None:  # two URLs may share a stripe
            held[f"/blog/{n}"] = lock

    locked_elsewhere = [other.try_acquire(url) for url in held]
    for lock in held.values():
        lock.release()
    open_after_release = _open_files_in(directory)
    free_after = [other.try_acquire(url) for url in held]

    assert len(held) > OPEN_STRIPES_KEPT
    assert locked_elsewhere == [None] * len(held)
    assert all(lock is not None for lock in free_after)
    assert open_after_release == OPEN_STRIPES_KEPT * 2  # each RenderLocks keeps its bound
    locks.close()
    other.close()
    assert _open_files_in(directory) == 0


def _open_files_in(directory: Path) -> int:
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if os.path.dirname(_target(fd)) == str(directory))


def _target(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:
        return ""
