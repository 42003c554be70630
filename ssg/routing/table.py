"""RouteTable: match URL paths to RouteDefinitions (static > dynamic > catch-all > optional
catch-all, segment by segment), and build URL paths back from a route and its params.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from ssg.routing.definitions import Params, RouteDefinition, RouteMatch, SegmentKind
from ssg.routing.matching import split_url_path
from ssg.routing.segments import sort_key

_TAILS = (SegmentKind.CATCH_ALL, SegmentKind.OPTIONAL_CATCH_ALL)


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class _Matcher:
    """A non-static route compiled for matching.

    Attributes:
        route: the route.
        fixed: the segments before any catch-all: a static name, or None for `[x]`.
        params: the param name at each fixed position (None for static ones).
        tail: the catch-all segment kind at the end, or None.
        tail_param: its param name.
    """

    route: RouteDefinition
    fixed: tuple[str | None, ...]
    params: tuple[str | None, ...]
    tail: SegmentKind | None
    tail_param: str | None

    def match(self, parts: tuple[str, ...]) -> Params | None:
        for want, got in zip(self.fixed, parts, strict=False):
            if want is not None and want != got:
                return None
        params: Params = {
            name: value for name, value in zip(self.params, parts, strict=False) if name is not None
        }
        rest = list(parts[len(self.fixed) :])
        if self.tail is not None and self.tail_param is not None and rest:
            params[self.tail_param] = rest
        return params


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class _Bucket:
    """The matchers for one URL segment count, split by their first segment.

    Matchers whose first segment is static and equal to the URL's first part
    sort before every matcher whose first segment is dynamic (static ranks
    first), so trying `by_first[part]` then `others` keeps specificity order.
    """

    by_first: dict[str, tuple[_Matcher, ...]]
    others: tuple[_Matcher, ...]

    @classmethod
    def of(cls, matchers: list[_Matcher]) -> _Bucket:
        by_first: dict[str, list[_Matcher]] = {}
        others: list[_Matcher] = []
        for matcher in matchers:
            first = matcher.fixed[0] if matcher.fixed else None
            if first is None:
                others.append(matcher)
            else:
                by_first.setdefault(first, []).append(matcher)
        return cls({k: tuple(v) for k, v in by_first.items()}, tuple(others))


class RouteTable:
    """The routes of a site, indexed for matching.

    Static routes sit in a dict keyed by their decoded segments; the others are
    compiled into matchers grouped by how many URL segments they can take and
    then by their first static segment, each group in specificity order, so
    `match` tries few candidates and the first one that fits is the most
    specific (what a backtracking walk of the segment tree would find, as
    Next.js `sortSortableRoutes` + first match).

    Attributes:
        routes: every route, most specific first.
    """

    def __init__(self, routes: Iterable[RouteDefinition]) -> None:
        self.routes: tuple[RouteDefinition, ...] = tuple(
            sorted(routes, key=lambda r: (sort_key(r.segments), str(r.segment_dir)))
        )
        self._by_pattern = {r.route_pattern: r for r in reversed(self.routes)}
        self._static: dict[tuple[str, ...], RouteDefinition] = {}
        matchers: list[_Matcher] = []
        for route in self.routes:
            if route.is_dynamic_pattern:
                matchers.append(_compile(route))
            else:
                self._static.setdefault(tuple(s.name for s in route.segments), route)
        longest = max((len(m.fixed) + 1 for m in matchers), default=0)
        # _buckets[n]: matchers that accept n URL segments; any n beyond the last
        # index is only reachable by catch-alls, which all sit in the last bucket.
        self._buckets = tuple(
            _Bucket.of([m for m in matchers if _accepts(m, n)]) for n in range(longest + 1)
        )

    def __iter__(self) -> Iterator[RouteDefinition]:
        return iter(self.routes)

    def __len__(self) -> int:
        return len(self.routes)

    def match(self, url_path: str) -> RouteMatch | None:
        """The most specific route for `url_path`, with its decoded params.

        The path is split on "/" first, then each part is percent-decoded, so
        `%2F` stays inside its segment's value. Empty parts (a trailing slash,
        `//`) are ignored. Dot segments (`.`, `..`, also encoded) and NUL never
        match, so no param can walk out of a folder.

        | url_path            | routes                          | route, params               |
        | ------------------- | ------------------------------- | --------------------------- |
        | `/blog/new/`        | /blog/new, /blog/[slug]         | /blog/new, {}               |
        | `/blog/hello%20you` | /blog/[slug]                    | {"slug": "hello you"}       |
        | `/blog/a%2Fb`       | /blog/[slug]                    | {"slug": "a/b"}             |
        | `/blog/x/y`         | /blog/[slug], /blog/[...rest]   | {"rest": ["x", "y"]}        |
        | `/shop`             | /shop/[[...path]]               | {} (param absent)           |

        Args:
            url_path: the request path without query string, e.g. "/blog/hello".

        Returns:
            A RouteMatch whose `url_path` is canonical (each part re-encoded with
            `quote(part, safe="")`, no trailing slash except "/"), or None.
        """
        parts = split_url_path(url_path)
        if parts is None:
            return None
        canonical = "/" + "/".join(quote(p, safe="") for p in parts)
        route = self._static.get(parts)
        if route is not None:
            return RouteMatch(route, canonical, {})
        bucket = self._buckets[min(len(parts), len(self._buckets) - 1)]
        for candidates in (bucket.by_first.get(parts[0], ()) if parts else (), bucket.others):
            for matcher in candidates:
                params = matcher.match(parts)
                if params is not None:
                    return RouteMatch(matcher.route, canonical, params)
        return None

    def find(self, route_pattern: str) -> RouteDefinition | None:
        """The route with exactly this pattern ("/blog/[slug]"), or None; trailing "/" ignored."""
        return self._by_pattern.get(route_pattern.rstrip("/") or "/")

    def closest(self, url_path: str) -> str | None:
        """The route pattern nearest to `url_path`, for "did you mean" in error messages.

        Each pattern is first filled with the URL's own parts where it has
        params, so `/blog/helo/x` is compared with `/blog/helo` for `/blog/[slug]`.

        | url_path        | routes                     | closest          |
        | --------------- | -------------------------- | ---------------- |
        | `/api/post`     | /api/posts, /about         | `/api/posts`     |
        | `/blog/hi/edit` | /blog/[slug], /docs        | `/blog/[slug]`   |
        | `/zzzzzz`       | /blog/[slug]               | None             |

        Returns:
            The pattern with the highest similarity (ratio >= 0.6), or None.
        """
        parts = [p for p in url_path.split("/") if p]
        target = "/" + "/".join(parts)
        best: tuple[float, str] | None = None
        for route in self.routes:
            ratio = difflib.SequenceMatcher(None, target, _fill(route, parts)).ratio()
            if ratio >= 0.6 and (best is None or ratio > best[0]):
                best = (ratio, route.route_pattern)
        return best[1] if best else None

    @staticmethod
    def build_url_path(route: RouteDefinition, params: Params) -> str:
        """The module-level `build_url_path`, for callers that hold a table."""
        return build_url_path(route, params)


def build_url_path(route: RouteDefinition, params: Params) -> str:
    """Fill a route's pattern with params, percent-encoding each value segment.

    Values are encoded with `quote(value, safe="")`, so a "/" inside a `[x]`
    value becomes `%2F` and `RouteTable.match` gives the same value back. Static
    names are encoded the same way. Extra keys are ignored.

    | route_pattern        | params                          | url_path          |
    | -------------------- | ------------------------------- | ----------------- |
    | `/`                  | {}                              | `/`               |
    | `/blog/[slug]`       | {"slug": "hello world"}         | `/blog/hello%20world` |
    | `/blog/[slug]`       | {"slug": "a/b"}                 | `/blog/a%2Fb`     |
    | `/docs/[...parts]`   | {"parts": ["a", "b c"]}         | `/docs/a/b%20c`   |
    | `/shop/[[...path]]`  | {} or {"path": []}              | `/shop`           |

    Raises:
        KeyError: a `[x]` or `[...x]` param is missing.
        TypeError: a value has the wrong type (`[x]` needs str, catch-alls a list of str).
        ValueError: an empty value: "" for `[x]`, [] for `[...x]`, or an empty list item.
    """
    parts: list[str] = []
    for segment in route.segments:
        if segment.kind is SegmentKind.STATIC:
            parts.append(quote(segment.name, safe=""))
            continue
        name = segment.param
        assert name is not None  # every dynamic kind has a param
        value = params.get(name)
        where = f"{route.route_pattern} needs params[{name!r}]"
        if segment.kind is SegmentKind.DYNAMIC:
            if value is None:
                raise KeyError(f"{where} (a str); got params {params!r}")
            if not isinstance(value, str):
                raise TypeError(f"{where} as a str, got {value!r}")
            if not value:
                raise ValueError(f"{where} to be non-empty")
            parts.append(quote(value, safe=""))
            continue
        if value is None and segment.kind is SegmentKind.CATCH_ALL:
            raise KeyError(f"{where} (a non-empty list of str); got params {params!r}")
        items = [] if value is None else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            raise TypeError(f"{where} as a list of str, got {value!r}")
        if not items and segment.kind is SegmentKind.CATCH_ALL:
            raise ValueError(f"{where} to hold at least one segment")
        if not all(items):
            raise ValueError(f"{where} without empty items, got {value!r}")
        parts.extend(quote(v, safe="") for v in items)
    return "/" + "/".join(parts)


def _compile(route: RouteDefinition) -> _Matcher:
    segments = route.segments
    tail = segments[-1] if segments and segments[-1].kind in _TAILS else None
    fixed = segments[:-1] if tail is not None else segments
    return _Matcher(
        route=route,
        fixed=tuple(s.name if s.kind is SegmentKind.STATIC else None for s in fixed),
        params=tuple(s.param for s in fixed),
        tail=tail.kind if tail is not None else None,
        tail_param=tail.param if tail is not None else None,
    )


def _accepts(matcher: _Matcher, count: int) -> bool:
    """Whether `matcher` can match a URL of `count` segments."""
    fixed = len(matcher.fixed)
    if matcher.tail is SegmentKind.CATCH_ALL:
        return count >= fixed + 1
    if matcher.tail is SegmentKind.OPTIONAL_CATCH_ALL:
        return count >= fixed
    return count == fixed


def _fill(route: RouteDefinition, parts: list[str]) -> str:
    """The route's pattern with its params replaced by the URL's parts at those positions."""
    filled: list[str] = []
    for index, segment in enumerate(route.segments):
        if segment.kind is SegmentKind.STATIC or index >= len(parts):
            filled.append(segment.name)
        elif segment.kind is SegmentKind.DYNAMIC:
            filled.append(parts[index])
        else:
            filled.extend(parts[index:])
    return "/" + "/".join(filled)
