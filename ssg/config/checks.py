"""The checks of ssg.toml values beyond their type: each returns the problem and its fix, or None."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ssg.base_path import normalise_base_path

# A check returns the problem and its fix, or None when the value is good.
Check = Callable[[Any], "tuple[str, str] | None"]


def http_url(key: str) -> Check:
    """A check that `key` is "" or an absolute http(s) URL."""

    def check(value: str) -> tuple[str, str] | None:
        if value and (
            urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc
        ):
            return (
                f"{key} = {value!r} is not an absolute http(s) URL",
                'write it as "https://example.org"',
            )
        return None

    return check


def one_of(key: str, choices: tuple[str, ...]) -> Check:
    """A check that `key` is one of `choices` (a misspelling gets "did you mean")."""

    def check(value: str) -> tuple[str, str] | None:
        if value not in choices:
            listed = " or ".join(f'"{c}"' for c in choices)
            import difflib  # for this mistake only

            close = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
            fix = f'did you mean "{close[0]}"?' if close else f"use {listed}"
            return f"{key} = {value!r} must be {listed}", fix
        return None

    return check


def at_least(key: str, floor: int, unit: str) -> Check:
    """A check that `key` is `floor` or more (`unit` names the unit in the fix: "seconds")."""

    def check(value: float) -> tuple[str, str] | None:
        if value < floor:
            return f"{key} = {value!r} is below {floor}", f"use {floor} or more ({unit})"
        return None

    return check


# A path segment of a base path: RFC 3986 unreserved characters plus sub-delims
# that need no escaping in a URL path.
_BASE_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@-]+")


_BASE_PATH_FORM = '(as Next.js\'s basePath: "" for none, or a path such as "/repo")'


def check_base_path(value: str) -> tuple[str, str] | None:
    """base_path: "" or a path (not a URL) of plain segments that starts with "/" and does
    not end with one, as Next.js's basePath ("Specified basePath has to start with a /",
    "... should not end with /": packages/next/src/server/config.ts).

    | value | problem | fix |
    | --- | --- | --- |
    | "", "/docs", "/a/b" | none | |
    | "docs" | must start with "/" | write it as "/docs" |
    | "/docs/", "/" | must not end with "/" | write it as "/docs"; "" for none |
    | "/a//b" | an empty segment | write it as "/a/b" |
    | "/my repo", "/a/../b" | an invalid segment | plain path segments |
    | "https://x.org/docs" | a URL | the origin goes in base_url |
    """
    if "://" in value:
        return (
            f"base_path = {value!r} is a URL, not a path",
            'put the origin in base_url and only the path in base_path, e.g. base_path = "/repo"',
        )
    if not value:
        return None
    suggested = normalise_base_path(value)
    for segment in suggested.split("/")[1:]:
        if segment in (".", "..") or not _BASE_PATH_SEGMENT.fullmatch(segment):
            return (
                f"base_path = {value!r} has an invalid segment {segment!r}",
                'use plain path segments without "?", "#", spaces, "." or "..", e.g. "/repo"',
            )
    written = (
        f'write it as "{suggested}"' if suggested else 'write "" to serve the site at the root'
    )
    if not value.startswith("/"):
        return f'base_path = {value!r} must start with "/"', f"{written} {_BASE_PATH_FORM}"
    if value.endswith("/"):
        return f'base_path = {value!r} must not end with "/"', f"{written} {_BASE_PATH_FORM}"
    if "//" in value:
        return f"base_path = {value!r} has an empty segment", f"{written} {_BASE_PATH_FORM}"
    return None


def check_cache_url(value: str) -> tuple[str, str] | None:
    """cache_url: "" or a Redis URL."""
    # The schemes redis-py's `Redis.from_url` accepts.
    if value and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        return (
            f"cache_url = {value!r} is not a Redis URL",
            'write it as "redis://host:6379/0" (or rediss://, unix://)',
        )
    return None


# An HTTP field name is a `token` (RFC 9110 section 5.1).
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def check_header_name(value: str) -> tuple[str, str] | None:
    """cdn_tag_header: "" or an HTTP header name."""
    if value and not _TOKEN.fullmatch(value):
        return (
            f"cdn_tag_header = {value!r} is not an HTTP header name",
            'use a name such as "Cache-Tag" or "Surrogate-Key"',
        )
    return None


def check_language(value: str) -> tuple[str, str] | None:
    """language: a BCP 47 language tag."""
    # A BCP 47 language tag (RFC 5646), as the html `lang` attribute takes.
    if not re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", value):
        return f"language = {value!r} is not a language tag", 'use e.g. "en" or "pt-BR"'
    return None


def check_nav(value: list[Any]) -> tuple[str, str] | None:
    """nav: a list of tables, each with a string title and url."""
    for item in value:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("title"), str)
            and isinstance(item.get("url"), str)
        ):
            return (
                f"nav item {item!r} needs a string title and url",
                'write each as { title = "Blog", url = "/blog" }',
            )
    return None
