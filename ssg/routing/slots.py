"""Slot lookup: which page of a @slot folder shows for the URL parts below the slot's layout."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ssg.routing.definitions import Params, Segment
from ssg.routing.matching import match_segments


def match_slot_page(
    pages: dict[tuple[Segment, ...], Path], sub_parts: Sequence[str]
) -> tuple[Path, Params] | None:
    """The slot page for the URL parts below the slot's layout, matching as routes do.

    `pages` is most specific first (static before dynamic before catch-alls), so
    the first match wins, as for `RouteTable.match`.

    | slot pages             | sub_parts   | page           | params                 |
    | ---------------------- | ----------- | -------------- | ---------------------- |
    | (), (settings,)        | settings    | settings       | {}                     |
    | (settings,), ([id],)   | settings    | settings       | {}                     |
    | ([id],)                | 5           | [id]           | {"id": "5"}            |
    | (docs, [...rest])      | docs, a, b  | docs/[...rest] | {"rest": ["a", "b"]}   |
    | ([[...rest]],)         | ()          | [[...rest]]    | {}                     |

    Returns:
        The page file and the params of the slot page's own dynamic folders, or None.
    """
    for segments, page in pages.items():
        params = match_segments(segments, sub_parts)
        if params is not None:
            return page, params
    return None
