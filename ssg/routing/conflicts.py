"""Problems between routes found under app/: two folders for one URL, param names that
disagree at one level, catch-alls that are not last, repeated params (as Next.js sorted-routes).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ssg.errors import RouteProblem
from ssg.routing.definitions import RouteDefinition, Segment, SegmentKind
from ssg.routing.segments import join_route_pattern, specificity

# What a URL segment matches, param names left out: `[id]` and `[slug]` match the
# same URLs, so routes are compared by shape, as the nodes of Next.js's UrlNode trie.
Shape = tuple[tuple[int, str], ...]
_CATCH_ALLS = (SegmentKind.CATCH_ALL, SegmentKind.OPTIONAL_CATCH_ALL)


@dataclass(frozen=True)
class FoundRoute:
    """A route as the scanner found it, with the folders behind its URL segments.

    Attributes:
        route: the RouteDefinition.
        segment_dirs: the folder of each URL segment, parallel to `route.segments`.
        source_file: the page.html / page.md, or route.py.
    """

    route: RouteDefinition
    segment_dirs: tuple[Path, ...]
    source_file: Path

    @property
    def shape(self) -> Shape:
        """The URLs this route matches (see `shape_of`)."""
        return shape_of(self.route.segments)

    def levels(self) -> list[tuple[int, Segment, Path]]:
        """(index, URL segment, its folder) for each URL segment, root first."""
        pairs = zip(self.route.segments, self.segment_dirs, strict=True)
        return [(index, segment, folder) for index, (segment, folder) in enumerate(pairs)]


def shape_of(segments: Sequence[Segment]) -> Shape:
    """The URLs a pattern matches: `/blog/[slug]` -> ((0, "blog"), (1, "")), same as `[id]`."""
    return tuple((specificity(s), s.name if s.kind is SegmentKind.STATIC else "") for s in segments)


def find_conflicts(found: Sequence[FoundRoute], rel: Callable[[Path], str]) -> list[RouteProblem]:
    """Every cross-route problem among `found`, in a stable order.

    Args:
        found: the routes of one scan, in walk order.
        rel: turns an absolute path into one relative to the site ("app/blog").

    Returns:
        One RouteProblem per conflict (empty when the routes agree).
    """
    checks = (
        _same_url,
        _param_names_per_level,
        _catch_all_kinds_per_level,
        _catch_all_not_last,
        _repeated_params,
        _optional_catch_all_bare_url,
    )
    return [problem for check in checks for problem in check(found, rel)]


def _problem(message: str, rel: Callable[[Path], str], *files: Path) -> RouteProblem:
    return RouteProblem(message, tuple(rel(f) for f in files))


def _same_url(found: Sequence[FoundRoute], rel: Callable[[Path], str]) -> list[RouteProblem]:
    by_shape: dict[Shape, list[FoundRoute]] = defaultdict(list)
    for item in found:
        by_shape[item.shape].append(item)
    problems = []
    for same in by_shape.values():
        if len(same) < 2:
            continue
        first, *others = dict.fromkeys(f.route.route_pattern for f in same)
        patterns = first + (f" (also written {', '.join(others)})" if others else "")
        names = ", ".join(rel(f.source_file) for f in same)
        keep, other = same[0].route, same[1].route
        why = "One URL comes from one folder only"
        if any(_has_group(f.route) for f in same):
            why = "Route groups (folders in parentheses) are not part of the URL, and one URL "
            why += "comes from one folder only"
        fix = f"move the files of {rel(other.segment_dir)} into {rel(keep.segment_dir)}"
        if other.segments and other.segments[-1].kind is SegmentKind.STATIC:
            renamed = f"{rel(other.segment_dir)}-2"
            fix = f"rename one of them (e.g. {rel(other.segment_dir)} -> {renamed}) or {fix}"
        problems.append(
            _problem(
                f"{len(same)} routes resolve to the same URL {patterns}: {names}. {why}. "
                f"Keep one: {fix}.",
                rel,
                *(f.source_file for f in same),
            )
        )
    return problems


def _param_names_per_level(
    found: Sequence[FoundRoute], rel: Callable[[Path], str]
) -> list[RouteProblem]:
    # (shape of the parent URL, segment kind) -> param name -> folders using it.
    levels: dict[tuple[Shape, SegmentKind], dict[str, set[Path]]] = defaultdict(
        lambda: defaultdict(set)
    )
    uses: Counter[tuple[tuple[Shape, SegmentKind], str]] = Counter()
    parents: dict[tuple[Shape, SegmentKind], str] = {}
    for item in found:
        segments = item.route.segments
        for index, (segment, segment_dir) in enumerate(
            zip(segments, item.segment_dirs, strict=True)
        ):
            if segment.param is None:
                continue
            key = (shape_of(segments[:index]), segment.kind)
            levels[key][segment.param].add(segment_dir)
            uses[key, segment.param] += 1
            parents.setdefault(key, join_route_pattern(segments[:index]))
    problems = []
    for key, names in levels.items():
        if len(names) < 2:
            continue
        # Keep the name most routes already use; ties go to the first alphabetically.
        keep = min(names, key=lambda n: (-uses[key, n], n))
        ordered = sorted(names.items(), key=lambda item: (item[0] != keep, item[0]))
        keep_folder = _with_param(next(iter(names[keep])).name, keep)
        listed = " and ".join(
            f"{_with_param(next(iter(dirs)).name, name)} ({_join(rel, dirs)})"
            for name, dirs in ordered
        )
        renames = [d for name, dirs in ordered if name != keep for d in sorted(dirs)]
        moves = ", ".join(f"{rel(d)} to {rel(d.parent / keep_folder)}" for d in renames)
        all_dirs = [d for _, dirs in ordered for d in sorted(dirs)]
        both = "both" if len(names) == 2 else "all of them"
        parent = parents[key].rstrip("/")
        problems.append(
            _problem(
                f"Different param names at one level of the URL {parent}/...: {listed}. One URL "
                f"segment has one param name (Next.js: 'You cannot use different slug names for "
                f"the same dynamic path'). Use {keep_folder} in {both}: rename {moves}.",
                rel,
                *all_dirs,
            )
        )
    return problems


def _catch_all_kinds_per_level(
    found: Sequence[FoundRoute], rel: Callable[[Path], str]
) -> list[RouteProblem]:
    # parent URL shape -> kind -> folders; Next.js rejects [...a] beside [[...b]].
    levels: dict[Shape, dict[SegmentKind, set[Path]]] = defaultdict(lambda: defaultdict(set))
    for item in found:
        segments = item.route.segments
        for index, (segment, segment_dir) in enumerate(
            zip(segments, item.segment_dirs, strict=True)
        ):
            if segment.kind in _CATCH_ALLS:
                levels[shape_of(segments[:index])][segment.kind].add(segment_dir)
    problems = []
    for kinds in levels.values():
        if len(kinds) < 2:
            continue
        required = sorted(kinds[SegmentKind.CATCH_ALL])
        optional = sorted(kinds[SegmentKind.OPTIONAL_CATCH_ALL])
        names = ", ".join(rel(d) for d in [*required, *optional])
        problems.append(
            _problem(
                f"A catch-all and an optional catch-all at the same level: {names}. The optional "
                f"one already matches every URL the other does. Keep one of them: "
                f"{optional[0].name} alone (it also matches the bare URL), or {required[0].name} "
                "plus a page.html in the folder above it.",
                rel,
                *required,
                *optional,
            )
        )
    return problems


def _catch_all_not_last(
    found: Sequence[FoundRoute], rel: Callable[[Path], str]
) -> list[RouteProblem]:
    below: dict[Path, list[Path]] = defaultdict(list)
    for item in found:
        segments = item.route.segments
        for segment, segment_dir in zip(segments[:-1], item.segment_dirs[:-1], strict=True):
            if segment.kind in _CATCH_ALLS:
                below[segment_dir].append(item.source_file)
    problems = []
    for catch_dir, files in below.items():
        param = catch_dir.name.strip("[].")
        problems.append(
            _problem(
                f"{rel(catch_dir)} is a catch-all, so it must be the last URL segment (it "
                f"matches the rest of the URL), but {', '.join(rel(f) for f in files)} "
                f"is below it. Move the routes below it out of {rel(catch_dir)} (e.g. into a "
                f"sibling folder), or use [{param}] to match a single segment.",
                rel,
                catch_dir,
                *files,
            )
        )
    return problems


def _repeated_params(found: Sequence[FoundRoute], rel: Callable[[Path], str]) -> list[RouteProblem]:
    repeats: dict[tuple[Path, Path], str] = {}
    for item in found:
        seen: dict[str, Path] = {}
        for segment, segment_dir in zip(item.route.segments, item.segment_dirs, strict=True):
            if segment.param is None:
                continue
            if segment.param in seen:
                repeats.setdefault((seen[segment.param], segment_dir), segment.param)
            else:
                seen[segment.param] = segment_dir
    problems = []
    for (outer, inner), param in repeats.items():
        renamed = inner.parent / _with_param(inner.name, f"{param}2")
        problems.append(
            _problem(
                f"Param name {param!r} repeats in one route: {rel(outer)} and {rel(inner)}. "
                "params is one dict, so the inner value would hide the outer one. Rename the "
                f"inner folder (e.g. {rel(inner)} -> {rel(renamed)}).",
                rel,
                outer,
                inner,
            )
        )
    return problems


def _optional_catch_all_bare_url(
    found: Sequence[FoundRoute], rel: Callable[[Path], str]
) -> list[RouteProblem]:
    by_shape = {item.shape: item for item in found}
    problems = []
    for item in found:
        segments = item.route.segments
        if not segments or segments[-1].kind is not SegmentKind.OPTIONAL_CATCH_ALL:
            continue
        other = by_shape.get(item.shape[:-1])
        if other is None:
            continue
        bare = other.route.route_pattern
        name = segments[-1].name
        problems.append(
            _problem(
                f"{rel(other.source_file)} and {rel(item.source_file)} both render {bare}: an "
                f"optional catch-all {name} also matches its bare URL (without the "
                f"{segments[-1].param!r} param). Delete {rel(other.source_file)} and let "
                f"{name} render {bare}, or use {name[1:-1]} to match one or more segments only.",
                rel,
                other.source_file,
                item.source_file,
            )
        )
    return problems


def _has_group(route: RouteDefinition) -> bool:
    return any(folder.name.startswith("(") for folder in route.dir_chain)


def _with_param(folder_name: str, param: str) -> str:
    """`[slug]` + "id" -> `[id]`; `[...rest]` + "parts" -> `[...parts]`; `[[...a]]` stays so."""
    head = folder_name[: len(folder_name) - len(folder_name.lstrip("[."))]
    tail = folder_name[len(folder_name.rstrip("]")) :]
    return f"{head}{param}{tail}"


def _join(rel: Callable[[Path], str], dirs: set[Path]) -> str:
    return ", ".join(rel(d) for d in sorted(dirs))
