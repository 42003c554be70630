"""On-demand revalidation marks: which tags were revalidated, when, persisted across restarts."""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from ssg.syscalls import fsync_directory

logger = logging.getLogger("ssg.isr")

MARKS_FILE = "revalidations.json"


class RevalidationMarks:
    """Tag -> when it was last revalidated on demand (as Next.js's tags manifest).

    In the running server a mark is also numbered by a sequence, so a render
    that started before a mark knows it is stale again without comparing
    clock readings (a fake clock may not move between the two). Marks from
    other workers (`refresh`) and from before a restart only have times: a
    page generated at or before a mark of one of its tags is stale.

    Args:
        directory: the ISR folder holding `revalidations.json`.
        build_id: marks of another build are dropped: its pages are gone.
    """

    def __init__(self, directory: Path, build_id: str) -> None:
        self.file = directory / MARKS_FILE
        self.build_id = build_id
        self.seq = 0
        self._times: dict[str, float] = {}
        self._seqs: dict[str, int] = {}
        self._seen: tuple[int, int] | None = None  # (mtime_ns, size) of the file last read

    def load(self) -> None:
        """Read the marks of this build from disk (see `refresh`)."""
        self.refresh()

    def refresh(self) -> dict[str, float]:
        """Merge in marks other workers saved since the last call.

        Returns:
            tag -> time for every mark that is newer than what this process
            knew; empty when the file did not change (one stat).
        """
        try:
            stat = self.file.stat()
        except FileNotFoundError:
            return {}
        signature = (stat.st_mtime_ns, stat.st_size)
        if signature == self._seen:
            return {}
        self._seen = signature
        newer: dict[str, float] = {}
        for tag, at in self._read().items():
            if at > self._times.get(tag, float("-inf")):
                self._times[tag] = at
                newer[tag] = at
        return newer

    def snapshot(self) -> dict[str, float]:
        """A copy of the marks this process knows, for `save` in another thread."""
        return dict(self._times)

    def save(self, marks: dict[str, float]) -> None:
        """Merge `marks` (a `snapshot`) into the file: flock, temp file, fsync, rename.

        Read-merge-write under the lock, so two workers revalidating at once
        never drop each other's marks. Marks read from the file are not taken
        into this process here: `refresh` does that, and applies them to pages.
        Blocks: call through to_thread.
        """
        # The folder may have been removed under the server (a cache cleaner): make it again.
        self.file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.file.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            merged = self._read()
            for tag, at in marks.items():
                merged[tag] = max(at, merged.get(tag, at))
            payload = json.dumps({"build_id": self.build_id, "marks": merged})
            temp = self.file.with_name(f".{self.file.name}.{os.getpid()}.tmp")
            with open(temp, "w", encoding="utf-8") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.file)
            fsync_directory(self.file.parent)  # the rename itself survives a power loss

    def _read(self) -> dict[str, float]:
        """The marks in the file for this build; {} when missing, corrupt or of another build."""
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            logger.warning(
                "Revalidation marks %s are unreadable (%s); ignoring them, so pages "
                "revalidated before a restart count as fresh.",
                self.file,
                exc,
            )
            return {}
        if not isinstance(data, dict) or data.get("build_id") != self.build_id:
            return {}
        marks = data.get("marks")
        if not isinstance(marks, dict):
            return {}
        return {str(tag): float(at) for tag, at in marks.items() if isinstance(at, int | float)}

    def mark(self, tags: Iterable[str], now: float) -> int:
        """Record that `tags` were revalidated at `now`; return the new sequence number."""
        self.seq += 1
        for tag in tags:
            self._times[tag] = now
            self._seqs[tag] = self.seq
        return self.seq

    def marked_since(self, tags: Iterable[str], seq: int) -> bool:
        """True when one of `tags` was marked after sequence number `seq` (this process)."""
        return any(self._seqs.get(tag, 0) > seq for tag in tags)

    def marked_at_or_after(self, tags: Iterable[str], since: float) -> bool:
        """True when one of `tags` was marked at or after `since` (any process, any run).

        `since` is when the page's render began (`CachedPage.render_started_at`).
        """
        times = self._times
        return any(times.get(tag, -1.0) >= since for tag in tags)
