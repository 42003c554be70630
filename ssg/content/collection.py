"""`load_collection`: a folder of Markdown files -> a memoized, sorted `Collection` of entries."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from markupsafe import Markup

from ssg.content.cache import ContentCache
from ssg.content.entry import Entry, FilterRef, LoadedFile
from ssg.content.markdown import prefix_root_links
from ssg.content.pool import load_files
from ssg.content.problems import ContentProblem
from ssg.content.references import point_at
from ssg.content.scan import DEFAULT_EXCLUDE, DEFAULT_PATTERNS, FileStamp, scan_content
from ssg.errors import ContentError
from ssg.scope import ServiceMode, current_scope

if TYPE_CHECKING:
    from ssg.scope import DataServices

logger = logging.getLogger("ssg.content")

RESCAN_SECONDS = 1.0
"""At serve time, how long a memoized collection is trusted before files are checked again."""

_MEMO_PREFIX = "ssg.content.v1:"
_LOCK_KEY = "ssg.content.v1.lock"
_SPECS_KEY = "ssg.content.v1.specs"
_CACHE_PREFIX = "ssg.content.v1.cache:"
SPECS_FILE = "content-collections.json"
"""In the cache folder: the collections the last build read, preloaded by the server."""


@dataclass(frozen=True)
class Collection(Sequence[Entry]):
    """The entries of one content folder, newest first (undated last).

    A read-only sequence: `len(posts)`, `posts[0]`, `posts[:10]` (a tuple),
    `for post in posts`.

    Attributes:
        entries: the entries, newest first.
        content_dir: the folder they were loaded from (absolute).
        warnings: every problem found (malformed front matter or dates,
            shared slugs), each naming file and line.
    """

    entries: tuple[Entry, ...]
    content_dir: Path
    warnings: tuple[ContentProblem, ...] = ()
    _by_slug: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_slug: dict[str, Entry] = {}
        for entry in self.entries:
            by_slug.setdefault(entry.slug, entry)
        object.__setattr__(self, "_by_slug", by_slug)

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Entry, ...]: ...
    def __getitem__(self, index: int | slice) -> Entry | tuple[Entry, ...]:
        return self.entries[index]

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def get(self, slug: str) -> Entry | None:
        """Return the entry with this slug, or None (`ssg.not_found()` is the caller's call).

        During a render, looking an entry up by slug makes the page its page:
        a page bundle's files (`hello/index.md` + `diagram.png`) are published
        next to the page's URL (`/blog/hello/diagram.png`), and the returned
        entry's `html` refers to them there (with the site's `base_path`), so
        `![](diagram.png)` works whatever the URL and trailing-slash style.
        The page of a draft or a future-dated entry (`--drafts`) is kept out
        of `ssg.sitemap()`.
        """
        entry = self._by_slug.get(slug)
        scope = current_scope()
        if entry is None or scope is None:
            return entry
        if entry.draft or entry.is_scheduled(scope.services.clock()):
            scope.shows_unpublished = True  # its page is built by --drafts, never in a sitemap
        if not entry.bundle_files:
            return entry
        scope.record_bundle(entry.source_file.parent, entry.bundle_files)
        base_path = str(scope.services.site_values.get("base_path") or "").rstrip("/")
        prefix = base_path + scope.url_path.rstrip("/")
        html = point_at(entry.html, frozenset(entry.bundle_files), prefix)
        return replace(entry, html=Markup(html))

    def filter(self, keep: Callable[[Entry], bool]) -> Collection:
        """Return the entries for which `keep(entry)` is true, e.g. `lambda e: not e.redirect`."""
        return replace(self, entries=tuple(entry for entry in self.entries if keep(entry)))

    def by_tag(self, tag: str) -> Collection:
        """Return the entries carrying `tag` (exact match), newest first."""
        return self.filter(lambda entry: tag in entry.tags)

    def tags(self) -> dict[str, int]:
        """Return tag -> number of entries, most used first (ties by name)."""
        return _ranked(tag for entry in self.entries for tag in entry.tags)

    def authors(self) -> dict[str, int]:
        """Return author -> number of entries, most prolific first (ties by name)."""
        return _ranked(author for entry in self.entries for author in entry.authors)


@dataclass(frozen=True)
class _Memo:
    stamps: tuple[FileStamp, ...]
    collection: Collection
    loaded: dict[str, tuple[FileStamp, LoadedFile]]  # relative_name -> what was read
    checked_at: float = 0.0  # services.clock() of the last scan


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
    base_dir = scope.services.site_dir if scope is not None else Path.cwd()
    content_dir = (base_dir / folder).resolve()
    if not content_dir.is_dir():
        where = "" if Path(folder).is_absolute() else f" ({str(folder)!r} from {base_dir})"
        raise ContentError(
            f"content folder{where} does not exist; create it or pass the right folder to "
            "load_collection() (a relative one starts at the site folder)",
            source_file=content_dir,
        )
    patterns = (pattern,) if isinstance(pattern, str) else tuple(pattern)
    ref = _filter_ref(body_filter) if body_filter is not None else None
    if scope is None:
        stamps = scan_content(content_dir, patterns, exclude)
        collection = _reload(content_dir, stamps, None, workers, ref).collection
        base_path = ""
    else:
        base_path = str(scope.services.site_values.get("base_path", ""))
        spec = CollectionSpec(str(content_dir), patterns, tuple(exclude), ref)
        collection = _memoized(scope.services, spec, workers, base_path).collection
    if strict is None:
        strict = scope.services.strict if scope is not None else False
    if strict and collection.warnings:
        first = collection.warnings[0]
        more = len(collection.warnings) - 1
        suffix = f" (and {more} more content problem(s), logged on 'ssg.content')" if more else ""
        raise ContentError(first.message + suffix, source_file=first.source_file, line=first.line)
    if drafts is None:
        drafts = scope.services.include_drafts if scope is not None else False
    if drafts:
        return collection
    now = scope.services.clock() if scope is not None else time.time()
    published, due_at = _published(collection, now)
    if due_at is not None and scope is not None:
        scope.record_due(due_at)
    return published


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


def _published(collection: Collection, now: float) -> tuple[Collection, float | None]:
    """The collection without drafts and entries dated after `now`; the earliest such date.

    Returns:
        (the published entries, epoch seconds of the next scheduled entry or None).
        A draft's date schedules nothing: it waits for its author, not the clock.
    """
    kept: list[Entry] = []
    due_at: float | None = None
    for entry in collection.entries:
        if entry.draft:
            continue
        if entry.is_scheduled(now):
            assert entry.date is not None  # is_scheduled() checked it
            timestamp = entry.date.timestamp()
            due_at = timestamp if due_at is None else min(due_at, timestamp)
            continue
        kept.append(entry)
    if len(kept) == len(collection.entries):
        return collection, None
    return replace(collection, entries=tuple(kept)), due_at


@dataclass(frozen=True)
class CollectionSpec:
    """What identifies a collection a build read: folder (absolute), patterns, exclude, filter."""

    content_dir: str
    patterns: tuple[str, ...]
    exclude: tuple[str, ...]
    body_filter: FilterRef | None

    def to_json(self) -> dict[str, object]:
        """The spec as JSON-ready data (see `from_json`)."""
        return {
            "content_dir": self.content_dir,
            "patterns": list(self.patterns),
            "exclude": list(self.exclude),
            "body_filter": list(self.body_filter) if self.body_filter else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CollectionSpec:
        """The spec `to_json` wrote.

        Raises:
            KeyError / TypeError / IndexError: `data` is not such a spec.
        """
        ref = data.get("body_filter")
        return cls(
            str(data["content_dir"]),
            tuple(data["patterns"]),
            tuple(data["exclude"]),
            (str(ref[0]), str(ref[1]), str(ref[2])) if ref else None,
        )


def _memoized(
    services: DataServices, spec: CollectionSpec, workers: int | None, base_path: str
) -> _Memo:
    """The memo of one collection for this build or server, read or re-checked as needed."""
    shared = services.shared
    content_dir = Path(spec.content_dir)
    key = f"{_MEMO_PREFIX}{(spec.content_dir, spec.patterns, spec.exclude, spec.body_filter, base_path)!r}"
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
                memo = _reload(
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
        )
        services.shared[key] = kept
    return kept


def collections_read(services: DataServices) -> list[CollectionSpec]:
    """The collections read so far by this build's or server's renders."""
    return list(services.shared.get(_SPECS_KEY, {}).values())


def write_collection_specs(cache_dir: Path, specs: Iterable[CollectionSpec]) -> None:
    """Save what a build read (SITE/.ssg/content-collections.json) for the server to preload.

    Raises:
        OSError: the file cannot be written.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / SPECS_FILE
    temp = target.with_name(f".{target.name}.tmp")
    temp.write_text(json.dumps([spec.to_json() for spec in specs]), encoding="utf-8")
    os.replace(temp, target)


def preload_collections(services: DataServices, cache_dir: Path) -> int:
    """Parse the collections the last build read into the server's memo; return how many.

    The server runs this in a worker thread at start-up, so the first render
    that reads a collection (even from an `async def load()`, which calls the
    sync `load_collection` on the event loop) finds it parsed. A missing or
    unreadable file preloads nothing; a collection that fails is left to the
    render that asks for it (and its error).
    """
    try:
        raw = json.loads((cache_dir / SPECS_FILE).read_text(encoding="utf-8"))
        specs = [CollectionSpec.from_json(item) for item in raw]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return 0
    base_path = str(services.site_values.get("base_path", ""))
    started = time.monotonic()
    loaded = 0
    for spec in specs:
        if not Path(spec.content_dir).is_dir():
            continue
        try:
            _memoized(services, spec, None, base_path)
        except Exception as exc:  # the render that needs it reports it properly
            logger.info("Could not preload the content in %s: %s", spec.content_dir, exc)
            continue
        loaded += 1
    if loaded:
        logger.info(
            "Parsed the %d content collection(s) the build read in %.1f s, off the event loop.",
            loaded,
            time.monotonic() - started,
        )
    return loaded


PROBLEMS_SHOWN = 20
"""Content problems logged one by one per (re)load; the rest are counted in one line."""


def _log_problems(problems: list[ContentProblem], content_dir: Path) -> None:
    """Log the first PROBLEMS_SHOWN problems on "ssg.content", then how many more there are.

    A corpus copied without its images can hold hundreds of references to
    missing files; the build output stays readable, and `--strict` still fails
    on the first one.
    """
    for problem in problems[:PROBLEMS_SHOWN]:
        logger.warning("%s", problem)
    hidden = len(problems) - PROBLEMS_SHOWN
    if hidden > 0:
        logger.warning(
            "... and %d more content problem(s) in %s (ssg build --strict fails on them).",
            hidden,
            content_dir,
        )


def _reload(
    content_dir: Path,
    stamps: tuple[FileStamp, ...],
    previous: _Memo | None,
    workers: int | None,
    body_filter: FilterRef | None = None,
    base_path: str = "",
    help_in_caller: bool = True,
    cache: ContentCache | None = None,
) -> _Memo:
    """Read the files that are new or changed since `previous` and assemble the collection.

    With a base path, each entry's html has it on its root-relative links and images.
    `help_in_caller` is load_files's (False in a server). With a `cache`, a
    file whose bytes it kept is taken from it instead of parsed, and the
    cache is rewritten when anything was parsed or removed.
    """
    reuse = previous.loaded if previous is not None else {}
    stale = [stamp for stamp in stamps if reuse.get(stamp.relative_name, (None,))[0] != stamp]
    fresh_by_name: dict[str, tuple[FileStamp, LoadedFile]] = {}
    to_parse = stale
    if cache is not None:
        to_parse = []
        for stamp in stale:
            kept = cache.get(stamp.relative_name, content_dir / stamp.relative_name, content_dir)
            if kept is None:
                to_parse.append(stamp)
            else:
                fresh_by_name[stamp.relative_name] = (stamp, kept)
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
        cache.save()
        if len(stale) > len(to_parse):
            logger.info(
                "Content in %s: %d file(s) unchanged since they were parsed (kept in %s), "
                "%d parsed.",
                content_dir,
                len(stale) - len(to_parse),
                cache.file.parent,
                len(to_parse),
            )
    new_problems = [problem for item in fresh for problem in item.problems]
    entries = [item.entry for _, item in loaded.values() if item.entry is not None]
    if base_path:
        entries = [
            replace(entry, html=Markup(prefix_root_links(entry.html, base_path)))
            for entry in entries
        ]
    entries, slug_problems = _unique_slugs(entries, content_dir)
    # A re-read (a server or `ssg dev` after an edit) repeats only what is new.
    already = set(previous.collection.warnings) if previous is not None else set()
    new_problems += [problem for problem in slug_problems if problem not in already]
    _log_problems(new_problems, content_dir)
    entries.sort(key=_newest_first)
    problems = [problem for _, item in loaded.values() for problem in item.problems]
    collection = Collection(tuple(entries), content_dir, (*problems, *slug_problems))
    return _Memo(stamps, collection, loaded)


def _unique_slugs(
    entries: list[Entry], content_dir: Path
) -> tuple[list[Entry], list[ContentProblem]]:
    """Give every entry its own slug: the oldest keeps a shared one, later ones get -2, -3."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.slug, []).append(entry)
    taken = set(groups)
    result: list[Entry] = []
    problems: list[ContentProblem] = []
    for slug, group in groups.items():
        if len(group) == 1:
            result.extend(group)
            continue
        group.sort(key=_oldest_first)
        renamed = []
        for entry in group[1:]:
            suffix = 2
            while f"{slug}-{suffix}" in taken:
                suffix += 1
            taken.add(f"{slug}-{suffix}")
            renamed.append(replace(entry, slug=f"{slug}-{suffix}"))
        result += [group[0], *renamed]
        names = ", ".join(f"{_relative(e, content_dir)} -> {e.slug!r}" for e in renamed)
        message = (
            f"slug {slug!r} is shared by {len(group)} files; {_relative(group[0], content_dir)} "
            f"keeps it, the others were renamed ({names}). Set a unique `slug` in their "
            "front matter to choose"
        )
        problems.append(ContentProblem(group[1].source_file, None, message))
    return result, problems


def _filter_ref(body_filter: Callable[[str], str]) -> FilterRef:
    """A body filter as (module, qualname, folder), after checking workers can import it.

    Raises:
        ContentError: the function is a lambda or nested, or lives in a module
            that cannot be imported by name (page.py, __main__).
    """
    module_name = getattr(body_filter, "__module__", "") or ""
    qualname = getattr(body_filter, "__qualname__", "") or ""
    module = sys.modules.get(module_name)
    file = getattr(module, "__file__", None)
    if "<" in qualname or module_name in ("", "__main__") or module_name.startswith("ssg_site_"):
        raise ContentError(
            f"body_filter {qualname or body_filter!r} must be a module-level function in a "
            "module imported by name (e.g. the site's blog.py), so worker processes can "
            "import it; a lambda, a nested function or a function in page.py cannot be",
            source_file=Path(file) if file else Path(module_name or "?"),
        )
    return (module_name, qualname, str(Path(file).parent) if file else "")


def _newest_first(entry: Entry) -> tuple[bool, float, str]:
    timestamp = entry.date.timestamp() if entry.date is not None else 0.0
    return (entry.date is None, -timestamp, str(entry.source_file))


def _oldest_first(entry: Entry) -> tuple[bool, float, str]:
    timestamp = entry.date.timestamp() if entry.date is not None else 0.0
    return (entry.date is None, timestamp, str(entry.source_file))


def _relative(entry: Entry, content_dir: Path) -> str:
    return entry.source_file.relative_to(content_dir).as_posix()


def _ranked(names: Iterable[str]) -> dict[str, int]:
    counts = Counter(names)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


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


_PARSED_FORMAT = 1


def memoized_stamps(shared: dict[str, object]) -> dict[str, tuple[FileStamp, ...]]:
    """Each memoized collection's file stamps (names, mtimes, sizes): changes when one is re-read."""
    return {
        key: memo.stamps
        for key, memo in list(shared.items())
        if key.startswith(_MEMO_PREFIX) and isinstance(memo, _Memo)
    }


def save_memoized(shared: dict[str, object], file: Path) -> int:
    """Write the parsed collections to `file` (pickle, temp file + rename) for another process.

    `ssg dev` keeps them in its cache folder so that a new worker (after a
    Python edit) or the next `ssg dev` starts with the content parsed: only
    files changed since are parsed again (see `load_memoized`). The file is
    this machine's own cache, written and read by ssg only.

    Args:
        shared: `DataServices.shared`, where `load_collection` keeps its memos.
        file: where to write.

    Returns:
        How many collections were written.

    Raises:
        OSError: the file cannot be written.
    """
    import pickle

    with shared.setdefault(_LOCK_KEY, threading.Lock()):  # type: ignore[attr-defined]
        memos = {
            key: memo
            for key, memo in shared.items()
            if key.startswith(_MEMO_PREFIX) and isinstance(memo, _Memo)
        }
        specs = dict(shared.get(_SPECS_KEY, {}))  # type: ignore[call-overload]
    payload = pickle.dumps((_PARSED_FORMAT, memos, specs), protocol=pickle.HIGHEST_PROTOCOL)
    file.parent.mkdir(parents=True, exist_ok=True)
    temp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    temp.write_bytes(payload)
    os.replace(temp, file)
    return len(memos)


def load_memoized(shared: dict[str, object], file: Path) -> int:
    """Put the collections `save_memoized` wrote into `shared`; return how many.

    Each is checked against its files on first use (names, mtimes and sizes),
    so an edit made meanwhile is parsed then. A missing, unreadable or older
    file loads nothing.
    """
    import pickle

    try:
        format_, memos, specs = pickle.loads(file.read_bytes())
    except Exception:  # a missing, torn or foreign file only costs a parse
        return 0
    if format_ != _PARSED_FORMAT or not isinstance(memos, dict):
        return 0
    with shared.setdefault(_LOCK_KEY, threading.Lock()):  # type: ignore[attr-defined]
        for key, memo in memos.items():
            if isinstance(memo, _Memo) and key not in shared:
                shared[key] = replace(memo, checked_at=float("-inf"))
        if isinstance(specs, dict):
            shared.setdefault(_SPECS_KEY, {}).update(specs)  # type: ignore[attr-defined]
    return len(memos)
