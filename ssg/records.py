"""The records of a build shared by the builder and the server: pages, routes, the manifest.

`PageRecord` describes one built or regenerated page: the build writes it, the
manifest holds it, the ISR entry store persists it, the server's page cache wraps
it. Imports nothing from ssg but `ssg.revalidate`, so both sides import it and
neither imports the other.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import operator
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ssg.revalidate import Revalidate

MANIFEST_VERSION = 2
"""Version 2: redirects and headers live on the page records (version 1 had a
separate "redirects" map and fields nothing read)."""
MANIFEST_FILE = "_ssg/manifest.json"
"""Where a build's manifest lives in its output folder (out/)."""

Headers = tuple[tuple[str, str], ...]
"""Response headers as (name, value) pairs, in order."""


def make_etag(body: bytes) -> str:
    """A strong ETag for a body: the quoted first 16 hex digits of its SHA-256 (RFC 9110 8.8.3)."""
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


@dataclass(frozen=True, slots=True)
class PageRecord:
    """One built or regenerated page, without its body.

    Attributes:
        url_path: the canonical URL path ("/blog/hello").
        route_pattern: its route ("/blog/[slug]").
        status: the HTTP status (200, 404, 307/308 for a redirect, or a handler's).
        content_type: the Content-Type header value.
        revalidate: the effective revalidate: the lowest of the route's segments
            and every cached fetch or ssg.cache entry the render used.
        tags: the explicit cache tags the render used, sorted (implicit tags are
            derived from the route, see `ssg.isr.tags`).
        etag: the body's strong ETag ('"' + 16 hex digits of its SHA-256 + '"').
        size_bytes: the body's length.
        output_file: where the body is, with forward slashes: relative to out/
            for a built page ("blog/hello.html"), the entry file's name in the
            ISR store for a regenerated one.
        location: a redirect's target, else None.
        headers: extra response headers a route handler set (not Content-Type).
        data_keys: the data-cache keys its render read (fetches and ssg.cache
            entries), sorted: what `revalidate_path` expires for this page.
        generated_at: epoch seconds (UTC) it was generated: a build's pages carry
            the build's end time; freshness counts from here.
        bundle_files: page-bundle files served next to it, as (name relative
            to the URL, absolute source file): set by the server for a page it
            rendered on demand (a build writes them into out/ instead).
        due_at: when something the render left out for its future date (a
            scheduled post) falls due, epoch seconds, else None: `revalidate`
            then counts down to it from `generated_at` (see `restamped`).
    """

    url_path: str
    route_pattern: str
    status: int
    content_type: str
    revalidate: Revalidate
    tags: tuple[str, ...]
    etag: str
    size_bytes: int
    output_file: str
    location: str | None = None
    headers: Headers = ()
    data_keys: tuple[str, ...] = ()
    generated_at: float = 0.0
    bundle_files: tuple[tuple[str, str], ...] = ()
    due_at: float | None = None

    def restamped(self, generated_at: float) -> PageRecord:
        """This record as generated at `generated_at` (epoch seconds, not before the render).

        A page that left out a scheduled post must go stale when the post falls
        due, however long after its render the build ends or a later build
        reuses it: its revalidate becomes the lower of its own and the whole
        seconds left until `due_at` (at least 1; 0 would make it dynamic). The
        lower of the two is exact: a revalidate that came from an earlier due
        time only shrinks, one that came from the route or its data stays.
        """
        if self.due_at is None or self.revalidate.is_every_request:
            # Every field copied positionally but the time: a build restamps every page,
            # and `dataclasses.replace` builds a keyword dict for each.
            values = list(_page_record_fields(self))
            values[_GENERATED_AT] = generated_at
            return PageRecord(*values)
        left = Revalidate.after(max(1, math.ceil(self.due_at - generated_at)))
        return dataclasses.replace(
            self, generated_at=generated_at, revalidate=self.revalidate.lowest(left)
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; `location`, `headers`, `data_keys`, `bundle_files`, `due_at`
        only when set."""
        data: dict[str, Any] = {
            "url_path": self.url_path,
            "route_pattern": self.route_pattern,
            "output_file": self.output_file,
            "status": self.status,
            "content_type": self.content_type,
            "revalidate": self.revalidate.to_json(),
            "tags": list(self.tags),
            "generated_at": self.generated_at,
            "etag": self.etag,
            "size_bytes": self.size_bytes,
        }
        if self.location is not None:
            data["location"] = self.location
        if self.headers:
            data["headers"] = [list(item) for item in self.headers]
        if self.data_keys:
            data["data_keys"] = list(self.data_keys)
        if self.bundle_files:
            data["bundle_files"] = [list(item) for item in self.bundle_files]
        if self.due_at is not None:
            data["due_at"] = self.due_at
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PageRecord:
        """Parse `to_json`'s dict (route patterns and content types interned: many pages share them).

        Raises:
            ValueError: a missing or mistyped field.
        """
        try:
            location = data.get("location")
            return cls(
                url_path=str(data["url_path"]),
                route_pattern=sys.intern(str(data["route_pattern"])),
                status=int(data["status"]),
                content_type=sys.intern(str(data["content_type"])),
                revalidate=Revalidate.from_json(data["revalidate"]),
                tags=tuple(str(tag) for tag in data["tags"]),
                etag=str(data["etag"]),
                size_bytes=int(data["size_bytes"]),
                output_file=str(data["output_file"]),
                location=None if location is None else str(location),
                headers=tuple((str(k), str(v)) for k, v in data.get("headers", ())),
                data_keys=tuple(str(key) for key in data.get("data_keys", ())),
                generated_at=float(data["generated_at"]),
                bundle_files=tuple((str(n), str(f)) for n, f in data.get("bundle_files", ())),
                due_at=None if data.get("due_at") is None else float(data["due_at"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"bad page record field: {exc!r}") from exc


_FIELD_NAMES = tuple(item.name for item in dataclasses.fields(PageRecord))
_page_record_fields = operator.attrgetter(*_FIELD_NAMES)
_GENERATED_AT = _FIELD_NAMES.index("generated_at")


class RenderKind(StrEnum):
    """How the build renders a route: a row of the route table (as `next build` prints it)."""

    STATIC = "static"
    """○ prerendered once, no params."""
    SSG = "ssg"
    """● prerendered for each params of generate_static_params."""
    ISR = "isr"
    """ISR Ns: prerendered, regenerated in the background after revalidate seconds."""
    DYNAMIC = "dynamic"
    """ƒ rendered per request."""


class RouteKind(StrEnum):
    """A route is a page (page.html / page.md) or a route handler (route.py)."""

    PAGE = "page"
    HANDLER = "handler"


@dataclass(frozen=True, slots=True)
class RouteRecord:
    """One route as the build settled it.

    Attributes:
        route_pattern: e.g. "/blog/[slug]".
        kind: a page or a route handler (a route.py).
        render: how the build renders it (○ static, ● ssg, ISR Ns, ƒ dynamic).
        revalidate: the lowest revalidate of its pages (its segments' when it has none).
        layout_patterns: the URL patterns of its layouts, root first ("/", "/blog"):
            its implicit tags for revalidate_path(..., "layout").
    """

    route_pattern: str
    kind: RouteKind
    render: RenderKind
    revalidate: Revalidate
    layout_patterns: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "route_pattern": self.route_pattern,
            "kind": self.kind,
            "render": self.render,
            "revalidate": self.revalidate.to_json(),
            "layout_patterns": list(self.layout_patterns),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RouteRecord:
        """Parse `to_json`'s dict.

        Raises:
            ValueError: a missing or mistyped field.
        """
        try:
            return cls(
                route_pattern=str(data["route_pattern"]),
                kind=RouteKind(data["kind"]),
                render=RenderKind(data["render"]),
                revalidate=Revalidate.from_json(data["revalidate"]),
                layout_patterns=tuple(str(p) for p in data["layout_patterns"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"bad route record field: {exc!r}") from exc


@dataclass(frozen=True)
class Manifest:
    """What a build produced, as out/_ssg/manifest.json holds it.

    Attributes:
        build_id: changes every build; ISR entries of other builds are ignored.
        generated_at: epoch seconds (UTC) the build ended.
        routes: every route, in resolution order.
        pages: URL path -> its page record, for every page written (redirects included).
        indexed_pages: the URL paths a sitemap lists, sorted: no route handlers,
            redirects, 404s or robots "noindex" pages.
        not_found_file: the 404 page, relative to out/.
        base_path: the URL prefix the build's links carry ("" or "/docs"); the
            server serves under it whatever ssg.toml says now.
        export: the build is a static export (output = "export"): `ssg serve`
            serves its files only, as a static host would.
    """

    build_id: str
    generated_at: float
    routes: tuple[RouteRecord, ...]
    pages: Mapping[str, PageRecord]
    indexed_pages: tuple[str, ...] = ()
    not_found_file: str = "404.html"
    base_path: str = ""
    export: bool = False

    @property
    def redirects(self) -> dict[str, PageRecord]:
        """URL path -> page record of every redirect (pages with a `location`)."""
        return {url: page for url, page in self.pages.items() if page.location is not None}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (`version` first; `base_path` only when set, `output` only
        for an export)."""
        data: dict[str, Any] = {
            "version": MANIFEST_VERSION,
            "build_id": self.build_id,
            "generated_at": self.generated_at,
            "routes": [route.to_json() for route in self.routes],
            "pages": {url: page.to_json() for url, page in self.pages.items()},
            "indexed_pages": list(self.indexed_pages),
            "not_found_file": self.not_found_file,
        }
        if self.base_path:
            data["base_path"] = self.base_path
        if self.export:
            data["output"] = "export"
        return data

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        """Parse `to_json`'s dict.

        Raises:
            ValueError: another version, or a missing or mistyped field.
        """
        if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
            version = data.get("version") if isinstance(data, dict) else None
            raise ValueError(f"manifest version {version!r}, not {MANIFEST_VERSION}")
        try:
            return cls(
                build_id=str(data["build_id"]),
                generated_at=float(data["generated_at"]),
                routes=tuple(RouteRecord.from_json(r) for r in data["routes"]),
                pages={url: PageRecord.from_json(p) for url, p in data["pages"].items()},
                indexed_pages=tuple(str(url) for url in data.get("indexed_pages", ())),
                not_found_file=str(data.get("not_found_file", "404.html")),
                base_path=str(data.get("base_path", "")),
                export=data.get("output") == "export",
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"bad manifest field: {exc!r}") from exc

    def dumps(self) -> str:
        """The manifest as JSON text with one route or page per line (a list of URL paths
        stays on one).

        Readable and diffable line by line, and written by json's C encoder: with
        `indent` json falls back to its pure-Python encoder, several times slower
        on a manifest of thousands of pages.
        """
        lines = []
        for key, value in self.to_json().items():
            if isinstance(value, dict) and value:
                items = ",\n".join(f"  {_json(k)}: {_json(v)}" for k, v in value.items())
                text = "{\n" + items + "\n }"
            elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
                text = "[\n" + ",\n".join(f"  {_json(item)}" for item in value) + "\n ]"
            else:
                text = _json(value)
            lines.append(f" {_json(key)}: {text}")
        return "{\n" + ",\n".join(lines) + "\n}\n"

    @classmethod
    def loads(cls, text: str) -> Manifest:
        """Parse `dumps`'s text.

        Raises:
            ValueError: not JSON, another version, or a bad field.
        """
        return cls.from_json(json.loads(text))


_json = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def restamped_manifest_text(text: str, *, build_id: str, generated_at: float) -> str | None:
    """`Manifest.dumps` text with a new build id and generated time (the manifest's and every
    page's), the rest byte for byte as it was: what a build of the same pages writes.

    | text                                   | build_id, generated_at | result                    |
    | -------------------------------------- | ---------------------- | ------------------------- |
    | "build_id": "a1", "generated_at": 5.0 ... each page "generated_at": 5.0 | "b2", 9.5 | "b2", 9.5 everywhere |
    | a page's generated_at differs from the manifest's | any         | None                      |
    | a page has a `due_at` (its revalidate counts to it) | any       | None                      |

    Returns:
        The new text, or None when `text` is not `dumps` text whose every generated
        time is the manifest's, or a page's revalidate counts down to a due time
        (parse it and build the manifest instead, with `PageRecord.restamped`).
    """
    header = re.match(
        r'\{\n "version": (\d+),\n "build_id": ("[0-9a-f]*"),\n "generated_at": ([^,\n]+),\n', text
    )
    if header is None or header.group(1) != str(MANIFEST_VERSION) or '"due_at": ' in text:
        return None
    old_time = f'"generated_at": {header.group(3)}'
    if text.count(old_time) != text.count('"generated_at": '):
        return None
    new_time = f'"generated_at": {_json(generated_at)}'
    head = header.group(0)
    new_head = head.replace(header.group(2), _json(build_id), 1).replace(old_time, new_time, 1)
    return new_head + text[len(head) :].replace(old_time, new_time)


class PagesFromText(Mapping[str, PageRecord]):
    """A manifest's pages, parsed from its `dumps` text on first use.

    A build that changed nothing rewrites the manifest as text and hands its
    pages on this way: most callers (the build report) never read them.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._pages: Mapping[str, PageRecord] | None = None

    def _parsed(self) -> Mapping[str, PageRecord]:
        if self._pages is None:
            self._pages = Manifest.loads(self._text).pages
        return self._pages

    def __getitem__(self, url_path: str) -> PageRecord:
        return self._parsed()[url_path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._parsed())

    def __len__(self) -> int:
        return len(self._parsed())
