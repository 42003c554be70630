"""`ContentProblem`: one thing wrong in a content file, a warning (`log_problems`) or, in a
strict build, an error (`strict_error`)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ssg.errors import ContentError
from ssg.plural import plural

logger = logging.getLogger("ssg.content")


@dataclass(frozen=True)
class ContentProblem:
    """Something wrong in a content file that a lenient build warns about.

    Attributes:
        source_file: the content file.
        line: the 1-based line in the file where known, else None.
        message: what is wrong and the fix.
    """

    source_file: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        name = site_relative(self.source_file)
        where = f"{name}:{self.line}" if self.line else name
        return f"{where}: {self.message}"

    def to_error(self) -> ContentError:
        """Return the `ContentError` a strict build raises for this problem."""
        return ContentError(self.message, source_file=self.source_file, line=self.line)


def site_relative(path: Path, start: Path | None = None) -> str:
    """`path` as a user names it, as the build errors do: relative to the site's folder
    (the nearest folder at or above `start`, else `path`'s folder, holding ssg.toml),
    else to the current folder, else absolute ("content/guide/missing.md")."""
    root = _site_dir(start if start is not None else path.parent)
    for base in (root, Path.cwd()):
        if base is not None and path.is_relative_to(base):
            return path.relative_to(base).as_posix() or "."
    return str(path)


@functools.lru_cache(maxsize=16)
def _site_dir(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / "ssg.toml").is_file():
            return folder
    return None


PROBLEMS_SHOWN = 20
"""Content problems logged one by one per (re)load; the rest are counted in one line."""


def log_problems(problems: list[ContentProblem], content_dir: Path) -> None:
    """Log the first PROBLEMS_SHOWN problems on "ssg.content", then how many more there are.

    A corpus copied without its images can hold hundreds of references to
    missing files; the build output stays readable, and `--strict` still fails
    on the first one.
    """
    for problem in problems[:PROBLEMS_SHOWN]:
        logger.warning("%s", problem)
    hidden = len(problems) - PROBLEMS_SHOWN
    if hidden > 0:
        logger.warning(
            "... and %s in %s (ssg build --strict fails on them).",
            plural(hidden, "more content problem"),
            content_dir,
        )


def strict_error(problems: Sequence[ContentProblem]) -> ContentError:
    """The `ContentError` a strict load raises for `problems` (at least one): the first one's
    file, line and message, and the next PROBLEMS_SHOWN - 1 listed after it, then how many
    more there are. A strict build logs no warning for them first, so each shows once.
    """
    first = problems[0]
    others = [f"\n  {problem}" for problem in problems[1:PROBLEMS_SHOWN]]
    hidden = len(problems) - 1 - len(others)
    if hidden > 0:
        others.append(f"\n  ... and {hidden:,} more")
    suffix = (
        f" (and {plural(len(problems) - 1, 'more content problem')}:{''.join(others)})"
        if others
        else ""
    )
    return ContentError(first.message + suffix, source_file=first.source_file, line=first.line)
