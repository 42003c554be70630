"""Every exception ssg raises, and the control-flow signals pages raise.

User errors derive from `SsgError`: the CLI prints their message (no
traceback) and exits 1. Anything else is a bug in ssg and keeps its traceback.
Where a stdlib base helps callers, a class has it as a second base (as
werkzeug's `BuildError(RoutingException, LookupError)`). Pages may catch the
ones `ssg` exports: `SsgError`, `FetchError`, `ControlFlow`, `NotFound`, `Redirect`.

    SsgError
    ├── ConfigError            ssg.toml is unreadable or has bad values (all at once, `.problems`)
    ├── SiteNotFoundError      the site folder does not exist (also FileNotFoundError)
    ├── BuildNotFoundError     `ssg serve` finds no build in out/ (also FileNotFoundError)
    ├── SegmentNameError       a folder name under app/ breaks the grammar (also ValueError)
    ├── RouteScanError         app/ has routing problems (all at once, `.problems`)
    ├── ModuleError            page.py / layout.py / route.py failed to import or holds a bad value
    ├── ModuleErrors           several ModuleErrors, reported at once (`.errors`)
    ├── ParamsError            generate_static_params returned a wrong shape
    ├── TemplateError          a Jinja2 template failed to compile or render
    ├── ContentError           malformed front matter (errors only with --strict)
    ├── FetchError             ssg.fetch failed (timeout, connection, no route for "/...")
    ├── HandlerReturnError     a route handler returned a value ssg cannot send (also TypeError)
    ├── OutsideRenderError     a render-only API called outside a render (also RuntimeError)
    ├── ArgumentError          a public API got a bad argument (also TypeError and ValueError)
    │   └── RevalidateError        ... revalidate_path / revalidate_tag
    ├── DynamicUsageError      a request API was used where the route must be static
    │   └── RuntimeDynamicError    ... found while the server rendered it
    ├── ExportError            output = "export" but some routes need a server (`.problems`)
    ├── OutputDirError         the output folder would destroy something if replaced
    ├── OutputConflictError    two sources would write one output file
    ├── PublicLinkError        public/ holds symbolic links to files outside the site
    ├── RenderTimeoutError     an on-demand render or a regeneration took too long (also a TimeoutError)
    ├── BuildError             a page failed to render; wraps the cause with route and URL
    ├── PagesFailedError       several pages failed to render (`.failures`)
    ├── BrokenLinksError       --strict: the output links to URLs nothing answers (`.links`)
    ├── RegenerationError      a server render could not be cached (route gone, 5xx, disk)
    ├── WorkerExitError        a render or server worker process died
    ├── ListenError            `ssg serve` cannot listen on the address (also OSError)
    ├── CacheBackendError      cache_url names a backend ssg cannot open (also ValueError)
    ├── ShutdownError          `ssg serve` stopped with requests or regenerations abandoned
    └── NewSiteError           `ssg new` was given a folder that is not empty (also FileExistsError)

    ControlFlow                not errors: raised by pages to change what is sent
    ├── NotFound               ssg.not_found()
    ├── Redirect               ssg.redirect() / ssg.permanent_redirect()
    └── DynamicUsage           a request API read during a static render (dynamic="auto")
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType


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


class BuildNotFoundError(SsgError, FileNotFoundError):
    """`ssg serve` found no build (or one from another ssg version) in the output folder.

    Attributes:
        out_dir: the output folder searched.
        site_dir: the site folder (for the `ssg build` hint).
    """

    def __init__(self, out_dir: Path, site_dir: Path) -> None:
        self.out_dir = out_dir
        self.site_dir = site_dir
        super().__init__(
            f"No build found in {out_dir} (out/_ssg/manifest.json is missing or from "
            f"another ssg version): run `ssg build {site_dir}` first."
        )


class SegmentNameError(SsgError, ValueError):
    """A folder name under app/ that breaks the grammar; the scanner turns it into a RouteProblem.

    Attributes:
        name: the folder name as written, e.g. "[my-slug]".
        reason: what is wrong, e.g. "'my-slug' is not a Python identifier".
        suggestion: the corrected folder name ("[my_slug]"), or None when there is
            no single right answer.
    """

    def __init__(self, name: str, reason: str, suggestion: str | None = None) -> None:
        self.name = name
        self.reason = reason
        self.suggestion = suggestion
        fix = f"; rename it to {suggestion}" if suggestion else ""
        super().__init__(f"folder name {name!r}: {reason}{fix}")


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
        source_file: the same as template_file (the field every located error has).
        line: the line in the template where known.
    """

    def __init__(self, message: str, *, template_file: str, line: int | None = None) -> None:
        self.template_file = template_file
        self.source_file = template_file
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


class HandlerReturnError(SsgError, TypeError):
    """A route handler returned a value ssg cannot send (a set, a streaming response...).

    Attributes:
        value_type: the returned value's type name, e.g. "set".
        source_file: the route.py that returned it, where known.
    """

    def __init__(self, message: str, *, value_type: str, source_file: str | None = None) -> None:
        self.value_type = value_type
        self.source_file = source_file
        super().__init__(f"{source_file}: {message}" if source_file else message)


class OutsideRenderError(SsgError, RuntimeError):
    """An API that needs a render (or the server's event loop) was called elsewhere.

    Attributes:
        call: the API as users write it, e.g. "cookies()".
    """

    def __init__(self, message: str, *, call: str) -> None:
        self.call = call
        super().__init__(message)


class ArgumentError(SsgError, TypeError, ValueError):
    """A public function or class of ssg got an argument it cannot use.

    Both a TypeError and a ValueError, so code that catches either keeps
    working (as numpy's `AxisError(ValueError, IndexError)`). The message
    starts with the file and line that made the call: the first frame on the
    stack outside ssg, the standard library and installed packages.

    Attributes:
        call: the API as users write it, e.g. "ssg.Response".
        source_file: the calling file (absolute), or None when not found.
        line: the calling line, or None.
    """

    def __init__(self, message: str, *, call: str) -> None:
        self.call = call
        self.source_file, self.line = _calling_line()
        where = f"{self.source_file}:{self.line}: " if self.source_file else ""
        super().__init__(f"{where}{message}")


class RevalidateError(ArgumentError):
    """ssg.revalidate_path or ssg.revalidate_tag got an argument it cannot use.

    Attributes:
        call: "revalidate_path" or "revalidate_tag".
        value: the argument as given.
        (source_file, line: as ArgumentError.)
    """

    def __init__(self, message: str, *, call: str, value: object) -> None:
        self.value = value
        super().__init__(message, call=call)


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


class RuntimeDynamicError(DynamicUsageError):
    """A static or ISR route read the request while the server rendered it.

    Next.js fails such a render with "Route ... changed from static to
    dynamic at runtime"; so does ssg, and the last good page keeps being served.
    (Fields as DynamicUsageError; `source_file` is where to set `dynamic`.)
    """

    def __init__(self, route_pattern: str, call: str, source_file: str) -> None:
        super().__init__(
            f"Route {route_pattern} changed from static to dynamic at runtime: it used {call}. "
            f'Set dynamic = "force-dynamic" in {source_file} to render it per request, or '
            "stop reading the request.",
            route_pattern=route_pattern,
            call=call,
            source_file=source_file,
        )


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


class OutputDirError(SsgError):
    """The output folder cannot be replaced by a build without destroying something.

    Attributes:
        out_dir: the output folder (absolute).
    """

    def __init__(self, message: str, *, out_dir: Path) -> None:
        self.out_dir = out_dir
        super().__init__(message)


class OutputConflictError(SsgError):
    """Two sources (pages, public/ files, ssg's own files) would write one output file.

    Attributes:
        output_file: the output file, relative to the output folder.
        url_path: the later page's URL where a page is involved, else None.
    """

    def __init__(self, message: str, *, output_file: str, url_path: str | None = None) -> None:
        self.output_file = output_file
        self.url_path = url_path
        super().__init__(message)


class RenderTimeoutError(SsgError, TimeoutError):
    """An on-demand render or a regeneration ran past `render_timeout_seconds` and was stopped.

    Attributes:
        url_path: the URL being rendered, e.g. "/blog/hello".
        route_pattern: its route, e.g. "/blog/[slug]".
        timeout_seconds: the limit it ran past (seconds).
    """

    def __init__(self, *, url_path: str, route_pattern: str, timeout_seconds: float) -> None:
        self.url_path = url_path
        self.route_pattern = route_pattern
        self.timeout_seconds = timeout_seconds
        super().__init__(
            f"rendering {url_path} (route {route_pattern}) took longer than "
            f"render_timeout_seconds = {timeout_seconds:g} s and was stopped. Find what its "
            "load() or fetches wait for (an upstream that never answers?), or raise "
            "render_timeout_seconds in ssg.toml."
        )


class BuildError(SsgError):
    """Rendering a page failed during the build.

    Attributes:
        route_pattern: the route, e.g. "/blog/[slug]".
        url_path: the URL being rendered, e.g. "/blog/hello".
        source_file: the site or theme file where it failed (relative to the
            site), where known.
        line: the line in that file, where known.
    """

    def __init__(
        self,
        message: str,
        *,
        route_pattern: str,
        url_path: str,
        source_file: str | None = None,
        line: int | None = None,
    ) -> None:
        self.route_pattern = route_pattern
        self.url_path = url_path
        self.source_file = source_file
        self.line = line
        super().__init__(message)


class PagesFailedError(SsgError):
    """Several pages failed during the build; `failures` holds each page's error.

    Attributes:
        failures: every error (BuildError or OutputConflictError), by URL.
        shown: how many of them the message lists (the rest are counted).
    """

    def __init__(self, failures: Sequence[SsgError], *, shown: int) -> None:
        self.failures = list(failures)
        self.shown = shown
        text = "\n".join(f"  - {e}" for e in self.failures[:shown])
        more = len(self.failures) - shown
        if more > 0:
            text += f"\n  ... and {more} more"
        super().__init__(f"{len(self.failures)} page(s) failed to render:\n{text}")


class BrokenLinksError(SsgError):
    """A --strict build whose pages link to URLs no page, file or route answers.

    Attributes:
        links: each broken link (`ssg.builder.links.BrokenLink`: page, link,
            target, reason).
    """

    def __init__(self, message: str, *, links: Sequence[object]) -> None:
        self.links = list(links)
        super().__init__(message)


class RegenerationError(SsgError):
    """A render at serve time produced nothing to cache; the last good page stays.

    Attributes:
        url_path: the URL being regenerated.
    """

    def __init__(self, message: str, *, url_path: str) -> None:
        self.url_path = url_path
        super().__init__(message)


class WorkerExitError(SsgError):
    """A worker process (a build's render worker, or a server worker) died.

    Attributes:
        exit_codes: each dead worker's exit code (negative: killed by that signal).
    """

    def __init__(self, message: str, *, exit_codes: Sequence[int | None]) -> None:
        self.exit_codes = tuple(exit_codes)
        super().__init__(message)


class ListenError(SsgError, OSError):
    """`ssg serve` cannot listen on host:port (in use, not an address of this machine...).

    Attributes:
        host: the host asked for.
        port: the port asked for.
    """

    def __init__(self, message: str, *, host: str, port: int) -> None:
        self.host = host
        self.port = port
        super().__init__(message)


class CacheBackendError(SsgError, ValueError):
    """`cache_url` names a backend ssg cannot use (unknown scheme, redis-py missing).

    Attributes:
        cache_url: the URL as configured.
        fix: what to do about it.
    """

    def __init__(self, message: str, *, fix: str, cache_url: str) -> None:
        self.cache_url = cache_url
        self.fix = fix
        super().__init__(f"{message}: {fix}")


class ShutdownError(SsgError):
    """`ssg serve` shut down before its work was done (the process exits 1).

    Attributes:
        requests: requests answered 503 after the grace period.
        regenerations: regenerations cancelled (their previous pages stay).
    """

    def __init__(self, message: str, *, requests: int, regenerations: int) -> None:
        self.requests = requests
        self.regenerations = regenerations
        super().__init__(message)


class NewSiteError(SsgError, FileExistsError):
    """`ssg new DIR` refused DIR: it exists and is not empty, or is a file.

    Attributes:
        target_dir: the folder given.
    """

    def __init__(self, message: str, *, target_dir: Path) -> None:
        self.target_dir = target_dir
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


_PACKAGE_DIR = __file__.rsplit("/", 1)[0] + "/"
_LIBRARY_DIRS = tuple({sys.prefix + "/", sys.base_prefix + "/", sys.exec_prefix + "/"})


def _calling_line() -> tuple[str | None, int | None]:
    """The innermost frame outside ssg, the standard library and installed packages."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        file = frame.f_code.co_filename
        if not file.startswith((_PACKAGE_DIR, "<", *_LIBRARY_DIRS)):
            return file, frame.f_lineno
        frame = frame.f_back
    return None, None
