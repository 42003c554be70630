"""Implicit tags and the tag revalidate_path names (as Next.js getDerivedTags / revalidatePath)."""

from __future__ import annotations

import pytest

from ssg.isr.tags import canonical_url_path, implicit_tags, path_tag


def test_implicit_tags_of_a_dynamic_page() -> None:
    tags = implicit_tags("/blog/[slug]", "/blog/a", ["/", "/blog"])

    assert tags == {
        "/blog/a",
        "/layout",
        "/blog/layout",
        "/blog/[slug]/layout",
        "/blog/[slug]/page",
    }


def test_implicit_tags_of_the_home_page() -> None:
    assert implicit_tags("/", "/", ["/"]) == {"/", "/layout", "/page"}


@pytest.mark.parametrize(
    ("path", "kind", "tag"),
    [
        ("/blog/a", None, "/blog/a"),
        ("/blog/a/", None, "/blog/a"),
        ("/blog/café", None, "/blog/caf%C3%A9"),
        ("/blog/caf%c3%a9", None, "/blog/caf%C3%A9"),
        ("/blog/[slug]", "page", "/blog/[slug]/page"),
        ("/blog", "layout", "/blog/layout"),
        ("/blog/", "layout", "/blog/layout"),
        ("/", "layout", "/layout"),
        ("/", None, "/"),
        ("/(shop)/cart", "page", "/cart/page"),
        ("/(shop)", "layout", "/layout"),
        ("/blog/(x)/[slug]", "page", "/blog/[slug]/page"),
    ],
)
def test_path_tag_table(path: str, kind: str | None, tag: str) -> None:
    assert path_tag(path, kind) == tag


def test_every_page_matches_the_root_layout_tag() -> None:
    for route_pattern, url_path in [("/", "/"), ("/blog/[slug]", "/blog/a"), ("/about", "/about")]:
        assert path_tag("/", "layout") in implicit_tags(route_pattern, url_path)


def test_pattern_without_type_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match='pass type "page"'):
        path_tag("/blog/[slug]")


@pytest.mark.parametrize(("path", "kind"), [("/blog", "pages"), ("blog/a", None)])
def test_bad_type_or_relative_path_is_refused(path: str, kind: str | None) -> None:
    with pytest.raises(ValueError):
        path_tag(path, kind)


def test_canonical_url_path_matches_the_route_table_form() -> None:
    assert canonical_url_path("/a%20b//c/") == "/a%20b/c"
