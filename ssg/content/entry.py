"""One content file -> one `Entry`: front matter, date, Markdown and the derived fields."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from markupsafe import Markup

from ssg.content.markdown import Heading
from ssg.content.recorded_metadata import RecordedMetadata
from ssg.reads import ReadKind, collector


@dataclass(frozen=True)
class Entry:
    """One post or page read from a Markdown file.

    Routing is the site's job: an entry has a `slug`, never a URL.

    Attributes:
        slug: front-matter `slug`, else the last part of `path` (Zola), else
            the file name without extension (`index.md` -> its folder's name).
        title: front-matter `title`, else the first h1, else the slug.
        date: aware UTC publication date, or None (undated or unreadable).
        html: the rendered body (Markup: Jinja inserts it unescaped).
        toc: the body's headings, in order.
        metadata: the whole front matter as decoded.
        source_file: the Markdown file.
        summary: front-matter `summary`/`description`, else the text before
            Hugo's summary divider `<!--more-->` (as Hugo's `.Summary`), else the
            first paragraph as plain text, cut to ~280 characters.
        tags: from `tags` (list or comma-separated) or Zola `taxonomies.tags`.
        authors: from `authors`, `by` or `author`.
        word_count: words in the rendered body.
        reading_time_minutes: word_count / 200, rounded, at least 1.
        redirect: target of a redirect stub (`redirect: /blog/x`), else None.
        aliases: old URLs that should redirect here (Zola/Hugo `aliases`).
        draft: front-matter `draft: true` (Hugo, Zola, Jekyll) or Pelican
            `Status: draft`; left out of collections unless drafts are shown
            (`ssg build --drafts`, `ssg dev`).
        bundle_files: for a page bundle (`hello/index.md`), the files beside it
            (relative POSIX names, e.g. "diagram.png"), published next to the
            post's URL by `Collection.get` during a render; else ().
        path: the file's path relative to the collection's folder, without its
            suffix, in POSIX form ("guide/install" for guide/install.md); an
            `index.md` (or `_index.md`) stands for its folder ("guide" for
            guide/index.md, "" for the collection's own index.md). Unique in a
            collection, where slugs of nested folders may clash: a docs site's
            `[[...path]]` route looks entries up with `Collection.get(path=...)`.
    """

    slug: str
    title: str
    date: datetime | None
    html: Markup
    toc: tuple[Heading, ...]
    metadata: dict[str, Any] = field(hash=False)
    source_file: Path
    summary: str
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    word_count: int = 0
    reading_time_minutes: int = 1
    redirect: str | None = None
    aliases: tuple[str, ...] = ()
    draft: bool = False
    bundle_files: tuple[str, ...] = ()
    path: str = ""

    def is_scheduled(self, now: float) -> bool:
        """True when the entry is dated after `now` (epoch seconds): published at its date."""
        return self.date is not None and self.date.timestamp() > now

    def __getattribute__(self, name: str) -> Any:
        # During a recorded render each field read is noted, so an incremental build
        # re-renders exactly the pages that read a field an edit changed (a title
        # edit reaches the listings showing that title, not every page).
        if name in _FIELDS:
            reads = collector.get()
            if reads is not None:
                source_file = object.__getattribute__(self, "source_file")
                if name == "metadata":  # noted key by key (see RecordedMetadata)
                    raw = object.__getattribute__(self, name)
                    return RecordedMetadata(raw, str(source_file))
                reads.own.add((_FIELD, str(source_file), name))
            if name == "html":
                return _html(self)
        return object.__getattribute__(self, name)


_FIELDS = frozenset(Entry.__dataclass_fields__) - {"source_file", "slug"}
_FIELD = ReadKind.FIELD  # noted per field read (see ssg.reads on Enum attributes)
"""The fields whose reads are recorded. `source_file` names the entry itself; a slug is
found through its collection, whose read covers the slugs (listings look entries up by
slug in loops: not noting those reads keeps the records small)."""


class DeferredValue:
    """A field's value kept out of memory until it is first read: the content cache gives
    the entries it loads their `html` this way (a rebuild after one edit reads a few bodies,
    not every post's). `Entry` loads it on first access and keeps the value; a pickle holds
    the value itself.

    Args:
        load: returns the value (called at most once per entry, or per pickle).
    """

    __slots__ = ("load",)

    def __init__(self, load: Callable[[], Any]) -> None:
        self.load = load

    def __reduce__(self) -> tuple[Callable[[Any], Any], tuple[Any]]:
        return _same, (self.load(),)


def _same(value: Any) -> Any:
    return value


def _html(entry: Entry) -> Markup:
    value = object.__getattribute__(entry, "html")
    if type(value) is DeferredValue:
        value = value.load()
        object.__setattr__(entry, "html", value)  # an entry is frozen for its users only
    return cast(Markup, value)


def unrecorded_field(entry: Entry, name: str) -> Any:
    """An entry's field value without noting the read (what `ssg.builder.read_digests` digests)."""
    if name == "html":
        return _html(entry)
    return object.__getattribute__(entry, name)
