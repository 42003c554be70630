"""Request memoization: an identical call is made once per scope, also when awaited concurrently."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any


class RequestMemo:
    """A map of key -> in-flight or finished result (as React's `cache` / Next.js fetch dedupe).

    The first caller of a key runs the factory; callers arriving while it runs
    await the same future. A failure is not memoized: the key is dropped so a
    later call runs again, and every waiter sees the same exception.
    """

    def __init__(self) -> None:
        self._entries: dict[Hashable, asyncio.Future[Any]] = {}
        self._values: dict[Hashable, Any] = {}
        self.calls = 0
        """How many times a factory actually ran (for reports and tests)."""

    async def get_or_run(self, key: Hashable, factory: Callable[[], Awaitable[Any]]) -> Any:
        """Return the memoized result for `key`, running `factory()` once if absent.

        Raises:
            Whatever `factory()` raised, to every caller waiting on that key.
        """
        entry = self._entries.get(key)
        if entry is not None:
            return await asyncio.shield(entry)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._entries[key] = future
        self.calls += 1
        try:
            result = await factory()
        except BaseException as exc:
            self._entries.pop(key, None)
            if not future.done():
                future.set_exception(exc)
                future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        future.set_result(result)
        return result

    def get_or_call(self, key: Hashable, factory: Callable[[], Any]) -> Any:
        """Return the memoized result for `key`, calling the sync `factory()` once if absent.

        The sync twin of `get_or_run` (for sync functions under @ssg.cache); it has
        no waiters to share with, so two threads racing on one key may both call
        `factory()`, and the first result stored wins.

        Raises:
            Whatever `factory()` raised; a failure is not memoized.
        """
        try:
            return self._values[key]
        except KeyError:
            pass
        self.calls += 1
        result = factory()
        return self._values.setdefault(key, result)

    def __len__(self) -> int:
        return len(self._entries) + len(self._values)
