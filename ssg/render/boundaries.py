"""Error boundaries: which error.html or not-found.html catches a failed segment, inside which layouts.

As Next.js (docs: error-handling, "Handling Errors in Layouts"): a boundary
file catches what fails BELOW its folder's layout, so an error in
`dash/page.py` is caught by `dash/error.html` inside `dash/layout.html`, while
an error in `dash/layout.py` or `dash/layout.html` is caught by the parent's
`error.html`, inside the layouts above `dash/` only.
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ssg.errors import DynamicUsage, Redirect
from ssg.routing.definitions import LayoutDefinition

_ATTRIBUTE = "_ssg_failed_segment"


@dataclass(frozen=True)
class FailedSegment:
    """Where a render failed.

    Attributes:
        chain: the folders from app/ down to the failing segment's folder, root
            first (absolute; route groups and @slot folders included).
        layout_failed: the failing file is the layout of the last folder (its
            layout.html or layout.py), so the boundary must sit above it.
        layouts: every layout that may wrap the boundary, root first (the
            route's, plus the slot's own for a failure inside a slot).
    """

    chain: tuple[Path, ...]
    layout_failed: bool
    layouts: tuple[LayoutDefinition, ...]


@dataclass(frozen=True)
class Boundary:
    """The file that renders a failure and the layouts around it.

    Attributes:
        file: the error.html / not-found.html that catches it, or None (no such
            file above: a built-in page).
        layouts: the layouts to render it in, root first; empty when the root
            layout itself failed (the page must then bring its own <html>).
    """

    file: Path | None
    layouts: tuple[LayoutDefinition, ...]


def mark_failure(exc: BaseException, failure: FailedSegment) -> None:
    """Record on `exc` where it was raised, unless a deeper segment recorded it already."""
    if getattr(exc, _ATTRIBUTE, None) is None:
        # An exception type without a __dict__ simply carries no boundary info.
        with contextlib.suppress(AttributeError):
            setattr(exc, _ATTRIBUTE, failure)


def failing_in(failure: FailedSegment) -> AbstractContextManager[None]:
    """Mark an exception raised inside (not_found() too) with `failure`, where it was raised.

    Redirects and DynamicUsage pass unmarked: they are no failure of a segment.
    """
    return _FailingIn(failure)


class _FailingIn(AbstractContextManager[None]):
    """`failing_in` as a class: entered a few times for every page a build renders, where a
    generator-based context manager costs a generator and its frames each time."""

    __slots__ = ("failure",)

    def __init__(self, failure: FailedSegment) -> None:
        self.failure = failure

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc, Exception) and not isinstance(exc, Redirect | DynamicUsage):
            mark_failure(exc, self.failure)


def failure_of(exc: BaseException | None) -> FailedSegment | None:
    """Where `exc` was raised during a render (mark_failure), or None when unknown."""
    return None if exc is None else getattr(exc, _ATTRIBUTE, None)


def find_boundary(failure: FailedSegment, file_name: str) -> Boundary:
    """The nearest `file_name` ("error.html", "not-found.html") catching `failure`.

    With app/error.html, app/dash/error.html and layouts at app/ and app/dash/:

    | failed in              | boundary file      | layouts         |
    | ---------------------- | ------------------ | --------------- |
    | app/dash/page.py       | app/dash/error.html| app/, app/dash/ |
    | app/dash/layout.py     | app/error.html     | app/            |
    | app/layout.html        | None               | (none)          |

    Without any file above the failure, the built-in page goes inside every
    layout that did not fail.
    """
    chain = failure.chain[:-1] if failure.layout_failed else failure.chain
    for index in range(len(chain) - 1, -1, -1):
        file = chain[index] / file_name
        if file.is_file():
            return Boundary(file, _layouts_in(failure.layouts, chain[: index + 1]))
    return Boundary(None, _layouts_in(failure.layouts, chain))


def _layouts_in(
    layouts: tuple[LayoutDefinition, ...], folders: tuple[Path, ...]
) -> tuple[LayoutDefinition, ...]:
    inside = set(folders)
    return tuple(layout for layout in layouts if layout.segment_dir in inside)
