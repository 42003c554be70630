"""Cross-process coordination of server workers: per-URL render locks and shared counters.

Workers (`ssg serve --workers N`) share the ISR entries on disk. An flock per
URL (striped over a fixed set of lock files) keeps one render per page across
all of them; the kernel drops a dead worker's locks, so kill -9 never leaves
a page locked. The calls here are single non-blocking syscalls on small local
files kept open, so they run on the event loop thread.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import weakref
from pathlib import Path

LOCK_STRIPES = 1024
"""Lock files per store: bounded (random URLs cannot create files without limit), and
large enough that two URLs rarely share one while both render."""

POLL_SECONDS = 0.01

OPEN_STRIPES_KEPT = 64
"""Lock files kept open between renders at most (plus the ones held): opening a lock
file is the costly part of a lock, and most renders reuse a stripe's open file."""


class RenderLock:
    """A held flock on one stripe; `release` (or process exit) frees it."""

    def __init__(self, locks: RenderLocks, stripe: int) -> None:
        self._locks: RenderLocks | None = locks
        self._stripe = stripe

    def release(self) -> None:
        """Unlock (idempotent)."""
        if self._locks is not None:
            locks, self._locks = self._locks, None
            locks.unlock(self._stripe)


class RenderLocks:
    """flock-based locks keyed by URL path, shared by every worker using `directory`.

    flock locks belong to an open file description. Each RenderLocks keeps its
    own descriptions open (at most OPEN_STRIPES_KEPT idle ones), so two of them,
    in one process or two, conflict like two processes; inside one RenderLocks a
    stripe has one holder at a time (`_held`, guarded by the event loop thread,
    which makes every call here). The files close with the object (`close`, or
    garbage collection), which also drops any lock still held.

    Args:
        directory: where the lock files live (created if missing).
        stripes: how many lock files URLs are spread over.
    """

    def __init__(self, directory: Path, *, stripes: int = LOCK_STRIPES) -> None:
        self.directory = directory
        self.stripes = stripes
        directory.mkdir(parents=True, exist_ok=True)
        self._files = [os.path.join(directory, f"{stripe:04x}.lock") for stripe in range(stripes)]
        # stripe -> its open lock file, least recently used first.
        self._fds: dict[int, int] = {}
        self._held: set[int] = set()
        self._finalizer = weakref.finalize(self, _close_all, self._fds)

    def try_acquire(self, url_path: str) -> RenderLock | None:
        """Take the URL's lock if it is free now; None when another holder has it."""
        digest = hashlib.sha256(url_path.encode("utf-8")).digest()
        stripe = int.from_bytes(digest[:4], "big") % self.stripes
        if stripe in self._held:
            return None
        fd = self._fds.pop(stripe, None)
        if fd is None:
            fd = self._open(stripe)
        self._fds[stripe] = fd  # most recently used last
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._trim()
            return None
        self._held.add(stripe)  # before trimming: a held stripe's file stays open
        self._trim()
        return RenderLock(self, stripe)

    def _open(self, stripe: int) -> int:
        try:
            return os.open(self._files[stripe], os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:
            # The folder was removed under the server (`rm -rf .ssg/isr`, a tmp
            # cleaner): it is a cache, so it is made again.
            self.directory.mkdir(parents=True, exist_ok=True)
            return os.open(self._files[stripe], os.O_RDWR | os.O_CREAT, 0o644)

    async def acquire(self, url_path: str) -> RenderLock:
        """Wait for the URL's lock (polling, so no thread is parked on a blocking flock)."""
        while True:
            lock = self.try_acquire(url_path)
            if lock is not None:
                return lock
            await asyncio.sleep(POLL_SECONDS)

    def unlock(self, stripe: int) -> None:
        """Release a held stripe (RenderLock.release calls this)."""
        self._held.discard(stripe)
        fd = self._fds.get(stripe)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        self._trim()

    def close(self) -> None:
        """Close every lock file (dropping any lock still held)."""
        self._held.clear()
        self._finalizer()

    def _trim(self) -> None:
        """Close the least recently used idle lock files beyond OPEN_STRIPES_KEPT."""
        while len(self._fds) > OPEN_STRIPES_KEPT:
            oldest_idle = next((s for s in self._fds if s not in self._held), None)
            if oldest_idle is None:
                return  # every open file is held
            os.close(self._fds.pop(oldest_idle))


def _close_all(fds: dict[int, int]) -> None:
    for fd in fds.values():
        os.close(fd)
    fds.clear()


class SharedCounter:
    """A counter every worker can add to: one byte appended per increment.

    O_APPEND writes are atomic between processes, so the file's size is the
    count without any lock. The file stays open after the first `add` (one
    write per event, no open and close); `close` (or garbage collection)
    closes it.

    Args:
        counter_file: the file holding the count (created on first add).
    """

    def __init__(self, counter_file: Path) -> None:
        self.counter_file = counter_file
        self._fd: int | None = None
        self._finalizer: weakref.finalize[[int], SharedCounter] | None = None

    def add(self) -> None:
        """Count one event."""
        if self._fd is None:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
            try:
                self._fd = os.open(self.counter_file, flags, 0o644)
            except FileNotFoundError:  # its folder was removed under the server
                self.counter_file.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.counter_file, flags, 0o644)
            self._finalizer = weakref.finalize(self, os.close, self._fd)
        os.write(self._fd, b".")

    def value(self) -> int:
        """Events counted so far by every worker."""
        try:
            return self.counter_file.stat().st_size
        except FileNotFoundError:
            return 0

    def close(self) -> None:
        """Close the counter's file (a later `add` opens it again)."""
        if self._finalizer is not None:
            self._finalizer()
        self._fd = self._finalizer = None
