"""The persistent data cache behind ssg.fetch and ssg.cache, in diskcache (with ssg.data.tag_index).

Entries survive builds and server restarts, expire by the injected clock, and are
dropped by tag through a tag index (one marker per entry and tag, ssg.data.tag_index),
so `revalidate_tag` costs the entries under that tag. A corrupt or incompatible cache
directory never fails a build.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import shutil
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import diskcache

from ssg.data.cached_value import CachedValue, pickle_entry, unpickle_entry
from ssg.data.tag_index import TagIndex
from ssg.data.threaded import ThreadedStore
from ssg.reads import paused
from ssg.revalidate import Revalidate

logger = logging.getLogger("ssg.data")

FORMAT = "ssg-data-cache/3"
"""Written under `_FORMAT_KEY`; a directory holding another value is cleared on open."""

SIZE_LIMIT_BYTES = 2**30
"""Disk budget of the cache (diskcache culls the least recently stored entries beyond it)."""

_FORMAT_KEY = "format"
_ENTRY = "entry:"
# "!" sorts before every other key's first character, so the expiry sweep lists the
# metadata records first (diskcache iterates keys in sort order) and stops there.
_META = "!meta:"

# Failures of the sqlite file or the value files at run time: a cache problem,
# never the page's, so they are logged and treated as a miss.
_STORE_ERRORS = (sqlite3.Error, OSError, diskcache.Timeout)


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class _Records:
    """An entry as the disk store writes it: its pickled CachedValue, its metadata, its tags."""

    blob: bytes
    meta: str
    tags: frozenset[str]


class DataStore(ThreadedStore[_Records]):
    """A diskcache-backed map of data key -> CachedValue, owning `directory`.

    Tags: each (tag, key) pair is a marker written in the entry's sqlite
    transaction, and `revalidate_tag` evicts the tag's markers (see
    ssg.data.tag_index); an entry counts only while all its markers are there.
    The entries themselves are deleted by the next write of their key or by
    the expiry sweep (`expire`).

    diskcache keeps one sqlite connection per thread, which only that thread
    can close, and a lookup waits (up to a minute) while another process holds
    the database's lock. So with `own_thread` (a server) every sqlite call
    runs on the store's one thread, with the calling convention of
    `ThreadedStore`; without it (a build, which forks and must not start
    threads) every call runs in the caller's thread.

    Args:
        directory: the folder the store owns (e.g. `.ssg/data`); created if missing,
            and wiped when it turns out to be corrupt.
        clock: returns the current time in epoch seconds; expiry follows it.
        own_thread: run sqlite calls on a thread of the store's own.
    """

    def __init__(
        self, directory: Path, *, clock: Callable[[], float], own_thread: bool = False
    ) -> None:
        super().__init__(own_thread=own_thread, where=str(directory))
        self.directory = Path(directory)
        self._clock = clock
        with paused():  # the store's own database, not a read of the page that opened it
            self._cache: diskcache.Cache | None = self._call(_open_cache, self.directory)
        self._tags = TagIndex(self._cache) if self._cache is not None else None

    def close(self) -> None:
        """Close the sqlite connection (and the store's thread); the store then behaves as disabled."""
        self._call(self._close)
        self._stop_thread()

    @property
    def enabled(self) -> bool:
        """False when the directory could not be opened or recreated (every get misses)."""
        return self._cache is not None

    def _get(self, key: str) -> CachedValue | None:
        if self._cache is None:
            return None
        try:
            blob = self._cache.get(_ENTRY + key)
        except _STORE_ERRORS as exc:
            logger.warning(
                "Could not read data cache entry %s (%s: %s); fetching it again.",
                key,
                type(exc).__name__,
                exc,
            )
            return None
        if blob is None:
            return None
        entry = unpickle_entry(blob, key)
        if entry is None:
            self._delete(key)
            return None
        if not entry.is_fresh(self._clock()):
            return None
        # Not deleted here when a marker is gone: a writer may have replaced the
        # entry since it was read (the sweep re-checks under the write lock).
        return entry if self._marked(key, entry.tags) else None

    def _marked(self, key: str, tags: Iterable[str]) -> bool:
        """True while every tag of `key` still has its marker (no revalidate_tag since)."""
        assert self._tags is not None
        try:
            return self._tags.marked(key, tags)
        except _STORE_ERRORS as exc:
            logger.warning(
                "Could not read the tags of data cache entry %s (%s: %s); fetching it again.",
                key,
                type(exc).__name__,
                exc,
            )
            return False

    def _encode(self, value: Any, revalidate: Revalidate, tags: Iterable[str]) -> _Records:
        return _entry_records(value, self._clock(), revalidate, tags)

    def _put(self, key: str, encoded: _Records) -> None:
        """Write an entry's pickled value, its metadata and its tag markers in one transaction.

        Markers of tags the key's previous entry had and this one has not are removed,
        so `revalidate_tag` counts only the entries that carry the tag.
        """
        if self._cache is None or self._tags is None:
            return
        try:
            with self._cache.transact():
                self._tags.unmark(key, self._stored_tags(key) - encoded.tags)
                self._cache.set(_ENTRY + key, encoded.blob)
                self._cache.set(_META + key, encoded.meta)
                self._tags.mark(key, encoded.tags)
        except _STORE_ERRORS as exc:
            logger.warning(
                "Could not write data cache entry %s (%s: %s); continuing without storing it.",
                key,
                type(exc).__name__,
                exc,
            )

    def _revalidate_tag(self, tag: str) -> int:
        """Evict the markers of `tag` (diskcache's tag index, one transaction); return how many."""
        if self._tags is None:
            return 0
        try:
            return self._tags.evict(tag)
        except _STORE_ERRORS as exc:
            logger.error(
                "Could not revalidate tag %r in the data cache at %s (%s: %s); its entries "
                "stay cached until they expire.",
                tag,
                self.directory,
                type(exc).__name__,
                exc,
            )
            return 0

    def _drop(self, keys: list[str]) -> int:
        return sum(1 for key in keys if self._delete(key))

    def _expire(self) -> int:
        """Delete expired entries and those a `revalidate_tag` unmarked; return how many expired.

        Only entries under a tag evicted since the last sweep are checked for
        markers, so the sweep costs about one read of each entry's metadata.
        """
        if self._tags is None:
            return 0
        now = self._clock()
        evicted = self._evicted_tags()
        removed = 0
        for key, expires_at, tags in self._scan_meta():
            if expires_at is not None and now > expires_at:
                removed += self._delete(key)
            elif not tags.isdisjoint(evicted) and not self._marked(key, tags):
                self._delete_unmarked(key)
        if evicted:
            try:
                self._tags.forget_evicted(len(evicted))
            except _STORE_ERRORS as exc:
                logger.warning(
                    "Could not update the data cache at %s (%s: %s).",
                    self.directory,
                    type(exc).__name__,
                    exc,
                )
        return removed

    def _evicted_tags(self) -> list[str]:
        """The tags `revalidate_tag` evicted since the last sweep, oldest first."""
        assert self._tags is not None
        try:
            return self._tags.evicted_tags()
        except _STORE_ERRORS:
            return []

    def _delete_unmarked(self, key: str) -> None:
        """Delete `key`'s entry if one of its markers is gone, re-checked under the write lock."""
        assert self._cache is not None
        try:
            with self._cache.transact():
                if not self._marked(key, self._stored_tags(key)):
                    self._delete(key)
        except _STORE_ERRORS as exc:
            logger.warning(
                "Could not delete data cache entry %s (%s: %s).", key, type(exc).__name__, exc
            )

    def _stored_tags(self, key: str) -> frozenset[str]:
        """The tags in `key`'s stored metadata (empty when it has none or it is unreadable)."""
        assert self._cache is not None
        try:
            _expires_at, tags = json.loads(self._cache.get(_META + key))
            return frozenset(tags)
        except (TypeError, ValueError):
            return frozenset()

    def _close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None
            self._tags = None

    def _scan_meta(self) -> list[tuple[str, float | None, frozenset[str]]]:
        """Return (key, expires_at, tags) of every entry; unreadable records are dropped."""
        if self._cache is None:
            return []
        records: list[tuple[str, float | None, frozenset[str]]] = []
        try:
            # Listed first: diskcache iteration is not stable while keys are deleted.
            meta_keys = list(itertools.takewhile(_is_meta, self._cache.iterkeys()))
            for meta_key in meta_keys:
                raw = self._cache.get(meta_key)
                key = meta_key[len(_META) :]
                try:
                    expires_at, tags = json.loads(raw)
                    records.append((key, expires_at, frozenset(tags)))
                except (TypeError, ValueError):
                    self._delete(key)
        except _STORE_ERRORS as exc:
            logger.warning(
                "Could not scan the data cache at %s (%s: %s); some entries may stay until "
                "the next scan.",
                self.directory,
                type(exc).__name__,
                exc,
            )
        return records

    def _delete(self, key: str) -> bool:
        """Delete an entry, its metadata and its tag markers; True when the entry existed."""
        if self._cache is None or self._tags is None:
            return False
        try:
            with self._cache.transact():
                self._tags.unmark(key, self._stored_tags(key))
                existed = bool(self._cache.delete(_ENTRY + key))
                self._cache.delete(_META + key)
        except _STORE_ERRORS as exc:
            logger.warning(
                "Could not delete data cache entry %s (%s: %s).", key, type(exc).__name__, exc
            )
            return False
        return existed


def _entry_records(
    value: Any, stored_at: float, revalidate: Revalidate, tags: Iterable[str]
) -> _Records:
    """Return the records of an entry stored at `stored_at`.

    Metadata (JSON `[expires_at, tags]`) is kept apart from the value so the
    expiry sweep reads small records instead of unpickling every body.

    Raises:
        TypeError: `value` cannot be pickled.
    """
    entry = CachedValue(value, stored_at, revalidate, frozenset(tags))
    meta = json.dumps([entry.expires_at, sorted(entry.tags)])
    return _Records(pickle_entry(entry), meta, entry.tags)


def _is_meta(item_key: object) -> bool:
    return isinstance(item_key, str) and item_key.startswith(_META)


def _open_cache(directory: Path) -> diskcache.Cache | None:
    """Open the cache at `directory`, wiping it once if it is corrupt; None if that fails too."""
    try:
        return _open_checked(directory)
    except Exception as exc:  # any failure to open means "corrupt": never fail the build
        logger.warning(
            "The data cache at %s is unreadable (%s: %s); starting with an empty data cache.",
            directory,
            type(exc).__name__,
            exc,
        )
    try:
        _remove(directory)
        return _open_checked(directory)
    except Exception as exc:
        logger.warning(
            "Could not recreate the data cache at %s (%s: %s); running without a data cache, "
            "so every cached fetch goes upstream. Check that the folder is writable.",
            directory,
            type(exc).__name__,
            exc,
        )
        return None


def _open_checked(directory: Path) -> diskcache.Cache:
    """Open the cache and make sure it holds this ssg's format, clearing it otherwise.

    Raises:
        sqlite3.DatabaseError: the database file is not a sqlite database.
        OSError: the folder cannot be created or read.
    """
    _check_database(directory / diskcache.core.DBNAME)
    cache = diskcache.Cache(str(directory), size_limit=SIZE_LIMIT_BYTES, tag_index=True)
    try:
        found = cache.get(_FORMAT_KEY)
        if found != FORMAT:
            if found is not None or len(cache) > 0:
                logger.warning(
                    "The data cache at %s was written in format %r, not %r; starting with an "
                    "empty data cache.",
                    directory,
                    found,
                    FORMAT,
                )
            cache.clear()
            cache.set(_FORMAT_KEY, FORMAT)
    except BaseException:
        cache.close()
        raise
    return cache


def _check_database(db_file: Path) -> None:
    """Raise sqlite3.DatabaseError when `db_file` exists but is not a sqlite database.

    Checked with a connection this function closes itself: when diskcache's
    constructor meets a corrupt file it raises with its connection still open,
    and only the garbage collector reclaims it (an "unclosed database"
    ResourceWarning on Python 3.13).
    """
    if not db_file.is_file():
        return
    with contextlib.closing(sqlite3.connect(db_file)) as connection:
        connection.execute("PRAGMA schema_version").fetchone()


def _remove(directory: Path) -> None:
    """Delete the cache folder (or a stray file in its place) so it can be recreated."""
    if directory.is_dir() and not directory.is_symlink():
        shutil.rmtree(directory)
    elif directory.exists() or directory.is_symlink():
        directory.unlink()
