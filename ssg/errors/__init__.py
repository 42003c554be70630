"""Every exception ssg raises, and the control-flow signals pages raise.

Import them from here (`from ssg.errors import BuildError`): this is their one
name (each class's `__module__` says so, as httpx does for its package). The
modules of this package group them by where they happen: `base` (SsgError),
`signals`, `config`, `routing`, `site_files`, `api`, `dynamic`, `build`, `serve`.
`page_label` is how every message names a page ("/blog/a (route /blog/[slug])").

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

from ssg.errors.api import (
    ArgumentError,
    FetchError,
    HandlerReturnError,
    OutsideRenderError,
    RevalidateError,
)
from ssg.errors.base import SsgError, page_label
from ssg.errors.build import (
    BrokenLinksError,
    BuildError,
    ExportError,
    OutputConflictError,
    OutputDirError,
    PagesFailedError,
    PublicLinkError,
    WorkerExitError,
)
from ssg.errors.config import ConfigError, ConfigProblem, NewSiteError, SiteNotFoundError
from ssg.errors.dynamic import DynamicUsage, DynamicUsageError, RuntimeDynamicError
from ssg.errors.routing import RouteProblem, RouteScanError, SegmentNameError
from ssg.errors.serve import (
    BuildNotFoundError,
    CacheBackendError,
    ListenError,
    RegenerationError,
    RenderTimeoutError,
    ShutdownError,
)
from ssg.errors.signals import ControlFlow, NotFound, Redirect
from ssg.errors.site_files import (
    ContentError,
    ModuleError,
    ModuleErrors,
    ParamsError,
    TemplateError,
)

__all__ = [
    "ArgumentError",
    "BrokenLinksError",
    "BuildError",
    "BuildNotFoundError",
    "CacheBackendError",
    "ConfigError",
    "ConfigProblem",
    "ContentError",
    "ControlFlow",
    "DynamicUsage",
    "DynamicUsageError",
    "ExportError",
    "FetchError",
    "HandlerReturnError",
    "ListenError",
    "ModuleError",
    "ModuleErrors",
    "NewSiteError",
    "NotFound",
    "OutputConflictError",
    "OutputDirError",
    "OutsideRenderError",
    "PagesFailedError",
    "ParamsError",
    "PublicLinkError",
    "Redirect",
    "RegenerationError",
    "RenderTimeoutError",
    "RevalidateError",
    "RouteProblem",
    "RouteScanError",
    "RuntimeDynamicError",
    "SegmentNameError",
    "ShutdownError",
    "SiteNotFoundError",
    "SsgError",
    "TemplateError",
    "WorkerExitError",
    "page_label",
]

for _name in __all__:
    # One name per class: reprs, tracebacks and pickles say ssg.errors.X, not the module
    # of this package that defines it (so moving a class between them changes nothing).
    globals()[_name].__module__ = __name__
del _name
