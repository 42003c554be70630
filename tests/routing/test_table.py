"""RouteTable: resolution order, percent-decoding, build_url_path round trips, find, closest."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssg.routing.definitions import Params, RouteDefinition, RouteKind, SegmentKind
from ssg.routing.segments import parse_segment
from ssg.routing.table import RouteTable, build_url_path

APP = Path("/site/app")


def _route(route_pattern: str) -> RouteDefinition:
    parts = [p for p in route_pattern.split("/") if p]
    segment_dir = APP.joinpath(*parts)
    return RouteDefinition(
        route_pattern=route_pattern,
        kind=RouteKind.PAGE,
        segment_dir=segment_dir,
        segments=tuple(parse_segment(p) for p in parts),
        page_file=segment_dir / "page.html",
    )


def _table(*route_patterns: str) -> RouteTable:
    return RouteTable(_route(p) for p in route_patterns)


BLOG = (
    "/",
    "/blog",
    "/blog/new",
    "/blog/[slug]",
    "/blog/[slug]/comments",
    "/blog/[...rest]",
    "/docs/[[...parts]]",
    "/[lang]/about",
    "/[lang]/[page]",
)


@pytest.mark.parametrize(
    ("url_path", "route_pattern", "params"),
    [
        pytest.param("/", "/", {}, id="root"),
        pytest.param("/blog", "/blog", {}, id="static"),
        pytest.param("/blog/new", "/blog/new", {}, id="static-beats-dynamic"),
        pytest.param("/blog/x", "/blog/[slug]", {"slug": "x"}, id="dynamic"),
        pytest.param(
            "/blog/x/comments",
            "/blog/[slug]/comments",
            {"slug": "x"},
            id="dynamic-then-static-beats-catch-all",
        ),
        pytest.param(
            "/blog/x/y", "/blog/[...rest]", {"rest": ["x", "y"]}, id="backtrack-to-catch-all"
        ),
        pytest.param(
            "/blog/new/y", "/blog/[...rest]", {"rest": ["new", "y"]}, id="backtrack-from-static"
        ),
        pytest.param("/docs", "/docs/[[...parts]]", {}, id="optional-bare-param-absent"),
        pytest.param("/docs/a", "/docs/[[...parts]]", {"parts": ["a"]}, id="optional-one"),
        pytest.param(
            "/docs/a/b/c", "/docs/[[...parts]]", {"parts": ["a", "b", "c"]}, id="optional-many"
        ),
        pytest.param("/en/about", "/[lang]/about", {"lang": "en"}, id="static-after-dynamic"),
        pytest.param(
            "/en/contact", "/[lang]/[page]", {"lang": "en", "page": "contact"}, id="two-dynamic"
        ),
        pytest.param("/blog/", "/blog", {}, id="trailing-slash"),
        pytest.param("/blog//x", "/blog/[slug]", {"slug": "x"}, id="double-slash"),
    ],
)
def test_match_resolution_order(url_path: str, route_pattern: str, params: Params) -> None:
    found = _table(*BLOG).match(url_path)
    assert found is not None
    assert found.route.route_pattern == route_pattern
    assert found.params == params


@pytest.mark.parametrize(
    ("routes", "url_path", "route_pattern"),
    [
        pytest.param(
            ("/[a]/[b]", "/blog/[...rest]"), "/blog/x", "/blog/[...rest]", id="static-first"
        ),
        pytest.param(("/[slug]", "/[[...all]]"), "/x", "/[slug]", id="dynamic-over-optional"),
        pytest.param(("/[slug]", "/[[...all]]"), "/", "/[[...all]]", id="optional-at-root"),
        pytest.param(("/[...all]", "/[a]/[b]"), "/x/y", "/[a]/[b]", id="dynamic-over-catch-all"),
        pytest.param(("/[...all]", "/[a]/[b]"), "/x/y/z", "/[...all]", id="catch-all-deeper"),
    ],
)
def test_match_specificity_across_lengths(
    routes: tuple[str, ...], url_path: str, route_pattern: str
) -> None:
    found = _table(*routes).match(url_path)
    assert found is not None
    assert found.route.route_pattern == route_pattern


@pytest.mark.parametrize(
    "url_path",
    [
        pytest.param("/nope", id="unknown-static"),
        pytest.param("/blog/x/comments/more/../..", id="dot-segments"),
        pytest.param("/blog/%2E%2E", id="encoded-dot-dot"),
        pytest.param("/blog/a%00b", id="nul"),
        pytest.param("/en/about/extra", id="too-deep"),
    ],
)
def test_match_returns_none(url_path: str) -> None:
    assert _table(*BLOG).match(url_path) is None


def test_match_without_catch_all_needs_one_segment() -> None:
    assert _table("/blog/[...rest]").match("/blog") is None


@pytest.mark.parametrize(
    ("url_path", "params", "canonical"),
    [
        pytest.param("/blog/hello%20you", {"slug": "hello you"}, "/blog/hello%20you", id="space"),
        pytest.param("/blog/a%2Fb", {"slug": "a/b"}, "/blog/a%2Fb", id="encoded-slash-stays"),
        pytest.param("/blog/caf%C3%A9", {"slug": "caf\u00e9"}, "/blog/caf%C3%A9", id="utf8"),
        pytest.param("/blog/caf\u00e9", {"slug": "caf\u00e9"}, "/blog/caf%C3%A9", id="raw-utf8"),
        pytest.param("/blog/caf%c3%a9/", {"slug": "caf\u00e9"}, "/blog/caf%C3%A9", id="lower-hex"),
        pytest.param("/blog/a%40b", {"slug": "a@b"}, "/blog/a%40b", id="at-sign"),
    ],
)
def test_match_decodes_each_segment_and_canonicalises_url_path(
    url_path: str, params: Params, canonical: str
) -> None:
    found = _table("/blog/[slug]").match(url_path)
    assert found is not None
    assert (found.params, found.url_path) == (params, canonical)


def test_match_decodes_catch_all_parts_separately() -> None:
    found = _table("/files/[...parts]").match("/files/a%2Fb/c%20d")
    assert found is not None
    assert found.params == {"parts": ["a/b", "c d"]}


def test_match_decodes_static_segments() -> None:
    found = _table("/caf\u00e9").match("/caf%C3%A9")
    assert found is not None
    assert found.url_path == "/caf%C3%A9"


@pytest.mark.parametrize(
    ("route_pattern", "params", "url_path"),
    [
        pytest.param("/", {}, "/", id="root"),
        pytest.param("/about", {}, "/about", id="static"),
        pytest.param("/blog/[slug]", {"slug": "hello"}, "/blog/hello", id="dynamic"),
        pytest.param("/blog/[slug]", {"slug": "a b"}, "/blog/a%20b", id="space"),
        pytest.param("/blog/[slug]", {"slug": "a/b"}, "/blog/a%2Fb", id="slash-in-value"),
        pytest.param("/blog/[slug]", {"slug": "caf\u00e9"}, "/blog/caf%C3%A9", id="utf8"),
        pytest.param("/blog/[slug]", {"slug": "x", "extra": "y"}, "/blog/x", id="extra-ignored"),
        pytest.param("/docs/[...parts]", {"parts": ["a", "b c"]}, "/docs/a/b%20c", id="catch-all"),
        pytest.param("/shop/[[...path]]", {}, "/shop", id="optional-absent"),
        pytest.param("/shop/[[...path]]", {"path": []}, "/shop", id="optional-empty"),
        pytest.param("/shop/[[...path]]", {"path": ["a", "b"]}, "/shop/a/b", id="optional-full"),
        pytest.param("/[[...all]]", {}, "/", id="optional-at-root"),
        pytest.param(
            "/[lang]/blog/[slug]", {"lang": "en", "slug": "x"}, "/en/blog/x", id="two-params"
        ),
    ],
)
def test_build_url_path_round_trips(route_pattern: str, params: Params, url_path: str) -> None:
    route = _route(route_pattern)
    assert build_url_path(route, params) == url_path
    found = RouteTable([route]).match(url_path)
    assert found is not None
    assert found.url_path == url_path
    expected = {k: v for k, v in params.items() if k in route.param_names and v != []}
    assert found.params == expected


@pytest.mark.parametrize(
    ("route_pattern", "params", "error", "message"),
    [
        pytest.param("/blog/[slug]", {}, KeyError, r"needs params\['slug'\]", id="missing"),
        pytest.param(
            "/docs/[...parts]", {}, KeyError, r"needs params\['parts'\]", id="missing-catch-all"
        ),
        pytest.param("/blog/[slug]", {"slug": ["a"]}, TypeError, "as a str", id="list-for-str"),
        pytest.param("/docs/[...p]", {"p": "a"}, TypeError, "list of str", id="str-for-list"),
        pytest.param("/blog/[slug]", {"slug": ""}, ValueError, "non-empty", id="empty-str"),
        pytest.param("/docs/[...p]", {"p": []}, ValueError, "at least one", id="empty-list"),
        pytest.param("/docs/[...p]", {"p": ["a", ""]}, ValueError, "empty items", id="empty-item"),
    ],
)
def test_build_url_path_rejects_bad_params(
    route_pattern: str, params: Params, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        build_url_path(_route(route_pattern), params)


def test_build_url_path_is_on_the_table_too() -> None:
    route = _route("/blog/[slug]")
    assert RouteTable([route]).build_url_path(route, {"slug": "x"}) == "/blog/x"


def test_routes_are_sorted_most_specific_first() -> None:
    table = _table("/docs/[[...p]]", "/docs/[...p]", "/docs/[slug]", "/docs/api", "/")
    assert [r.route_pattern for r in table.routes] == [
        "/",
        "/docs/api",
        "/docs/[slug]",
        "/docs/[...p]",
        "/docs/[[...p]]",
    ]
    assert len(table) == 5
    assert list(table) == list(table.routes)


@pytest.mark.parametrize(
    ("route_pattern", "found"),
    [("/blog/[slug]", "/blog/[slug]"), ("/blog/[slug]/", "/blog/[slug]"), ("/nope", None)],
)
def test_find_by_route_pattern(route_pattern: str, found: str | None) -> None:
    route = _table(*BLOG).find(route_pattern)
    assert (route.route_pattern if route else None) == found


@pytest.mark.parametrize(
    ("url_path", "closest"),
    [
        pytest.param("/api/post", "/api/posts", id="typo"),
        pytest.param("/blog/hello/edit", "/blog/[slug]", id="param-filled"),
        pytest.param("/zzzzzzzzzzzzzz", None, id="nothing-close"),
    ],
)
def test_closest_route_pattern(url_path: str, closest: str | None) -> None:
    assert _table("/api/posts", "/about", "/blog/[slug]").closest(url_path) == closest


def test_empty_table_matches_nothing() -> None:
    table = RouteTable([])
    assert table.match("/") is None
    assert table.closest("/") is None


def _reference_match(route: RouteDefinition, parts: tuple[str, ...]) -> Params | None:
    """Match one route segment by segment, the plain way, for comparing with the indexed table."""
    params: Params = {}
    for index, segment in enumerate(route.segments):
        if segment.kind is SegmentKind.STATIC or segment.kind is SegmentKind.DYNAMIC:
            if index >= len(parts):
                return None
            if segment.kind is SegmentKind.STATIC and parts[index] != segment.name:
                return None
            if segment.param is not None:
                params[segment.param] = parts[index]
            continue
        rest = list(parts[index:])
        if not rest and segment.kind is SegmentKind.CATCH_ALL:
            return None
        if rest and segment.param is not None:
            params[segment.param] = rest
        return params
    return params if len(parts) == len(route.segments) else None


def test_match_agrees_with_first_match_in_specificity_order() -> None:
    table = _table(
        *BLOG,
        "/[lang]/blog/[slug]",
        "/en/blog",
        "/[a]/x/[b]",
        "/[...all]",
        "/blog/new/[[...more]]",
    )
    words = ("blog", "new", "x", "en", "about", "comments", "docs")
    urls = [()] + [(a,) for a in words] + [(a, b) for a in words for b in words]
    urls += [(a, b, c) for a in words for b in words for c in words[:4]]
    for parts in urls:
        expected = next(
            (
                (route.route_pattern, params)
                for route in table.routes
                if (params := _reference_match(route, parts)) is not None
            ),
            None,
        )
        found = table.match("/" + "/".join(parts))
        actual = (found.route.route_pattern, found.params) if found else None
        assert actual == expected, parts
