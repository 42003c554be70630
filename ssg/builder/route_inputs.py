"""The files a route's render may use besides templates and content: its folder, the
folders above it, its layouts' slots, and the site modules their Python files import."""

from __future__ import annotations

import os
from pathlib import Path

from ssg.routing.definitions import RouteDefinition
from ssg.site import Site
from ssg.site_imports import imported_site_modules

_PAGE_FILES = frozenset({"page", "route"})


def _is_editor_file(name: str) -> bool:
    """A hidden file or an editor's leftover: ".page.html.swp", "page.html~", "#page.html#",
    "x.tmp". Not route files: vim's swap file must not render a route's pages."""
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swo", ".tmp"))


def route_files(
    site: Site, route: RouteDefinition, imports: dict[Path, list[str]] | None = None
) -> list[str]:
    """The files a route's render may use besides templates and content, relative to the site.

    Every file in the route's own folder (but hidden files and editors' leftovers:
    `_is_editor_file`); in the folders above it every file but
    another route's page and route files (layouts, not-found and error pages, their
    modules); everything under the @slot folders of its layouts; and the site
    modules (outside app/) those Python files import, followed through imports.
    `imports` is `imported_site_modules`' memo (one build's routes share their layouts'
    modules and the site's).
    """
    config = site.config
    found: set[Path] = set()
    for folder in route.dir_chain or (route.segment_dir,):
        own = folder == route.segment_dir
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if _is_editor_file(entry.name):
                continue  # an editor's swap or backup file: no page reads it
            if entry.is_file() and (own or Path(entry.name).stem not in _PAGE_FILES):
                found.add(Path(entry.path))
    for layout in route.layouts:
        for slot in layout.slots.values():
            for path in slot.slot_dir.rglob("*"):
                if path.is_file() and not _is_editor_file(path.name):
                    found.add(path)
    modules = [path for path in found if path.suffix == ".py"]
    found.update(imported_site_modules(modules, config.site_dir, imports))
    return sorted(site.relative(path) for path in found)
