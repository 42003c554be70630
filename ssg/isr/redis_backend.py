"""The Redis backend: ISR state shared by `ssg serve` instances on any number of machines.

The keys it uses are listed in `ssg.isr.redis_keys`. Revalidations are
numbered by the build's `rev` counter, never timed (`ssg.isr.sequence_marks`),
so machines' clocks never have to agree. A fresh HIT never talks to Redis:
each instance answers from its memory and its own copy of the entries
(`cache_dir/isr-shared`). When Redis is unreachable, instances serve what they
have and render with local locks, log it once, and reconnect with back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from typing import Any

import redis
import redis.asyncio
import redis.asyncio.retry
import redis.backoff
import redis.retry

from ssg.config import SiteConfig
from ssg.data.redis_store import REDIS_TIMEOUT_SECONDS, RedisDataStore, RedisHealth, redacted
from ssg.isr import redis_scripts
from ssg.isr.backend import BackendStatus
from ssg.isr.redis_build import STREAM_BLOCK_MILLISECONDS, RedisBuild
from ssg.isr.redis_calls import REDIS_ERRORS, cancelled, report_failure
from ssg.isr.redis_keys import site_key_of, split_cache_url
from ssg.isr.redis_lease import LOCK_TTL_SECONDS
from ssg.scope import Clock

HEARTBEAT_SECONDS = 2.0
INSTANCE_WINDOW_SECONDS = 10.0
"""An instance without a heartbeat for this long no longer counts as connected."""
BUILD_KEYS_TTL_SECONDS = 7 * 24 * 3600
"""Sequence, marks, stats and stream of a build expire this long after its last instance stopped."""


class RedisBackend:
    """ISR state and the data cache in Redis (see the module docstring).

    Args:
        config: the site config (cache_url, cache_dir, expire_seconds, the site's name).
        client: the asyncio client for commands (tests pass a fake); None opens cache_url.
        reader: the asyncio client for the stream's blocking reads; None opens cache_url.

    Attributes:
        name: "redis".
        prefix: the site's key prefix, "ssg:{<site>}:".
        instance_id: this process in the instances set.
    """

    name = "redis"

    def __init__(
        self,
        config: SiteConfig,
        *,
        client: redis.asyncio.Redis | None = None,
        reader: redis.asyncio.Redis | None = None,
    ) -> None:
        url, options = split_cache_url(config.cache_url)
        self.url = url
        self.cache_dir = config.cache_dir
        self.expire_seconds = float(config.expire_seconds)
        site = options.get("prefix") or site_key_of(config)
        self.prefix = f"ssg:{{{site}}}:"
        self.lock_ttl_seconds = float(options.get("lock_ttl") or LOCK_TTL_SECONDS)
        self.health = RedisHealth(url)
        common: dict[str, Any] = {
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
            "health_check_interval": 30,
            # No retries with back-off inside a call (redis-py's default): a request
            # must not wait seconds for a Redis that is gone; the backend goes on
            # without it and reconnects in the background.
            "retry": redis.asyncio.retry.Retry(redis.backoff.NoBackoff(), 0),
        }
        self.client = client or redis.asyncio.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, **common
        )
        # XREAD BLOCK holds its connection: a client of its own, with a longer timeout.
        self.reader = reader or redis.asyncio.Redis.from_url(
            url, socket_timeout=STREAM_BLOCK_MILLISECONDS / 1000 + 2, **common
        )
        self.instance_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.instances = 0
        self._builds: list[RedisBuild] = []
        self._heartbeat: asyncio.Task[None] | None = None
        self._heartbeat_script = self.client.register_script(redis_scripts.HEARTBEAT)

    def open_build(self, build_id: str, *, clock: Clock) -> RedisBuild:
        """The build's state in Redis (no I/O until `start`)."""
        return RedisBuild(self, build_id, clock=clock)

    def open_data_cache(self, clock: Clock) -> RedisDataStore:
        """The site's data cache in Redis, shared by every build and instance."""
        client = redis.Redis.from_url(
            self.url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry=redis.retry.Retry(redis.backoff.NoBackoff(), 0),
        )
        return RedisDataStore(client, self.prefix, clock=clock, health=self.health)

    def attach(self, build: RedisBuild) -> None:
        """Count a started build in the heartbeat (and start the heartbeat)."""
        if build not in self._builds:
            self._builds.append(build)
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._beat(), name="ssg-redis-heartbeat")

    def detach(self, build: RedisBuild) -> None:
        """Forget a closed build."""
        if build in self._builds:
            self._builds.remove(build)

    async def _beat(self) -> None:
        """Every HEARTBEAT_SECONDS: say this instance is alive, keep the builds' keys, measure lag."""
        window_ms = int(INSTANCE_WINDOW_SECONDS * 1000)
        while not cancelled():
            try:
                self.instances = int(
                    await self._heartbeat_script(
                        keys=[self.prefix + "instances"], args=[self.instance_id, window_ms]
                    )
                )
                async with self.client.pipeline(transaction=False) as pipe:
                    for build in self._builds:
                        for key in build.keys.long_lived:
                            pipe.expire(key, BUILD_KEYS_TTL_SECONDS)
                    await pipe.execute()
                for build in list(self._builds):
                    await build.measure_lag()
            except asyncio.CancelledError:
                raise
            except REDIS_ERRORS as exc:
                report_failure(self.health, "sending a heartbeat", exc)
            await asyncio.sleep(HEARTBEAT_SECONDS)

    def status(self) -> BackendStatus:
        """Redis reachable or not, instances seen in the last window, stream lag of the current build."""
        lags = [b.stream_lag_ms for b in self._builds if b.stream_lag_ms is not None]
        return BackendStatus(
            backend=self.name,
            connected=not self.health.down,
            instances=self.instances,
            stream_lag_ms=max(lags) if lags else None,
            detail={"url": redacted(self.url), "prefix": self.prefix},
        )

    async def aclose(self) -> None:
        """Stop the heartbeat, leave the instances set, close the connections."""
        heartbeat, self._heartbeat = self._heartbeat, None
        if heartbeat is not None:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
            if not self.health.down:
                with contextlib.suppress(*REDIS_ERRORS):
                    await self.client.zrem(self.prefix + "instances", self.instance_id)
        await self.client.aclose()
        await self.reader.aclose()
