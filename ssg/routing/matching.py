"""The one URL canonicaliser and segment matcher that every URL lookup shares.

`RouteTable.match` (pages and route handlers), slot pages and the nearest
not-found page all split a URL with `split_url_path` and compare it with parsed
`Segment`s with `match_segments`, so `%2F`, dot segments and catch-alls mean the
same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote

from ssg.routing.definitions import Params, Segment, SegmentKind


def split_url_path(url_path: str) -> tuple[str, ...] | None:
    """Split a URL path into decoded parts; None when it can never match a route.

    The path is split on "/" first and each part is percent-decoded after, so
    `%2F` stays inside its part. Empty parts (a trailing slash, `//`) are
    dropped. Dot segments (`.`, `..`, also percent-encoded) and NUL give None,
    so no param can walk out of a folder (RFC 3986 section 3.3: dot segments
    are path navigation, never names).

    | url_path        | parts              |
    | --------------- | ------------------ |
    | `/`             | ()                 |
    | `/blog/hello/`  | ("blog", "hello")  |
    | `/a%2Fb/c%20d`  | ("a/b", "c d")     |
    | `/blog/%2e%2e`  | None               |
    """
    parts = tuple(unquote(p) for p in url_path.split("/") if p)
    if any(p in (".", "..") or "\x00" in p for p in parts):
        return None
    return parts


def match_segments(
    segments: Sequence[Segment], parts: Sequence[str], *, prefix: bool = False
) -> Params | None:
    """Match URL parts against URL-visible segments, as a route of those segments would.

    Args:
        segments: parsed segments, root first; groups, slots and private folders
            are skipped (they are not in the URL).
        parts: decoded URL parts (`split_url_path`).
        prefix: True to accept URLs that go on below the segments (is the URL
            under this folder?), False to require the whole URL.

    Returns:
        The params (str for `[x]`, list[str] for the catch-alls; an optional
        catch-all with nothing to take is absent), or None when they do not match.

    | segments              | parts          | prefix | params               |
    | --------------------- | -------------- | ------ | -------------------- |
    | blog, [slug]          | blog, hi       | False  | {"slug": "hi"}       |
    | blog, [slug]          | blog, hi, x    | False  | None                 |
    | blog, [slug]          | blog, hi, x    | True   | {"slug": "hi"}       |
    | docs, [...rest]       | docs           | False  | None                 |
    | docs, [[...rest]]     | docs           | False  | {}                   |
    """
    params: Params = {}
    index = 0
    for segment in segments:
        if not segment.in_url:
            continue
        if segment.kind in (SegmentKind.CATCH_ALL, SegmentKind.OPTIONAL_CATCH_ALL):
            rest = list(parts[index:])
            if not rest:
                return params if segment.kind is SegmentKind.OPTIONAL_CATCH_ALL else None
            assert segment.param is not None  # parse_segment names every param
            params[segment.param] = rest
            return params
        if index >= len(parts):
            return None
        if segment.kind is SegmentKind.STATIC:
            if parts[index] != segment.name:
                return None
        else:
            assert segment.param is not None
            params[segment.param] = parts[index]
        index += 1
    return params if prefix or index == len(parts) else None
