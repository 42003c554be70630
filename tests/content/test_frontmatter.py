"""Front matter: YAML, TOML and Pelican headers, and errors that name the line and the fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from ssg.content import parse_front_matter
from ssg.content.frontmatter import parse_front_matter_tolerant
from ssg.errors import ContentError

SOURCE = Path("posts/hello.md")


@pytest.mark.parametrize(
    ("text", "metadata", "body", "body_line", "fmt"),
    [
        pytest.param(
            "---\ntitle: Hi\ndate: 2014-07-29\n---\nBody\n",
            {"title": "Hi", "date": dt.date(2014, 7, 29)},
            "Body\n",
            5,
            "yaml",
            id="yaml",
        ),
        pytest.param(
            "---\ntitle: 'Go: the language'\nby:\n- Ann\n- Bob\n---\n\nBody",
            {"title": "Go: the language", "by": ["Ann", "Bob"]},
            "\nBody",
            7,
            "yaml",
            id="yaml-list-and-quoted-colon",
        ),
        pytest.param(
            '+++\npath = "2014/12/12/x"\ntitle = "T"\n[extra]\nrelease = true\n+++\nBody',
            {"path": "2014/12/12/x", "title": "T", "extra": {"release": True}},
            "Body",
            7,
            "toml",
            id="toml-with-table",
        ),
        pytest.param(
            "Title: This Week in Rust 501\nNumber: 501\nDate: 2023-06-28\n\nHello\n",
            {"title": "This Week in Rust 501", "number": "501", "date": "2023-06-28"},
            "Hello\n",
            5,
            "pelican",
            id="pelican-keys-lower-cased",
        ),
        pytest.param(
            "Title: T\nTags: this-week-in-rust, rust, programming\n\nBody",
            {"title": "T", "tags": ["this-week-in-rust", "rust", "programming"]},
            "Body",
            4,
            "pelican",
            id="pelican-tags-become-a-list",
        ),
        pytest.param(
            "Title: A long\n    title\n\nBody",
            {"title": "A long title"},
            "Body",
            4,
            "pelican",
            id="pelican-continuation-line",
        ),
        pytest.param(
            "Title: Only headers\n",
            {"title": "Only headers"},
            "",
            2,
            "pelican",
            id="pelican-without-body",
        ),
        pytest.param("# Just Markdown\n", {}, "# Just Markdown\n", 1, "none", id="none"),
        pytest.param(
            "Note: this line\ncontinues as prose\n",
            {},
            "Note: this line\ncontinues as prose\n",
            1,
            "none",
            id="prose-with-colon-is-not-a-header",
        ),
        pytest.param(
            "https://example.org\n\nText",
            {},
            "https://example.org\n\nText",
            1,
            "none",
            id="url-first-line-is-not-a-header",
        ),
        pytest.param(
            "\ufeff---\r\ntitle: Hi\r\n---\r\nBody\r\n",
            {"title": "Hi"},
            "Body\r\n",
            4,
            "yaml",
            id="bom-and-crlf",
        ),
        pytest.param("---\n---\nBody", {}, "Body", 3, "yaml", id="empty-yaml"),
    ],
)
def test_front_matter_styles_are_detected_and_decoded(
    text: str, metadata: dict[str, Any], body: str, body_line: int, fmt: str
) -> None:
    front = parse_front_matter(text, SOURCE)

    assert front.metadata == metadata
    assert front.body == body
    assert front.body_line == body_line
    assert front.format == fmt


def test_key_lines_point_at_each_top_level_key() -> None:
    front = parse_front_matter("---\ntitle: Hi\nby:\n- Ann\ndate: 2020-01-01\n---\n", SOURCE)

    assert front.key_lines == {"title": 2, "by": 3, "date": 5}


def test_yaml_timestamp_with_zone_is_an_aware_datetime() -> None:
    front = parse_front_matter("---\ndate: 2020-11-10T12:01:00Z\n---\n", SOURCE)

    assert front.metadata["date"] == dt.datetime(2020, 11, 10, 12, 1, tzinfo=dt.UTC)


def test_impossible_yaml_date_is_kept_as_text_instead_of_failing() -> None:
    front = parse_front_matter("---\ntitle: T\ndate: 2024-02-30\n---\n", SOURCE)

    assert front.metadata == {"title": "T", "date": "2024-02-30"}


def test_malformed_yaml_names_the_file_line_and_fix() -> None:
    text = "---\ntitle: Hi\ntags: [a, b\nsummary: x\n---\nBody"

    with pytest.raises(ContentError, match="malformed YAML front matter") as caught:
        parse_front_matter(text, SOURCE)

    assert caught.value.source_file == str(SOURCE)
    assert caught.value.line == 4
    assert "Quote values that contain" in str(caught.value)


def test_malformed_toml_names_the_file_line_and_fix() -> None:
    text = '+++\ntitle = "Hi"\nauthors = Ann\n+++\nBody'

    with pytest.raises(ContentError, match="malformed TOML front matter") as caught:
        parse_front_matter(text, SOURCE)

    assert caught.value.line == 3
    assert 'authors = ["Ann"]' in str(caught.value)


def test_unclosed_fence_is_an_error_on_line_one() -> None:
    with pytest.raises(ContentError, match="no line closes it") as caught:
        parse_front_matter("---\ntitle: Hi\n\nBody", SOURCE)

    assert caught.value.line == 1
    assert "add a line holding only '---'" in str(caught.value)


def test_yaml_that_is_not_a_mapping_is_an_error() -> None:
    with pytest.raises(ContentError, match="must be key/value pairs, got a list"):
        parse_front_matter("---\n- a\n- b\n---\nBody", SOURCE)


def test_tolerant_parse_keeps_the_body_after_a_broken_fence() -> None:
    front, problem = parse_front_matter_tolerant("---\ntitle: [\n---\nBody\n", SOURCE)

    assert problem is not None
    assert problem.line is not None
    assert front.metadata == {}
    assert front.body == "Body\n"
    assert front.body_line == 4
