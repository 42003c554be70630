"""The route triad's values: Segment, LayoutDefinition, RouteDefinition, RouteMatch.

`scanner.scan_routes` makes RouteDefinitions from app/; `table.RouteTable`
matches URL paths to them, giving RouteMatches (as Next.js's route definition,
route matcher and route match).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from ssg.records import RouteKind

__all__ = [
    "LayoutDefinition",
    "ParamValue",
    "Params",
    "RouteDefinition",
    "RouteKind",
    "RouteMatch",
    "Segment",
    "SegmentKind",
    "SlotDefinition",
]

ParamValue = str | list[str]
Params = dict[str, ParamValue]


class SegmentKind(enum.Enum):
    """What a folder name under app/ means (Next.js "Dynamic Routes" and "Route Groups" docs)."""

    STATIC = "static"  # blog
    DYNAMIC = "dynamic"  # [slug]
    CATCH_ALL = "catch-all"  # [...parts]
    OPTIONAL_CATCH_ALL = "optional-catch-all"  # [[...parts]]
    GROUP = "group"  # (marketing)
    SLOT = "slot"  # @team
    PRIVATE = "private"  # _partials
    INTERCEPTING = "intercepting"  # (.)photo: accepted, never matches (every load is a full one)


@dataclass(frozen=True)
class Segment:
    """One folder name, parsed.

    Attributes:
        name: the folder name as written, e.g. "[slug]".
        kind: its SegmentKind.
        param: the param name for DYNAMIC / CATCH_ALL / OPTIONAL_CATCH_ALL
            ("slug"), the slot name for SLOT ("team"), else None.
    """

    name: str
    kind: SegmentKind
    param: str | None = None

    @property
    def in_url(self) -> bool:
        """True for the kinds that appear in the URL (static, dynamic, catch-alls)."""
        return self.kind in (
            SegmentKind.STATIC,
            SegmentKind.DYNAMIC,
            SegmentKind.CATCH_ALL,
            SegmentKind.OPTIONAL_CATCH_ALL,
        )


@dataclass(frozen=True)
class SlotDefinition:
    """A parallel-route slot (`@name` folder) under a layout.

    Attributes:
        name: the slot name ("team" for @team).
        slot_dir: the @team folder (absolute).
        pages: the slot's page template files by their URL segments below the
            layout, most specific first (() for the layout's own URL,
            (settings,) for "settings", ([id],) for any one part).
        default_file: the slot's default.html, or None.
    """

    name: str
    slot_dir: Path
    pages: dict[tuple[Segment, ...], Path] = field(default_factory=dict)
    default_file: Path | None = None


@dataclass(frozen=True)
class LayoutDefinition:
    """A layout.html (and optional layout.py) wrapping the pages below its folder.

    Attributes:
        segment_dir: the folder holding layout.html (absolute).
        url_segments: the URL-visible segments from app/ down to segment_dir
            (the URL the layout sits at: () for app/layout.html).
        template_file: the layout.html file (absolute).
        module_file: layout.py beside it, or None.
        slots: the @slot folders directly inside segment_dir, by name.
    """

    segment_dir: Path
    template_file: Path
    module_file: Path | None = None
    url_segments: tuple[Segment, ...] = ()
    slots: dict[str, SlotDefinition] = field(default_factory=dict)


@dataclass(frozen=True)
class RouteDefinition:
    """One route found under app/.

    Attributes:
        route_pattern: URL pattern from the URL-visible segments, e.g.
            "/blog/[slug]", "/docs/[...parts]", "/" for the root. Groups, slots
            and private folders never appear in it.
        kind: RouteKind.PAGE or RouteKind.HANDLER.
        segment_dir: the folder holding the page or route.py (absolute).
        segments: the URL-visible segments, root first.
        page_file: page.html or page.md for a page, else None.
        module_file: page.py beside the page, or route.py for a handler.
        layouts: the layouts that wrap this page, root first (empty for handlers
            is allowed but handlers keep them for `dynamic` inheritance).
        not_found_file: the nearest not-found.html at or above segment_dir, or None.
        error_file: the nearest error.html at or above segment_dir, or None.
        dir_chain: every folder from app/ down to segment_dir, root first
            (absolute), including groups, for module inheritance and messages.
        folder_segments: each folder of dir_chain below app/ paired with its
            parsed segment (groups included), so nothing parses folder names twice.
    """

    route_pattern: str
    kind: RouteKind
    segment_dir: Path
    segments: tuple[Segment, ...]
    page_file: Path | None = None
    module_file: Path | None = None
    layouts: tuple[LayoutDefinition, ...] = ()
    not_found_file: Path | None = None
    error_file: Path | None = None
    dir_chain: tuple[Path, ...] = ()
    folder_segments: tuple[tuple[Path, Segment], ...] = ()

    @property
    def param_names(self) -> tuple[str, ...]:
        """The params this route takes, root first."""
        return tuple(s.param for s in self.segments if s.param is not None and s.in_url)

    @property
    def is_dynamic_pattern(self) -> bool:
        """True if the pattern has any dynamic or catch-all segment."""
        return any(s.kind is not SegmentKind.STATIC for s in self.segments)


@dataclass(frozen=True)
class RouteMatch:
    """A URL matched to a route.

    Attributes:
        route: the matched RouteDefinition.
        url_path: the normalised URL path, e.g. "/blog/hello" (no trailing slash
            except for "/").
        params: decoded param values: str for [x], list[str] for [...x] and
            [[...x]] (absent from the dict at the bare path of an optional catch-all).
    """

    route: RouteDefinition
    url_path: str
    params: Params
