"""Every exception ssg raises, and the control-flow signals pages raise.

User errors derive from `SsgError`: the CLI prints their message (no
traceback) and exits 1. Anything else is a bug in ssg and keeps its traceback.

    SsgError
    ├── ConfigError            ssg.toml is unreadable or has bad values (all at once, `.problems`)
    ├── SiteNotFoundError      the site folder does not exist (also a FileNotFoundError)
    ├── RouteScanError         app/ has routing problems (all at once, `.problems`)
    ├── ModuleError            page.py / layout.py / route.py failed to import or holds a bad value
    ├── ModuleErrors           several ModuleErrors, reported at once
    ├── ParamsError            generate_static_params returned a wrong shape
    ├── TemplateError          a Jinja2 template failed to compile or render
    ├── ContentError           malformed front matter (errors only with --strict)
    ├── FetchError             ssg.fetch failed (timeout, connection, no route for "/...")
    ├── DynamicUsageError      a request API was used where the route must be static
    ├── ExportError            output = "export" but some routes need a server
    ├── PublicLinkError        public/ holds symbolic links to files outside the site
    └── BuildError             a page failed to render; wraps the cause with route and URL

    ControlFlow                not errors: raised by pages to change what is sent
    ├── NotFound               ssg.not_found()
    ├── Redirect               ssg.redirect() / ssg.permanent_redirect()
    └── DynamicUsage           a request API read during a static render (dynamic="auto")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class SsgError(Exception):
    """A problem the site author can fix. `str(err)` is the full message."""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in ssg.toml (or in an environment override of it).

    Attributes:
        key: the key involved ("" for the file as a whole, e.g. bad TOML).
        message: what is wrong, quoting the value.
        fix: how to fix it (a "did you mean" for a misspelt key).
    """

    key: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.message}: {self.fix}"


class ConfigError(SsgError):
    """ssg.toml could not be read, or holds unknown keys or bad values.

    Attributes:
        source_file: the ssg.toml path.
        problems: every ConfigProblem found, each with its fix.
    """

    def __init__(self, source_file: Path, problems: Sequence[ConfigProblem]) -> None:
        self.source_file = source_file
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source_file}: {len(self.problems)} problem(s) in the config:\n{lines}")


class SiteNotFoundError(SsgError, FileNotFoundError):
    """The site folder given to a command does not exist.

    Attributes:
        site_dir: the folder asked for.
    """

    def __init__(self, site_dir: Path) -> None:
        self.site_dir = site_dir
        super().__init__(
            f"site folder {site_dir} does not exist: pass the folder that holds app/ "
            "(e.g. ssg build examples/blog)"
        )


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
        super().__init__(f"Found {len(self.problems)} routing problem(s) in app/:\n{lines}")


class ModuleError(SsgError):
    """A site module (page.py, layout.py, route.py) failed to import or has a bad value.

    Attributes:
        source_file: the module file.
        line: the line number where known, else None.
    """

    def __init__(self, message: str, *, source_file: Path | str, line: int | None = None) -> None:
        self.source_file = str(source_file)
        self.line = line
        where = f"{source_file}:{line}" if line else f"{source_file}"
        super().__init__(f"{where}: {message}")


class ModuleErrors(SsgError):
    """Several site modules failed to import; `errors` lists each ModuleError."""

    def __init__(self, errors: Sequence[ModuleError]) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"  - {e}" for e in self.errors)
        super().__init__(f"{len(self.errors)} site module(s) could not be loaded:\n{lines}")


class ParamsError(SsgError):
    """generate_static_params returned something other than a list of param dicts.

    Attributes:
        source_file: the module defining generate_static_params.
        route_pattern: the route, e.g. "/blog/[slug]".
        value: the offending value (the whole return or one item).
    """

    def __init__(
        self, message: str, *, source_file: Path | str, route_pattern: str, value: object
    ) -> None:
        self.source_file = str(source_file)
        self.route_pattern = route_pattern
        self.value = value
        super().__init__(
            f"{source_file}: generate_static_params for {route_pattern} {message}\n"
            f"  got: {value!r:.300}"
        )


class TemplateError(SsgError):
    """A Jinja2 template failed to compile or render.

    Attributes:
        template_file: the template file (as a path when known, else its name).
        line: the line in the template where known.
    """

    def __init__(self, message: str, *, template_file: str, line: int | None = None) -> None:
        self.template_file = template_file
        self.line = line
        where = f"{template_file}:{line}" if line else template_file
        super().__init__(f"{where}: {message}")


class ContentError(SsgError):
    """Front matter or a content file is malformed (an error only in --strict builds).

    Attributes:
        source_file: the content file.
        line: the line in the file where known.
    """

    def __init__(self, message: str, *, source_file: Path | str, line: int | None = None) -> None:
        self.source_file = str(source_file)
        self.line = line
        where = f"{source_file}:{line}" if line else f"{source_file}"
        super().__init__(f"{where}: {message}")


class FetchError(SsgError):
    """ssg.fetch could not get a response.

    Attributes:
        url: the URL as given to ssg.fetch.
        route_pattern: the route being rendered when it failed, if any.
        closest_route: for a relative URL with no matching route, the nearest one.
        source_file: the site file that called ssg.fetch (relative to the site), where known.
        line: the line of that call, where known.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        route_pattern: str | None = None,
        closest_route: str | None = None,
        source_file: str | None = None,
        line: int | None = None,
    ) -> None:
        self.url = url
        self.route_pattern = route_pattern
        self.closest_route = closest_route
        self.source_file = source_file
        self.line = line
        super().__init__(message)


class DynamicUsageError(SsgError):
    """A request API (cookies(), headers(), ...) was used where the route must be static.

    Attributes:
        route_pattern: the route, e.g. "/x".
        call: the API used, e.g. "cookies()".
        source_file: the file to change (where `dynamic` should be set).
    """

    def __init__(self, message: str, *, route_pattern: str, call: str, source_file: str) -> None:
        self.route_pattern = route_pattern
        self.call = call
        self.source_file = source_file
        super().__init__(message)


class ExportError(SsgError):
    """output = "export" but some routes need a server; `problems` lists each with the fix."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f'output = "export" writes plain files only, but {len(self.problems)} route(s) '
            f"need a server:\n{lines}"
        )


class PublicLinkError(SsgError):
    """public/ holds symbolic links that point outside the site (never published).

    A link is followed when public/ is copied, so a link to a file outside the
    site would publish it (a private key, /etc/passwd).

    Attributes:
        links: each link (the path inside public/) and where it points (resolved).
    """

    def __init__(self, links: Sequence[tuple[Path, Path]]) -> None:
        self.links = list(links)
        lines = "\n".join(f"  - {link} -> {target}" for link, target in self.links)
        super().__init__(
            f"{len(self.links)} symbolic link(s) in public/ point outside the site, and ssg "
            f"publishes nothing from outside it:\n{lines}\n"
            "Copy the file into public/ instead of linking it (cp --dereference), or point "
            "the link at a file inside the site."
        )


class BuildError(SsgError):
    """Rendering a page failed during the build.

    Attributes:
        route_pattern: the route, e.g. "/blog/[slug]".
        url_path: the URL being rendered, e.g. "/blog/hello".
    """

    def __init__(self, message: str, *, route_pattern: str, url_path: str) -> None:
        self.route_pattern = route_pattern
        self.url_path = url_path
        super().__init__(message)


class ControlFlow(Exception):
    """Base of the exceptions a page raises on purpose to change the response."""


class NotFound(ControlFlow):
    """Raised by ssg.not_found(): render the nearest not-found page with status 404."""


class Redirect(ControlFlow):
    """Raised by ssg.redirect() (307) and ssg.permanent_redirect() (308).

    Attributes:
        location: the target URL.
        status: 307 or 308.
    """

    def __init__(self, location: str, status: int) -> None:
        self.location = location
        self.status = status
        super().__init__(f"redirect {status} to {location}")


class DynamicUsage(ControlFlow):
    """A request API was read during a static render with dynamic = "auto".

    The renderer catches it and turns the route dynamic (at build) or fails the
    render (at runtime, as Next.js's "changed from static to dynamic").

    Attributes:
        call: the API used, e.g. "cookies()".
    """

    def __init__(self, call: str) -> None:
        self.call = call
        super().__init__(call)
