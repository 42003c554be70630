"""Publication dates: every form the corpora use, read into aware UTC datetimes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

# `2024-4-09`, `2020-12-2`, `2013-06-07 9:30`: ISO 8601 wants two-digit fields, but the
# meaning is unambiguous, so these are read (with a problem noted) rather than dropped.
_LENIENT_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(Z|[+-]\d{2}:?\d{2})?"
)
# Zola's `path = "2014/12/12/slug"` and `"inside-rust/2020/03/13/slug"` (rust-blog).
_PATH_DATE = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})(?:/|$)")

_FIX = "write it as YYYY-MM-DD, YYYY-MM-DD HH:MM or an ISO 8601 timestamp (2020-11-10T12:01:00Z)"


@dataclass(frozen=True)
class ParsedDate:
    """The result of reading one date value.

    Attributes:
        value: the aware UTC datetime, or None when the value could not be read.
        problem: why the value was read leniently or not at all, with the fix;
            None when the value was well-formed.
    """

    value: datetime | None
    problem: str | None = None


def parse_date(value: object) -> datetime | None:
    """Read a front-matter date into an aware UTC datetime, or None if it cannot be read.

    Naive values are taken as UTC. Use `parse_date_detailed` to learn why a
    value was rejected or read leniently.

    Args:
        value: a `datetime`, a `date`, or a string in one of the forms below.

    Returns:
        An aware datetime in UTC, or None (also for None and other types).

    Examples:
        | value                          | result                    |
        | ------------------------------ | ------------------------- |
        | date(2014, 7, 29)              | 2014-07-29 00:00 UTC      |
        | "2020-11-10T12:01:00Z"         | 2020-11-10 12:01 UTC      |
        | "2023-06-28"                   | 2023-06-28 00:00 UTC      |
        | "2013-06-07 10:30"             | 2013-06-07 10:30 UTC      |
        | "2024-4-09" (lenient)          | 2024-04-09 00:00 UTC      |
        | "inside-rust/2020/03/13/slug"  | 2020-03-13 00:00 UTC      |
        | "soon"                         | None                      |
    """
    return parse_date_detailed(value).value


def parse_date_detailed(value: object) -> ParsedDate:
    """Read a date as `parse_date` does, and say what was wrong with it.

    Args:
        value: as for `parse_date`.

    Returns:
        A `ParsedDate`: `problem` is set for lenient forms (`2024-4-09`, value
        read) and for unreadable ones (value None). None itself is no problem.
    """
    if value is None:
        return ParsedDate(None)
    if isinstance(value, datetime):  # before `date`: datetime is a date subclass
        return ParsedDate(_as_utc(value))
    if isinstance(value, date):
        return ParsedDate(datetime(value.year, value.month, value.day, tzinfo=UTC))
    if not isinstance(value, str):
        kind = type(value).__name__
        article = "an" if kind[:1] in "aeiou" else "a"  # "an int", "a float"
        return ParsedDate(None, f"date {value!r} is {article} {kind}, not a date; {_FIX}")
    text = value.strip()
    try:
        return ParsedDate(_as_utc(datetime.fromisoformat(text)))
    except ValueError:
        pass
    lenient = _LENIENT_DATE.fullmatch(text)
    if lenient is not None:
        parsed = _from_fields(lenient)
        if parsed is not None:
            iso = parsed.strftime("%Y-%m-%d") if len(text) <= 10 else parsed.isoformat()
            return ParsedDate(parsed, f"date {value!r} is not ISO 8601; read it as {iso}: {_FIX}")
    in_path = _PATH_DATE.search(text)
    if in_path is not None:
        year, month, day = (int(g) for g in in_path.groups())
        try:
            return ParsedDate(datetime(year, month, day, tzinfo=UTC))
        except ValueError:
            pass
    return ParsedDate(None, f"could not read date {value!r}; {_FIX}")


def _as_utc(moment: datetime) -> datetime:
    # A naive front-matter time has no zone to go by; UTC keeps builds reproducible
    # on any machine (Pelican and Hugo instead use a site-wide setting).
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _from_fields(match: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime.combine(
            date(int(year), int(month), int(day)),
            time(int(hour or 0), int(minute or 0), int(second or 0)),
        )
    except ValueError:
        return None
    if zone is not None:
        return _as_utc(datetime.fromisoformat(moment.isoformat() + zone.replace("Z", "+00:00")))
    return _as_utc(moment)
