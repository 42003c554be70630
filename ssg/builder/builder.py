"""The build: the short cut when no input changed, else load, plan, render and write (`pipeline`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from ssg.builder.build_result import BuildResult
from ssg.builder.keeper import Keeper
from ssg.builder.unchanged import unchanged_build
from ssg.config import SiteConfig
from ssg.scope import Clock


async def build_site(
    config: SiteConfig,
    *,
    clock: Clock = time.time,
    on_progress: Callable[[int, int], None] | None = None,
    strict: bool = False,
    include_drafts: bool = False,
    force: bool = False,
    remove_old_in_background: bool = False,
    keeper: Keeper | None = None,
) -> BuildResult:
    """Build the site into config.out_dir.

    When every input file still has the stamp the last build left and nothing
    else it depends on changed (`ssg.builder.unchanged`), only the manifest's
    build id and times are rewritten. Otherwise the phases (`ssg.builder.pipeline`):
    load (scan routes, import modules) -> plan (generate_static_params)
    -> prepare every page's data concurrently (every fetch in this process, so
    the build-wide memo makes an identical GET once) -> finish the templates
    and write them into a staging folder (shared with a forked process on large
    builds) -> check export -> manifest -> swap the staging folder in for out/.
    Any failure leaves the previous out/ intact.

    Args:
        config: the site config.
        clock: epoch seconds; pages count as generated at the build's end time.
        on_progress: called with (pages done, pages total) while the templates
            are finished (pages settled by their data, such as redirects, count
            as done from the start).
        strict: content problems fail the build instead of warning.
        include_drafts: content collections keep drafts and future-dated
            entries (`ssg build --drafts`); they are never in feeds or sitemaps.
        force: ignore what earlier builds kept under `cache_dir` (parsed content,
            page links, the pages of the last build and what they read) and
            render every page (`ssg build --force`).
        remove_old_in_background: delete the previous out/ (swapped out) in a
            detached process instead of before returning (`ssg build`).
        keeper: after a build that rendered many pages, write what the next
            build reads (records, links, input stamps) in this Keeper's forked
            child while the caller goes on (`ssg build`: its summary); the caller
            waits for it by leaving the Keeper's block. None: written before returning.

    Returns:
        The BuildResult.

    Raises:
        SsgError: any problem in the site (route scan, modules, params,
            templates, fetches, export), with the files involved and the fix.
    """
    started = time.perf_counter()
    kept = None if force else _kept_build(config, clock, include_drafts, strict, started)
    if kept is not None:
        return kept
    # The renderers (Jinja2, Markdown, Pygments, aiohttp) load only when something changed.
    from ssg.builder.pipeline import run_build

    return await run_build(
        config,
        clock=clock,
        on_progress=on_progress,
        strict=strict,
        include_drafts=include_drafts,
        force=force,
        remove_old_in_background=remove_old_in_background,
        started=started,
        keeper=keeper,
    )


def build_site_in_new_loop(
    config: SiteConfig,
    *,
    clock: Clock = time.time,
    on_progress: Callable[[int, int], None] | None = None,
    strict: bool = False,
    include_drafts: bool = False,
    force: bool = False,
    remove_old_in_background: bool = False,
    keeper: Keeper | None = None,
) -> BuildResult:
    """`build_site` for a caller without an event loop (`ssg build`).

    The short cut runs first, outside any event loop: a build with nothing
    changed returns without importing asyncio (and the ssl, socket and
    subprocess modules it loads). Otherwise the build runs in `asyncio.run`.
    Arguments, result and errors are build_site's.
    """
    started = time.perf_counter()
    kept = None if force else _kept_build(config, clock, include_drafts, strict, started)
    if kept is not None:
        return kept
    import asyncio  # only a build that renders runs an event loop

    from ssg.builder.pipeline import run_build

    return asyncio.run(
        run_build(
            config,
            clock=clock,
            on_progress=on_progress,
            strict=strict,
            include_drafts=include_drafts,
            force=force,
            remove_old_in_background=remove_old_in_background,
            started=started,
            keeper=keeper,
        )
    )


def _kept_build(
    config: SiteConfig, clock: Clock, include_drafts: bool, strict: bool, started: float
) -> BuildResult | None:
    """The short cut's result (`unchanged_build`) when no input changed, else None."""
    return unchanged_build(
        config, now=clock(), include_drafts=include_drafts, strict=strict, started=started
    )
