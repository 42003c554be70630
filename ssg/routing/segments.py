"""The folder-name grammar under app/ (as Next.js): parse one name into a Segment, and rank
segments for resolution order (static > dynamic > catch-all > optional catch-all).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ssg.errors import SegmentNameError
from ssg.routing.definitions import Segment, SegmentKind

# Lower is more specific, as Next.js `getSegmentSpecificity` (sortable-routes.ts).
_SPECIFICITY = {
    SegmentKind.STATIC: 0,
    SegmentKind.DYNAMIC: 1,
    SegmentKind.CATCH_ALL: 2,
    SegmentKind.OPTIONAL_CATCH_ALL: 3,
}
_ELLIPSIS = "\u2026"  # "…", what autocorrect makes of "..."
# Intercepting route folders, as Next.js: (.)x, (..)x, (..)(..)x, (...)x.
_INTERCEPTING = re.compile(r"^(\(\.\)|\(\.\.\.\)|(\(\.\.\))+)[^()]")

SortKey = tuple[tuple[int, str], ...]


def parse_segment(name: str) -> Segment:
    """Parse one folder name under app/ into a Segment (pure).

    | name           | kind               | param   |
    | -------------- | ------------------ | ------- |
    | `blog`         | STATIC             | None    |
    | `[slug]`       | DYNAMIC            | "slug"  |
    | `[...parts]`   | CATCH_ALL          | "parts" |
    | `[[...parts]]` | OPTIONAL_CATCH_ALL | "parts" |
    | `(marketing)`  | GROUP              | None    |
    | `@team`        | SLOT               | "team"  |
    | `_partials`    | PRIVATE            | None    |
    | `(.)photo`     | INTERCEPTING       | None    |

    Args:
        name: one folder name (no "/").

    Returns:
        The Segment, with `name` as written.

    Raises:
        SegmentNameError: the name is malformed; `.suggestion` holds the fix where
            there is one: `[…parts]` -> `[...parts]`, `[my-slug]` -> `[my_slug]`,
            `[slug` -> `[slug]`, `[[slug]]` -> `[[...slug]]`, `post-[id]` -> `[id]`,
            `[]` -> `[slug]`, `@my-team` -> `@my_team`, `(group` -> `(group)`.
    """
    if not name or name in (".", "..") or "/" in name:
        raise SegmentNameError(name, "is not a folder name")
    if name.startswith("_"):
        # Next.js private folders: `_x` opts the folder and its subtree out of routing.
        return Segment(name, SegmentKind.PRIVATE)
    if name.startswith("@"):
        return _parse_slot(name)
    if name.startswith("("):
        return _parse_group(name)
    if "[" in name or "]" in name:
        return _parse_bracketed(name)
    return Segment(name, SegmentKind.STATIC)


def specificity(segment: Segment) -> int:
    """Rank a URL-visible segment: 0 static, 1 dynamic, 2 catch-all, 3 optional catch-all.

    Raises:
        ValueError: the segment is not in the URL (group, slot, private).
    """
    try:
        return _SPECIFICITY[segment.kind]
    except KeyError:
        raise ValueError(f"{segment.name!r} is not a URL segment ({segment.kind.value})") from None


def sort_key(segments: Iterable[Segment]) -> SortKey:
    """Key that sorts routes most specific first, comparing segment by segment.

    As Next.js `compareRouteSegments`: the first segment that differs decides by
    rank, then by name; a route that is a prefix of another sorts first. Only
    URL-visible segments count.

    | route pattern       | key                          |
    | ------------------- | ---------------------------- |
    | `/`                 | ()                           |
    | `/docs/api`         | ((0, "docs"), (0, "api"))    |
    | `/docs/[slug]`      | ((0, "docs"), (1, "[slug]")) |
    | `/docs/[[...rest]]` | ((0, "docs"), (3, "[[...rest]]")) |
    """
    return tuple((specificity(s), s.name) for s in segments if s.in_url)


def join_route_pattern(segments: Iterable[Segment]) -> str:
    """Join the URL-visible segment names into a route pattern.

    | segments                         | route pattern    |
    | -------------------------------- | ---------------- |
    | ()                               | `/`              |
    | (blog, [slug])                   | `/blog/[slug]`   |
    | ((shop), shop, [[...path]])      | `/shop/[[...path]]` |
    """
    return "/" + "/".join(s.name for s in segments if s.in_url)


def suggest_identifier(text: str) -> str:
    """The nearest Python identifier to `text`: `my-slug` -> `my_slug`, `1st` -> `_1st`."""
    fixed = re.sub(r"\W", "_", text) or "slug"
    return f"_{fixed}" if fixed[0].isdigit() else fixed


def _parse_slot(name: str) -> Segment:
    slot = name[1:]
    if not slot:
        raise SegmentNameError(name, "a slot needs a name, e.g. @team", "@team")
    if not slot.isidentifier():
        # The layout reads it as `{{ slots.NAME }}`, so it must be an identifier.
        raise SegmentNameError(
            name,
            f"slot name {slot!r} is not a Python identifier (layouts use {{{{ slots.NAME }}}})",
            f"@{suggest_identifier(slot)}",
        )
    return Segment(name, SegmentKind.SLOT, slot)


def _parse_group(name: str) -> Segment:
    if _INTERCEPTING.match(name):
        # Next.js intercepts only on client-side navigation; every ssg response is a
        # full page load, where the folder never matches (its slot shows default.html).
        return Segment(name, SegmentKind.INTERCEPTING)
    inner = name[1:-1] if name.endswith(")") else None
    if inner is None or "(" in inner or ")" in inner:
        core = name.strip("()")
        raise SegmentNameError(name, "has unbalanced parentheses", f"({core})" if core else None)
    if not inner:
        raise SegmentNameError(name, "a route group needs a name, e.g. (marketing)", "(group)")
    return Segment(name, SegmentKind.GROUP)


def _parse_bracketed(name: str) -> Segment:
    if _ELLIPSIS in name:
        fixed = name.replace(_ELLIPSIS, "...")
        raise SegmentNameError(
            name, "uses '…' (one character, U+2026, often from autocorrect) instead of '...'", fixed
        )
    optional = name.startswith("[[") and name.endswith("]]")
    inner = name[2:-2] if optional else name[1:-1]
    balanced = name.startswith("[") and name.endswith("]") and not ("[" in inner or "]" in inner)
    if not balanced:
        bracket = re.search(r"\[+[^\[\]]*\]+", name)
        if bracket and name.count("[") == name.count("]") and bracket.group(0) != name:
            # `post-[id]`: balanced, but text outside the brackets.
            raise SegmentNameError(
                name,
                "a dynamic segment must be the whole folder name (Next.js has no partial "
                "segments); read the prefix in page.py instead",
                bracket.group(0),
            )
        core = name.strip("[]")
        guess = f"[[{core}]]" if name.startswith("[[") else f"[{core}]"
        raise SegmentNameError(name, "has unbalanced brackets", guess if core else None)
    param = inner.lstrip(".")
    dots = len(inner) - len(param)
    if dots not in (0, 3):
        fixed = f"[[...{param}]]" if optional else f"[...{param}]"
        raise SegmentNameError(name, f"has {dots} dot(s); a catch-all takes exactly three", fixed)
    if optional and dots == 0:
        # Next.js: "Optional route parameters are not yet supported" for `[[x]]`.
        raise SegmentNameError(
            name,
            "optional params exist only as optional catch-alls (or use [x] for one segment)",
            f"[[...{param}]]",
        )
    if not param:
        example = "[[...parts]]" if optional else "[...parts]" if dots else "[slug]"
        raise SegmentNameError(name, "has an empty param name", example)
    if not param.isidentifier():
        # Params are passed as keyword-like dict keys to generate_static_params
        # and read as `params.NAME` in templates.
        fixed_param = suggest_identifier(param)
        prefix = "[[..." if optional else "[..." if dots else "["
        suffix = "]]" if optional else "]"
        raise SegmentNameError(
            name,
            f"param name {param!r} is not a Python identifier",
            f"{prefix}{fixed_param}{suffix}",
        )
    if optional:
        return Segment(name, SegmentKind.OPTIONAL_CATCH_ALL, param)
    if dots:
        return Segment(name, SegmentKind.CATCH_ALL, param)
    return Segment(name, SegmentKind.DYNAMIC, param)
