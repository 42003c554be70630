"""Dates: every form in the corpora, read as aware UTC datetimes; lenient forms are reported."""

from __future__ import annotations

import datetime as dt

import pytest

from ssg.content import parse_date, parse_date_detailed

UTC = dt.UTC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(dt.date(2014, 7, 29), dt.datetime(2014, 7, 29, tzinfo=UTC), id="yaml-date"),
        pytest.param(
            dt.datetime(2020, 11, 10, 12, 1, tzinfo=UTC),
            dt.datetime(2020, 11, 10, 12, 1, tzinfo=UTC),
            id="aware-datetime",
        ),
        pytest.param(
            dt.datetime(2020, 11, 10, 12, 1),
            dt.datetime(2020, 11, 10, 12, 1, tzinfo=UTC),
            id="naive-datetime-is-utc",
        ),
        pytest.param(
            dt.datetime(2020, 11, 10, 13, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            dt.datetime(2020, 11, 10, 12, 1, tzinfo=UTC),
            id="offset-converted-to-utc",
        ),
        pytest.param(
            "2020-11-10T12:01:00Z", dt.datetime(2020, 11, 10, 12, 1, tzinfo=UTC), id="iso-z"
        ),
        pytest.param("2023-06-28", dt.datetime(2023, 6, 28, tzinfo=UTC), id="iso-date"),
        pytest.param(
            "2013-06-07 10:30", dt.datetime(2013, 6, 7, 10, 30, tzinfo=UTC), id="date-hh-mm"
        ),
        pytest.param(
            "2014/12/12/1.0-Timeline", dt.datetime(2014, 12, 12, tzinfo=UTC), id="zola-path"
        ),
        pytest.param(
            "inside-rust/2020/03/13/slug",
            dt.datetime(2020, 3, 13, tzinfo=UTC),
            id="zola-path-with-section",
        ),
        pytest.param("2024-4-09", dt.datetime(2024, 4, 9, tzinfo=UTC), id="lenient-month"),
        pytest.param("2020-12-2", dt.datetime(2020, 12, 2, tzinfo=UTC), id="lenient-day"),
        pytest.param(
            "2020-1-2 9:05+01:00",
            dt.datetime(2020, 1, 2, 8, 5, tzinfo=UTC),
            id="lenient-with-time-and-zone",
        ),
        pytest.param("soon", None, id="unreadable"),
        pytest.param("2024-02-30", None, id="impossible-day"),
        pytest.param("2014/13/12/slug", None, id="impossible-path-date"),
        pytest.param(None, None, id="none"),
        pytest.param(20240409, None, id="int"),
    ],
)
def test_parse_date_reads_every_corpus_form(value: object, expected: dt.datetime | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["2024-4-09", "2020-12-2"])
def test_lenient_dates_carry_a_problem_with_the_fix(value: str) -> None:
    parsed = parse_date_detailed(value)

    assert parsed.value is not None
    assert parsed.problem is not None
    assert f"date {value!r} is not ISO 8601" in parsed.problem
    assert "write it as YYYY-MM-DD" in parsed.problem


@pytest.mark.parametrize("value", ["soon", 3.5])
def test_unreadable_dates_carry_a_problem(value: object) -> None:
    parsed = parse_date_detailed(value)

    assert parsed.value is None
    assert parsed.problem is not None
    assert "write it as YYYY-MM-DD" in parsed.problem


@pytest.mark.parametrize("value", ["2023-06-28", dt.date(2023, 6, 28), None])
def test_well_formed_or_missing_dates_have_no_problem(value: object) -> None:
    assert parse_date_detailed(value).problem is None


@pytest.mark.parametrize(
    ("value", "words"),
    [(1704189600, "is an int, not a date"), (2024.5, "is a float, not a date")],
    ids=["int", "float"],
)
def test_a_date_of_another_type_is_named_with_its_article(value: object, words: str) -> None:
    parsed = parse_date_detailed(value)
    assert parsed.value is None
    assert words in str(parsed.problem)
