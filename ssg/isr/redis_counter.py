"""A counter of the build's stats hash in Redis (regenerations, on-demand renders) shared by
every instance."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ssg.isr.redis_calls import REDIS_ERRORS

if TYPE_CHECKING:
    from ssg.isr.redis_build import RedisBuild


class RedisCounter:
    """A field of the build's stats hash: HINCRBY per event, the last known total cached.

    `add` never waits (the increment runs as a task); `value` is the total the
    last increment or status refresh returned, plus events counted while
    Redis was unreachable.
    """

    def __init__(self, build: RedisBuild, field: str) -> None:
        self._build = build
        self.field = field
        self.known = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self) -> None:
        """Count one event (in Redis too from a running event loop, as every server call is;
        from outside one it is counted here only, like an event while Redis is down)."""
        self.known += 1
        try:
            task = asyncio.get_running_loop().create_task(self._increment())
        except RuntimeError:  # no loop to send it from
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _increment(self) -> None:
        build = self._build
        if build.health.down:
            return
        try:
            total = await build.client.hincrby(build.keys.stats, self.field, 1)
        except REDIS_ERRORS as exc:
            build.health.failed("counting a render", exc)
            return
        self.known = max(self.known, int(total))

    def value(self) -> int:
        """Events counted by every instance, as last seen."""
        return self.known

    async def settle(self) -> None:
        """Wait for increments in flight (tests and shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
