"""Routing: app/ folders -> RouteDefinitions (scanner) -> URL matching (table), as Next.js."""

from __future__ import annotations

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
