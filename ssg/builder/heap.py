"""The collector during a build: what lives to the build's end is frozen, so full passes skip it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


class FrozenHeap:
    """Moves the objects alive at each `freeze()` out of the collector's reach until the end.

    A build loads its site, content and prepared pages in bulk and keeps them to its end:
    every full collection would walk all of them again to free nothing. Frozen objects
    (`gc.freeze`) are skipped by every collection; they are handed back (`gc.unfreeze`) when
    the build ends, so garbage among them is collected then, as it would have been.
    Frozen objects are also not written to by the collector, so a forked render worker
    shares their memory pages instead of copying them.
    """

    def __init__(self, *, owner: bool) -> None:
        self.owner = owner  # False: the caller had frozen objects already; they stay frozen

    def freeze(self) -> None:
        """Freeze every object alive now (the earlier frozen ones stay frozen)."""
        gc.freeze()


@contextmanager
def frozen_heap() -> Iterator[FrozenHeap]:
    """Give a FrozenHeap for the block; on leaving it, unfreeze what the block froze.

    Nested blocks (or a caller that froze objects itself) leave the unfreezing to
    the outermost owner: `gc.unfreeze` cannot unfreeze only part of the objects.

    Yields:
        The FrozenHeap; nothing is frozen until its `freeze()` is called.
    """
    heap = FrozenHeap(owner=gc.get_freeze_count() == 0)
    try:
        yield heap
    finally:
        if heap.owner:
            gc.unfreeze()
