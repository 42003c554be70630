"""Revalidate: one parse of `revalidate`, lowest wins, JSON and freshness (as Next.js)."""

from __future__ import annotations

import math

import pytest

from ssg.records import Manifest, PageRecord, RouteRecord
from ssg.revalidate import Revalidate

NEVER, EVERY_REQUEST = Revalidate.NEVER, Revalidate.EVERY_REQUEST


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (False, NEVER),
        (math.inf, NEVER),
        (0, EVERY_REQUEST),
        (0.0, EVERY_REQUEST),
        (60, Revalidate.after(60)),
        (1.5, Revalidate.after(1.5)),
    ],
    ids=["false", "infinity", "zero", "zero-float", "seconds", "fraction"],
)
def test_parse_table(value: object, expected: Revalidate) -> None:
    assert Revalidate.parse(value) == expected


@pytest.mark.parametrize(
    "value", [True, "60", None, -1, math.nan], ids=["true", "str", "none", "negative", "nan"]
)
def test_parse_refuses_what_is_not_a_revalidate(value: object) -> None:
    with pytest.raises(ValueError, match="revalidate = "):
        Revalidate.parse(value)


def test_false_and_zero_are_different_values() -> None:
    assert Revalidate.parse(False) != Revalidate.parse(0)
    assert Revalidate.parse(False).is_never
    assert Revalidate.parse(0).is_every_request


@pytest.mark.parametrize(
    ("values", "lowest"),
    [
        ((NEVER, Revalidate.after(60)), Revalidate.after(60)),
        ((Revalidate.after(60), Revalidate.after(30)), Revalidate.after(30)),
        ((Revalidate.after(30), EVERY_REQUEST), EVERY_REQUEST),
        ((NEVER, NEVER), NEVER),
    ],
    ids=["never-and-60", "60-and-30", "30-and-every-request", "never-and-never"],
)
def test_lowest_wins(values: tuple[Revalidate, ...], lowest: Revalidate) -> None:
    assert values[0].lowest(*values[1:]) == lowest
    assert Revalidate.lowest_of(values) == lowest


def test_nothing_to_combine_is_never_stale() -> None:
    assert Revalidate.lowest_of([]) == NEVER


@pytest.mark.parametrize(
    ("value", "data"),
    [(NEVER, False), (EVERY_REQUEST, 0), (Revalidate.after(60), 60), (Revalidate.after(1.5), 1.5)],
    ids=["never", "every-request", "seconds", "fraction"],
)
def test_json_round_trip(value: Revalidate, data: object) -> None:
    assert value.to_json() == data
    assert type(value.to_json()) is type(data)
    assert Revalidate.from_json(data) == value


def test_fresh_until() -> None:
    assert Revalidate.after(60).fresh_until(100.0) == 160.0
    assert NEVER.fresh_until(100.0) == math.inf
    assert EVERY_REQUEST.fresh_until(100.0) == 100.0


def test_manifest_round_trips_its_records_through_json() -> None:
    page = PageRecord(
        url_path="/feed.xml",
        route_pattern="/feed.xml",
        status=200,
        content_type="application/rss+xml; charset=utf-8",
        revalidate=Revalidate.after(60),
        tags=("posts",),
        etag='"0123456789abcdef"',
        size_bytes=6,
        output_file="feed.xml",
        headers=(("X-Feed-Version", "2"),),
        generated_at=1000.0,
    )
    moved = PageRecord(
        url_path="/old",
        route_pattern="/old",
        status=308,
        content_type="text/html; charset=utf-8",
        revalidate=NEVER,
        tags=(),
        etag='"fedcba9876543210"',
        size_bytes=10,
        output_file="old.html",
        location="/new",
        generated_at=1000.0,
    )
    route = RouteRecord("/feed.xml", "handler", "isr", Revalidate.after(60), ("/",))
    manifest = Manifest(
        build_id="b1",
        generated_at=1000.0,
        routes=(route,),
        pages={"/feed.xml": page, "/old": moved},
        indexed_pages=("/feed.xml",),
    )

    assert Manifest.loads(manifest.dumps()) == manifest
    assert manifest.redirects == {"/old": moved}
