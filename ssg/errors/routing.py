"""Routing problems in app/: a folder name that breaks the grammar, and the scan's problems."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ssg.errors.base import SsgError
from ssg.plural import plural


class SegmentNameError(SsgError, ValueError):
    """A folder name under app/ that breaks the grammar; the scanner turns it into a RouteProblem.

    Attributes:
        name: the folder name as written, e.g. "[my-slug]".
        reason: what is wrong, e.g. "'my-slug' is not a Python identifier".
        suggestion: the corrected folder name ("[my_slug]"), or None when there is
            no single right answer.
    """

    def __init__(self, name: str, reason: str, suggestion: str | None = None) -> None:
        self.name = name
        self.reason = reason
        self.suggestion = suggestion
        fix = f"; rename it to {suggestion}" if suggestion else ""
        super().__init__(f"folder name {name!r}: {reason}{fix}")


@dataclass(frozen=True)
class RouteProblem:
    """One problem found while scanning app/.

    Attributes:
        message: what is wrong and how to fix it.
        source_files: the folders or files involved (paths relative to the site).
    """

    message: str
    source_files: tuple[str, ...] = ()

    def __str__(self) -> str:
        files = ", ".join(self.source_files)
        return f"{self.message}" + (f"\n      files: {files}" if files else "")


class RouteScanError(SsgError):
    """app/ has one or more routing problems; `problems` lists all of them."""

    def __init__(self, problems: Sequence[RouteProblem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"Found {plural(len(self.problems), 'routing problem')} in app/:\n{lines}")
