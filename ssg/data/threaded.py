"""How a data cache store runs its calls: on one thread of its own, or in the caller's.

Both stores (`DataStore` on disk, `RedisDataStore` shared) talk to their
backend through a synchronous client that must not be called from two
threads at once and can wait (an sqlite lock held by another process, a slow
Redis). `ThreadedStore` gives them one calling convention over their
primitive operations: the `a*` methods await the store's thread, so the event
loop serves meanwhile; the `*_soon` methods queue work without waiting (the
thread runs calls in order, so a read queued later sees it); the sync methods
wait for the thread (`get` at most `wait_seconds` when given: a sync function
called on the event loop). Without a thread (a build, which forks and must
not start threads) every call runs in the caller's thread.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from ssg.data.cached_value import CachedValue
    from ssg.revalidate import Revalidate

logger = logging.getLogger("ssg.data")

LOOP_WAIT_SECONDS = 0.02
"""How long a sync call on a server's event loop waits for the store's thread before
the lookup counts as a miss (`get(..., wait_seconds=)`)."""

T = TypeVar("T")
E = TypeVar("E")


class ThreadedStore(ABC, Generic[E]):
    """A data cache store's calling convention over its primitive operations.

    Subclasses implement `_get`, `_encode`, `_put`, `_drop`, `_revalidate_tag`
    and `_expire`, each run on the store's thread when it has one; `_encode`
    runs in the caller's thread, so a value is pickled when it is handed over
    (a later change to it is not stored). E is what `_encode` makes of a value
    and `_put` stores.

    Args:
        own_thread: run the backend's calls on a thread of the store's own.
        where: names the store in log messages (a folder, a Redis URL).
    """

    def __init__(self, *, own_thread: bool, where: str) -> None:
        self._thread: ThreadPoolExecutor | None = (
            ThreadPoolExecutor(1, thread_name_prefix="ssg-data-cache") if own_thread else None
        )
        self._where = where
        self._busy_logged = False

    # The primitive operations -------------------------------------------------

    @abstractmethod
    def _get(self, key: str) -> CachedValue | None:
        """The fresh entry under `key`, or None; never raises for a backend failure."""

    @abstractmethod
    def _encode(self, value: Any, revalidate: Revalidate, tags: Iterable[str]) -> E:
        """`value` as `_put` stores it, stamped now.

        Raises:
            TypeError: `value` cannot be pickled.
        """

    @abstractmethod
    def _put(self, key: str, encoded: E) -> None:
        """Store what `_encode` made under `key`."""

    @abstractmethod
    def _drop(self, keys: list[str]) -> int:
        """Remove `keys`; return how many were there."""

    @abstractmethod
    def _revalidate_tag(self, tag: str) -> int:
        """Remove every entry tagged `tag`; return how many."""

    @abstractmethod
    def _expire(self) -> int:
        """Remove entries expired by the clock; return how many."""

    def _busy(self, wait_seconds: float) -> None:
        """A `get` with `wait_seconds` gave up waiting for the thread: logged once."""
        if not self._busy_logged:
            self._busy_logged = True
            logger.warning(
                "The data cache at %s was busy for more than %.0f ms (waiting on its "
                "backend, or queued work) when a sync @ssg.cache function was called on "
                "the event loop; such calls compute their value instead of waiting "
                "(logged once). Make the function async to wait without stalling the "
                "server.",
                self._where,
                wait_seconds * 1000,
            )

    # The calling convention ---------------------------------------------------

    def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `function` on the store's thread (waiting for it), or here without one."""
        if self._thread is None:
            return function(*args, **kwargs)
        return self._thread.submit(function, *args, **kwargs).result()

    async def _run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._thread is None:
            return function(*args, **kwargs)
        return await asyncio.wrap_future(self._thread.submit(function, *args, **kwargs))

    def _later(self, function: Callable[..., object], *args: Any) -> None:
        if self._thread is None:
            function(*args)
            return
        self._thread.submit(function, *args).add_done_callback(_log_failure)

    def _set(self, key: str, value: Any, *, revalidate: Revalidate, tags: Iterable[str]) -> None:
        self._put(key, self._encode(value, revalidate, tags))

    async def aget(self, key: str) -> CachedValue | None:
        """`get` without blocking the event loop."""
        return await self._run(self._get, key)

    async def aset(
        self, key: str, value: Any, *, revalidate: Revalidate, tags: Iterable[str]
    ) -> None:
        """`set` without blocking the event loop (raises TypeError as `set` does)."""
        await self._run(self._set, key, value, revalidate=revalidate, tags=tags)

    async def aexpire(self) -> int:
        """`expire` without blocking the event loop."""
        return await self._run(self._expire)

    def set_soon(
        self, key: str, value: Any, *, revalidate: Revalidate, tags: Iterable[str]
    ) -> None:
        """Queue `set`: pickled now (a later change to `value` is not stored), written in order.

        Raises:
            TypeError: `value` cannot be pickled (nothing is queued).
        """
        self._later(self._put, key, self._encode(value, revalidate, tags))

    def drop_soon(self, keys: Iterable[str]) -> None:
        """Queue `drop(keys)`: done before any read queued after it; never waits."""
        self._later(self._drop, list(keys))

    def revalidate_tag_soon(self, tag: str) -> None:
        """Queue `revalidate_tag(tag)`: done before any read queued after it; never waits."""
        self._later(self._revalidate_tag, tag)

    def get(self, key: str, *, wait_seconds: float | None = None) -> CachedValue | None:
        """Return the fresh entry stored under `key`, or None.

        None when it is missing, expired or unreadable (an unreadable entry is
        logged on "ssg.data" and dropped), or the backend failed (logged).

        Args:
            key: a data key from `ssg.data.keys`.
            wait_seconds: with the store's own thread, wait at most this long
                for it (busy with queued work, or waiting on the backend);
                past that the lookup is a miss (None). None waits until it
                answers.
        """
        if self._thread is None or wait_seconds is None:
            return self._call(self._get, key)
        future = self._thread.submit(self._get, key)
        try:
            return future.result(timeout=wait_seconds)
        except TimeoutError:
            future.cancel()  # still queued: skip it; already running: its answer is dropped
            self._busy(wait_seconds)
            return None

    def set(self, key: str, value: Any, *, revalidate: Revalidate, tags: Iterable[str]) -> None:
        """Store `value` under `key`, stamped with the clock's current time.

        Args:
            key: a data key from `ssg.data.keys`.
            value: any picklable value.
            revalidate: how long it stays fresh (N seconds, or NEVER).
            tags: tags that `revalidate_tag` drops the entry by.

        Raises:
            TypeError: `value` cannot be pickled (nothing is stored).
        """
        self._call(self._set, key, value, revalidate=revalidate, tags=tags)

    def revalidate_tag(self, tag: str) -> int:
        """Drop every entry tagged `tag` (as Next.js revalidateTag); return how many."""
        return self._call(self._revalidate_tag, tag)

    def expire(self) -> int:
        """Remove entries expired by the clock; return how many (the server's scheduler runs it)."""
        return self._call(self._expire)

    def _stop_thread(self) -> None:
        """Let queued work finish and stop the thread; later calls run in the caller's thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.shutdown(wait=True)


def _log_failure(future: Future[object]) -> None:
    """A queued call that raised: logged (nobody waits for its result)."""
    error = None if future.cancelled() else future.exception()
    if error is not None:
        logger.error("A queued data cache operation failed: %s", error, exc_info=error)
