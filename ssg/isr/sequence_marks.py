"""Revalidation marks on a build's shared sequence, for the Redis backend (no clocks)."""

from __future__ import annotations

import math
from collections.abc import Iterable


class SequenceMarks:
    """Revalidation marks as numbers on a build's shared sequence (no clocks).

    A mark made anywhere gets the next number `n` of the build's `rev`
    counter. A render that read `rev == s` when it began sits at position
    `s + 0.5`: marks `<= s` were made before it, marks `> s` after. A page
    from the build output sits at 0, before every mark. A mark made in this
    process is also counted by the local `seq` until its number comes back.

    Attributes:
        seq: marks made in this process (see RevalidationMarks.marked_since).
        known: the highest sequence number seen.
    """

    def __init__(self) -> None:
        self.seq = 0
        self.known = 0
        self._positions: dict[str, float] = {}
        self._seqs: dict[str, int] = {}
        self._pending: set[str] = set()
        self._newer: dict[str, float] = {}

    def mark(self, tags: Iterable[str], now: float) -> int:
        """Record tags revalidated here (committed to Redis by `take_pending`'s caller)."""
        self.seq += 1
        for tag in tags:
            self._seqs[tag] = self.seq
            self._pending.add(tag)
        return self.seq

    def take_pending(self) -> list[str]:
        """The tags marked here and not yet committed (the caller commits or gives them back)."""
        pending, self._pending = sorted(self._pending), set()
        return pending

    def give_back(self, tags: Iterable[str]) -> None:
        """Tags whose commit failed: committed with the next ones."""
        self._pending.update(tags)

    @property
    def has_pending(self) -> bool:
        """True while marks made here wait to be committed."""
        return bool(self._pending)

    def merge(self, marks: dict[str, float], *, notify: bool = True) -> None:
        """Take marks from Redis (tag -> sequence number), keeping the newer of each.

        With `notify`, the newer ones are also returned by the next `take_newer`
        (marks made elsewhere, whose pages here are not marked yet).
        """
        for tag, position in marks.items():
            if position > self._positions.get(tag, 0.0):
                self._positions[tag] = position
                if notify:
                    self._newer[tag] = max(position, self._newer.get(tag, 0.0))
            self.known = max(self.known, int(position))

    def restart(self, marks: dict[str, float], known: int) -> None:
        """Start over from Redis's marks after the shared sequence was reset.

        Redis lost the build's state (restarted empty, FLUSHALL, restored from an
        older snapshot): its counter is lower than numbers seen before, so the
        positions kept here cannot be compared with its new ones. They are
        replaced by `marks` (tag -> sequence number), `known` becomes the counter's
        value (raised by the caller to at least the old `known`), and every tag in
        `marks` is reported by the next `take_newer` as newer than any page here:
        a page carrying one is regenerated once, as a mark made since the reset
        may be one this process never compared.
        """
        self._positions = dict(marks)
        self.known = known
        self._newer = dict.fromkeys(marks, math.inf)

    def take_newer(self) -> dict[str, float]:
        """The marks merged since the last call (tag -> position)."""
        newer, self._newer = self._newer, {}
        return newer

    def marked_since(self, tags: Iterable[str], seq: int) -> bool:
        """True when one of `tags` was marked in this process after local number `seq`."""
        return any(self._seqs.get(tag, 0) > seq for tag in tags)

    def marked_at_or_after(self, tags: Iterable[str], since: float) -> bool:
        """True when one of `tags` has a mark at or after position `since`."""
        positions = self._positions
        return any(positions.get(tag, -1.0) >= since for tag in tags)
