"""Layouts that never render `{{ children }}`: every page below them would show the layout alone.

Next.js requires a layout to accept and render its `children` ("Layout components should
accept and use a `children` prop", the layout.js reference); a Jinja layout that leaves
it out renders without error and silently drops the page, so ssg warns, naming the file
and the fix, whenever it loads the site (`ssg build`, `ssg serve`, `ssg dev`) and when
`ssg dev` sees a layout edited.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2 import nodes

from ssg.routing.definitions import RouteDefinition, RouteKind

logger = logging.getLogger("ssg.layouts")
"""Where the warnings go (a build keeps them for the unchanged build that repeats them)."""

LAYOUT_FILE = "layout.html"
_PRINTS_CHILDREN = re.compile(r"\{\{-?\s*children\s*(?:\||-?\}\})")
"""`{{ children }}`, `{{- children -}}`, `{{ children | safe }}`: surely a read, found without
parsing the template (a parse costs milliseconds on a large theme template)."""
_PULLED_IN = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)
"""The tags that bring another template's body into a template's render."""


@dataclass(frozen=True)
class ChildlessLayout:
    """A layout template that never renders `children`.

    Attributes:
        template_file: the layout.html (absolute).
        route_patterns: the routes whose pages it wraps ("/blog/[slug]"), sorted;
            for a slot's layout, the routes of the layout holding the slot.
        slot: the slot name ("team") when the layout is inside an `@team` folder, else None.
    """

    template_file: Path
    route_patterns: tuple[str, ...]
    slot: str | None = None

    def message(self, site_dir: Path) -> str:
        """The warning: what happens, which pages, and the fix."""
        try:
            name = self.template_file.relative_to(site_dir).as_posix()
        except ValueError:
            name = str(self.template_file)
        shown = ", ".join(self.route_patterns[:3]) + (
            ", ..." if len(self.route_patterns) > 3 else ""
        )
        pages, show = (
            (f"the @{self.slot} slot's pages", "show")
            if self.slot
            else ("every page below it", "shows")
        )
        return (
            f"{name} never renders {{{{ children }}}}, so {pages} "
            f"({len(self.route_patterns)} route{'s' if len(self.route_patterns) != 1 else ''}: "
            f"{shown}) {show} the layout without the page. Add {{{{ children }}}} where the page "
            "belongs (a layout wraps the pages below it, as a Next.js layout renders its children)."
        )


def find_childless_layouts(
    env: jinja2.Environment,
    routes: Iterable[RouteDefinition],
    app_dir: Path,
    only: Iterable[Path] | None = None,
) -> list[ChildlessLayout]:
    """The layouts (app/ and @slot ones) whose template never reads `children`.

    A layout counts as rendering its children when `children` is read in it or in a
    template it extends, includes or imports by a constant name; one that names a
    template by a variable (`{% include name %}`), or that cannot be read or parsed,
    is given the benefit of the doubt (its render reports the real error), as is one
    that prints `{{ children }}` literally anywhere (a comment too: found without a parse).

    Args:
        env: the site's Jinja2 environment (templates named relative to app/).
        routes: every route of the site.
        app_dir: SITE/app (absolute).
        only: check these layout files only (an edit in `ssg dev`); None checks all.

    Returns:
        One ChildlessLayout per layout file, sorted by file.
    """
    wrapped: dict[tuple[Path, str | None], set[str]] = {}
    for route in routes:
        if route.kind is RouteKind.HANDLER:
            continue  # a route handler's answer is never wrapped in a layout
        for layout in route.layouts:
            wrapped.setdefault((layout.template_file, None), set()).add(route.route_pattern)
            for slot in layout.slots.values():
                for page in slot.pages.values():
                    folder = page.parent
                    while folder.is_relative_to(slot.slot_dir):
                        if (folder / LAYOUT_FILE).is_file():
                            key = (folder / LAYOUT_FILE, slot.name)
                            wrapped.setdefault(key, set()).add(route.route_pattern)
                        folder = folder.parent
    wanted = None if only is None else {Path(file) for file in only}
    found = []
    for (template_file, slot_name), patterns in sorted(
        wrapped.items(), key=lambda item: str(item[0])
    ):
        if wanted is not None and template_file not in wanted:
            continue
        try:
            name = template_file.relative_to(app_dir).as_posix()
        except ValueError:
            continue
        if not _reads_children(env, name, set()):
            found.append(ChildlessLayout(template_file, tuple(sorted(patterns)), slot_name))
    return found


def warn_childless_layouts(
    env: jinja2.Environment,
    routes: Iterable[RouteDefinition],
    app_dir: Path,
    site_dir: Path,
    only: Iterable[Path] | None = None,
) -> list[ChildlessLayout]:
    """Log a warning for each layout `find_childless_layouts` finds; return them."""
    found = find_childless_layouts(env, routes, app_dir, only)
    for layout in found:
        logger.warning("%s", layout.message(site_dir))
    return found


def _reads_children(env: jinja2.Environment, name: str, seen: set[str]) -> bool:
    """Whether template `name`, or one it pulls in by a constant name, reads `children`."""
    if name in seen:
        return False
    seen.add(name)
    try:
        assert env.loader is not None  # make_environment always sets one
        source = env.loader.get_source(env, name)[0]
        if _PRINTS_CHILDREN.search(source):  # the usual case, told without a parse
            return True
        tree = env.parse(source, name)
    except Exception:  # missing or broken: the render says so; no guess here
        return True
    if any(node.name == "children" and node.ctx == "load" for node in tree.find_all(nodes.Name)):
        return True
    for node in tree.find_all(_PULLED_IN):
        assert isinstance(node, _PULLED_IN)
        target = node.template
        if not isinstance(target, nodes.Const) or not isinstance(target.value, str):
            return True  # a name computed at render time: it may be the one that renders them
        if _reads_children(env, target.value, seen):
            return True
    return False


_WHOLE_DOCUMENT = re.compile(
    r"""\{%-?\s*extends\s+["']theme/base\.html["']|<html[\s>]""", re.IGNORECASE
)
"""A page template that extends the theme's whole-document template, or writes <html>."""


def warn_pages_with_a_document(routes: Iterable[RouteDefinition], site_dir: Path) -> list[Path]:
    """Warn of each page.html that renders a whole document (`{% extends "theme/base.html" %}`,
    `<html>`): pages render inside app/layout.html, which gives them `<html>` and `<body>`,
    so such a page nests a second document inside the first. Returns those files."""
    found = []
    for route in routes:
        page = route.page_file
        if page is None or page.suffix != ".html":
            continue
        try:
            text = page.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # its render reports it
        if _WHOLE_DOCUMENT.search(text):
            found.append(page)
            try:
                name = page.relative_to(site_dir).as_posix()
            except ValueError:
                name = str(page)
            logger.warning(
                "%s renders a whole document (<html>): pages render inside app/layout.html, "
                "which gives them <html> and <body>, so this page would nest a second one. "
                "Drop its {%% extends %%} (or its <html> and <body>) and keep only the "
                "page's content.",
                name,
            )
    return found
