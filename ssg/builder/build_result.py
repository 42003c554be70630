"""What a build plans and produces: planned pages, one result per route, the build's result."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ssg.records import Manifest, RenderKind, RouteRecord
from ssg.revalidate import Revalidate
from ssg.routing.definitions import Params, RouteDefinition

if TYPE_CHECKING:  # the link checker (and its HTML parser) is the build's alone
    from ssg.builder.links import BrokenLink


@dataclass(eq=False)  # identity equality: no generated __eq__
class RouteResult:
    """What the build did with one route (a row of the route table).

    The route's manifest record (`ssg.records.RouteRecord`: its render kind,
    revalidate and layouts) is `record`, settled as the build goes: planning
    makes a route dynamic or prerendered from params, a page that reads the
    request makes it dynamic, the rendered pages lower its revalidate and make
    it ISR. `render` and `revalidate` read and set that record (a setter
    replaces the frozen record); the other fields are what the build reports
    besides (the route table, the export check, the link check) and the
    manifest does not keep.

    Attributes:
        route: the route.
        record: its manifest record as settled so far.
        url_paths: the prerendered URL paths.
        dynamic_reason: the request API that made it dynamic at build, if any.
        params_count: how many params generate_static_params produced (None: no function).
        dynamic_params: the route's dynamic_params (unlisted params on demand, or 404).
    """

    route: RouteDefinition
    record: RouteRecord
    url_paths: list[str] = field(default_factory=list)
    dynamic_reason: str | None = None
    params_count: int | None = None
    dynamic_params: bool = True

    @classmethod
    def planned(
        cls,
        route: RouteDefinition,
        revalidate: Revalidate,
        layout_patterns: tuple[str, ...],
        *,
        dynamic_params: bool = True,
    ) -> RouteResult:
        """A route before the build decided anything: static, with its segments' revalidate."""
        record = RouteRecord(
            route_pattern=route.route_pattern,
            kind=route.kind,
            render=RenderKind.STATIC,
            revalidate=revalidate,
            layout_patterns=layout_patterns,
        )
        return cls(route=route, record=record, dynamic_params=dynamic_params)

    @property
    def render(self) -> RenderKind:
        """How the build renders it (○ static, ● ssg, ISR Ns, ƒ dynamic)."""
        return self.record.render

    @render.setter
    def render(self, value: RenderKind) -> None:
        if value is not self.record.render:
            self.record = replace(self.record, render=value)

    @property
    def revalidate(self) -> Revalidate:
        """The lowest effective revalidate of its pages (its segments' before any is rendered)."""
        return self.record.revalidate

    @revalidate.setter
    def revalidate(self, value: Revalidate) -> None:
        if value != self.record.revalidate:
            self.record = replace(self.record, revalidate=value)


@dataclass(eq=False)  # identity equality: no generated __eq__
class BuildResult:
    """The outcome of a successful build.

    Attributes:
        out_dir: the output folder.
        routes: one RouteResult per route, in resolution order.
        pages_written: prerendered pages and handler files written.
        seconds: wall time of the build (seconds).
        manifest: the manifest as written to out/_ssg/manifest.json.
        params_calls: how many times generate_static_params functions ran.
        next_due_at: when the next entry left out for its future date (a
            scheduled post) falls due, epoch seconds; None when none is.
        broken_links: internal links nothing in the build answers (warnings).
        link_check_seconds: CPU seconds the link check took (reading links out
            of pages, in both render processes, then resolving them).
        exported: the build was a static export (output = "export").
        pages_rendered: pages (and handler files) this build rendered.
        pages_reused: pages an incremental build proved unchanged and took as they were.
        pages_removed: pages of the last build this one no longer has (a post deleted).
        full_render_reason: why every page was rendered ("ssg.toml changed",
            "--force", "no previous build"), or None for an incremental build.
        changed_inputs: what an incremental build found changed since the last build
            (`PreviousBuild.changed_inputs`: "posts/hello.md", "layout.html").
        never_kept: what pages read that no record keeps, so they are rendered every
            build ("another program's output", 'the data cache (ssg.fetch("https://api/x"))').
    """

    out_dir: Path
    # Left out of repr: thousands of pages. Python 3.11's asyncio.run formats the
    # finished main task, result included, when it restores the SIGINT handler.
    routes: list[RouteResult] = field(repr=False)
    pages_written: int
    seconds: float
    manifest: Manifest = field(repr=False)
    params_calls: int = 0
    next_due_at: float | None = None
    broken_links: list[BrokenLink] = field(default_factory=list)
    link_check_seconds: float = 0.0
    exported: bool = False
    pages_rendered: int = 0
    pages_reused: int = 0
    pages_removed: int = 0
    full_render_reason: str | None = None
    changed_inputs: tuple[str, ...] = ()
    never_kept: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class PlannedPage:
    """One page the plan will render: its route, params and URL path."""

    route: RouteDefinition
    params: Params
    url_path: str
