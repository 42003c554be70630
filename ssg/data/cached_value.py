"""One data-cache entry (`CachedValue`), its pickled form, and `DataCache`, the seam renders use.

`DataStore` (ssg.data.store, on disk) and `RedisDataStore` (ssg.data.redis_store,
shared) both keep entries as `pickle_entry` makes them.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from ssg.revalidate import Revalidate

logger = logging.getLogger("ssg.data")


@dataclass(frozen=True)
class CachedValue:
    """One data-cache entry.

    Attributes:
        value: what was cached (a FetchResponse, or an ssg.cache function's result).
        stored_at: when it was stored, epoch seconds by the store's clock.
        revalidate: how long it stays fresh (N seconds, or NEVER: until revalidate_tag).
        tags: the cache tags `revalidate_tag` drops it by.
    """

    value: Any
    stored_at: float
    revalidate: Revalidate
    tags: frozenset[str]

    @property
    def expires_at(self) -> float | None:
        """Epoch seconds after which the entry is expired; None when it never is."""
        if self.revalidate.is_never:
            return None
        return self.revalidate.fresh_until(self.stored_at)

    def is_fresh(self, now: float) -> bool:
        """True while `now <= stored_at + revalidate` (as Next.js fetch revalidate)."""
        return now <= self.revalidate.fresh_until(self.stored_at)


def pickle_entry(entry: CachedValue) -> bytes:
    """`entry` as a store keeps it (a pickle; `unpickle_entry` reads it back).

    Raises:
        TypeError: its value cannot be pickled.
    """
    try:
        return pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise TypeError(
            f"cannot store a {type(entry.value).__name__} in the data cache: it is not "
            f"picklable ({exc})"
        ) from exc


def unpickle_entry(blob: bytes, key: str) -> CachedValue | None:
    """The entry `pickle_entry` made, or None when `blob` is unreadable (pickled by
    another ssg version) or holds something else; logged on "ssg.data" (the caller
    then drops `key`)."""
    try:
        entry = pickle.loads(blob)
    except Exception as exc:  # unpickling can raise anything a class's __reduce__ can
        logger.warning(
            "Data cache entry %s is unreadable (%s: %s), probably written by another "
            "ssg version; dropping it and fetching again.",
            key,
            type(exc).__name__,
            exc,
        )
        return None
    if not isinstance(entry, CachedValue):
        logger.warning(
            "Data cache entry %s holds a %s, not a CachedValue; dropping it and fetching again.",
            key,
            type(entry).__name__,
        )
        return None
    return entry


class DataCache(Protocol):
    """The data cache as renders use it: `DataStore` on disk, `RedisDataStore` shared.

    The `a*` methods do not block the event loop; the `*_soon` methods queue
    work that runs before any read queued after it; the others wait.
    """

    @property
    def enabled(self) -> bool: ...

    async def aget(self, key: str) -> CachedValue | None: ...

    async def aset(
        self, key: str, value: Any, *, revalidate: Revalidate, tags: Iterable[str]
    ) -> None: ...

    async def aexpire(self) -> int: ...

    def drop_soon(self, keys: Iterable[str]) -> None: ...

    def revalidate_tag_soon(self, tag: str) -> None: ...

    def set_soon(
        self, key: str, value: Any, *, revalidate: Revalidate, tags: Iterable[str]
    ) -> None: ...

    def get(self, key: str, *, wait_seconds: float | None = None) -> CachedValue | None: ...

    def set(self, key: str, value: Any, *, revalidate: Revalidate, tags: Iterable[str]) -> None: ...

    def revalidate_tag(self, tag: str) -> int: ...

    def expire(self) -> int: ...

    def close(self) -> None: ...
