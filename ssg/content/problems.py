"""`ContentProblem`: one thing wrong in a content file, a warning or (strict) an error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ssg.errors import ContentError


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
        where = f"{self.source_file}:{self.line}" if self.line else str(self.source_file)
        return f"{where}: {self.message}"

    def to_error(self) -> ContentError:
        """Return the `ContentError` a strict build raises for this problem."""
        return ContentError(self.message, source_file=self.source_file, line=self.line)
