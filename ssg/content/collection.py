"""`Collection`: the sorted, read-only entries of one content folder, with tag and author counts."""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, overload

from markupsafe import Markup

from ssg.base_path import with_base_path
from ssg.content.entry import Entry, unrecorded_field
from ssg.content.problems import ContentProblem
from ssg.content.references import (
    has_markdown_links,
    markdown_path,
    point_at,
    point_markdown_links,
    sibling_url,
)
from ssg.reads import Read, ReadKind, note_group, note_read
from ssg.scope import current_scope

if TYPE_CHECKING:
    pass

logger = logging.getLogger("ssg.content")
_ENTRIES = ReadKind.ENTRIES  # noted per access to `entries` (see ssg.reads on Enum attributes)


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
        origin: what `load_collection` loaded it from (its folder, patterns, filter
            and drafts choice), hashable; reads of the entries name it so an
            incremental build can load it again. None for a collection made by hand.
    """

    entries: tuple[Entry, ...]
    content_dir: Path
    warnings: tuple[ContentProblem, ...] = ()
    _by_slug: dict[str, Entry] = field(init=False, repr=False, compare=False)
    # published(): the sorted dates of the entries it may hold back, and its views by how
    # many of them are out (one view per build; a server gets a new one at each release).
    _release_dates: list[float] | None = field(init=False, repr=False, compare=False)
    _views: dict[int, Collection | None] = field(init=False, repr=False, compare=False)
    origin: object = field(default=None, repr=False, compare=False)
    _stamped: dict[object, Collection] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    # by_tag(): tag -> its entries in order, and the reads a pass over every entry's
    # tags notes, made on first use (one per collection object, so one per build).
    _tag_index: tuple[dict[str, tuple[Entry, ...]], frozenset[Read]] | None = field(
        init=False, repr=False, compare=False
    )
    # get(): source file -> entry (Markdown links) and Entry.path -> entry, made on first use.
    _by_file: dict[str, Entry] | None = field(init=False, repr=False, compare=False)
    _by_path: dict[str, Entry] | None = field(init=False, repr=False, compare=False)

    def __getattribute__(self, name: str) -> object:
        # Every way to the entries (iteration, len, index, filter, tags) goes through
        # `entries`: a render that lists the collection depends on its members and order.
        if name == "entries":
            origin = object.__getattribute__(self, "origin")
            if origin is not None:
                note_read((_ENTRIES, origin))
        return object.__getattribute__(self, name)

    def __post_init__(self) -> None:
        by_slug: dict[str, Entry] = {}
        for entry in self.entries:
            by_slug.setdefault(entry.slug, entry)
        object.__setattr__(self, "_by_slug", by_slug)
        object.__setattr__(self, "_release_dates", None)
        object.__setattr__(self, "_views", {})
        object.__setattr__(self, "_tag_index", None)
        object.__setattr__(self, "_by_file", None)
        object.__setattr__(self, "_by_path", None)

    def __getstate__(self) -> dict[str, object]:
        # The kept views are this process's cache: a pickle (ssg dev's parsed content) drops them.
        return {
            **self.__dict__,
            "_release_dates": None,
            "_views": {},
            "_tag_index": None,
            "_by_file": None,
            "_by_path": None,
        }

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

    def get(self, slug: str | None = None, *, path: str | None = None) -> Entry | None:
        """Return the entry with this slug (or, with `path`, this `Entry.path`), or None
        (`ssg.not_found()` is the caller's call).

        During a render, looking an entry up makes the page its page:
        a page bundle's files (`hello/index.md` + `diagram.png`) are published
        next to the page's URL (`/blog/hello/diagram.png`), and the returned
        entry's `html` refers to them there (with the site's `base_path`), so
        `![](diagram.png)` works whatever the URL and trailing-slash style.
        Links to other Markdown files of the collection (`[next](install.md)`,
        `[home](../index.md#top)`, Zola's `@/guide/install.md`) point at their
        pages when the key ends this page's URL (a `[slug]` or `[...path]` route):
        the URL with the other entry's key in its place; others are left as
        written (the link check reports them).
        The page of a draft or a future-dated entry (`--drafts`) is kept out
        of `ssg.sitemap()`.

        Raises:
            TypeError: neither or both of `slug` and `path` are given.
        """
        if (slug is None) == (path is None):
            raise TypeError("Collection.get takes a slug or path=..., not both")
        if path is not None:
            entry = self._paths().get(path.strip("/"))  # noted: the members (paths follow them)
            key, key_field = path.strip("/"), "path"
        else:
            assert slug is not None
            entry = self._by_slug.get(slug)
            if self.origin is not None:
                note_read((ReadKind.SLUG, self.origin, slug))
            key, key_field = slug, "slug"
        scope = current_scope()
        if entry is None or scope is None:
            return entry
        if entry.draft or entry.is_scheduled(scope.services.clock()):
            scope.shows_unpublished = True  # its page is built by --drafts, never in a sitemap
        bundle_files = object.__getattribute__(entry, "bundle_files")
        body = unrecorded_field(entry, "html")  # the page's own reads of it are noted
        html: str = body
        base_path = str(scope.services.site_values.get("base_path") or "").rstrip("/")
        if bundle_files:
            scope.record_bundle(entry.source_file.parent, bundle_files)
            prefix = base_path + scope.url_path.rstrip("/")
            html = point_at(html, frozenset(bundle_files), prefix)
        if has_markdown_links(html):
            trailing_slash = bool(scope.services.site_values.get("trailing_slash"))
            url_of = self._markdown_urls(entry, key, key_field, scope.url_path)
            html = point_markdown_links(
                html, lambda target: _page_href(url_of(target), base_path, trailing_slash)
            )
        if html is body:
            return entry
        return replace(entry, html=Markup(html))

    def _paths(self) -> dict[str, Entry]:
        """`Entry.path` -> entry, made on first use (the members are noted on every call)."""
        entries = self.entries
        found = self._by_path
        if found is None:
            found = {}
            for entry in entries:
                found.setdefault(object.__getattribute__(entry, "path"), entry)
            object.__setattr__(self, "_by_path", found)
        return found

    def _markdown_urls(
        self, entry: Entry, key: str, key_field: str, url_path: str
    ) -> Callable[[str], str | None]:
        """`url_of(target)` for the Markdown links of `entry`'s page at `url_path`, found
        through `key` (its slug or path): the page URL of the collection's entry that
        file is, noting that entry's key read (an added, removed or re-slugged target
        changes this page)."""
        by_file = self._by_file
        if by_file is None:
            by_file = {str(object.__getattribute__(e, "source_file")): e for e in self.entries}
            object.__setattr__(self, "_by_file", by_file)
        source_dir = object.__getattribute__(entry, "source_file").parent

        def url_of(target: str) -> str | None:
            name = str(markdown_path(target, source_dir, self.content_dir))
            note_read((ReadKind.FIELD, name, key_field))
            found = by_file.get(name)
            if found is None:
                return None
            return sibling_url(url_path, key, str(object.__getattribute__(found, key_field)))

        return url_of

    def published(self, now: float) -> tuple[Collection, float | None]:
        """The collection without drafts and entries dated after `now`, and the next such date.

        Every page of a build asks for it, so the answer is kept: after the first
        call it costs a binary search over the entries' dates, not a pass over them.

        | entries (date; draft)          | now  | published | next date |
        | ------------------------------ | ---- | --------- | --------- |
        | a (10), b (20)                 | 15   | a         | 20        |
        | a (10), b (20)                 | 25   | a, b      | None      |
        | a (10), c (undated, draft)     | 15   | a         | None      |

        Args:
            now: epoch seconds.

        Returns:
            (the published entries, `self` when that is all of them; epoch seconds
            of the earliest held-back date, or None). A draft's date schedules
            nothing: it waits for its author, not the clock.
        """
        dates = self._release_dates
        if dates is None:
            dates = sorted(e.date.timestamp() for e in self.entries if e.date and not e.draft)
            object.__setattr__(self, "_release_dates", dates)
        released = bisect_right(dates, now)
        due_at = dates[released] if released < len(dates) else None
        views = self._views
        if released in views:
            view = views[released] or self
        else:
            kept = tuple(e for e in self.entries if not e.draft and not e.is_scheduled(now))
            view = self if len(kept) == len(self.entries) else replace(self, entries=kept)
            if len(views) >= 8:  # a long-running server: keep the recent ones
                views.clear()
            # None stands for `self`: a collection holding itself would be cyclic garbage,
            # freed with all its entries only by a full pass of the collector.
            views[released] = None if view is self else view
        return view, due_at

    def with_origin(self, origin: object) -> Collection:
        """This collection marked as loaded from `origin` (one object per origin, kept)."""
        found = self._stamped.get(origin)
        if found is None:
            found = self._stamped[origin] = replace(self, origin=origin)
        return found

    def filter(self, keep: Callable[[Entry], bool]) -> Collection:
        """Return the entries for which `keep(entry)` is true, e.g. `lambda e: not e.redirect`."""
        return replace(self, entries=tuple(entry for entry in self.entries if keep(entry)))

    def by_tag(self, tag: str) -> Collection:
        """Return the entries carrying `tag` (exact match), newest first.

        As `filter(lambda entry: tag in entry.tags)`, reads included (the members
        and every entry's tags: a tag added to any entry can change the answer),
        from an index of the tags made on the first call: a site with a page per
        tag does not pass over every entry for each of them.
        """
        entries = self.entries  # noted: the members and their order
        found = self._tag_index
        if found is None:
            index: dict[str, list[Entry]] = {}
            for entry in entries:
                for name in dict.fromkeys(object.__getattribute__(entry, "tags")):
                    index.setdefault(name, []).append(entry)
            reads = frozenset(
                (ReadKind.FIELD, str(object.__getattribute__(entry, "source_file")), "tags")
                for entry in entries
            )
            found = ({name: tuple(tagged) for name, tagged in index.items()}, reads)
            object.__setattr__(self, "_tag_index", found)
        note_group(found[1])
        try:
            tagged = found[0].get(tag, ())
        except TypeError:  # an unhashable value equals no tag
            tagged = ()
        return replace(self, entries=tagged)

    def tags(self) -> dict[str, int]:
        """Return tag -> number of entries, most used first (ties by name)."""
        return _ranked(tag for entry in self.entries for tag in entry.tags)

    def authors(self) -> dict[str, int]:
        """Return author -> number of entries, most prolific first (ties by name)."""
        return _ranked(author for entry in self.entries for author in entry.authors)


def _page_href(url: str | None, base_path: str, trailing_slash: bool) -> str | None:
    """A page URL as a link in a body: as `url()` writes it (base path, trailing slash)."""
    return None if url is None else with_base_path(url, base_path, trailing_slash=trailing_slash)


def newest_first(entry: Entry) -> tuple[bool, float, str]:
    timestamp = entry.date.timestamp() if entry.date is not None else 0.0
    return (entry.date is None, -timestamp, str(entry.source_file))


def oldest_first(entry: Entry) -> tuple[bool, float, str]:
    timestamp = entry.date.timestamp() if entry.date is not None else 0.0
    return (entry.date is None, timestamp, str(entry.source_file))


def relative_name(entry: Entry, content_dir: Path) -> str:
    return entry.source_file.relative_to(content_dir).as_posix()


def _ranked(names: Iterable[str]) -> dict[str, int]:
    counts = Counter(names)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
