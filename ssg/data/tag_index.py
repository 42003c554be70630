"""The data cache's tag index: one diskcache marker item per (tag, entry) pair.

diskcache indexes one tag per item, and a data-cache entry has any number
(Next.js fetch `next: { tags: [...] }`), so each (tag, key) pair is a marker
item of its own carrying that tag, written in the same sqlite transaction as
the entry (ssg.data.store). `revalidate_tag` evicts the tag's markers through
diskcache's tag index (one transaction, so every process sees all of them gone
or none), and an entry counts only while every one of its markers is there: a
read after the eviction misses, whichever process wrote the entry, and a crash
leaves each entry whole or dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import diskcache

_MARK = "mark:"
_EVICTED = "evicted-tags"  # JSON list of the tags evicted since the last expiry sweep


class TagIndex:
    """The markers of one diskcache: which entries carry which tags, and which tags were evicted.

    Every method runs sqlite statements on `cache` and raises what they raise
    (sqlite3.Error, OSError, diskcache.Timeout): the store decides what a
    failure means. The writes join the caller's `cache.transact()` when there
    is one (diskcache transactions nest), so markers change with their entry.

    Args:
        cache: a diskcache opened with `tag_index=True`.
    """

    def __init__(self, cache: diskcache.Cache) -> None:
        self._cache = cache

    def marked(self, key: str, tags: Iterable[str]) -> bool:
        """True while every tag of entry `key` still has its marker (no eviction since)."""
        return all(_mark(tag, key) in self._cache for tag in tags)

    def mark(self, key: str, tags: Iterable[str]) -> None:
        """Write a marker for each of `tags` on entry `key`."""
        for tag in tags:
            self._cache.set(_mark(tag, key), b"", tag=tag)

    def unmark(self, key: str, tags: Iterable[str]) -> None:
        """Delete entry `key`'s markers of `tags` (the entry dropped, or no longer tagged so)."""
        for tag in tags:
            self._cache.delete(_mark(tag, key))

    def evict(self, tag: str) -> int:
        """Delete every marker of `tag` in one transaction, listing `tag` as evicted.

        Returns:
            How many markers were deleted (the entries that carried `tag`).
        """
        with self._cache.transact():
            evicted = int(self._cache.evict(tag))
            listed = self.evicted_tags()
            if evicted and tag not in listed:  # the sweep looks for entries left under it
                self._cache.set(_EVICTED, json.dumps([*listed, tag]))
            return evicted

    def evicted_tags(self) -> list[str]:
        """The tags evicted since the last `forget_evicted`, oldest first ([] when unreadable)."""
        try:
            found = json.loads(self._cache.get(_EVICTED) or "[]")
        except (TypeError, ValueError):
            return []
        return [tag for tag in found if isinstance(tag, str)] if isinstance(found, list) else []

    def forget_evicted(self, count: int) -> None:
        """Drop the `count` oldest evicted tags from the list (the sweep has handled them).

        Tags evicted while the sweep ran stay listed for the next one.
        """
        with self._cache.transact():
            later = self.evicted_tags()[count:]
            self._cache.set(_EVICTED, json.dumps(later))


def _mark(tag: str, key: str) -> str:
    """The marker item that says entry `key` carries `tag` (JSON, so no tag or key can collide)."""
    return _MARK + json.dumps([tag, key])
