"""Cache tags of a page, implicit ones included, and the tag a revalidate_path call names (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from urllib.parse import quote, unquote


class PathType(StrEnum):
    """What a route pattern names in `revalidate_path(pattern, type)` (Next.js's spellings).

    A StrEnum, so the plain strings a site passes ("page", "layout") are members' equals.
    """

    PAGE = "page"
    """Every page of the route (tag `<pattern>/page`)."""
    LAYOUT = "layout"
    """Every page under the layout at the pattern (tag `<pattern>/layout`)."""


def implicit_tags(
    route_pattern: str, url_path: str, layout_patterns: Iterable[str] = ()
) -> frozenset[str]:
    """The tags every page carries without asking, as Next.js `getDerivedTags`.

    The URL path itself (for `revalidate_path("/blog/hello")`), `<prefix>/layout`
    for the root and each prefix of the route pattern and each layout's pattern
    (for type "layout"), and `<route_pattern>/page` (for type "page").

    | route_pattern  | url_path    | tags                                                 |
    | -------------- | ----------- | ---------------------------------------------------- |
    | `/`            | `/`         | `/`, `/layout`, `/page`                              |
    | `/blog/[slug]` | `/blog/a`   | `/blog/a`, `/layout`, `/blog/layout`,                |
    |                |             | `/blog/[slug]/layout`, `/blog/[slug]/page`           |

    Args:
        route_pattern: the page's route ("/blog/[slug]").
        url_path: the canonical URL path ("/blog/a").
        layout_patterns: the URL patterns of the page's layouts (manifest
            `layout_patterns`); already covered by the prefixes, kept for safety.
    """
    return route_tags(route_pattern, layout_patterns) | {url_path}


def route_tags(route_pattern: str, layout_patterns: Iterable[str] = ()) -> frozenset[str]:
    """The implicit tags every page of a route shares: `implicit_tags` without the URL path."""
    tags = {_join("/", PathType.LAYOUT)}
    prefix = ""
    for part in (p for p in route_pattern.split("/") if p):
        prefix += "/" + part
        tags.add(_join(prefix, PathType.LAYOUT))
    tags.add(_join(route_pattern, PathType.PAGE))
    tags.update(_join(pattern, PathType.LAYOUT) for pattern in layout_patterns)
    return frozenset(tags)


class RouteTags:
    """Each route's implicit tags, computed once and shared by its pages.

    Pages keep only their explicit tags; a frozenset of implicit tags per page
    would cost memory in proportion to the pages (bench/serve.py prints RSS).

    Args:
        layout_patterns: route pattern -> its layouts' URL patterns (manifest routes).
    """

    def __init__(self, layout_patterns: dict[str, list[str]]) -> None:
        self._layouts = layout_patterns
        self._tags: dict[str, frozenset[str]] = {}

    def all_tags(
        self, route_pattern: str, url_path: str, explicit: Iterable[str]
    ) -> frozenset[str]:
        """Every tag of a page: explicit, its URL path, and its route's implicit tags."""
        shared = self._tags.get(route_pattern)
        if shared is None:
            shared = route_tags(route_pattern, self._layouts.get(route_pattern, []))
            self._tags[route_pattern] = shared
        return shared.union(explicit, (url_path,))


def path_tag(path: str, type: str | None = None) -> str:
    """The tag `revalidate_path(path, type)` revalidates, as Next.js revalidatePath.

    | path           | type     | tag                   | revalidates                     |
    | -------------- | -------- | --------------------- | ------------------------------- |
    | `/blog/a/`     | None     | `/blog/a`             | the page at that URL            |
    | `/blog/café`   | None     | `/blog/caf%C3%A9`     | the page at that URL            |
    | `/blog/[slug]` | "page"   | `/blog/[slug]/page`   | every page of the route         |
    | `/blog`        | "layout" | `/blog/layout`        | every page under /blog's layout |
    | `/`            | "layout" | `/layout`             | every page                      |
    | `/(shop)/cart` | "page"   | `/cart/page`          | every page of the route         |
    | `/(shop)`      | "layout" | `/layout`             | every page under the group's parent (a superset) |

    Route groups (`(name)` segments), which Next.js documents in revalidatePath
    patterns, are dropped: a route's pattern, and so its tags, holds its URL
    segments only. A group's layout therefore names every page under the folder
    above the group: more pages than the group holds, never fewer.

    Raises:
        ValueError: `type` is not None, "page" or "layout"; the path does not
            start with "/"; or it holds a `[param]` pattern but no type (Next.js
            needs the type to know what a pattern names).
    """
    try:
        kind = None if type is None else PathType(type)
    except ValueError:
        raise ValueError(f'type {type!r} must be "page", "layout" or omitted') from None
    if not path.startswith("/"):
        raise ValueError(f"path {path!r} must start with '/' (a URL path such as /blog/hello)")
    if kind is None:
        if "[" in path:
            raise ValueError(
                f'path {path!r} is a route pattern: pass type "page" (every page of that '
                'route) or "layout" (every page under the layout at that pattern)'
            )
        return canonical_url_path(path)
    pattern = "/" + "/".join(p for p in path.split("/") if p and not _is_group(p))
    return _join(pattern, kind)


def _is_group(segment: str) -> bool:
    """A route group's folder name, "(marketing)" (not an intercepting "(.)photo")."""
    return segment.startswith("(") and segment.endswith(")") and "." not in segment


def canonical_url_path(url_path: str) -> str:
    """A URL path as the manifest keys it: parts decoded then re-encoded, no trailing slash.

    Matches `RouteTable.match` and `build_url_path` (`quote(part, safe="")`), so
    `/blog/caf%c3%a9/` and `/blog/café` both give `/blog/caf%C3%A9`.
    """
    parts = [quote(unquote(p), safe="") for p in url_path.split("/") if p]
    return "/" + "/".join(parts)


def _join(pattern: str, leaf: PathType) -> str:
    return f"{pattern.rstrip('/')}/{leaf}"
