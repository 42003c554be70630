"""How the Redis backend's calls fail: the errors that mean "go on without Redis", and the
cancellation redis-py may hide inside them."""

from __future__ import annotations

import asyncio

import redis.exceptions

from ssg.data.redis_store import RedisHealth

REDIS_ERRORS = (redis.exceptions.RedisError, OSError, asyncio.TimeoutError)
"""What an unreachable, slow or failing Redis raises: handled, never a 5xx."""


def cancelled() -> bool:
    """True when the running task was asked to stop.

    redis-py may swallow the CancelledError of a task stopped in the middle of
    a command (its read timeout and the cancellation racing), or turn it into a
    connection error; a loop around commands must check this, or it would go
    on forever and whoever closes it would wait for it.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def text(value: bytes | str) -> str:
    """A Redis reply's bytes (or a str already) as a str, UTF-8."""
    return value.decode("utf-8") if isinstance(value, bytes) else value


def report_failure(health: RedisHealth, action: str, exc: BaseException) -> None:
    """Tell `health` a Redis call failed (`action`: "reading an entry"), unless it was a cancellation.

    Raises:
        asyncio.CancelledError: the running task was asked to stop, and redis-py
            turned that into `exc` (see `cancelled`).
    """
    if cancelled():
        raise asyncio.CancelledError from exc
    health.failed(action, exc)
