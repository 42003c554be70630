"""Cross-process coordination of server workers: per-URL render locks and shared counters.

Workers (`ssg serve --workers N`) share the ISR entries on disk. An flock per
URL (striped over a fixed set of lock files) keeps one render per page across
all of them; the kernel drops a dead worker's locks, so kill -9 never leaves
a page locked. The calls here are single non-blocking syscalls on small local
files, so they run on the event loop thread.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
from pathlib import Path

LOCK_STRIPES = 1024
"""Lock files per store: bounded (random URLs cannot create files without limit), and
large enough that two URLs rarely share one while both render."""

POLL_SECONDS = 0.01


class RenderLock:
    """A held flock on one stripe; `release` (or process exit) frees it."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        """Unlock and close (idempotent)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)


class RenderLocks:
    """flock-based locks keyed by URL path, shared by every worker using `directory`.

    flock locks belong to an open file description, so two acquisitions of
    one stripe conflict even inside one process: the lock is exclusive per
    holder, not per process.

    Args:
        directory: where the lock files live (created if missing).
        stripes: how many lock files URLs are spread over.
    """

    def __init__(self, directory: Path, *, stripes: int = LOCK_STRIPES) -> None:
        self.directory = directory
        self.stripes = stripes
        directory.mkdir(parents=True, exist_ok=True)

    def try_acquire(self, url_path: str) -> RenderLock | None:
        """Take the URL's lock if it is free now; None when another holder has it."""
        fd = os.open(self._file(url_path), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        return RenderLock(fd)

    async def acquire(self, url_path: str) -> RenderLock:
        """Wait for the URL's lock (polling, so no thread is parked on a blocking flock)."""
        while True:
            lock = self.try_acquire(url_path)
            if lock is not None:
                return lock
            await asyncio.sleep(POLL_SECONDS)

    def _file(self, url_path: str) -> Path:
        digest = hashlib.sha256(url_path.encode("utf-8")).digest()
        stripe = int.from_bytes(digest[:4], "big") % self.stripes
        return self.directory / f"{stripe:04x}.lock"


class SharedCounter:
    """A counter every worker can add to: one byte appended per increment.

    O_APPEND writes are atomic between processes, so the file's size is the
    count without any lock. Cheap enough for per-render events, not per request.

    Args:
        counter_file: the file holding the count (created on first add).
    """

    def __init__(self, counter_file: Path) -> None:
        self.counter_file = counter_file

    def add(self) -> None:
        """Count one event."""
        fd = os.open(self.counter_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, b".")
        finally:
            os.close(fd)

    def value(self) -> int:
        """Events counted so far by every worker."""
        try:
            return self.counter_file.stat().st_size
        except FileNotFoundError:
            return 0
