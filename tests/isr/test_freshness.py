"""Freshness: FRESH / STALE / MISSING from a page's timing and the clock (pure, fake clock)."""

from __future__ import annotations

import pytest

from ssg.isr.cache import CachedPage
from ssg.isr.freshness import Freshness, freshness_of, retry_delay_seconds
from ssg.records import PageRecord
from ssg.revalidate import Revalidate


def after(seconds: float | None) -> Revalidate:
    """N seconds, or NEVER for None."""
    return Revalidate.NEVER if seconds is None else Revalidate.after(seconds)


def timing(
    generated_at: float, revalidate_seconds: float | None, *, marked_stale: bool = False
) -> CachedPage:
    record = PageRecord(
        url_path="/a",
        route_pattern="/a",
        status=200,
        content_type="text/html",
        revalidate=after(revalidate_seconds),
        tags=(),
        etag='"0"',
        size_bytes=0,
        output_file="a.html",
        generated_at=generated_at,
    )
    return CachedPage(record, marked_stale=marked_stale)


class Clock:
    """A mutable float the test advances."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("entry", "now", "expire", "expected"),
    [
        (None, 100.0, None, Freshness.MISSING),
        (timing(100.0, 60), 100.0, None, Freshness.FRESH),
        (timing(100.0, 60), 160.0, None, Freshness.FRESH),
        (timing(100.0, 60), 160.001, None, Freshness.STALE),
        (timing(100.0, None), 10**9, None, Freshness.FRESH),
        (timing(100.0, None), 10**9, 600, Freshness.FRESH),
        (timing(100.0, 60, marked_stale=True), 100.0, None, Freshness.STALE),
        (timing(100.0, None, marked_stale=True), 100.0, 600, Freshness.STALE),
        (timing(100.0, 60), 700.0, 600, Freshness.STALE),
        (timing(100.0, 60), 700.5, 600, Freshness.MISSING),
        (timing(100.0, 60, marked_stale=True), 701.0, 600, Freshness.MISSING),
        (timing(100.0, 60), 145.0, 30, Freshness.FRESH),
        (timing(100.0, 60), 160.0, 30, Freshness.FRESH),
        (timing(100.0, 60), 160.5, 30, Freshness.MISSING),
        (timing(100.0, 60, marked_stale=True), 145.0, 30, Freshness.STALE),
    ],
    ids=[
        "nothing-cached",
        "just-generated",
        "at-the-deadline-still-fresh",
        "just-past-the-deadline",
        "never-stale",
        "never-stale-never-expires",
        "marked-on-demand",
        "never-stale-marked-on-demand",
        "stale-within-expire",
        "past-expire",
        "marked-and-past-expire",
        "expire-below-revalidate-still-fresh",
        "expire-below-revalidate-fresh-until-revalidate",
        "expire-below-revalidate-expires-when-stale",
        "expire-below-revalidate-marked-is-served-stale",
    ],
)
def test_freshness_table(
    entry: CachedPage | None, now: float, expire: float | None, expected: Freshness
) -> None:
    assert freshness_of(entry, now, expire_seconds=expire) is expected


def test_page_turns_stale_as_the_fake_clock_moves() -> None:
    clock = Clock(1000.0)
    page = timing(generated_at=clock(), revalidate_seconds=30)

    seen = [freshness_of(page, clock())]
    clock.now += 30
    seen.append(freshness_of(page, clock()))
    clock.now += 0.5
    seen.append(freshness_of(page, clock()))

    assert seen == [Freshness.FRESH, Freshness.FRESH, Freshness.STALE]


@pytest.mark.parametrize(
    ("revalidate", "delay"),
    [(0.5, 3.0), (3, 3.0), (10, 10.0), (30, 30.0), (3600, 30.0), (None, 30.0)],
)
def test_failed_regeneration_retries_after_clamp_of_revalidate_3_30(
    revalidate: float | None, delay: float
) -> None:
    assert retry_delay_seconds(after(revalidate)) == delay
