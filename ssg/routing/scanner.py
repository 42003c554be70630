"""Walk app/ into RouteDefinitions (pages, route handlers, layouts, slots, error files).

Every problem found is collected and raised at once as a RouteScanError; the
cross-route checks (duplicate URLs, param names per level, ...) live in `conflicts`.
"""

from __future__ import annotations

import difflib
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

from ssg.errors import RouteProblem, RouteScanError, SegmentNameError
from ssg.routing.conflicts import FoundRoute, find_conflicts
from ssg.routing.definitions import (
    LayoutDefinition,
    RouteDefinition,
    RouteKind,
    Segment,
    SegmentKind,
    SlotDefinition,
)
from ssg.routing.segments import join_route_pattern, parse_segment, sort_key

logger = logging.getLogger("ssg.routing")
"""Warnings about files in app/ that do nothing (a build repeats them when it finds nothing
changed)."""

SPECIAL_FILES = frozenset(
    {
        "page.html",
        "page.md",
        "page.py",
        "layout.html",
        "layout.py",
        "route.py",
        "not-found.html",
        "error.html",
        "default.html",
        "global-error.html",
        "loading.html",
    }
)

_PUBLIC = "put it in public/ (served at the same URL under the site's root)"
_NEXT_JS_FILES = {
    "favicon.ico": _PUBLIC,
    "icon.*": _PUBLIC + " and link it from app/layout.html",
    "apple-icon.*": _PUBLIC + " and link it from app/layout.html",
    "robots.txt": _PUBLIC + ", or write app/robots.txt/route.py",
    "sitemap.xml": "write app/sitemap.xml/route.py returning ssg.sitemap()",
    "manifest.json": _PUBLIC,
    "manifest.webmanifest": _PUBLIC,
    "opengraph-image.*": _PUBLIC + " and set its URL in metadata (image)",
    "twitter-image.*": _PUBLIC + " and set its URL in metadata (image)",
    "template.html": "use layout.html (ssg renders layouts afresh for every page anyway)",
}
"""Next.js file conventions ssg does not follow, by name ("icon.*": any extension), with
what to do instead (nextjs.org/docs/app/api-reference/file-conventions/metadata)."""

# Folders the walk does not enter for routes: private ones, slots (scanned with
# their layout) and intercepting routes, which never match a full page load.
_NOT_ROUTED = (SegmentKind.PRIVATE, SegmentKind.SLOT, SegmentKind.INTERCEPTING)


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class _Context:
    """What a folder inherits from the folders above it."""

    url_segments: tuple[Segment, ...] = ()
    segment_dirs: tuple[Path, ...] = ()  # the folder of each URL segment
    dir_chain: tuple[Path, ...] = ()
    folder_segments: tuple[tuple[Path, Segment], ...] = ()
    layouts: tuple[LayoutDefinition, ...] = ()
    not_found_file: Path | None = None
    error_file: Path | None = None


def scan_routes(app_dir: Path) -> list[RouteDefinition]:
    """Find every route under `app_dir`, most specific first (as `RouteTable.routes`).

    Folders are walked in sorted order; dotfiles, dot-folders and `_private`
    subtrees are skipped; `@slot` folders become SlotDefinitions of the layout
    beside them and never routes.

    | under app/                          | route_pattern      | kind    |
    | ----------------------------------- | ------------------ | ------- |
    | `page.html`                         | `/`                | PAGE    |
    | `(marketing)/about/page.md`         | `/about`           | PAGE    |
    | `blog/[slug]/page.html` + `page.py` | `/blog/[slug]`     | PAGE    |
    | `feed.xml/route.py`                 | `/feed.xml`        | HANDLER |
    | `@team/settings/page.html`          | (none: a slot)     | -       |

    Args:
        app_dir: the site's app/ folder; problems name files relative to its parent.

    Returns:
        Every RouteDefinition, sorted by `segments.sort_key` then folder.

    Raises:
        RouteScanError: with every problem at once: app/ or app/layout.html
            missing, malformed folder names, page.* beside route.py, page.html
            beside page.md, routes resolving to the same URL, different param
            names at one level, a catch-all that is not last, a repeated param
            name, an optional catch-all clashing with a page at its bare URL.
    """
    scanner = _Scanner(app_dir)
    if not app_dir.is_dir():
        raise RouteScanError(
            [
                RouteProblem(
                    f"There is no app/ folder in {app_dir.parent}: routes live there. Create "
                    f"{app_dir} with layout.html ({{{{ children }}}}) and page.html.",
                    (scanner.rel(app_dir),),
                )
            ]
        )
    scanner.check_root_layout()
    scanner.scan_dir(app_dir, _Context(dir_chain=(app_dir,)))
    problems = [*scanner.problems, *find_conflicts(scanner.found, scanner.rel)]
    if problems:
        raise RouteScanError(problems)
    routes = [found.route for found in scanner.found]
    return sorted(routes, key=lambda r: (sort_key(r.segments), str(r.segment_dir)))


class _Scanner:
    """One walk of app/: collects the routes found and the problems met on the way."""

    def __init__(self, app_dir: Path) -> None:
        self.app_dir = app_dir
        self.site_dir = app_dir.parent
        self.found: list[FoundRoute] = []
        self.problems: list[RouteProblem] = []

    def rel(self, file: Path) -> str:
        """`file` relative to the site folder, with forward slashes ("app/blog/page.html")."""
        return file.relative_to(self.site_dir).as_posix()

    def problem(self, message: str, *files: Path) -> None:
        self.problems.append(RouteProblem(message, tuple(self.rel(f) for f in files)))

    def check_root_layout(self) -> None:
        if (self.app_dir / "layout.html").is_file():
            return
        hint = _did_you_mean("layout.html", _list_dir(self.app_dir)[0])
        self.problem(
            "app/layout.html is missing: every site needs a root layout that produces the "
            "page's <html> and <body>; create app/layout.html with <html> and <body> and "
            f"{{{{ children }}}}.{hint}",
            self.app_dir / "layout.html",
        )

    def scan_dir(self, segment_dir: Path, ctx: _Context) -> None:
        """Collect the route, layout and error files of one folder, then its children."""
        files, subdirs = _list_dir(segment_dir)
        self._check_misnamed(segment_dir, files)
        self._warn_next_js_files(segment_dir, files)
        children = [
            (segment_dir / name, segment)
            for name in subdirs
            if (segment := self._parse(segment_dir / name)) is not None
        ]
        slots = [(d, s) for d, s in children if s.kind is SegmentKind.SLOT]
        if "layout.html" in files:
            layout = self._make_layout(segment_dir, files, slots, ctx.url_segments)
            ctx = replace(ctx, layouts=(*ctx.layouts, layout))
        else:
            self._check_orphans(segment_dir, files, slots)
        if "not-found.html" in files:
            ctx = replace(ctx, not_found_file=segment_dir / "not-found.html")
        if "error.html" in files:
            ctx = replace(ctx, error_file=segment_dir / "error.html")
        self._add_route(segment_dir, files, ctx)
        for child_dir, segment in children:
            if segment.kind in _NOT_ROUTED:
                continue
            child_ctx = replace(
                ctx,
                dir_chain=(*ctx.dir_chain, child_dir),
                folder_segments=(*ctx.folder_segments, (child_dir, segment)),
            )
            if segment.in_url:
                child_ctx = replace(
                    child_ctx,
                    url_segments=(*ctx.url_segments, segment),
                    segment_dirs=(*ctx.segment_dirs, child_dir),
                )
            self.scan_dir(child_dir, child_ctx)

    def _parse(self, segment_dir: Path) -> Segment | None:
        """Parse a folder name; on a bad name record the problem and go on with the fix."""
        try:
            return parse_segment(segment_dir.name)
        except SegmentNameError as exc:
            fix = f"rename the folder to {exc.suggestion}" if exc.suggestion else "rename it"
            self.problem(f"{self.rel(segment_dir)}: {exc.reason}; {fix}.", segment_dir)
            if exc.suggestion is None:
                return None
            # Keep walking under the corrected name so problems below are reported too.
            try:
                return parse_segment(exc.suggestion)
            except SegmentNameError:
                return None

    def _add_route(self, segment_dir: Path, files: frozenset[str], ctx: _Context) -> None:
        pages = [segment_dir / n for n in ("page.html", "page.md") if n in files]
        route_file = segment_dir / "route.py" if "route.py" in files else None
        where = self.rel(segment_dir)
        if len(pages) == 2:
            self.problem(
                f"{where} has both page.html and page.md: a folder has one page. Keep one of "
                "them (page.md for Markdown, page.html for a Jinja template).",
                *pages,
            )
        if pages and route_file is not None:
            # Next.js: "Conflicting route and page at /x".
            child = "json" if where.endswith("/data") else "data"
            self.problem(
                f"{where} has both {pages[0].name} and route.py: a URL is a page or a route "
                f"handler, not both. Move route.py into a child folder (e.g. {where}/{child}/"
                f"route.py) or remove {pages[0].name}.",
                pages[0],
                route_file,
            )
        if len(pages) == 2 or (pages and route_file is not None):
            return
        if not pages and route_file is None:
            if "page.py" in files:
                hint = _did_you_mean("page.html", files) or _did_you_mean("page.md", files)
                self.problem(
                    f"{where}/page.py has no page.html or page.md beside it, so {where} is not "
                    f"a page. Add {where}/page.html, or rename page.py to route.py for a route "
                    f"handler.{hint}",
                    segment_dir / "page.py",
                )
            return
        page_file = pages[0] if pages else None
        if page_file is not None:
            kind = RouteKind.PAGE
            module_file = segment_dir / "page.py" if "page.py" in files else None
        else:
            kind, module_file = RouteKind.HANDLER, route_file
        route = RouteDefinition(
            route_pattern=join_route_pattern(ctx.url_segments),
            kind=kind,
            segment_dir=segment_dir,
            segments=ctx.url_segments,
            page_file=page_file,
            module_file=module_file,
            layouts=ctx.layouts,
            not_found_file=ctx.not_found_file,
            error_file=ctx.error_file,
            dir_chain=ctx.dir_chain,
            folder_segments=ctx.folder_segments,
        )
        source_file = page_file or route_file
        assert source_file is not None  # a page or a route.py, checked above
        self.found.append(FoundRoute(route, ctx.segment_dirs, source_file))

    def _make_layout(
        self,
        segment_dir: Path,
        files: frozenset[str],
        slots: list[tuple[Path, Segment]],
        url_segments: tuple[Segment, ...],
    ) -> LayoutDefinition:
        slot_defs: dict[str, SlotDefinition] = {}
        for slot_dir, segment in slots:
            assert segment.param is not None  # parse_segment names every slot
            pages: dict[tuple[Segment, ...], Path] = {}
            self._scan_slot_pages(slot_dir, (), pages)
            pages = {key: pages[key] for key in sorted(pages, key=sort_key)}
            default = slot_dir / "default.html"
            slot_defs[segment.param] = SlotDefinition(
                name=segment.param,
                slot_dir=slot_dir,
                pages=pages,
                default_file=default if default.is_file() else None,
            )
        return LayoutDefinition(
            segment_dir=segment_dir,
            template_file=segment_dir / "layout.html",
            module_file=segment_dir / "layout.py" if "layout.py" in files else None,
            url_segments=url_segments,
            slots=slot_defs,
        )

    def _scan_slot_pages(
        self, slot_dir: Path, sub: tuple[Segment, ...], pages: dict[tuple[Segment, ...], Path]
    ) -> None:
        """Collect a slot's page.html files keyed by their URL segments below the slot."""
        files, subdirs = _list_dir(slot_dir)
        if "page.html" in files:
            pages.setdefault(sub, slot_dir / "page.html")
        if "page.md" in files or "route.py" in files:
            self.problem(
                f"{self.rel(slot_dir)}: a slot folder holds Jinja pages (page.html, with an "
                "optional page.py), layout.html, default.html, error.html and not-found.html; "
                "rename page.md to page.html or move route.py out of the slot.",
                slot_dir,
            )
        for name in subdirs:
            segment = self._parse(slot_dir / name)
            if segment is None or segment.kind in _NOT_ROUTED:
                continue
            child_sub = (*sub, segment) if segment.in_url else sub
            self._scan_slot_pages(slot_dir / name, child_sub, pages)

    def _check_orphans(
        self, segment_dir: Path, files: frozenset[str], slots: list[tuple[Path, Segment]]
    ) -> None:
        """Files that only mean something beside a layout.html, in a folder without one."""
        where = self.rel(segment_dir)
        if "layout.py" in files and segment_dir != self.app_dir:
            self.problem(
                f"{where}/layout.py has no layout.html beside it, so it is never used. Add "
                f"{where}/layout.html with {{{{ children }}}}, or move its settings to a "
                "page.py.",
                segment_dir / "layout.py",
            )
        for slot_dir, segment in slots:
            # Next.js renders a slot into the layout of the same segment.
            self.problem(
                f"{self.rel(slot_dir)} is a slot, but {where} has no layout.html to render it "
                f"into. Add {where}/layout.html using {{{{ slots.{segment.param} }}}}, or move "
                "the slot beside an existing layout.",
                slot_dir,
            )

    def _warn_next_js_files(self, segment_dir: Path, files: frozenset[str]) -> None:
        """Next.js's metadata files (app/favicon.ico, icon.png, robots.txt...) and
        template.js: ssg does nothing with them, so each gets a warning with the fix."""
        for name in sorted(files):
            stem, _, suffix = name.partition(".")
            fix = _NEXT_JS_FILES.get(name) or _NEXT_JS_FILES.get(stem + ".*")
            if fix is not None and suffix:
                logger.warning(
                    "%s is a Next.js file convention that ssg ignores: %s.",
                    self.rel(segment_dir / name),
                    fix,
                )

    def _check_misnamed(self, segment_dir: Path, files: frozenset[str]) -> None:
        """`Page.html`, `not_found.html`: special files that would silently do nothing."""
        for name in sorted(files):
            meant = name.lower().replace("_", "-")
            if meant in SPECIAL_FILES and name != meant and meant not in files:
                self.problem(
                    f"{self.rel(segment_dir / name)} looks like {meant} but special file names "
                    f"are exact (lower case, '-'); rename it to {meant}.",
                    segment_dir / name,
                )


def _did_you_mean(wanted: str, files: frozenset[str]) -> str:
    """A typo hint: " Did you mean to name 'pgae.html' 'page.html'?" or ""."""
    close = difflib.get_close_matches(wanted, sorted(files - SPECIAL_FILES), n=1, cutoff=0.75)
    return f" Did you mean to name {close[0]!r} {wanted!r}?" if close else ""


def _list_dir(folder: Path) -> tuple[frozenset[str], list[str]]:
    """The file names and sorted sub-folder names of `folder`, dotfiles left out."""
    files: set[str] = set()
    subdirs: list[str] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                subdirs.append(entry.name)
            elif entry.is_file():
                files.add(entry.name)
    return frozenset(files), sorted(subdirs)
