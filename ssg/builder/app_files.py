"""The names under app/ (and the site's top-level modules) between two builds: a full
render when the route table or a module may have changed, else only the routes that
gained a route file."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ssg.builder.route_inputs import route_files
from ssg.config import SiteConfig
from ssg.routing.scanner import SPECIAL_FILES
from ssg.site import Site

ROUTES_CHANGED = "routes changed"
"""The fingerprint's key for the names under app/ (its value: `app_names`)."""

_DIGEST = re.compile(r"[0-9a-f]{32}")  # what an older ssg kept instead of the names


def app_names(config: SiteConfig) -> str:
    """Every folder and file under app/ and the site folder's top-level modules, one name
    a line, relative to the site folder (folders end in "/"), sorted: what the
    fingerprint keeps of them, so the next build can name what came or went.

    | site                                          | lines |
    | --------------------------------------------- | ----- |
    | app/page.html, app/blog/notes.txt, blog.py    | app/, app/blog/, app/blog/notes.txt, app/page.html, blog.py |
    """
    names: list[str] = []
    for folder, dirs, files in os.walk(config.app_dir):
        # Python's bytecode of page and layout modules comes and goes (PYTHONDONTWRITEBYTECODE).
        dirs[:] = [name for name in dirs if name != "__pycache__"]
        relative = os.path.relpath(folder, config.site_dir).replace(os.sep, "/")
        names.append(relative + "/")
        names.extend(f"{relative}/{name}" for name in files)
    with contextlib.suppress(OSError):
        names.extend(
            entry.name + ("/" if entry.is_dir() else "")
            for entry in os.scandir(config.site_dir)
            if entry.name.endswith(".py") or os.path.isfile(os.path.join(entry.path, "__init__.py"))
        )
    return "\n".join(sorted(names))


def _routes_may_change(name: str) -> bool:
    """Whether a name coming or going may change the route table or the site's code: a
    Python module (a page module may import it, even by a computed name), a top-level
    module, a folder the route scan enters (a segment, a slot), a special file
    (page.html, layout.py...) in one.

    | name                                             | result |
    | ------------------------------------------------ | ------ |
    | "app/_lib.py", "blog.py", "posts/"               | True   |
    | "app/blog/", "app/@team/", "app/blog/page.html"  | True   |
    | "app/blog/notes.txt", "app/blog/.page.html.swp"  | False  |
    | "app/_parts/", "app/_parts/page.html", "app/.git/" | False (private and hidden folders hold no route) |
    """
    if name.endswith(".py") or not name.startswith("app/"):
        return True
    parts = name.rstrip("/").split("/")[1:]
    if not parts:
        return True  # app/ itself
    if any(part.startswith(("_", ".")) for part in parts[:-1] if part):
        return False  # inside a folder the scan does not enter
    if name.endswith("/"):
        return not parts[-1].startswith(("_", "."))
    return parts[-1] in SPECIAL_FILES


@dataclass(frozen=True)
class AppNamesChange:
    """What changed in `app_names` since the last build.

    Attributes:
        full_reason: why every page must be rendered ("app/new/page.html added",
            "app/old/ removed and 2 more"), or None when no name that may change the
            route table came or went.
        added: the other files added under app/ (relative to the site folder): each is
            a route file of the routes below its folder (`routes_gaining`).
    """

    full_reason: str | None
    added: tuple[str, ...]


def compare_app_names(before: str | None, now: str) -> AppNamesChange:
    """The change from the last build's `app_names` (None or a digest, from an older ssg:
    a full render for "routes changed") to this build's.

    | before                   | now                                  | result |
    | ------------------------ | ------------------------------------ | ------ |
    | app/, app/page.html      | app/, app/blog/, app/blog/page.html, app/page.html | full: "app/blog/page.html added and 1 more" (files named before folders) |
    | app/, app/blog/, ...     | the same and app/blog/notes.txt      | added ("app/blog/notes.txt",) |
    | app/, app/a.txt          | app/                                 | nothing (the pages that read a.txt are rendered: their reads changed) |
    """
    if before is None or _DIGEST.fullmatch(before):
        return AppNamesChange(ROUTES_CHANGED, ())
    old, new = set(before.split("\n")), set(now.split("\n"))
    changes = [f"{name} added" for name in sorted(new - old) if _routes_may_change(name)]
    changes += [f"{name} removed" for name in sorted(old - new) if _routes_may_change(name)]
    changes.sort(key=lambda change: change.endswith("/ added") or change.endswith("/ removed"))
    if changes:
        more = len(changes) - 1
        return AppNamesChange(changes[0] + (f" and {more:,} more" if more else ""), ())
    return AppNamesChange(None, tuple(name for name in sorted(new - old) if not name.endswith("/")))


def routes_gaining(site: Site, added: Iterable[str]) -> set[str]:
    """The patterns of the routes that have one of `added` (files relative to the site
    folder) among their route files now (`route_files`): their pages are rendered."""
    wanted = set(added)
    if not wanted:
        return set()
    return {
        route.route_pattern
        for route in site.routes
        if not wanted.isdisjoint(route_files(site, route))
    }
