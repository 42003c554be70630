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
      "base_path": "/docs"                     # only with a base path: the prefix
                                               # the pages' links carry
    }
"""

from __future__ import annotations

import dataclasses
import json
import operator
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ssg.builder.build_result import RouteResult
from ssg.records import Manifest, PageRecord
from ssg.site import Site

MANIFEST_FILE = "_ssg/manifest.json"

_json = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
"""As `Manifest.dumps` encodes each value."""


@dataclass(frozen=True)
class KeptManifest:
    """The last build's manifest text and the page records it was written from (the page
    records an incremental build kept): the lines of the pages it reuses are written again
    as they were, with the new generated time, instead of encoded again.

    Attributes:
        text: out/_ssg/manifest.json as the last build wrote it (`Manifest.dumps`).
        records: URL path -> the record its line was written from.
    """

    text: str
    records: Mapping[str, PageRecord]


def write_manifest(out_dir: Path, manifest: Manifest, kept: KeptManifest | None = None) -> Path:
    """Write the manifest atomically (temp file + rename) and return its path.

    With `kept`, a page whose record is the one the last manifest was written from
    (but for its generated time) keeps its line; the text is `manifest.dumps()`'s.
    """
    target = out_dir / MANIFEST_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    text = _dumps_reusing(manifest, kept) if kept is not None else None
    temp.write_text(manifest.dumps() if text is None else text, encoding="utf-8")
    os.replace(temp, target)
    return target


_PAGES_OPEN = '\n "pages": {\n'
_HEADER = re.compile(
    r'\{\n "version": \d+,\n "build_id": "[0-9a-f]*",\n "generated_at": ([^,\n]+),\n'
)
_ALL_BUT_TIME = operator.attrgetter(
    *(field.name for field in dataclasses.fields(PageRecord) if field.name != "generated_at")
)


def _dumps_reusing(manifest: Manifest, kept: KeptManifest) -> str | None:
    """`manifest.dumps()`, each unchanged page's line taken from `kept.text`; None when that
    text is not `dumps` text (then the caller encodes every page)."""
    header = _HEADER.match(kept.text)
    start = kept.text.find(_PAGES_OPEN)
    if header is None or start < 0:
        return None
    start += len(_PAGES_OPEN)
    end = kept.text.find("\n }", start)
    old_time = f'"generated_at": {header.group(1)}, '
    decode = json.JSONDecoder().raw_decode
    lines: dict[str, str] = {}
    try:
        # One page per line, lines joined by ",\n" (a JSON string holds no raw newline).
        for kept_line in kept.text[start:end].split(",\n"):
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
    return empty.dumps().replace(' "pages": {},\n', f' "pages": {pages},\n', 1)


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
        pages={
            page.url_path: page.restamped(now)
            for page in sorted(pages, key=lambda page: page.url_path)
        },
        indexed_pages=tuple(sorted(indexed)),
        base_path=site.config.base_path,
    )
