"""Freshness of a cached page: FRESH / STALE / MISSING from its timing and the clock (pure)."""

from __future__ import annotations

import enum
from typing import Protocol

MIN_RETRY_SECONDS = 3.0
MAX_RETRY_SECONDS = 30.0


class Freshness(enum.Enum):
    """What a cached page may be used for (SPEC 8).

    FRESH: send it (`X-SSG-Cache: HIT`).
    STALE: send it at once and regenerate it in the background (`STALE`).
    MISSING: nothing usable: render while the visitor waits (`MISS`).
    """

    FRESH = "fresh"
    STALE = "stale"
    MISSING = "missing"


class Timed(Protocol):
    """The timing fields of a cached page that freshness depends on."""

    @property
    def generated_at(self) -> float:
        """Epoch seconds the page was rendered (a build's pages: the build's end)."""
        ...

    @property
    def revalidate_seconds(self) -> float | None:
        """Seconds the page stays fresh; None means never stale."""
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
    | revalidate None (never stale)                | FRESH    |
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
    revalidate = entry.revalidate_seconds
    if expire_seconds is not None and (revalidate is not None or entry.marked_stale):
        expire = expire_seconds if revalidate is None else max(expire_seconds, revalidate)
        if now > entry.generated_at + expire:
            return Freshness.MISSING
    if entry.marked_stale:
        return Freshness.STALE
    if revalidate is None or now <= entry.generated_at + revalidate:
        return Freshness.FRESH
    return Freshness.STALE


def retry_delay_seconds(revalidate_seconds: float | None) -> float:
    """How long to wait after a failed regeneration before the next try.

    `clamp(revalidate, 3, 30)` seconds (SPEC 8): quick pages retry soon, but a
    broken upstream is not hammered. A never-stale page (revalidated on
    demand) waits the maximum.

    | revalidate_seconds | delay |
    | ------------------ | ----- |
    | 1                  | 3     |
    | 10                 | 10    |
    | 3600 or None       | 30    |
    """
    if revalidate_seconds is None:
        return MAX_RETRY_SECONDS
    return min(max(float(revalidate_seconds), MIN_RETRY_SECONDS), MAX_RETRY_SECONDS)
