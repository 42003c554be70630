"""The parsed collections a build, a server or `ssg dev` keeps: one parse per folder, re-checked
for edits, preloaded at the next server or dev start from the list `ssg.content.specs` keeps."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from ssg.content.cache import ContentCache
from ssg.content.collection import Collection, newest_first, oldest_first, relative_name
from ssg.content.entry import Entry
from ssg.content.markdown import prefix_root_links
from ssg.content.parsing import FilterRef, LoadedFile, load_entries
from ssg.content.problems import ContentProblem, log_problems
from ssg.content.scan import FileStamp, scan_content
from ssg.content.specs import CollectionSpec, read_collection_specs
from ssg.plural import plural
from ssg.reads import paused
from ssg.scope import ServiceMode

if TYPE_CHECKING:
    from ssg.scope import DataServices


logger = logging.getLogger("ssg.content")

FEW_FILES = 8
"""Up to this many files to parse are parsed in this thread (the pool parses fewer than
64 there too; this skips importing it)."""

RESCAN_SECONDS = 1.0
"""At serve time, how long a memoized collection is trusted before files are checked again."""

_MEMO_PREFIX = "ssg.content.v1:"
_LOCK_KEY = "ssg.content.v1.lock"
_SPECS_KEY = "ssg.content.v1.specs"
_CACHE_PREFIX = "ssg.content.v1.cache:"


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class _Memo:
    stamps: tuple[FileStamp, ...]
    collection: Collection
    loaded: dict[str, tuple[FileStamp, LoadedFile]]  # relative_name -> what was read
    checked_at: float = 0.0  # services.clock() of the last scan
    # source file -> (the parsed entry, the collection's entry made from it: base path
    # on its links, a shared slug renamed), for the entries that differ from their parse
    derived: dict[str, tuple[Entry, Entry]] = field(default_factory=dict)


def memoized_collection(
    services: DataServices, spec: CollectionSpec, workers: int | None, base_path: str
) -> _Memo:
    """The memo of one collection for this build or server, read or re-checked as needed."""
    with paused():  # the page depends on the entries it reads, not on every file parsed
        return _memoized_collection(services, spec, workers, base_path)


def _memoized_collection(
    services: DataServices, spec: CollectionSpec, workers: int | None, base_path: str
) -> _Memo:
    shared = services.shared
    content_dir = Path(spec.content_dir)
    trailing_slash = bool(services.site_values.get("trailing_slash"))
    key = f"{_MEMO_PREFIX}{(spec.content_dir, spec.patterns, spec.exclude, spec.body_filter, base_path, trailing_slash)!r}"
    # One parse at a time per build/server: a concurrent caller (aload_collection's
    # thread, the server's start-up preload) waits here, then finds the memo filled.
    with shared.setdefault(_LOCK_KEY, threading.Lock()):
        memo = shared.get(key)
        now = services.clock()
        # A build reads its content once (as Next.js data at build time); a server
        # looks for edits at most once a second, so 1,000 renders do not stat 1,000 times.
        building = services.mode is ServiceMode.BUILD
        if memo is None or (not building and now - memo.checked_at >= RESCAN_SECONDS):
            stamps = scan_content(content_dir, spec.patterns, spec.exclude)
            if memo is None or memo.stamps != stamps:
                memo = reload_collection(
                    content_dir,
                    stamps,
                    memo,
                    workers,
                    spec.body_filter,
                    base_path,
                    # In a server the pool parses alone: this thread would hold the GIL
                    # against the event loop's.
                    help_in_caller=building,
                    cache=_content_cache(services, spec),
                    # A build writes it off its critical path (`unsaved_content_caches`).
                    save_cache=not building,
                    trailing_slash=trailing_slash,
                    # Strict: load_collection raises them, each once (no warning first).
                    log=not services.strict,
                )
            memo = replace(memo, checked_at=now)
            shared[key] = memo
            shared.setdefault(_SPECS_KEY, {})[key] = spec
    return memo


def _content_cache(services: DataServices, spec: CollectionSpec) -> ContentCache | None:
    """The build's or server's kept parses of one folder, read from disk on first use."""
    if services.content_cache_dir is None:
        return None
    key = f"{_CACHE_PREFIX}{spec!r}"
    kept = services.shared.get(key)
    if not isinstance(kept, ContentCache):
        kept = ContentCache.open(
            services.content_cache_dir,
            Path(spec.content_dir),
            spec.body_filter,
            patterns=spec.patterns,
            exclude=spec.exclude,
            force=services.force,
            # A server or `ssg dev` parses an edited post for a waiting request.
            background=services.mode is not ServiceMode.BUILD,
        )
        services.shared[key] = kept
    return kept


def unsaved_content_caches(services: DataServices) -> list[ContentCache]:
    """The content caches of this build that changed and are not written yet.

    A build's loads leave them unwritten; the build writes them with `save()`.
    """
    return [
        kept
        for key, kept in services.shared.items()
        if key.startswith(_CACHE_PREFIX) and isinstance(kept, ContentCache) and kept.dirty
    ]


def collections_read(services: DataServices) -> list[CollectionSpec]:
    """The collections read so far by this build's or server's renders."""
    return list(services.shared.get(_SPECS_KEY, {}).values())


def preload_collections(services: DataServices, cache_dir: Path) -> int:
    """Load the collections the last build (or `ssg dev`) read into the memo; return how many.

    The server and each `ssg dev` worker run this in a thread at start-up, so
    the first render that reads a collection (even from an `async def
    load()`, which calls the sync `load_collection` on the event loop) finds
    it loaded: from the content cache (SITE/.ssg/content) for every file
    unchanged since it was parsed, by build or dev alike. A missing or
    unreadable list preloads nothing; a collection that fails is left to the
    render that asks for it (and its error).
    """
    specs = read_collection_specs(cache_dir)
    if not specs:
        return 0
    base_path = str(services.site_values.get("base_path", ""))
    started = time.monotonic()
    loaded = 0
    for spec in specs:
        if not Path(spec.content_dir).is_dir():
            continue
        try:
            memoized_collection(services, spec, None, base_path)
        except Exception as exc:  # the render that needs it reports it properly
            logger.info("Could not preload the content in %s: %s", spec.content_dir, exc)
            continue
        loaded += 1
    if loaded:
        logger.info(
            "Loaded the %s read last time in %.1f s, off the event loop.",
            plural(loaded, "content collection"),
            time.monotonic() - started,
        )
    return loaded


def reload_collection(
    content_dir: Path,
    stamps: tuple[FileStamp, ...],
    previous: _Memo | None,
    workers: int | None,
    body_filter: FilterRef | None = None,
    base_path: str = "",
    help_in_caller: bool = True,
    cache: ContentCache | None = None,
    save_cache: bool = True,
    trailing_slash: bool = False,
    log: bool = True,
) -> _Memo:
    """Read the files that are new or changed since `previous` and assemble the collection.

    With a base path, each entry's html has it on its root-relative links and images;
    with `trailing_slash`, its page links end in "/" (`prefix_root_links`).
    `help_in_caller` is load_files's (False in a server). With a `cache`, a
    file whose bytes it kept is taken from it instead of parsed, and the
    cache is rewritten when anything was parsed or removed (by the caller
    when not `save_cache`). With `log`, the problems not found before are logged.
    """
    reuse = previous.loaded if previous is not None else {}
    stale = [stamp for stamp in stamps if reuse.get(stamp.relative_name, (None,))[0] != stamp]
    fresh_by_name: dict[str, tuple[FileStamp, LoadedFile]] = {}
    to_parse = stale
    if cache is not None:
        to_parse = []
        folder = str(content_dir)
        for stamp in stale:
            kept = cache.get(
                stamp.relative_name,
                os.path.join(folder, stamp.relative_name),
                content_dir,
                stamp.stat_stamp if stamp.inode else None,
            )
            if kept is None:
                to_parse.append(stamp)
            else:
                fresh_by_name[stamp.relative_name] = (stamp, kept)
    parsed: list[LoadedFile] = []
    if 0 < len(to_parse) <= FEW_FILES:
        # A few edited posts: parsed here, as the pool would for so few, without
        # importing multiprocessing.
        parsed = load_entries(
            [str(content_dir / stamp.relative_name) for stamp in to_parse],
            str(content_dir),
            body_filter,
        )
    elif to_parse:
        from ssg.content.pool import load_files  # the pool: only when there is work

        parsed = load_files(
            [content_dir / stamp.relative_name for stamp in to_parse],
            content_dir,
            sizes=[stamp.size_bytes for stamp in to_parse],
            workers=workers,
            body_filter=body_filter,
            help_in_caller=help_in_caller,
        )
    fresh_by_name.update(
        (stamp.relative_name, (stamp, item)) for stamp, item in zip(to_parse, parsed, strict=True)
    )
    loaded = {
        stamp.relative_name: fresh_by_name.get(stamp.relative_name) or reuse[stamp.relative_name]
        for stamp in stamps
    }
    fresh = [fresh_by_name[stamp.relative_name][1] for stamp in stale]
    if cache is not None:
        cache.update({name: item for name, (_, item) in loaded.items()}, len(to_parse))
        if save_cache:
            cache.save()
        if len(stale) > len(to_parse):
            logger.info(
                "Content in %s: %s unchanged since parsed (kept in %s), %d parsed.",
                content_dir,
                plural(len(stale) - len(to_parse), "file"),
                cache.file.parent,
                len(to_parse),
            )
    new_problems = [problem for item in fresh for problem in item.problems]
    entries = [item.entry for _, item in loaded.values() if item.entry is not None]
    if base_path or trailing_slash:
        entries = [
            replace(
                entry,
                html=Markup(
                    prefix_root_links(entry.html, base_path, trailing_slash=trailing_slash)
                ),
            )
            for entry in entries
        ]
    entries, slug_problems = _unique_slugs(entries, content_dir)
    entries, derived = _same_as_before(
        entries, loaded, previous.derived if previous is not None else {}
    )
    # A re-read (a server or `ssg dev` after an edit) repeats only what is new.
    already = set(previous.collection.warnings) if previous is not None else set()
    new_problems += [problem for problem in slug_problems if problem not in already]
    if log:
        log_problems(new_problems, content_dir)
    entries.sort(key=newest_first)
    problems = [problem for _, item in loaded.values() for problem in item.problems]
    collection = Collection(tuple(entries), content_dir, (*problems, *slug_problems))
    return _Memo(stamps, collection, loaded, derived=derived)


def _same_as_before(
    entries: list[Entry],
    loaded: dict[str, tuple[FileStamp, LoadedFile]],
    before: dict[str, tuple[Entry, Entry]],
) -> tuple[list[Entry], dict[str, tuple[Entry, Entry]]]:
    """The collection's entries, each derived one (base path, renamed slug) replaced by the
    very object made last time when it was made from the same parse and is equal.

    An unchanged entry stays the same object across re-reads, as an unchanged parse does:
    `ssg dev` proves an entry unchanged by identity, without digesting its fields again.

    Returns:
        The entries, and the derived ones by source file (the next re-read's `before`).
    """
    parses = [item.entry for _, item in loaded.values() if item.entry is not None]
    own = {id(entry) for entry in parses}  # entries that are their parse (most)
    parsed: dict[str, Entry] | None = None
    result: list[Entry] = []
    derived: dict[str, tuple[Entry, Entry]] = {}
    for entry in entries:
        if id(entry) in own:
            result.append(entry)
            continue
        if parsed is None:
            parsed = {str(parse.source_file): parse for parse in parses}
        source_file = str(entry.source_file)
        source = parsed.get(source_file)
        if source is None or entry is source:
            result.append(entry)
            continue
        kept = before.get(source_file)
        if kept is not None and kept[0] is source and kept[1] == entry:
            entry = kept[1]
        derived[source_file] = (source, entry)
        result.append(entry)
    return result, derived


def _unique_slugs(
    entries: list[Entry], content_dir: Path
) -> tuple[list[Entry], list[ContentProblem]]:
    """Give every entry its own slug: the oldest keeps a shared one, later ones get -2, -3."""
    groups: dict[str, list[Entry]] = {}
    slug_of = object.__getattribute__  # not Entry's, which checks for a recorded render
    for entry in entries:
        groups.setdefault(slug_of(entry, "slug"), []).append(entry)
    taken = set(groups)
    result: list[Entry] = []
    problems: list[ContentProblem] = []
    for slug, group in groups.items():
        if len(group) == 1:
            result.extend(group)
            continue
        group.sort(key=oldest_first)
        renamed = []
        for entry in group[1:]:
            suffix = 2
            while f"{slug}-{suffix}" in taken:
                suffix += 1
            taken.add(f"{slug}-{suffix}")
            renamed.append(replace(entry, slug=f"{slug}-{suffix}"))
        result += [group[0], *renamed]
        names = ", ".join(f"{relative_name(e, content_dir)} -> {e.slug!r}" for e in renamed)
        message = (
            f"slug {slug!r} is shared by {len(group)} files; {relative_name(group[0], content_dir)} "
            f"keeps it, the others were renamed ({names}). Set a unique `slug` in their "
            "front matter to choose"
        )
        problems.append(ContentProblem(group[1].source_file, None, message))
    return result, problems


def memoized_folders(shared: dict[str, object]) -> set[Path]:
    """The content folders a build or server has loaded so far (what `ssg dev` watches).

    Args:
        shared: `DataServices.shared`, where `load_collection` keeps its memos.

    Returns:
        The absolute folders of every memoized collection.
    """
    return {
        memo.collection.content_dir
        for key, memo in list(shared.items())
        if key.startswith(_MEMO_PREFIX) and isinstance(memo, _Memo)
    }


def expire_memoized(shared: dict[str, object]) -> int:
    """Make every memoized collection look at its files again on its next use.

    Unchanged files are still reused (only new or changed ones are parsed);
    `ssg dev` calls this when its watcher sees a content file change, so the
    next request sees the edit without waiting `RESCAN_SECONDS`.

    Args:
        shared: `DataServices.shared`, where `load_collection` keeps its memos.

    Returns:
        How many collections were expired.
    """
    expired = 0
    for key, memo in list(shared.items()):
        if key.startswith(_MEMO_PREFIX) and isinstance(memo, _Memo):
            shared[key] = replace(memo, checked_at=float("-inf"))
            expired += 1
    return expired
