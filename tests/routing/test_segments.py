"""The folder-name grammar and the specificity order of route patterns."""

from __future__ import annotations

import re

import pytest

from ssg.errors import SegmentNameError
from ssg.routing.definitions import Segment, SegmentKind
from ssg.routing.segments import (
    join_route_pattern,
    parse_segment,
    sort_key,
    specificity,
    suggest_identifier,
)

K = SegmentKind


@pytest.mark.parametrize(
    ("name", "kind", "param"),
    [
        pytest.param("blog", K.STATIC, None, id="static"),
        pytest.param("feed.xml", K.STATIC, None, id="static-with-dot"),
        pytest.param("caf\u00e9", K.STATIC, None, id="static-unicode"),
        pytest.param("[slug]", K.DYNAMIC, "slug", id="dynamic"),
        pytest.param("[post_id]", K.DYNAMIC, "post_id", id="dynamic-underscore"),
        pytest.param("[...parts]", K.CATCH_ALL, "parts", id="catch-all"),
        pytest.param("[[...parts]]", K.OPTIONAL_CATCH_ALL, "parts", id="optional-catch-all"),
        pytest.param("(marketing)", K.GROUP, None, id="group"),
        pytest.param("@team", K.SLOT, "team", id="slot"),
        pytest.param("_partials", K.PRIVATE, None, id="private"),
        pytest.param("__pycache__", K.PRIVATE, None, id="pycache-is-private"),
        pytest.param("_[slug]", K.PRIVATE, None, id="private-wins-over-brackets"),
        pytest.param("(.)photo", K.INTERCEPTING, None, id="intercepting-same-level"),
        pytest.param("(..)photo", K.INTERCEPTING, None, id="intercepting-one-up"),
        pytest.param("(..)(..)photo", K.INTERCEPTING, None, id="intercepting-two-up"),
        pytest.param("(...)photo", K.INTERCEPTING, None, id="intercepting-from-root"),
    ],
)
def test_parse_segment_kinds(name: str, kind: SegmentKind, param: str | None) -> None:
    assert parse_segment(name) == Segment(name, kind, param)


@pytest.mark.parametrize(
    ("name", "reason", "suggestion"),
    [
        pytest.param("[\u2026parts]", "U+2026", "[...parts]", id="ellipsis-catch-all"),
        pytest.param("[[\u2026parts]]", "U+2026", "[[...parts]]", id="ellipsis-optional"),
        pytest.param("[my-slug]", "not a Python identifier", "[my_slug]", id="param-dash"),
        pytest.param("[my slug]", "not a Python identifier", "[my_slug]", id="param-space"),
        pytest.param("[1st]", "not a Python identifier", "[_1st]", id="param-digit-first"),
        pytest.param("[...a-b]", "not a Python identifier", "[...a_b]", id="catch-all-param"),
        pytest.param("[[...a-b]]", "not a Python identifier", "[[...a_b]]", id="optional-param"),
        pytest.param("[slug", "unbalanced brackets", "[slug]", id="missing-close"),
        pytest.param("slug]", "unbalanced brackets", "[slug]", id="missing-open"),
        pytest.param("[[...parts]", "unbalanced brackets", "[[...parts]]", id="optional-half"),
        pytest.param("[]", "empty param name", "[slug]", id="empty-dynamic"),
        pytest.param("[...]", "empty param name", "[...parts]", id="empty-catch-all"),
        pytest.param("[[...]]", "empty param name", "[[...parts]]", id="empty-optional"),
        pytest.param("[..parts]", "2 dot", "[...parts]", id="two-dots"),
        pytest.param("[....parts]", "4 dot", "[...parts]", id="four-dots"),
        pytest.param("[[slug]]", "optional catch-alls", "[[...slug]]", id="optional-not-catch"),
        pytest.param("post-[id]", "whole folder name", "[id]", id="partial-segment"),
        pytest.param("[a]b", "whole folder name", "[a]", id="partial-suffix"),
        pytest.param("@my-team", "slot name", "@my_team", id="slot-not-identifier"),
        pytest.param("@", "needs a name", "@team", id="slot-empty"),
        pytest.param("(group", "unbalanced parentheses", "(group)", id="group-unbalanced"),
        pytest.param("()", "needs a name", "(group)", id="group-empty"),
    ],
)
def test_parse_segment_rejects_bad_names_with_the_fix(
    name: str, reason: str, suggestion: str | None
) -> None:
    with pytest.raises(SegmentNameError, match=re.escape(reason)) as info:
        parse_segment(name)
    assert info.value.name == name
    assert info.value.suggestion == suggestion
    if suggestion is not None:
        assert f"rename it to {suggestion}" in str(info.value)
        assert parse_segment(suggestion).kind is not SegmentKind.STATIC


@pytest.mark.parametrize(
    ("text", "identifier"),
    [("my-slug", "my_slug"), ("1st", "_1st"), ("ok", "ok"), ("", "slug")],
)
def test_suggest_identifier(text: str, identifier: str) -> None:
    assert suggest_identifier(text) == identifier


@pytest.mark.parametrize(
    ("name", "rank"),
    [("about", 0), ("[id]", 1), ("[...rest]", 2), ("[[...rest]]", 3)],
)
def test_specificity_ranks_static_dynamic_catch_all_optional(name: str, rank: int) -> None:
    assert specificity(parse_segment(name)) == rank


def test_specificity_rejects_segments_outside_the_url() -> None:
    with pytest.raises(ValueError, match="not a URL segment"):
        specificity(parse_segment("(group)"))


def _segments(route_pattern: str) -> list[Segment]:
    return [parse_segment(p) for p in route_pattern.split("/") if p]


@pytest.mark.parametrize(
    ("folders", "route_pattern"),
    [
        pytest.param([], "/", id="root"),
        pytest.param(["blog", "[slug]"], "/blog/[slug]", id="dynamic"),
        pytest.param(["(shop)", "shop", "[[...path]]"], "/shop/[[...path]]", id="group-hidden"),
        pytest.param(["(a)", "(b)"], "/", id="only-groups"),
    ],
)
def test_join_route_pattern_keeps_url_segments(folders: list[str], route_pattern: str) -> None:
    assert join_route_pattern(parse_segment(f) for f in folders) == route_pattern


# Cases from Next.js sortable-routes.test.ts: most specific first.
@pytest.mark.parametrize(
    "expected",
    [
        pytest.param(
            ["/docs/api", "/docs/[slug]", "/docs/[...slug]", "/docs/[[...slug]]"],
            id="param-types",
        ),
        pytest.param(
            ["/api", "/api/users", "/api/users/[id]", "/api/[...path]"],
            id="mixed-lengths",
        ),
        pytest.param(
            ["/[lang]/apple", "/[lang]/banana", "/[lang]/zebra"],
            id="lexicographic-tie",
        ),
        pytest.param(
            [
                "/en/blog",
                "/en/blog/[slug]",
                "/[lang]/blog",
                "/[lang]/blog/[slug]",
                "/[lang]/blog/[...slug]",
                "/[lang]/blog/[[...slug]]",
            ],
            id="nested-param-types",
        ),
        pytest.param(
            [
                "/docs",
                "/docs/api",
                "/docs/api/auth",
                "/docs/[slug]",
                "/docs/[...slug]",
                "/docs/[[...slug]]",
            ],
            id="shorter-static-first",
        ),
        pytest.param(
            [
                "/",
                "/api/users",
                "/api/v1/auth/login",
                "/api/v1/[...path]",
                "/[slug]",
            ],
            id="mixed-depths",
        ),
        pytest.param(
            ["/[lang]/[teamSlug]/~/monitoring", "/[lang]/[teamSlug]/[projectSlug]/monitoring"],
            id="static-deep-in-dynamic",
        ),
    ],
)
def test_sort_key_orders_most_specific_first(expected: list[str]) -> None:
    shuffled = list(reversed(expected))
    assert sorted(shuffled, key=lambda p: sort_key(_segments(p))) == expected


def test_sort_key_ignores_groups_and_slots() -> None:
    with_groups = [parse_segment(n) for n in ("(a)", "blog", "@team", "[slug]")]
    assert sort_key(with_groups) == ((0, "blog"), (1, "[slug]"))
