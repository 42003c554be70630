"""The data cache in Redis, shared by every instance of a site and by its builds.

Values are pickled `CachedValue`s under `ssg:{<site>}:d:<data key>` with a TTL
from their revalidate; each tag is a set of the data keys carrying it, so
`revalidate_tag` costs the size of that tag, never a scan of the cache (the
cost @neshca/cache-handler #612 measured: seconds at 18,745 keys).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.exceptions

from ssg.data.cached_value import CachedValue, pickle_entry, unpickle_entry
from ssg.data.threaded import ThreadedStore
from ssg.revalidate import Revalidate

logger = logging.getLogger("ssg.data")

DATA_VALUES = "d:"
"""After the site's prefix: a value's key is `ssg:{<site>}:d:<data key>`."""
DATA_TAGS = "dt:"
"""After the site's prefix: a tag's set of data keys is `ssg:{<site>}:dt:<tag>`."""

REDIS_TIMEOUT_SECONDS = 0.5
"""A Redis call taking longer fails: a data cache call is then a miss (the fetch goes
upstream), and an ISR instance goes on without Redis."""

# KEYS[1] = the value's key, KEYS[2..] = the sets of its tags.
# ARGV[1] = pickled value, ARGV[2] = TTL in ms ("0": none), ARGV[3] = the data key.
# A tag set lives as long as its longest-lived member, so it cannot outlive them
# for long (members of expired values are dropped by the next revalidate_tag).
SET_SCRIPT = """
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
else
  redis.call('SET', KEYS[1], ARGV[1])
end
for i = 2, #KEYS do
  local left = redis.call('PTTL', KEYS[i])
  redis.call('SADD', KEYS[i], ARGV[3])
  if ttl == 0 then
    redis.call('PERSIST', KEYS[i])
  elseif left == -2 or (left >= 0 and left < ttl) then
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
return 1
"""

# KEYS[1] = the tag's set; ARGV[1] = the value key prefix. Returns the keys dropped.
REVALIDATE_TAG_SCRIPT = """
local members = redis.call('SMEMBERS', KEYS[1])
local dropped = 0
local batch = {}
for i = 1, #members do
  batch[#batch + 1] = ARGV[1] .. members[i]
  if #batch == 1000 then
    dropped = dropped + redis.call('UNLINK', unpack(batch))
    batch = {}
  end
end
if #batch > 0 then
  dropped = dropped + redis.call('UNLINK', unpack(batch))
end
redis.call('DEL', KEYS[1])
return dropped
"""

_REDIS_ERRORS = (redis.exceptions.RedisError, OSError)
_logger = logging.getLogger("ssg.isr")  # where the instance's Redis outage is told, once


def redacted(url: str) -> str:
    """The URL without its password, for logs and /_ssg/status."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


class RedisHealth:
    """Whether Redis answers: logged once when it stops, once when it is back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.down = False

    def failed(self, doing: str, exc: BaseException) -> None:
        """Record a failed call; the first of an outage is logged."""
        if self.down:
            return
        self.down = True
        _logger.warning(
            "Redis at %s is unreachable (%s: %s: %s): serving this instance's cache and "
            "build, rendering without sharing; reconnecting in the background.",
            redacted(self.url),
            doing,
            type(exc).__name__,
            exc or "no answer",
        )

    def ok(self) -> None:
        """Record an answered call (logs the end of an outage)."""
        if self.down:
            self.down = False
            _logger.info("Redis at %s answers again: sharing ISR state.", redacted(self.url))


class RedisDataStore(ThreadedStore[tuple[CachedValue, bytes]]):
    """A Redis-backed map of data key -> CachedValue (the `DataCache` of a shared server).

    Calls run on the store's own thread with redis-py's synchronous client, as
    the disk store runs sqlite (the calling convention of `ThreadedStore`). A
    Redis that does not answer within REDIS_TIMEOUT_SECONDS makes a read a miss
    and a write a no-op, logged once per outage; until the instance sees Redis
    answer again (`health`), reads and writes do not even try: a page never
    fails or waits because of the data cache.

    Args:
        client: a synchronous redis-py client (decode_responses off).
        prefix: the site's key prefix, e.g. "ssg:{blog}:".
        clock: epoch seconds; freshness follows it (expiry is Redis's TTL).
        health: the instance's view of Redis, shared with its ISR state, so an
            outage is logged once (a new one when None).
    """

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        *,
        clock: Callable[[], float],
        health: RedisHealth | None = None,
    ) -> None:
        super().__init__(own_thread=True, where=f"Redis ({prefix})")
        self._client = client
        self._values = prefix + DATA_VALUES
        self._tags = prefix + DATA_TAGS
        self._clock = clock
        self._set_script = client.register_script(SET_SCRIPT)
        self._revalidate_script = client.register_script(REVALIDATE_TAG_SCRIPT)
        self._health = health if health is not None else RedisHealth(repr(client))

    @property
    def enabled(self) -> bool:
        """True until closed (an unreachable Redis is a miss per call, not a disabled store)."""
        return self._thread is not None

    def close(self) -> None:
        """Stop the store's thread and close its connections."""
        self._stop_thread()
        self._client.close()

    def _get(self, key: str) -> CachedValue | None:
        if self._health.down:
            return None  # a miss now, not a wait for a Redis that is away
        try:
            blob: Any = self._client.get(self._values + key)
        except _REDIS_ERRORS as exc:
            self._failed("read", key, exc)
            return None
        self._ok()
        if blob is None:
            return None
        entry = unpickle_entry(blob, key)
        if entry is None:
            self._drop([key])
            return None
        return entry if entry.is_fresh(self._clock()) else None

    def _encode(
        self, value: Any, revalidate: Revalidate, tags: Iterable[str]
    ) -> tuple[CachedValue, bytes]:
        """The entry stamped now, and its pickle.

        Raises:
            TypeError: `value` cannot be pickled.
        """
        entry = CachedValue(value, self._clock(), revalidate, frozenset(tags))
        return entry, pickle_entry(entry)

    def _put(self, key: str, encoded: tuple[CachedValue, bytes]) -> None:
        entry, blob = encoded
        expires_at = entry.expires_at
        if expires_at is None:
            ttl_ms = 0
        else:
            ttl_ms = math.ceil((expires_at - entry.stored_at) * 1000)
            if ttl_ms <= 0:
                return  # fresh for no time at all: nothing to keep
        if self._health.down:
            return
        tag_keys = [self._tags + tag for tag in sorted(entry.tags)]
        try:
            self._set_script(keys=[self._values + key, *tag_keys], args=[blob, ttl_ms, key])
        except _REDIS_ERRORS as exc:
            self._failed("write", key, exc)
            return
        self._ok()

    def _expire(self) -> int:
        return 0  # Redis expires entries itself (their TTL)

    def _revalidate_tag(self, tag: str) -> int:
        try:
            dropped = self._revalidate_script(keys=[self._tags + tag], args=[self._values])
        except _REDIS_ERRORS as exc:
            self._failed("revalidate tag", tag, exc)
            return 0
        self._ok()
        return int(dropped)

    def _drop(self, keys: list[str]) -> int:
        if not keys:
            return 0
        try:
            dropped = self._client.unlink(*(self._values + key for key in keys))
        except _REDIS_ERRORS as exc:
            self._failed("drop", ", ".join(keys[:3]), exc)
            return 0
        self._ok()
        return int(dropped)

    def _failed(self, action: str, what: str, exc: BaseException) -> None:
        # Called on the store's thread: the flag it sets is only ever read as a hint.
        self._health.failed(f"data cache {action} {what}", exc)

    def _ok(self) -> None:
        self._health.ok()
