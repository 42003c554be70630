"""The ground floor: the render scope, the data services and the seams they name.

Imported by every layer above (content, modules, data, render, builder, isr), so it
imports from ssg at run time only the ground floor below it (`ssg.errors`, `ssg.reads`,
`ssg.recorded`, `ssg.revalidate`); the concrete types its
fields name (the memo, the data store, the request) are imported for annotations only.

One `RenderScope` exists per page render (a build page, a regeneration, an
on-demand render or a request) and is reachable from anywhere in that render
through `current_scope()`, which is how `ssg.fetch`, `ssg.cache` and the request
APIs find it without module-level state (a ContextVar is per asyncio task).
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ssg.errors import DynamicUsage, DynamicUsageError, OutsideRenderError
from ssg.reads import ReadKind, note_read
from ssg.recorded import recording
from ssg.revalidate import Revalidate

if TYPE_CHECKING:
    import aiohttp

    from ssg.data.cached_value import DataCache
    from ssg.data.memo import RequestMemo
    from ssg.data.response import FetchResponse
    from ssg.route_handlers.request import Request

Clock = Callable[[], float]
"""Returns the current time in epoch seconds (time.time); tests pass a fake."""


class DynamicMode(StrEnum):
    """A route segment's `dynamic` option, as Next.js route segment config `dynamic`.

    https://nextjs.org/docs/app/api-reference/file-conventions/route-segment-config#dynamic
    """

    AUTO = "auto"
    """Prerender when possible; reading the request makes the route dynamic."""
    FORCE_DYNAMIC = "force-dynamic"
    """Render per request."""
    FORCE_STATIC = "force-static"
    """Prerender; request APIs return empty values."""
    ERROR = "error"
    """Prerender; reading the request fails the build."""


class ServiceMode(Enum):
    """What the data services serve: one build, or a long-running server."""

    BUILD = "build"
    """`ssg build`: one build-wide request memo; content is read once."""
    SERVE = "serve"
    """`ssg serve` (or `ssg dev`): a memo per render; content is re-checked for edits."""


REQUEST_APIS: tuple[str, ...] = ("cookies()", "headers()", "search_params()")
"""The calls that read the request itself (others, like no-store fetches, only opt out of caching)."""


class Dispatcher(Protocol):
    """Calls this site's own route handler in-process for a relative fetch ("/api/x")."""

    async def __call__(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> FetchResponse: ...


class Revalidator(Protocol):
    """Marks cached pages stale on demand; the server provides one (Next.js revalidatePath/Tag).

    Plain calls that take effect before they return, so `ssg.revalidate_path`
    needs no `await` in a sync or async route handler; saving the marks for
    other workers and restarts is the provider's own background work.
    """

    def revalidate_path(self, url_path: str, type: str | None = None) -> int:
        """Mark the pages `url_path` (or a pattern with `type` "page"/"layout") names; how many."""
        ...

    def revalidate_tag(self, tag: str) -> int:
        """Drop data tagged `tag` and mark the pages that used it; return pages marked."""
        ...


class _HttpClient:
    """Holds the aiohttp session of a DataServices, created on first use."""

    __slots__ = ("session", "timeout_seconds")

    def __init__(self, timeout_seconds: float) -> None:
        self.timeout_seconds = timeout_seconds
        self.session: aiohttp.ClientSession | None = None


class Schedule:
    """The earliest time something a build or server left out falls due (a scheduled post).

    Filled by `RenderScope.record_due`; a build reports it, so a static export
    can be rebuilt then (a scheduled CI run).
    """

    __slots__ = ("next_due_at",)

    def __init__(self) -> None:
        self.next_due_at: float | None = None
        """Epoch seconds, or None when nothing is scheduled."""

    def note(self, due_at: float) -> None:
        """Keep `due_at` (epoch seconds) when it is the earliest so far."""
        if self.next_due_at is None or due_at < self.next_due_at:
            self.next_due_at = due_at


class PageIndex:
    """The URL paths of the build's prerendered pages that belong in a sitemap.

    Pages only (no route handler files, redirects or 404s) without `noindex`
    in their metadata's `robots`. A build fills it once every page's data is
    loaded and before its route handlers run; a server fills it from the
    build's manifest. None until then (and in `ssg dev`, which has no build).
    """

    __slots__ = ("url_paths",)

    def __init__(self) -> None:
        self.url_paths: tuple[str, ...] | None = None


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class DataServices:
    """Long-lived data services: one per build, one per server (never reassigned).

    Attributes:
        mode: a build or a server (decides memo lifetime and content re-checks).
        clock: the time source (epoch seconds).
        dispatch: in-process route handler calls for relative URLs.
        store: the persistent data cache, or None when disabled.
        build_memo: the build-wide request memo; None at serve time, where each
            render gets its own memo (as Next.js: memoization lasts one render).
        fetch_timeout_seconds: total timeout of one upstream fetch.
        fetch_max_bytes: largest upstream response body a fetch reads (bytes).
        site_dir: the site's root folder; relative content paths resolve against it.
        shared: long-lived memos keyed by name (e.g. parsed content collections),
            living as long as the build or the server.
        revalidator: the server's ISR revalidator; None during a build.
        site_values: the site's config as templates see it (`site`), for ssg.site_config().
        strict: content problems (malformed front matter or dates) fail the build
            instead of warning (`ssg build --strict`).
        include_drafts: content collections keep drafts and future-dated
            entries (`ssg build --drafts`, and `ssg dev`, which turns it on);
            False leaves them out, as `ssg build` and `ssg serve` do.
        schedule: when the next entry left out for its future date falls due.
        page_index: the build's prerendered, indexable pages (for sitemaps).
        content_cache_dir: where parsed content files are kept across builds and
            servers (`cache_dir/content`), or None to keep nothing.
        force: ignore what earlier builds kept (the content cache) and rewrite
            it (`ssg build --force`).
    """

    mode: ServiceMode
    clock: Clock
    dispatch: Dispatcher
    site_dir: Path = field(default_factory=Path.cwd)
    shared: dict[str, Any] = field(default_factory=dict)
    revalidator: Revalidator | None = None
    site_values: dict[str, Any] = field(default_factory=dict)
    strict: bool = False
    include_drafts: bool = False
    store: DataCache | None = None
    build_memo: RequestMemo | None = None
    fetch_timeout_seconds: float = 30.0
    fetch_max_bytes: int = 33_554_432
    schedule: Schedule = field(default_factory=Schedule, compare=False)
    page_index: PageIndex = field(default_factory=PageIndex, compare=False)
    content_cache_dir: Path | None = None
    force: bool = False
    _http: _HttpClient = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_http", _HttpClient(self.fetch_timeout_seconds))

    def client_session(self) -> aiohttp.ClientSession:
        """Return the shared aiohttp session, creating it on first use.

        aiohttp is imported here, not at module level, so a build whose fetches
        all stay in-process never pays for importing it.
        """
        import aiohttp

        http = self._http
        if http.session is None or http.session.closed:
            http.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=http.timeout_seconds)
            )
        return http.session

    async def aclose(self) -> None:
        """Close the client session and the store, if open."""
        session = self._http.session
        if session is not None and not session.closed:
            await session.close()
        if self.store is not None:
            self.store.close()


@dataclass(eq=False)  # identity equality: no generated __eq__
class RenderScope:
    """One render's context and its records.

    Attributes:
        route_pattern: e.g. "/blog/[slug]".
        url_path: e.g. "/blog/hello".
        dynamic: the route's effective `dynamic` mode.
        config_file: the module where the user would set `dynamic` (for messages),
            e.g. "app/blog/[slug]/page.py".
        services: the build's or server's data services.
        memo: the request memo of this render (the build-wide one at build).
        request: the incoming request for a dynamic render; None for a static
            render (build, regeneration, on-demand ISR render).
        revalidate: lowest revalidate recorded by cached fetches and ssg.cache
            entries during this render; NEVER when none was recorded.
        tags: cache tags used by fetches and ssg.cache entries.
        data_keys: the data-cache keys this render read or stored (fetches and
            ssg.cache entries with a data cache policy); revalidate_path expires
            them so the page's regeneration reads fresh data.
        dynamic_calls: request APIs read while rendering (for the build report).
        bundle_dirs: page-bundle folders whose files are published next to
            this page's URL (the entries it looked up with `Collection.get`).
        shows_unpublished: the page looked up a draft or a future-dated entry
            (`ssg build --drafts`): it stays out of sitemaps.
        due_at: the earliest date a scheduled post this render left out falls
            due (epoch seconds), else None; see `record_due`.
        generating_params: this scope runs generate_static_params (build only):
            request APIs fail with a clear error, uncached fetches are allowed.
    """

    route_pattern: str
    url_path: str
    dynamic: DynamicMode
    config_file: str
    services: DataServices
    memo: RequestMemo
    request: Request | None = None
    revalidate: Revalidate = Revalidate.NEVER
    tags: set[str] = field(default_factory=set)
    data_keys: set[str] = field(default_factory=set)
    dynamic_calls: list[str] = field(default_factory=list)
    generating_params: bool = False
    bundle_dirs: dict[Path, tuple[str, ...]] = field(default_factory=dict)
    shows_unpublished: bool = False
    due_at: float | None = None

    def record_revalidate(self, revalidate: Revalidate) -> None:
        """Record a data revalidate; as Next.js revalidate, the lowest value wins.

        A cached call (`ssg.cache`) running inside `collect_recorded()` also keeps
        it, so its memo hits record it again.
        """
        self.revalidate = self.revalidate.lowest(revalidate)
        collector = recording()
        if collector is not None:
            collector.revalidate = collector.revalidate.lowest(revalidate)

    def record_due(self, due_at: float) -> None:
        """Record that this render left out something published at `due_at` (epoch seconds).

        A scheduled post: the page must be rendered again once it is out, so its
        revalidate becomes at most the seconds until then (the lowest wins, as
        for fetches), rounded up to a whole second and at least 1 (0 would make
        the route dynamic). A cached call (`ssg.cache`) running inside
        `collect_recorded()` also keeps the time, so its memo hits record it again.
        """
        self.record_revalidate(Revalidate.after(max(1, math.ceil(due_at - self.services.clock()))))
        self.due_at = due_at if self.due_at is None else min(self.due_at, due_at)
        self.services.schedule.note(due_at)
        collector = recording()
        if collector is not None:
            collector.due.append(due_at)

    def record_bundle(self, bundle_dir: Path, names: tuple[str, ...]) -> None:
        """Publish a page bundle's files (`names`, relative to `bundle_dir`) beside this page."""
        self.bundle_dirs[bundle_dir] = names

    def record_tags(self, tags: Iterable[str]) -> None:
        """Record cache tags used by this render (for revalidate_tag)."""
        tags = tuple(tags)
        self.tags.update(tags)
        collector = recording()
        if collector is not None:
            collector.tags.update(tags)

    def record_data_key(self, data_key: str) -> None:
        """Record a data-cache key this render read or stored (revalidate_path expires it)."""
        self.data_keys.add(data_key)
        collector = recording()
        if collector is not None:
            collector.data_keys.add(data_key)

    def use_dynamic(self, call: str) -> bool:
        """Declare that this render reads the request (e.g. call="cookies()").

        Returns:
            True when a request is available (a dynamic render): read it.
            False under dynamic = "force-static": return empty values.

        Raises:
            DynamicUsageError: dynamic = "error" (Next.js's message: "Route /x with
                `dynamic = "error"` couldn't be rendered statically because it used
                `cookies`"), or a request
                API read in generate_static_params.
            DynamicUsage: dynamic = "auto" during a static render; the builder
                turns the route dynamic, the server reports a runtime change.
        """
        if self.request is not None:
            self.dynamic_calls.append(call)
            return True
        if self.generating_params:
            if call in REQUEST_APIS:
                raise DynamicUsageError(
                    f"generate_static_params in {self.config_file} used {call}, but it runs "
                    "at build time only, where there is no request. Read the request in load() "
                    'of a route with dynamic = "force-dynamic", or drop the call.',
                    route_pattern=self.route_pattern,
                    call=call,
                    source_file=self.config_file,
                )
            # An uncached fetch while listing params is fine (as Next.js): fetch, don't store.
            note_read((ReadKind.VOLATILE, call))  # and its answer may differ next build
            return False
        if self.dynamic is DynamicMode.FORCE_STATIC:
            if call not in REQUEST_APIS:
                # An uncached fetch: no record proves it unchanged.
                note_read((ReadKind.VOLATILE, call))
            return False
        if self.dynamic is DynamicMode.ERROR:
            raise DynamicUsageError(
                f"Route {self.route_pattern} couldn't be rendered statically because it "
                f'used {call}. Set dynamic = "force-dynamic" in {self.config_file} to render '
                "it per request, or stop reading the request.",
                route_pattern=self.route_pattern,
                call=call,
                source_file=self.config_file,
            )
        raise DynamicUsage(call)


_current: contextvars.ContextVar[RenderScope | None] = contextvars.ContextVar(
    "ssg_render_scope", default=None
)


def current_scope() -> RenderScope | None:
    """Return the scope of the render running in this task, or None outside a render."""
    return _current.get()


def require_scope(call: str, hint: str) -> RenderScope:
    """The current render's scope, for a public API that only works inside a render.

    Args:
        call: the API as users write it, e.g. "cookies()".
        hint: where to call it instead, e.g. "inside load() or a route handler".

    Raises:
        OutsideRenderError: no render is running in this task.
    """
    scope = _current.get()
    if scope is None:
        raise OutsideRenderError(
            f"ssg.{call} was called outside a render: call it {hint}", call=call
        )
    return scope


@contextmanager
def enter_scope(scope: RenderScope) -> Iterator[RenderScope]:
    """Make `scope` current for the code inside the `with` block."""
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
