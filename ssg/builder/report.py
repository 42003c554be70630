"""The route table printed after a build (as `next build`): ○ static, ● SSG, ISR Ns, ƒ dynamic."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ssg.builder.build_result import BuildResult, RouteResult
from ssg.plural import plural
from ssg.records import RenderKind
from ssg.routing.definitions import RouteKind

if TYPE_CHECKING:
    from rich.table import Table

DAY_SECONDS = 86_400
SYMBOLS = {RenderKind.STATIC: "○", RenderKind.SSG: "●", RenderKind.DYNAMIC: "ƒ"}
LEGEND = (
    "○ static   ● prerendered from generate_static_params   ƒ dynamic: per request",
    "ISR Ns: stale after N seconds, then regenerated in the background",
)
"""Two lines, each short enough for an 80-column terminal (rich would wrap one mid-sentence)."""
KIND_WORDS = {
    RenderKind.STATIC: "static",
    RenderKind.SSG: "prerendered",
    RenderKind.ISR: "ISR",
    RenderKind.DYNAMIC: "dynamic",
}
"""How the summary line counts routes of each kind, in the legend's words."""


def route_symbol(result: RouteResult, *, exported: bool = False) -> str:
    """The table's first column for a route.

    | render  | revalidate | symbol    |
    | ------- | ---------- | --------- |
    | static  | None       | ○         |
    | ssg     | None       | ●         |
    | isr     | 60         | ISR 60s (an export: ○, or ● with params; nothing regenerates files) |
    | isr     | 15296982   | ISR 177d (two days or more: whole days; a scheduled post's countdown) |
    | dynamic | any        | ƒ         |
    """
    if result.render is RenderKind.ISR and result.revalidate.is_timed:
        if exported:
            return SYMBOLS[RenderKind.SSG if result.route.is_dynamic_pattern else RenderKind.STATIC]
        seconds = result.revalidate.seconds
        if seconds >= 2 * DAY_SECONDS:
            return f"ISR {round(seconds / DAY_SECONDS)}d"
        return f"ISR {result.revalidate}"
    return SYMBOLS.get(result.render, "?")


def _due_dates(result: BuildResult) -> dict[str, float]:
    """Route pattern -> the earliest date (epoch s) a scheduled post one of its pages left
    out falls due; empty when the build left none out."""
    if result.next_due_at is None:
        return {}  # the manifest's pages are not parsed when no page can have one
    dates: dict[str, float] = {}
    for page in result.manifest.pages.values():
        if page.due_at is not None:
            known = dates.get(page.route_pattern)
            dates[page.route_pattern] = page.due_at if known is None else min(known, page.due_at)
    return dates


def _day(when: float) -> str:
    """An epoch time as its UTC day, "2027-06-01"."""
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d")


def print_report(
    result: BuildResult,
    console: Console,
    *,
    drafts: bool = False,
    expire_seconds: float | None = None,
) -> None:
    """Print the route table, counts, total time and pages/s.

    `drafts`: the build included drafts and scheduled posts (`ssg build --drafts`).
    `expire_seconds`: the site's setting; an ISR route whose revalidate is longer is
    warned of (its pages would expire before they go stale).
    """
    rows: list[tuple[str, str, str, str, str]] = []
    counts: dict[RenderKind, int] = {}
    due_dates = _due_dates(result)
    serve_only = 0  # an export's ISR routes: their revalidate applies under ssg serve only
    for row in result.routes:
        kind = row.render
        if result.exported and kind is RenderKind.ISR and row.revalidate.is_timed:
            serve_only += 1
            kind = RenderKind.SSG if row.route.is_dynamic_pattern else RenderKind.STATIC
        counts[kind] = counts.get(kind, 0) + 1
        notes = []
        due = due_dates.get(row.route.route_pattern)
        if due is not None and not result.exported:
            notes.append(f"stale when a scheduled post falls due ({_day(due)})")
        if row.dynamic_reason:
            notes.append(f"dynamic: used {row.dynamic_reason}")
        if row.route.is_dynamic_pattern and row.render != RenderKind.DYNAMIC and not row.url_paths:
            on_demand = row.route.kind is RouteKind.PAGE and row.dynamic_params
            notes.append("rendered on demand" if on_demand else "no pages (dynamic_params = False)")
        elif len(row.url_paths) > 3:
            notes.append(f"{', '.join(row.url_paths[:2])}, +{len(row.url_paths) - 2} more")
        elif row.route.is_dynamic_pattern and row.url_paths:
            notes.append(", ".join(row.url_paths))
        rows.append(
            (
                route_symbol(row, exported=result.exported),
                row.route.route_pattern,
                row.route.kind.value,
                str(len(row.url_paths)),
                "; ".join(notes),
            )
        )
    _print(console, _route_table(rows, console.width))
    # An export regenerates nothing: no ISR line in its legend.
    for line in LEGEND[:1] if result.exported else LEGEND:
        _print(console, f"[dim]{line}[/dim]")
    if serve_only:
        _print(
            console,
            f"[dim]The revalidate of {plural(serve_only, 'route')} applies under ssg serve "
            "only: an export's files are never regenerated[/dim]",
        )
    summary = ", ".join(f"{n} {KIND_WORDS[kind]}" for kind, n in sorted(counts.items()))
    broken = len(result.broken_links)
    _print(
        console,
        f"[dim]Link check: {result.link_check_seconds:.2f} s of CPU, "
        f"{plural(broken, 'broken link')}{' (listed above)' if broken else ''}[/dim]",
    )
    _print(console, f"[dim]{escape(render_counts(result))}[/dim]")
    _print(
        console,
        f"[bold green]Built[/] {plural(len(result.routes), 'route')} ({summary}), "
        f"{plural(result.pages_written, 'page')} in {result.seconds:.2f} s"
        f"{page_rate(result.pages_written, result.seconds)} -> {escape(str(result.out_dir))}",
    )
    if result.next_due_at is not None:
        _print(console, schedule_note(result, drafts=drafts))
    if expire_seconds is not None and not result.exported:
        for line in expire_warnings(result.routes, expire_seconds):
            _print(console, f"[yellow]Warning:[/] {escape(line)}")
    for line in case_warnings(result.routes):
        _print(console, f"[yellow]Warning:[/] {escape(line)}")


def case_warnings(routes: Iterable[RouteResult], shown: int = 5) -> list[str]:
    """URLs of the build that differ only in case ("/blog/Governance-wg", "/blog/governance-wg"):
    their files are one file on a case-insensitive file system (macOS, Windows, many
    CDNs' storage), so one overwrites the other there. At most `shown` lines, then a count.
    """
    by_folded: dict[str, list[str]] = {}
    for row in routes:
        for url_path in row.url_paths:
            by_folded.setdefault(url_path.casefold(), []).append(url_path)
    clashes = [urls for urls in by_folded.values() if len(urls) > 1]
    lines = [
        f"{' and '.join(urls)} differ only in case: one file overwrites the other on macOS "
        "and Windows; rename one"
        for urls in clashes[:shown]
    ]
    if len(clashes) > shown:
        lines.append(f"... and {plural(len(clashes) - shown, 'more such URL', 'more such URLs')}")
    return lines


def expire_warnings(routes: Iterable[RouteResult], expire_seconds: float) -> list[str]:
    """One line per ISR route whose revalidate exceeds `expire_seconds`: its pages would
    expire before going stale, so a CDN gets no stale-while-revalidate window.

    | revalidate, expire_seconds | line |
    | --- | --- |
    | 60, 10 | "/blog/[slug]: revalidate 60s is longer than expire_seconds = 10 ..." |
    | 60, 31536000 | none |
    """
    lines = []
    for row in routes:
        timed = row.render is RenderKind.ISR and row.revalidate.is_timed
        if timed and row.revalidate.seconds > expire_seconds:
            lines.append(
                f"{row.route.route_pattern}: revalidate {row.revalidate} is longer than "
                f"expire_seconds = {expire_seconds:g} in ssg.toml, so its pages expire "
                "before they go stale; raise expire_seconds or lower the revalidate"
            )
    return lines


_HEADER = ("", "Route", "Kind", "Pages", "Notes")
_RIGHT = 3  # the Pages column
_GAP = "  "


def _route_table(rows: list[tuple[str, str, str, str, str]], width: int) -> Text | Table:
    """The route table as a borderless rich Table lays it out (two spaces between columns,
    Pages aligned right, the header bold) when it fits in `width` columns, as text:
    rich's layout of each cell costs more than the rest of the report; else the Table
    itself, which wraps the notes."""
    table = [_HEADER, *rows]
    widths = [max(cell_len(cell) for cell in column) for column in zip(*table, strict=True)]
    if sum(widths) + len(_GAP) * (len(widths) - 1) > width:
        # Only here: rich.table loads fractions and decimal, for a table that rarely wraps.
        from rich.table import Table

        wrapped = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        for index, name in enumerate(_HEADER):
            wrapped.add_column(
                Text(name), no_wrap=index == 0, justify="right" if index == _RIGHT else "left"
            )
        for cells in rows:  # Text cells: no markup to parse, no emoji codes to replace
            wrapped.add_row(*(Text(cell) for cell in cells))
        return wrapped
    lines = []
    for cells in table:
        padded = []
        for index, (cell, size) in enumerate(zip(cells, widths, strict=True)):
            fill = " " * (size - cell_len(cell))
            padded.append(fill + cell if index == _RIGHT else cell + fill)
        lines.append(_GAP.join(padded))
    text = Text("\n".join(lines), no_wrap=True)
    text.stylize("bold", 0, len(lines[0]))
    return text


def _print(console: Console, renderable: object) -> None:
    """Print with no automatic highlighting or emoji codes: the styles are the markup's
    own, and rich would compile its highlighter's patterns and load its emoji table."""
    console.print(renderable, highlight=False, emoji=False)


def render_counts(result: BuildResult) -> str:
    """How many pages the build rendered and reused, and why it rendered all of them.

    | build                          | line                                                  |
    | ------------------------------ | ----------------------------------------------------- |
    | after one post's body was edited | Rendered 4 pages, reused 2,559 (changed: posts/a.md) |
    | after one post was deleted     | Rendered 3 pages, reused 2,558, removed 1 (changed: posts/, posts/b.md) |
    | after an edit of the root layout | Rendered 2,563 pages, reused 0 (changed: app/layout.html) |
    | after three posts were edited  | Rendered 9 pages, reused 2,554 (changed: posts/a.md, posts/b.md, posts/c.md) |
    | after five were                | Rendered 15 pages, reused 2,548 (changed: posts/a.md, posts/b.md, posts/c.md and 2 more) |
    | a page runs a program          | Rendered 1 page, reused 2,562 (rendered every build, as pages read another program's output) |
    | after an edit of ssg.toml      | Rendered 2,563 pages, reused 0 (full render: ssg.toml changed) |
    | with SSG_CONTENT_DIR changed   | Rendered 2,563 pages, reused 0 (full render: environment variable SSG_CONTENT_DIR changed) |
    | `ssg build --export` after `ssg build` | Rendered 2,563 pages, reused 0 (full render: output changed) |
    """
    line = f"Rendered {plural(result.pages_rendered, 'page')}, reused {result.pages_reused:,}"
    if result.pages_removed:
        line += f", removed {result.pages_removed:,}"
    if result.full_render_reason:
        line += f" (full render: {result.full_render_reason})"
    else:
        parts = [
            label + _first_three(names)
            for label, names in (
                ("changed: ", result.changed_inputs),
                ("rendered every build, as pages read ", result.never_kept),
            )
            if names
        ]
        if parts:
            line += f" ({'; '.join(parts)})"
    return line


def _first_three(names: tuple[str, ...]) -> str:
    more = len(names) - 3
    return ", ".join(names[:3]) + (f" and {more:,} more" if more > 0 else "")


def schedule_note(result: BuildResult, *, drafts: bool = False) -> str:
    """The line saying when the next scheduled post falls due, and what publishes it.

    With output = "export" nothing runs at that time, so the line says to
    rebuild then (e.g. a scheduled CI job); `ssg serve` publishes it by itself.
    A `drafts` build (`--drafts`) has the post's page already: only feeds and
    sitemaps (`ssg.feed`, `ssg.sitemap`), which never list a post before its date,
    wait for it.
    """
    assert result.next_due_at is not None  # print_report checked it
    when = datetime.fromtimestamp(result.next_due_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if drafts:
        return (
            f"Next scheduled post falls due at {when}: this --drafts build shows it already; "
            "feeds and sitemaps list it from then"
        )
    if result.exported:
        return (
            f"Next scheduled post falls due at {when}: this export leaves it out; "
            "rebuild at that time to publish it (e.g. a scheduled CI run)"
        )
    return f"Next scheduled post falls due at {when}: `ssg serve` publishes it then"


def page_rate(pages: int, seconds: float) -> str:
    """The summary's pages per second, in parentheses after a space; nothing when no page
    was written or no time was measured.

    | pages, seconds | result |
    | --- | --- |
    | 2563, 2.12 | " (1,209 pages/s)" |
    | 1, 0.19 | " (5.3 pages/s)" (under ten: two significant digits, never "0 pages/s") |
    | 1, 1.0 | " (1 page/s)" |
    | 1, 25.0 | " (0.04 pages/s)" |
    | 0, 0.05 | "" |
    """
    if pages == 0 or seconds <= 0:
        return ""
    rate = pages / seconds
    shown = f"{rate:,.0f}" if rate >= 10 else f"{rate:.2g}"  # 1,209 / 5.3 / 1 / 0.04
    return f" ({shown} page{'' if shown == '1' else 's'}/s)"
