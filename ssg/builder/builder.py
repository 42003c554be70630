"""The build: the short cut when no input changed, else load, plan, render and write (`pipeline`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any, TypedDict, Unpack

from ssg.builder.build_result import BuildResult
from ssg.builder.keeper import Keeper
from ssg.builder.unchanged import Taken, short_cut
from ssg.config import SiteConfig
from ssg.scope import Clock


class BuildOptions(TypedDict, total=False):
    """The options of `build_site` (every one may be left out).

    Attributes:
        clock: epoch seconds; pages count as generated at the build's end time
            (default `time.time`).
        on_progress: called with (pages done, pages total) while the templates
            are finished (pages settled by their data, such as redirects, count
            as done from the start). Default None.
        strict: content problems fail the build instead of warning (default False).
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
            waits for it by leaving the Keeper's block. None (default): written
            before returning.
    """

    clock: Clock
    on_progress: Callable[[int, int], None] | None
    strict: bool
    include_drafts: bool
    force: bool
    remove_old_in_background: bool
    keeper: Keeper | None


async def build_site(config: SiteConfig, **options: Unpack[BuildOptions]) -> BuildResult:
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
        options: `BuildOptions`, as keywords.

    Returns:
        The BuildResult.

    Raises:
        SsgError: any problem in the site (route scan, modules, params,
            templates, fetches, export), with the files involved and the fix.
    """
    outcome = _short_cut_or_build(config, options)
    return outcome if isinstance(outcome, BuildResult) else await outcome


def build_site_in_new_loop(config: SiteConfig, **options: Unpack[BuildOptions]) -> BuildResult:
    """`build_site` for a caller without an event loop (`ssg build`).

    The short cut runs first, outside any event loop: a build with nothing
    changed returns without importing asyncio (and the ssl, socket and
    subprocess modules it loads). Otherwise the build runs in an
    `asyncio.Runner` (as `asyncio.run`) whose loop stays quiet about tasks a
    Ctrl-C ended. Arguments, result and errors are build_site's; Ctrl-C raises
    KeyboardInterrupt.
    """
    outcome = _short_cut_or_build(config, options)
    if isinstance(outcome, BuildResult):
        return outcome
    import asyncio  # only a build that renders runs an event loop

    def new_loop() -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_quiet_interrupts)
        return loop

    with asyncio.Runner(loop_factory=new_loop) as runner:
        return runner.run(outcome)


def _quiet_interrupts(loop: Any, context: dict[str, Any]) -> None:
    """The loop's exception handler: a task that a Ctrl-C (KeyboardInterrupt) ended is
    not reported ("Task exception was never retrieved" and its traceback, after the
    CLI's "Aborted!"): the interrupt itself is what the user sees. Anything else is
    reported as asyncio's default handler does."""
    if isinstance(context.get("exception"), KeyboardInterrupt):
        return
    loop.default_exception_handler(context)


def _short_cut_or_build(
    config: SiteConfig, options: BuildOptions
) -> BuildResult | Coroutine[Any, Any, BuildResult]:
    """The short cut's result (`short_cut`) when no input changed, else the build to run."""
    started = time.perf_counter()
    clock = options.get("clock", time.time)
    strict = options.get("strict", False)
    include_drafts = options.get("include_drafts", False)
    force = options.get("force", False)
    taken: Taken | None = None
    if not force:
        kept, taken = short_cut(
            config, now=clock(), include_drafts=include_drafts, strict=strict, started=started
        )
        if kept is not None:
            return kept
    # The renderers (Jinja2, Markdown, Pygments, aiohttp) load only when something changed.
    from ssg.builder.pipeline import run_build

    return run_build(
        config,
        clock=clock,
        on_progress=options.get("on_progress"),
        strict=strict,
        include_drafts=include_drafts,
        force=force,
        remove_old_in_background=options.get("remove_old_in_background", False),
        started=started,
        keeper=options.get("keeper"),
        taken=taken,
    )
