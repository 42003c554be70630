"""The shared URL canonicaliser and segment matcher (route table, slot pages, not-found pages)."""

from __future__ import annotations

import pytest

from ssg.routing.definitions import Params
from ssg.routing.matching import match_segments, split_url_path
from ssg.routing.segments import parse_segment


@pytest.mark.parametrize(
    ("url_path", "parts"),
    [
        ("/", ()),
        ("", ()),
        ("/blog/hello/", ("blog", "hello")),
        ("//blog//hello", ("blog", "hello")),
        ("/a%2Fb/c%20d", ("a/b", "c d")),
        ("/blog/..", None),
        ("/blog/%2e%2e", None),
        ("/blog/.", None),
        ("/x%00y", None),
    ],
    ids=[
        "root",
        "empty",
        "trailing",
        "double-slash",
        "encoded",
        "dotdot",
        "encoded-dotdot",
        "dot",
        "nul",
    ],
)
def test_split_url_path(url_path: str, parts: tuple[str, ...] | None) -> None:
    assert split_url_path(url_path) == parts


@pytest.mark.parametrize(
    ("folders", "parts", "prefix", "params"),
    [
        ("blog/[slug]", "blog/hi", False, {"slug": "hi"}),
        ("blog/[slug]", "blog/hi/x", False, None),
        ("blog/[slug]", "blog/hi/x", True, {"slug": "hi"}),
        ("blog/[slug]", "blog", True, None),
        ("blog", "news", True, None),
        ("(group)/blog/@slot/[id]", "blog/7", False, {"id": "7"}),
        ("docs/[...rest]", "docs", False, None),
        ("docs/[...rest]", "docs/a/b", False, {"rest": ["a", "b"]}),
        ("docs/[[...rest]]", "docs", False, {}),
        ("docs/[[...rest]]", "docs/a", False, {"rest": ["a"]}),
        ("", "", False, {}),
        ("", "a", True, {}),
    ],
)
def test_match_segments(folders: str, parts: str, prefix: bool, params: Params | None) -> None:
    segments = [parse_segment(name) for name in folders.split("/") if name]
    url_parts = tuple(p for p in parts.split("/") if p)
    assert match_segments(segments, url_parts, prefix=prefix) == params
