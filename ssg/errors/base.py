"""The root of every error a site author can fix, and how messages name where it happened
(a "file:line", a page)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote


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


def page_label(route_pattern: str, url_path: str) -> str:
    """How messages name a page: its URL (decoded), and its route only where they differ.

    | route_pattern, url_path | result |
    | --- | --- |
    | "/", "/" | "/" |
    | "/about", "/about" | "/about" |
    | "/blog/[slug]", "/blog/hello" | "/blog/hello (route /blog/[slug])" |
    | "/tags/[tag]", "/tags/caf%C3%A9" | "/tags/café (route /tags/[tag])" |
    """
    url = unquote(url_path)
    return url if url == route_pattern else f"{url} (route {route_pattern})"
