"""A render lock held in Redis: extended by a watchdog while its holder renders, released by a
compare-and-delete."""

from __future__ import annotations

import asyncio
import logging

import redis.exceptions
from redis.asyncio.lock import Lock

from ssg.data.redis_store import RedisHealth
from ssg.isr.redis_calls import REDIS_ERRORS, report_failure

logger = logging.getLogger("ssg.isr")

LOCK_TTL_SECONDS = 10.0
"""A render lock lives this long unless its holder extends it (a dead holder's
lock frees after it); `?lock_ttl=` in cache_url changes it."""
WATCHDOG_FRACTION = 3
"""The holder extends its lock every TTL / this while it renders."""


class RedisLease:
    """A held Redis render lock, extended by a watchdog task until released.

    Args:
        lock: the acquired redis-py lock (its token is this holder's).
        ttl_seconds: the lock's time to live; the watchdog renews it every third.
        health: where Redis failures are reported.
        url_path: for log lines.
    """

    def __init__(self, lock: Lock, ttl_seconds: float, health: RedisHealth, url_path: str) -> None:
        self._lock = lock
        self._ttl = ttl_seconds
        self._health = health
        self._url_path = url_path
        self._watchdog = asyncio.create_task(self._extend(), name=f"ssg-lock-watchdog {url_path}")

    async def _extend(self) -> None:
        while True:
            await asyncio.sleep(self._ttl / WATCHDOG_FRACTION)
            try:
                await self._lock.extend(self._ttl, replace_ttl=True)
            except redis.exceptions.LockError:
                # Expired (Redis stalled longer than the TTL) and maybe taken: this
                # render goes on, and its write is refused if a newer one is stored.
                logger.warning(
                    "Lost the render lock of %s while rendering it; another instance may "
                    "render it too (the newer entry wins).",
                    self._url_path,
                )
                return
            except REDIS_ERRORS as exc:
                report_failure(self._health, "extending a render lock", exc)

    async def release(self) -> None:
        """Stop the watchdog and delete the lock if it is still this holder's (Lua compare-and-delete)."""
        self._watchdog.cancel()
        await asyncio.gather(self._watchdog, return_exceptions=True)
        try:
            await self._lock.release()
        except redis.exceptions.LockError:
            pass  # expired, or taken by another holder since: theirs now
        except REDIS_ERRORS as exc:
            self._health.failed("releasing a render lock", exc)  # its TTL frees it
