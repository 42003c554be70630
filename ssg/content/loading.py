"""`load_collection`: a folder of Markdown files -> a memoized, sorted `Collection` of entries."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ssg.content.collection import Collection
from ssg.content.memo import memoized_collection, reload_collection
from ssg.content.problems import log_problems, strict_error
from ssg.content.scan import DEFAULT_EXCLUDE, DEFAULT_PATTERNS, scan_content
from ssg.content.specs import CollectionOrigin, CollectionSpec, filter_ref
from ssg.errors import ContentError
from ssg.reads import paused
from ssg.scope import RenderScope, ServiceMode, current_scope

logger = logging.getLogger("ssg.content")
_DIR_PREFIX = "ssg.content.v1.dir:"
_BUILT_KEY = "ssg.content.v1.built"
"""A build's collections by the arguments of the call that first loaded them."""
_LENIENT_LOGGED_KEY = "ssg.content.v1.lenient-logged"
"""The collections whose problems a lenient call in a strict build has logged."""


def load_collection(
    folder: str | Path,
    *,
    pattern: str | Sequence[str] = DEFAULT_PATTERNS,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    strict: bool | None = None,
    workers: int | None = None,
    body_filter: Callable[[str], str] | None = None,
    drafts: bool | None = None,
) -> Collection:
    """Load every Markdown file under `folder` into a `Collection`, newest first.

    Front matter may be YAML (`---`), TOML (`+++`) or Pelican headers. Bodies
    are rendered as GitHub-flavoured Markdown with highlighted code, never as
    templates. Files with no title, no redirect and no body (template stubs)
    are skipped. During a render (a page module's `load`, a route handler)
    the result is memoized for the whole build or server: every page asking
    for the same folder shares one parse. A build reads the folder once; a
    server checks file names, mtimes and sizes again once the last check is
    `RESCAN_SECONDS` old, and re-reads only the changed files. Slugs shared
    by several files are made unique: the oldest keeps it, the others get
    "-2", "-3"... and a warning. Problems are logged on `ssg.content`
    (file:line: message).

    Drafts (`draft: true`) and entries dated in the future are left out,
    unless drafts are shown (`ssg build --drafts`, `ssg dev`), as Hugo's
    `buildDrafts`/`buildFuture`. A render that left out a future-dated entry
    gets a revalidate of at most the seconds until its date, so `ssg serve`
    publishes it, and every listing that shows it, at that date.

    Args:
        folder: the content folder; a relative one resolves against the site
            folder during a render, else against the current directory.
        pattern: glob pattern(s) of the files, relative to `folder`.
        exclude: patterns of files to leave out (see `scan_content`); the
            default skips a top-level README.md and Zola's `_index.md`.
        strict: raise instead of warning about malformed content; None (the
            default) follows the build (`ssg build --strict`), else False.
        workers: processes for parsing; None = one per CPU when there are
            64+ files to parse; 1 = parse in this process.
        body_filter: a function rewriting each Markdown body before it is
            rendered, e.g. to translate another generator's shortcodes. It runs
            in the worker processes, so it must live in a module imported by
            name (the site's own helper module, e.g. blog.py), not in page.py.
        drafts: keep drafts and future-dated entries; None (the default)
            follows the build or server (`include_drafts` of its services, on
            under `ssg build --drafts` and `ssg dev`), else False.

    Returns:
        The `Collection`; its `warnings` hold every problem found.

    Raises:
        ContentError: the folder does not exist; or, with `strict=True`, any
            problem (the first one, its count of others in the message).

    Example:
        >>> posts = load_collection("content/posts")       # doctest: +SKIP
        >>> posts[0].title, posts.get("hello").date          # doctest: +SKIP
    """
    scope = current_scope()
    patterns = (pattern,) if isinstance(pattern, str) else tuple(pattern)
    if strict is None:
        strict = scope is not None and scope.services.strict
    # A build reads a folder once (`memoized_collection`): the pages asking again for it
    # with the same arguments get what the first call found, without resolving, checking
    # and looking the folder up again.
    built = (
        scope.services.shared.setdefault(_BUILT_KEY, {})
        if scope is not None and scope.services.mode is ServiceMode.BUILD
        else None
    )
    asked = (str(folder), patterns, tuple(exclude), body_filter, workers)
    found = built.get(asked) if built is not None else None
    if found is None:
        found = _load(scope, folder, patterns, tuple(exclude), body_filter, workers, strict)
        if built is not None:
            built[asked] = found
    content_dir, spec, collection, origins = found
    strict_services = scope is not None and scope.services.strict
    if strict and collection.warnings:
        raise strict_error(collection.warnings)  # each problem once: not logged before
    if strict_services and collection.warnings and scope is not None:
        # Leniency asked for in a strict build: warnings, which its memo did not log.
        logged = scope.services.shared.setdefault(_LENIENT_LOGGED_KEY, set())
        if spec not in logged:
            logged.add(spec)
            log_problems(list(collection.warnings), content_dir)
    if drafts is None:
        drafts = scope.services.include_drafts if scope is not None else False
    if drafts:
        return collection.with_origin(origins[1])
    now = scope.services.clock() if scope is not None else time.time()
    published, due_at = collection.published(now)
    if due_at is not None and scope is not None:
        scope.record_due(due_at)
    return published.with_origin(origins[0])


_Loaded = tuple[Path, CollectionSpec, Collection, tuple[CollectionOrigin, CollectionOrigin]]
"""(the folder, its spec, the whole collection, its origins without and with drafts)."""


def _load(
    scope: RenderScope | None,
    folder: str | Path,
    patterns: tuple[str, ...],
    exclude: tuple[str, ...],
    body_filter: Callable[[str], str] | None,
    workers: int | None,
    strict: bool,
) -> _Loaded:
    """The collection of `folder`: the memo of this build or server, or a parse outside one.

    Raises:
        ContentError: the folder does not exist.
    """
    base_dir = scope.services.site_dir if scope is not None else Path.cwd()
    content_dir = _resolved_folder(scope, base_dir, folder)
    if not content_dir.is_dir():
        where = "" if Path(folder).is_absolute() else f" ({str(folder)!r} from {base_dir})"
        raise ContentError(
            f"content folder{where} does not exist; create it or pass the right folder to "
            "load_collection() (a relative one starts at the site folder)",
            source_file=content_dir,
        )
    ref = filter_ref(body_filter) if body_filter is not None else None
    spec = CollectionSpec(str(content_dir), patterns, exclude, ref)
    if scope is None:
        with paused():  # the reads that matter are the entries' fields (see ssg.reads)
            stamps = scan_content(content_dir, patterns, exclude)
            collection = reload_collection(
                content_dir, stamps, None, workers, ref, log=not strict
            ).collection
    else:
        base_path = str(scope.services.site_values.get("base_path", ""))
        collection = memoized_collection(scope.services, spec, workers, base_path).collection
    origins = (CollectionOrigin(spec, False), CollectionOrigin(spec, True))
    return content_dir, spec, collection, origins


async def aload_collection(
    folder: str | Path,
    *,
    pattern: str | Sequence[str] = DEFAULT_PATTERNS,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    strict: bool | None = None,
    workers: int | None = None,
    body_filter: Callable[[str], str] | None = None,
    drafts: bool | None = None,
) -> Collection:
    """`load_collection` in a worker thread, so an event loop keeps serving meanwhile.

    Same arguments, result and errors; the render scope carries over
    (`asyncio.to_thread` copies the context).
    """
    return await asyncio.to_thread(
        load_collection,
        folder,
        pattern=pattern,
        exclude=exclude,
        strict=strict,
        workers=workers,
        body_filter=body_filter,
        drafts=drafts,
    )


def _resolved_folder(scope: RenderScope | None, base_dir: Path, folder: str | Path) -> Path:
    """The absolute content folder, symlinks resolved; a build resolves it once, not per page."""
    if scope is None or scope.services.mode is not ServiceMode.BUILD:
        return (base_dir / folder).resolve()
    key = f"{_DIR_PREFIX}{(str(base_dir), str(folder))!r}"
    found = scope.services.shared.get(key)
    if not isinstance(found, Path):
        found = scope.services.shared[key] = (base_dir / folder).resolve()
    return found
