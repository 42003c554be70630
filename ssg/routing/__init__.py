"""Routing: app/ folders -> RouteDefinitions (scanner) -> URL matching (table), as Next.js.

The names below are imported on first use (PEP 562): importing one module of the
package (`ssg.routing.definitions` for `RouteKind`) does not load the scanner and the
table, which a build with nothing changed never runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ssg.errors import SegmentNameError
    from ssg.routing.definitions import (
        LayoutDefinition,
        Params,
        ParamValue,
        RouteDefinition,
        RouteKind,
        RouteMatch,
        Segment,
        SegmentKind,
        SlotDefinition,
    )
    from ssg.routing.scanner import scan_routes
    from ssg.routing.segments import (
        join_route_pattern,
        parse_segment,
        sort_key,
        specificity,
    )
    from ssg.routing.table import RouteTable, build_url_path

__all__ = [
    "LayoutDefinition",
    "ParamValue",
    "Params",
    "RouteDefinition",
    "RouteKind",
    "RouteMatch",
    "RouteTable",
    "Segment",
    "SegmentKind",
    "SegmentNameError",
    "SlotDefinition",
    "build_url_path",
    "join_route_pattern",
    "parse_segment",
    "scan_routes",
    "sort_key",
    "specificity",
]

_HOMES = {
    "SegmentNameError": "ssg.errors",
    **dict.fromkeys(
        (
            "LayoutDefinition",
            "Params",
            "ParamValue",
            "RouteDefinition",
            "RouteKind",
            "RouteMatch",
            "Segment",
            "SegmentKind",
            "SlotDefinition",
        ),
        "ssg.routing.definitions",
    ),
    "scan_routes": "ssg.routing.scanner",
    **dict.fromkeys(
        ("join_route_pattern", "parse_segment", "sort_key", "specificity"),
        "ssg.routing.segments",
    ),
    "RouteTable": "ssg.routing.table",
    "build_url_path": "ssg.routing.table",
}
"""Where each name lives: imported on first access."""


def __getattr__(name: str) -> Any:
    """Import a name's module on first access (PEP 562 module `__getattr__`).

    Raises:
        AttributeError: `name` is not one of the package's names.
    """
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'ssg.routing' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
