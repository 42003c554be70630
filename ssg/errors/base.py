"""The root of every error a site author can fix, and the "file:line" they are reported at."""

from __future__ import annotations

from pathlib import Path


class SsgError(Exception):
    """A problem the site author can fix. `str(err)` is the full message."""


def located(message: str, source_file: Path | str, line: int | None) -> str:
    """`message` prefixed with where it happened.

    | source_file, line | result |
    | --- | --- |
    | "app/page.py", 3 | "app/page.py:3: message" |
    | "app/page.py", None (or 0) | "app/page.py: message" |
    """
    where = f"{source_file}:{line}" if line else f"{source_file}"
    return f"{where}: {message}"
