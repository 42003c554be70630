"""parse_request_path: canonical URL paths, unsafe targets refused, slash redirects (pure)."""

from __future__ import annotations

import pytest

from ssg.server.paths import PathVerdict, parse_request_path

OK, NOT_FOUND, REDIRECT = PathVerdict.OK, PathVerdict.NOT_FOUND, PathVerdict.REDIRECT


@pytest.mark.parametrize(
    ("target", "trailing_slash", "verdict", "value"),
    [
        ("/", False, OK, "/"),
        ("/blog/a?x=1", False, OK, "/blog/a"),
        ("/blog/caf%c3%a9", False, OK, "/blog/caf%C3%A9"),
        ("/blog/a%2Fb", False, OK, "/blog/a%2Fb"),
        ("/about/", False, REDIRECT, "/about"),
        ("/about/?a=1", False, REDIRECT, "/about?a=1"),
        ("/about", True, REDIRECT, "/about/"),
        ("/about/", True, OK, "/about"),
        ("/feed.xml", True, OK, "/feed.xml"),
        ("/feed.xml/", False, REDIRECT, "/feed.xml"),
        ("/_ssg/revalidate", True, OK, "/_ssg/revalidate"),
        ("/_ssg/status/", False, OK, "/_ssg/status"),
        ("/_ssg//status", True, REDIRECT, "/_ssg/status"),
        ("//", False, REDIRECT, "/"),
        ("//evil.example", False, REDIRECT, "/evil.example"),
        ("/a//b", True, REDIRECT, "/a/b/"),
        ("/..%2f..%2fetc/passwd", False, NOT_FOUND, None),
        ("/%2e%2e/", False, NOT_FOUND, None),
        ("/a/./b", False, NOT_FOUND, None),
        ("/a/../b", False, NOT_FOUND, None),
        ("/a\\b", False, NOT_FOUND, None),
        ("/a%5cb", False, NOT_FOUND, None),
        ("/a%00b", False, NOT_FOUND, None),
        ("/.env", False, NOT_FOUND, None),
        ("/x/.git/HEAD", False, NOT_FOUND, None),
        ("/%ff", False, NOT_FOUND, None),
        ("http://host/x", False, NOT_FOUND, None),
    ],
)
def test_parse_request_path_table(
    target: str, trailing_slash: bool, verdict: PathVerdict, value: str | None
) -> None:
    parsed = parse_request_path(target, trailing_slash=trailing_slash)

    assert parsed.verdict is verdict
    if verdict is OK:
        assert parsed.url_path == value
    if verdict is REDIRECT:
        assert parsed.location == value
