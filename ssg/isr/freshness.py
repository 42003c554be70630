"""Freshness of a cached page: FRESH / STALE / MISSING from its timing and the clock (pure)."""

from __future__ import annotations

import enum
from typing import Protocol

from ssg.records import PageRecord
from ssg.revalidate import Revalidate

MIN_RETRY_SECONDS = 3.0
MAX_RETRY_SECONDS = 30.0


class Freshness(enum.Enum):
    """What a cached page may be used for (stale-while-revalidate, RFC 5861, as Next.js ISR).

    FRESH: send it (`X-SSG-Cache: HIT`).
    STALE: send it at once and regenerate it in the background (`STALE`).
    MISSING: nothing usable: render while the visitor waits (`MISS`).
    """

    FRESH = "fresh"
    STALE = "stale"
    MISSING = "missing"


class Timed(Protocol):
    """What freshness depends on: the page's record (its `generated_at` and `revalidate`)."""

    @property
    def record(self) -> PageRecord:
        """The page (a build's pages are generated at the build's end)."""
        ...

    @property
    def marked_stale(self) -> bool:
        """True once revalidate_path / revalidate_tag matched the page."""
        ...


def freshness_of(
    entry: Timed | None, now: float, *, expire_seconds: float | None = None
) -> Freshness:
    """Classify a cached page at time `now` (epoch seconds).

    With E = max(expire_seconds, N) for a page of revalidate N:

    | entry                                        | result   |
    | -------------------------------------------- | -------- |
    | None                                         | MISSING  |
    | revalidate N, now > generated_at + E         | MISSING  |
    | marked stale on demand                       | STALE    |
    | revalidate NEVER                             | FRESH    |
    | now <= generated_at + N                      | FRESH    |
    | now >  generated_at + N                      | STALE    |

    As Next.js: a page is fresh while `now <= generated_at + revalidate`; a
    stale one may be served for `expire_seconds` after it was generated, after
    which it must be rendered again before it is sent (Next.js `expireTime`).

    A page never expires while it is still fresh: when `expire_seconds` is
    lower than its revalidate, the page expires when it turns stale (E = N),
    so it is rendered while the visitor waits every N seconds, not every
    `expire_seconds` (which would make revalidate meaningless). Its
    Cache-Control then has no stale-while-revalidate (`isr_cache_control`).

    | expire_seconds | revalidate | fresh until | served stale until |
    | -------------- | ---------- | ----------- | ------------------ |
    | 600            | 60         | +60         | +600               |
    | 30             | 60         | +60         | +60 (never stale)  |

    A never-stale page marked stale on demand expires `expire_seconds` after it
    was generated.

    Args:
        entry: the page's timing, or None when nothing is cached.
        now: the current time, epoch seconds.
        expire_seconds: how long after `generated_at` a stale page may still be
            served; None for no limit. Never-stale pages never expire.
    """
    if entry is None:
        return Freshness.MISSING
    revalidate, generated_at = entry.record.revalidate, entry.record.generated_at
    if expire_seconds is not None and (not revalidate.is_never or entry.marked_stale):
        expire = max(expire_seconds, revalidate.seconds)
        if now > generated_at + expire:
            return Freshness.MISSING
    if entry.marked_stale:
        return Freshness.STALE
    if now <= revalidate.fresh_until(generated_at):
        return Freshness.FRESH
    return Freshness.STALE


def retry_delay_seconds(revalidate: Revalidate) -> float:
    """How long to wait after a failed regeneration before the next try.

    `clamp(revalidate, 3, 30)` seconds (ssg's own rule): quick pages retry soon, but a
    broken upstream is not hammered. A never-stale page (revalidated on
    demand) waits the maximum.

    | revalidate           | delay |
    | -------------------- | ----- |
    | 1 s or every request | 3     |
    | 10 s                 | 10    |
    | 3600 s or NEVER      | 30    |
    """
    if revalidate.is_never:
        return MAX_RETRY_SECONDS
    return min(max(revalidate.seconds, MIN_RETRY_SECONDS), MAX_RETRY_SECONDS)
