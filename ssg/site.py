"""Site: one loaded site (config, theme, routes, modules, Jinja env), shared by build and serve."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ssg.config import SiteConfig
from ssg.layout_children import warn_childless_layouts, warn_pages_with_a_document
from ssg.modules import SiteModule, load_site_modules
from ssg.reads import ReadKind, note_read
from ssg.revalidate import Revalidate
from ssg.routing.definitions import LayoutDefinition, RouteDefinition, RouteKind, SlotDefinition
from ssg.routing.scanner import scan_routes
from ssg.routing.segments import join_route_pattern
from ssg.routing.slots import match_slot_page
from ssg.routing.table import RouteTable
from ssg.scope import DynamicMode
from ssg.theme import Theme, load_theme, make_environment


@dataclass(frozen=True)
class RouteSettings:
    """A route's effective segment config, resolved from its layouts and its own module.

    Attributes:
        revalidate: the lowest `revalidate` of the route's segments (as
            Next.js: the lowest value wins); NEVER when no segment sets one.
        dynamic: the nearest `dynamic` (page or route module first, then
            layouts from the leaf up), default "auto".
        dynamic_params: the nearest `dynamic_params`, default True.
        config_file: where a user sets these for this route, relative to the
            site ("app/x/page.py"; named even when the file does not exist yet).
    """

    revalidate: Revalidate
    dynamic: DynamicMode
    dynamic_params: bool
    config_file: str

    @property
    def is_dynamic(self) -> bool:
        """True when the route renders per request (force-dynamic or revalidate 0)."""
        return self.dynamic is DynamicMode.FORCE_DYNAMIC or self.revalidate.is_every_request


class Site:
    """A loaded site.

    Attributes:
        config: the SiteConfig.
        theme: the Theme (templates and fingerprinted assets).
        env: the Jinja2 environment.
        routes: every RouteDefinition, as scanned.
        table: the RouteTable matching URL paths.
        modules: every imported site module by file.
    """

    def __init__(
        self,
        config: SiteConfig,
        theme: Theme,
        env: jinja2.Environment,
        routes: list[RouteDefinition],
        modules: dict[Path, SiteModule],
    ) -> None:
        self.config = config
        self.theme = theme
        self.env = env
        self.routes = routes
        self.table = RouteTable(routes)
        self.modules = modules
        self._settings: dict[str, RouteSettings] = {}
        # Template file -> its Jinja2 name: every render asks for the page's and each
        # layout's, and the files are the routes' own (a bounded set).
        self._template_names: dict[Path, str] = {}
        env.globals["site_has"] = self.has

    def has(self, url_path: str) -> bool:
        """True when the site answers `url_path` ("/feed.xml") from a route without dynamic
        segments (a page or route handler) or a file in public/; a URL that is not
        root-relative is taken as answered. Templates call it as `site_has(url_path)`:
        the default theme links its `feed_url` only then.

        The file check is noted as a read of the file, so an incremental build renders
        again the pages that asked when it comes or goes; the routes are the build's own
        (a change of them renders every page).
        """
        if not url_path.startswith("/") or url_path.startswith("//"):
            return True
        path = url_path.split("?", 1)[0].split("#", 1)[0]
        match = self.table.match(path)
        if match is not None and not match.route.is_dynamic_pattern:
            return True
        public_file = self.config.public_dir / path.lstrip("/")
        note_read((ReadKind.FILE, os.path.abspath(public_file)))  # as the audit hook notes files
        return public_file.is_file()

    @classmethod
    def load(cls, config: SiteConfig) -> Site:
        """Scan app/, import every module and prepare the template environment.

        Logs a warning for each layout that never renders `{{ children }}`
        (`ssg.layout_children`).

        Raises:
            RouteScanError: app/ has routing problems (all listed).
            ModuleErrors: site modules failed to import (all listed).
            ConfigError: the theme does not exist.
        """
        routes = scan_routes(config.app_dir)
        files: set[Path] = set()
        for route in routes:
            if route.module_file is not None:
                files.add(route.module_file)
            files.update(lay.module_file for lay in route.layouts if lay.module_file is not None)
            for layout in route.layouts:
                for slot in layout.slots.values():
                    files.update(_slot_module_files(slot))
        modules = load_site_modules(files, site_dir=config.site_dir)
        theme = load_theme(config)
        env = make_environment(config, theme)
        warn_childless_layouts(env, routes, config.app_dir, config.site_dir)
        warn_pages_with_a_document(routes, config.site_dir)
        return cls(config, theme, env, routes, modules)

    def relative(self, file: Path) -> str:
        """A site file's path relative to the site folder, with forward slashes."""
        try:
            return file.relative_to(self.config.site_dir).as_posix()
        except ValueError:
            return str(file)

    def template_name(self, file: Path) -> str:
        """The Jinja2 name of a template file: relative to app/, or "theme/..." for the theme."""
        name = self._template_names.get(file)
        if name is None:
            try:
                name = file.relative_to(self.config.app_dir).as_posix()
            except ValueError:
                name = "theme/" + file.relative_to(self.theme.templates_dir).as_posix()
            self._template_names[file] = name
        return name

    def module(self, file: Path | None) -> SiteModule | None:
        """The imported module for `file`, or None."""
        return None if file is None else self.modules.get(file)

    def layout_modules(self, route: RouteDefinition) -> list[SiteModule]:
        """The route's layouts' modules, root first (layouts without layout.py skipped)."""
        found = (self.module(layout.module_file) for layout in route.layouts)
        return [m for m in found if m is not None]

    def slot_modules(self, route: RouteDefinition) -> list[SiteModule]:
        """The modules of the slot pages shown with this route (their layout.py, then page.py).

        A slot page is shown with the route when its folder pattern matches the
        route's pattern below the slot's layout (`@team/[id]` with `/dash/[id]`,
        `@team/settings` with `/dash/settings`); its `revalidate` and `dynamic`
        count toward the route's (as Next.js parallel routes).
        """
        found: list[SiteModule] = []
        for layout in route.layouts:
            if not layout.slots:
                continue
            # The route's own folder names below the layout stand for the URL parts:
            # `[id]` matches a slot's `[id]` or `[member]`, `settings` its `settings`.
            depth = sum(1 for s in layout.url_segments if s.in_url)
            sub_parts = [s.name for s in route.segments if s.in_url][depth:]
            for slot in layout.slots.values():
                matched = match_slot_page(slot.pages, sub_parts)
                if matched is None:
                    continue
                folders = [matched[0].parent, *matched[0].parent.parents]
                chain = reversed(folders[: folders.index(slot.slot_dir) + 1])
                files = [*(folder / "layout.py" for folder in chain), matched[0].parent / "page.py"]
                found.extend(m for m in map(self.module, files) if m is not None)
        return found

    def settings(self, route: RouteDefinition) -> RouteSettings:
        """The route's effective segment config (cached per route)."""
        cached = self._settings.get(route.route_pattern)
        if cached is not None:
            return cached
        own = self.module(route.module_file)
        chain = [*self.layout_modules(route), *self.slot_modules(route), *([own] if own else [])]
        revalidate = Revalidate.lowest_of(m.revalidate for m in chain if m.revalidate is not None)
        dynamic = next(
            (m.dynamic for m in reversed(chain) if m.dynamic is not None), DynamicMode.AUTO
        )
        dynamic_params = next(
            (m.dynamic_params for m in reversed(chain) if m.dynamic_params is not None), True
        )
        if route.module_file is not None:
            config_file = self.relative(route.module_file)
        else:
            config_file = self.relative(route.segment_dir / "page.py")
        settings = RouteSettings(
            revalidate=revalidate,
            dynamic=dynamic,
            dynamic_params=dynamic_params,
            config_file=config_file,
        )
        self._settings[route.route_pattern] = settings
        return settings

    def layout_url_pattern(self, layout: LayoutDefinition) -> str:
        """The URL pattern a layout sits at: "/" for app/layout.html, "/blog" for app/(x)/blog."""
        return join_route_pattern(layout.url_segments)

    def is_prerenderable_handler(self, route: RouteDefinition) -> bool:
        """A route handler whose GET is prerendered at build.

        As Next.js route handlers: GET is dynamic unless the module opts in with
        `dynamic = "force-static"`, a `revalidate` other than 0, or
        `generate_static_params` (Next.js PR #65825, "Disable automatic static
        generation for route handlers").
        """
        if route.kind is not RouteKind.HANDLER:
            return False
        module = self.module(route.module_file)
        if module is None or "GET" not in module.handlers:
            return False
        return bool(
            module.dynamic is DynamicMode.FORCE_STATIC
            or (module.revalidate is not None and not module.revalidate.is_every_request)
            or module.function("generate_static_params")
        )


def _slot_module_files(slot: SlotDefinition) -> set[Path]:
    """The page.py of each slot page and the layout.py of the slot folders down to it."""
    files: set[Path] = set()
    for page in slot.pages.values():
        folders = [page.parent, *page.parent.parents]
        chain = folders[: folders.index(slot.slot_dir) + 1]
        candidates = [page.parent / "page.py", *(folder / "layout.py" for folder in chain)]
        files.update(file for file in candidates if file.is_file())
    return files
