"""The public API: `import ssg` exposes exactly these names (a change here is a release note)."""

from __future__ import annotations

import inspect

import ssg


def test_all_is_pinned() -> None:
    assert sorted(ssg.__all__) == [
        "ControlFlow",
        "FetchError",
        "FetchResponse",
        "NotFound",
        "Redirect",
        "Request",
        "Response",
        "RevalidateError",
        "SsgError",
        "__version__",
        "cache",
        "cdn_purge_tags",
        "cdn_tag",
        "content",
        "cookies",
        "feed",
        "fetch",
        "headers",
        "not_found",
        "permanent_redirect",
        "redirect",
        "revalidate_path",
        "revalidate_tag",
        "search_params",
        "site_config",
        "sitemap",
    ]


def test_every_public_name_exists_and_has_a_docstring() -> None:
    for name in ssg.__all__:
        value = getattr(ssg, name)
        if name != "__version__":
            assert inspect.getdoc(value), name


def test_content_helpers_are_public() -> None:
    assert {"load_collection", "render_markdown", "parse_front_matter"} <= set(ssg.content.__all__)
