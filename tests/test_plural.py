"""Counted nouns in messages: "1 page", never "1 pages" or "1 page(s)"."""

from __future__ import annotations

import pytest

from ssg.plural import plural


@pytest.mark.parametrize(
    ("number", "noun", "nouns", "text"),
    [
        (0, "page", None, "0 pages"),
        (1, "page", None, "1 page"),
        (2, "page", None, "2 pages"),
        (2563, "page", None, "2,563 pages"),
        (1, "entry", "entries", "1 entry"),
        (3, "entry", "entries", "3 entries"),
    ],
    ids=["zero", "one", "two", "thousands", "irregular-one", "irregular-many"],
)
def test_a_count_takes_the_singular_only_for_one(
    number: int, noun: str, nouns: str | None, text: str
) -> None:
    assert plural(number, noun, nouns) == text
