"""`ssg build SITE`: build the site, with a progress bar on long builds, then the route table."""

from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ssg.builder.build_result import BuildResult
from ssg.builder.builder import build_site_in_new_loop
from ssg.builder.keeper import Keeper
from ssg.config import load_config
from ssg.content.early import early_parse

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

PROGRESS_MIN_PAGES = 200

BUILD_GC_THRESHOLDS = (5000, 20, 10)
"""The collector's thresholds while a build runs (Python's default is (700, 10, 10)).

A build allocates its content and pages in bulk and keeps most of them to its end:
with the default thresholds the collector walks them again and again (full passes
included) for little to free. Fewer, larger young collections; full passes still run,
so cyclic garbage is still freed during the build. Forked workers inherit the setting.
"""


def run(
    site_dir: Path,
    *,
    out_dir: Path | None = None,
    export: bool = False,
    strict: bool = False,
    drafts: bool = False,
    base_url: str | None = None,
    base_path: str | None = None,
    force: bool = False,
    console: Console | None = None,
) -> BuildResult:
    """Build `site_dir` and print the route table.

    `force` ignores what earlier builds kept in the cache folder (parsed
    content) and rewrites it.

    Raises:
        SsgError: any site problem (the CLI prints it and exits 1).
    """
    # rich (its console, the bar) loads here for a terminal only; for a pipe or a log it
    # loads for the summary, while the Keeper's child writes the records.
    if console is None and _may_be_terminal():
        console = _console()
    config = load_config(
        site_dir,
        out_dir=out_dir,
        output="export" if export else None,
        base_url=base_url,
        base_path=base_path,
    )
    logging.getLogger("ssg").setLevel(logging.INFO)
    # The bar is drawn on a terminal only (rich.progress is not imported for a pipe or CI log).
    progress = _progress_bar(console) if console is not None and console.is_terminal else None
    task = None

    def on_progress(done: int, total: int) -> None:
        nonlocal task
        if progress is None or total < PROGRESS_MIN_PAGES:
            return
        if task is None:
            progress.start()
            task = progress.add_task("render", total=total)
        progress.update(task, completed=done)

    thresholds = gc.get_threshold()
    gc.set_threshold(*BUILD_GC_THRESHOLDS)
    # What the next build reads is written by a child while the summary prints.
    with Keeper() as keeper:
        try:
            # A cold build's content parse begins here, while the renderers import.
            with early_parse(config.site_dir, config.cache_dir, force=force) as parsing:
                if parsing:
                    # The summary's modules (rich) load while the content parses, which
                    # the build waits for anyway, rather than at the end.
                    import ssg.builder.report  # noqa: F401
                result = build_site_in_new_loop(
                    config,
                    on_progress=on_progress,
                    strict=strict,
                    include_drafts=drafts,
                    force=force,
                    remove_old_in_background=True,
                    keeper=keeper,
                )
        finally:
            gc.set_threshold(*thresholds)
            if progress is not None:
                progress.stop()
        from ssg.builder.report import print_report

        print_report(result, _console(console), drafts=drafts, expire_seconds=config.expire_seconds)
    return result


def _may_be_terminal() -> bool:
    """Whether rich may take stdout for a terminal: a tty, or its FORCE_COLOR/TTY_COMPATIBLE set."""
    if "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ:
        return True
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except ValueError:  # a closed stdout
        return False


def _console(console: Console | None = None) -> Console:
    """`console`, or a new one for stdout; piped output (CI logs) gets a wide table
    instead of rich's 80 columns.

    A new console prints text as it is: no ":name:" emoji codes (a route or file named
    "a:fire:b" stays as written), and rich's table of emoji names is never imported.
    """
    if console is None:
        from rich.console import Console

        console = Console(emoji=False)
    if not console.is_terminal:
        console.width = max(console.width, 120)
    return console


def _progress_bar(console: Console) -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("Rendering"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
