"""The build manifest, out/_ssg/manifest.json: what the server needs to know about the build.

Schema (version 2; `ssg.records.Manifest` reads and writes it)::

    {
      "version": 2,
      "build_id": "b7c1e0...",                 # changes every build; ISR entries of
                                               # older builds are ignored by the server
      "generated_at": 1763772000.5,            # epoch seconds (UTC) the build ended
      "routes": [                              # every route, in resolution order
        {"route_pattern": "/blog/[slug]", "kind": "page" | "handler",
         "render": "static" | "ssg" | "isr" | "dynamic",
         "revalidate": 60 | false | 0,         # lowest of its pages (false = never stale)
         "layout_patterns": ["/", "/blog"]}    # implicit tags for revalidate_path(..., "layout")
      ],
      "pages": {                               # prerendered URL paths, one per line
        "/blog/hello": {"url_path": "/blog/hello", "route_pattern": "/blog/[slug]",
                        "output_file": "blog/hello.html", "status": 200,
                        "content_type": "text/html; charset=utf-8",
                        "revalidate": 60 | false,   # effective: segments and data used
                        "tags": ["posts"],            # tags of the data it used
                        "generated_at": 1763772000.5,
                        "etag": "\"9f86d081884c7d65\"", "size_bytes": 5120,
                        "location": "/new",           # redirects only (status 307/308)
                        "headers": [["X-Feed-Version", "2"]],   # a route handler's, if any
                        "data_keys": ["v1:fetch:..."]}  # data-cache keys it read, if any
      },
      "indexed_pages": ["/", "/blog/hello"],   # pages a sitemap lists: no handlers,
                                               # redirects, 404s or robots "noindex"
      "not_found_file": "404.html",
      "base_path": "/docs",                    # only with a base path: the prefix
                                               # the pages' links carry
      "output": "export"                       # only for a static export (ssg serve
                                               # then serves its files only)
    }
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import operator
import os
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ssg.builder.build_result import RouteResult
from ssg.records import MANIFEST_FILE, Manifest, PageRecord
from ssg.site import Site

_json = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
"""As `Manifest.dumps` encodes each value."""


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class KeptManifest:
    """The last build's manifest text and the page records it was written from (the page
    records an incremental build kept): the lines of the pages it reuses are written again
    as they were, with the new generated time, instead of encoded again.

    Attributes:
        data: out/_ssg/manifest.json as the last build wrote it (`Manifest.dumps`, UTF-8):
            bytes, which a megabyte manifest with one non-ASCII character in it is copied
            and searched as several times faster than as text.
        records: URL path -> the record its line was written from.
    """

    data: bytes
    records: Mapping[str, PageRecord]


def write_manifest(out_dir: Path, manifest: Manifest, kept: KeptManifest | None = None) -> Path:
    """Write the manifest atomically (temp file + rename) and return its path.

    With `kept`, a page whose record is the one the last manifest was written from
    (but for its generated time) keeps its line; the text is `manifest.dumps()`'s.
    """
    target = out_dir / MANIFEST_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    pieces = None
    if kept is not None:
        pieces = _spliced(manifest, kept)
        if pieces is None:
            text = _dumps_reusing(manifest, kept)
            pieces = None if text is None else [text.encode("utf-8")]
    with open(temp, "wb") as stream:
        stream.writelines(pieces or [manifest.dumps().encode("utf-8")])
    os.replace(temp, target)
    return target


_PAGES_OPEN = '\n "pages": {\n'
_HEADER = re.compile(
    r'\{\n "version": \d+,\n "build_id": "[0-9a-f]*",\n "generated_at": ([^,\n]+),\n'
)
_BYTES_HEADER = re.compile(_HEADER.pattern.encode())
_BYTES_PAGES_OPEN = _PAGES_OPEN.encode()
_NO_PAGES = ' "pages": {},\n'
"""How `Manifest.dumps` writes a manifest without pages (the place of the pages)."""
_URL_PATH = operator.attrgetter("url_path")
_ALL_BUT_TIME = operator.attrgetter(
    *(field.name for field in dataclasses.fields(PageRecord) if field.name != "generated_at")
)


def _dumps_reusing(manifest: Manifest, kept: KeptManifest) -> str | None:
    """`manifest.dumps()`, each unchanged page's line taken from `kept.data`; None when that
    is not `dumps` text (then the caller encodes every page)."""
    try:
        text = kept.data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    header = _HEADER.match(text)
    start = text.find(_PAGES_OPEN)
    if header is None or start < 0:
        return None
    start += len(_PAGES_OPEN)
    end = text.find("\n }", start)
    old_time = f'"generated_at": {header.group(1)}, '
    decode = json.JSONDecoder().raw_decode
    lines: dict[str, str] = {}
    try:
        # One page per line, lines joined by ",\n" (a JSON string holds no raw newline).
        for kept_line in text[start:end].split(",\n"):
            lines[decode(kept_line, 2)[0]] = kept_line
    except ValueError:
        return None
    items = []
    times: dict[float, str] = {}  # every page of a build has its generated time
    for url_path, page in manifest.pages.items():
        line = lines.get(url_path)
        before = kept.records.get(url_path)
        if (
            line is not None
            and before is not None
            and _ALL_BUT_TIME(before) == _ALL_BUT_TIME(page)
            and old_time in line
        ):
            new_time = times.get(page.generated_at)
            if new_time is None:
                new_time = times[page.generated_at] = (
                    f'"generated_at": {_json(page.generated_at)}, '
                )
            items.append(line.replace(old_time, new_time, 1))
            continue
        items.append(f"  {_json(url_path)}: {_json(page.to_json())}")
    empty = dataclasses.replace(manifest, pages={})
    pages = "{\n" + ",\n".join(items) + "\n }" if items else "{}"
    return empty.dumps().replace(_NO_PAGES, f' "pages": {pages},\n', 1)


MAX_SPLICED = 256
"""From this many pages added, removed or changed, the manifest is written line by line."""


def _spliced(manifest: Manifest, kept: KeptManifest) -> list[bytes | memoryview] | None:
    """`manifest.dumps()` (UTF-8) in pieces to write one after another: `kept.data` with the
    new time, the lines of the pages added, removed or changed (their record is not the
    kept one) edited; None when `manifest.pages` are not `StampedPages`, too many pages
    changed, or the data is not `dumps` text with one line per kept record, each of the
    same time (then `_dumps_reusing` goes line by line).

    The lines are in URL path order (`build_manifest`), so each edited line is found by a
    search from the last one: one pass over the bytes, in C; the kept lines are written
    from the bytes as they are (views, no copies).
    """
    pages = manifest.pages
    if not isinstance(pages, StampedPages):
        return None
    records, before = pages.records, kept.records
    edited = [
        url_path
        for url_path, record in records.items()
        if before.get(url_path) is not record or record.due_at is not None  # due_at: see restamped
    ]
    edited += [url_path for url_path in before if url_path not in records]
    if not records or len(edited) > MAX_SPLICED:
        return None
    data = kept.data
    header = _BYTES_HEADER.match(data)
    start = data.find(_BYTES_PAGES_OPEN)
    if header is None or start < 0:
        return None
    start += len(_BYTES_PAGES_OPEN)
    end = data.find(b"\n }", start)
    old_time = b'"generated_at": ' + header.group(1) + b", "
    # One line per kept record, each with the old time once, and the time nowhere else (a
    # JSON string holds no raw newline and no unescaped quote: neither a line break nor
    # the key can be inside a value; the header's time is followed by a line break).
    kept_count = len(before)
    if end < 0 or data.count(b"\n", start, end) + 1 != kept_count:
        return None
    if data.count(old_time) != kept_count:
        return None
    new_time = f'"generated_at": {_json(pages.generated_at)}, '.encode()
    data = data.replace(old_time, new_time)  # only the pages' lines hold it
    end = data.find(b"\n }", start)
    view = memoryview(data)
    kept_order = sorted(before)
    items: list[bytes | memoryview] = []  # runs of whole lines and new lines, without ",\n"
    done = start  # where the first line not yet in `items` begins
    for url_path in sorted(edited):
        if url_path in before:
            at = _line_start(data, url_path, done, start, end)
        else:  # new: before the first kept page after it, or last
            following = bisect.bisect_left(kept_order, url_path)
            at = end
            if following < len(kept_order):
                at = _line_start(data, kept_order[following], done, start, end)
        if at < 0:
            return None
        if at > done:  # the kept lines before it
            items.append(view[done : at - 2 if at < end else end])
        done = at
        if url_path in before:  # past its line
            stop = data.find(b",\n", at, end)
            done = end if stop < 0 else stop + 2
        if url_path in records:
            items.append(f"  {_json(url_path)}: {_json(pages[url_path].to_json())}".encode())
    if done < end:
        items.append(view[done:end])
    head, _, tail = dataclasses.replace(manifest, pages={}).dumps().partition(_NO_PAGES)
    pieces: list[bytes | memoryview] = [head.encode("utf-8"), b' "pages": {\n']
    for index, item in enumerate(items):
        if index:
            pieces.append(b",\n")
        pieces.append(item)
    pieces += [b"\n },\n", tail.encode("utf-8")]
    return pieces


def _line_start(data: bytes, url_path: str, start: int, first: int, end: int) -> int:
    """Where the line of `url_path` begins in `data`, searching from `start` up to `end`
    (`first`: where the first line begins); -1 if nowhere."""
    key = f"  {_json(url_path)}: ".encode()
    at = data.find(key, start, end)
    if at < 0 or (at != first and data[at - 2 : at] != b",\n"):
        return -1
    return at


class StampedPages(Mapping[str, PageRecord]):
    """A build's manifest pages: each page record restamped with the build's end time on
    first use (`PageRecord.restamped`), the records as rendered or kept in `records`.

    The written manifest keeps the lines of the records an incremental build kept
    (`_spliced`), so most pages are never restamped.

    Args:
        records: URL path -> page record, in URL path order.
        generated_at: the build's end time (epoch seconds).
    """

    def __init__(self, records: dict[str, PageRecord], generated_at: float) -> None:
        self.records = records
        self.generated_at = generated_at
        self._stamped: dict[str, PageRecord] = {}

    def __getitem__(self, url_path: str) -> PageRecord:
        found = self._stamped.get(url_path)
        if found is None:
            found = self._stamped[url_path] = self.records[url_path].restamped(self.generated_at)
        return found

    def __contains__(self, url_path: object) -> bool:
        return url_path in self.records

    def __iter__(self) -> Iterator[str]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


def load_manifest(out_dir: Path) -> Manifest | None:
    """Read out/_ssg/manifest.json; None when missing, unreadable or of another version."""
    try:
        return Manifest.loads((out_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def build_manifest(
    site: Site,
    results: Iterable[RouteResult],
    pages: Iterable[PageRecord],
    now: float,
    *,
    indexed: Iterable[str] = (),
) -> Manifest:
    """The manifest of a finished build (schema above).

    Args:
        site: the site.
        results: one settled RouteResult per route, in resolution order.
        pages: the record of every page written.
        now: the build's end time (epoch seconds), every page's `generated_at`.
        indexed: the URL paths of the written pages a sitemap lists.
    """
    return Manifest(
        build_id=uuid.uuid4().hex,
        generated_at=now,
        routes=tuple(result.record for result in results),
        pages=StampedPages(
            {page.url_path: page for page in sorted(pages, key=_URL_PATH)}, generated_at=now
        ),
        indexed_pages=tuple(sorted(indexed)),
        base_path=site.config.base_path,
        export=site.config.output == "export",
    )
