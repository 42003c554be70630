"""A build's data cache: the disk store (`ssg.data.store`), opened when a page first uses it.

Most rebuilds (an edited post) render pages that read no data cache: they never load
diskcache and sqlite3, nor open, check and close the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ssg.data.cached_value import CachedValue
    from ssg.data.store import DataStore
    from ssg.revalidate import Revalidate


class LazyDataStore:
    """The `DataCache` of a build: a `DataStore` on `directory`, made on first use.

    Opening it (and logging a corrupt or foreign directory, once) happens at the
    first operation that needs the database instead of at the build's start; what
    each operation does and returns is `DataStore`'s. The store runs its calls in
    the caller's thread (a build forks and must not start threads).

    Args:
        directory: the folder the store owns (e.g. `.ssg/data`).
        clock: returns the current time in epoch seconds; expiry follows it.
    """

    def __init__(self, directory: Path, *, clock: Callable[[], float]) -> None:
        self.directory = Path(directory)
        self._clock = clock
        self._store: DataStore | None = None
        self._closed = False
        self._lock = threading.Lock()  # guards _store and _closed: load() threads share it

    def _opened(self) -> DataStore | None:
        """The store, opened now if it is not yet; None once closed."""
        with self._lock:
            if self._store is None and not self._closed:
                from ssg.data.store import DataStore

                self._store = DataStore(self.directory, clock=self._clock)
            return self._store

    @property
    def enabled(self) -> bool:
        store = self._opened()
        return store is not None and store.enabled

    async def aget(self, key: str) -> CachedValue | None:
        store = self._opened()
        return None if store is None else await store.aget(key)

    async def aset(
        self, key: str, value: Any, *, revalidate: Revalidate, tags: Iterable[str]
    ) -> None:
        store = self._opened()
        if store is not None:
            await store.aset(key, value, revalidate=revalidate, tags=tags)

    async def aexpire(self) -> int:
        store = self._opened()
        return 0 if store is None else await store.aexpire()

    def drop_soon(self, keys: Iterable[str]) -> None:
        store = self._opened()
        if store is not None:
            store.drop_soon(keys)

    def revalidate_tag_soon(self, tag: str) -> None:
        store = self._opened()
        if store is not None:
            store.revalidate_tag_soon(tag)

    def set_soon(
        self, key: str, value: Any, *, revalidate: Revalidate, tags: Iterable[str]
    ) -> None:
        store = self._opened()
        if store is not None:
            store.set_soon(key, value, revalidate=revalidate, tags=tags)

    def get(self, key: str, *, wait_seconds: float | None = None) -> CachedValue | None:
        store = self._opened()
        return None if store is None else store.get(key, wait_seconds=wait_seconds)

    def set(self, key: str, value: Any, *, revalidate: Revalidate, tags: Iterable[str]) -> None:
        store = self._opened()
        if store is not None:
            store.set(key, value, revalidate=revalidate, tags=tags)

    def revalidate_tag(self, tag: str) -> int:
        store = self._opened()
        return 0 if store is None else store.revalidate_tag(tag)

    def expire(self) -> int:
        store = self._opened()
        return 0 if store is None else store.expire()

    def close(self) -> None:
        """Close the store if it was opened; afterwards every operation misses or does nothing."""
        with self._lock:
            store, self._store, self._closed = self._store, None, True
        if store is not None:
            store.close()
