"""The on-disk ISR entry store: one file per regenerated page, written as a transaction.

An entry file is one JSON header line, a newline, then the body bytes, so the
metadata can never disagree with the HTML: both are replaced by one rename.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger("ssg.isr")

ENTRY_FORMAT = "ssg-isr/1"
"""Versions the entry layout (as Next.js `MAIN_KEY_PREFIX`); other formats are ignored."""

ENTRY_SUFFIX = ".entry"
TEMP_SUFFIX = ".tmp"
STALE_TEMP_SECONDS = 300.0
"""Temp files older than this are leftovers of a killed writer and are removed on scan."""

BeforeReplace = Callable[[Path, Path], None]
"""Test hook called as (temp_file, entry_file) after the temp file is synced, before the rename."""


def make_etag(body: bytes) -> str:
    """A strong ETag for a body: the quoted first 16 hex digits of its SHA-256 (as the build)."""
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


@dataclass(frozen=True)
class EntryMeta:
    """What an entry file's header line says about its page.

    Attributes:
        url_path: the canonical URL path ("/blog/hello").
        route_pattern: its route ("/blog/[slug]").
        status: the HTTP status (200, 404, 307, 308, or a handler's).
        content_type: the Content-Type header value.
        revalidate_seconds: seconds the page stays fresh; None = never stale.
        generated_at: epoch seconds the entry was written; freshness counts from
            here (as Next.js counts from when the cache entry is set), so a render
            slower than revalidate is not stale on arrival.
        tags: the cache tags the render used (explicit ones; implicit tags are derived).
        build_id: the manifest build the entry belongs to.
        etag: the body's ETag (see `make_etag`).
        size_bytes: the body length in bytes.
        location: a redirect's target, else None.
        header_items: extra headers a route handler set.
        started_at: epoch seconds the render began; a revalidation mark at or after
            it makes the entry stale (a mark made during the render is not lost).
            None: the same as generated_at.
        data_keys: the data-cache keys the render read; revalidate_path expires them.
    """

    url_path: str
    route_pattern: str
    status: int
    content_type: str
    revalidate_seconds: float | None
    generated_at: float
    tags: tuple[str, ...]
    build_id: str
    etag: str
    size_bytes: int
    location: str | None = None
    header_items: tuple[tuple[str, str], ...] = ()
    started_at: float | None = None
    data_keys: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The header line's JSON object."""
        return {
            "format": ENTRY_FORMAT,
            "url_path": self.url_path,
            "route_pattern": self.route_pattern,
            "status": self.status,
            "content_type": self.content_type,
            "revalidate": self.revalidate_seconds,
            "generated_at": self.generated_at,
            "tags": list(self.tags),
            "build_id": self.build_id,
            "etag": self.etag,
            "size_bytes": self.size_bytes,
            "location": self.location,
            "headers": [list(item) for item in self.header_items],
            "started_at": self.started_at,
            "data_keys": list(self.data_keys),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EntryMeta:
        """Parse a header line's JSON object.

        Raises:
            ValueError: another format, or a missing or mistyped field.
        """
        if data.get("format") != ENTRY_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, not {ENTRY_FORMAT!r}")
        try:
            revalidate = data["revalidate"]
            started_at = data.get("started_at")
            return cls(
                url_path=str(data["url_path"]),
                route_pattern=str(data["route_pattern"]),
                status=int(data["status"]),
                content_type=str(data["content_type"]),
                revalidate_seconds=None if revalidate is None else float(revalidate),
                generated_at=float(data["generated_at"]),
                tags=tuple(str(t) for t in data["tags"]),
                build_id=str(data["build_id"]),
                etag=str(data["etag"]),
                size_bytes=int(data["size_bytes"]),
                location=None if data.get("location") is None else str(data["location"]),
                header_items=tuple((str(k), str(v)) for k, v in data.get("headers", [])),
                started_at=None if started_at is None else float(started_at),
                data_keys=tuple(str(k) for k in data.get("data_keys", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"bad header field: {exc!r}") from exc


@dataclass(frozen=True)
class StoredEntry:
    """An entry found on disk: its header and where its body starts.

    Attributes:
        meta: the header.
        entry_file: the entry file.
        body_offset: the byte offset of the body in the file.
    """

    meta: EntryMeta
    entry_file: Path
    body_offset: int


class EntryStore:
    """ISR entries of one build under `directory` (`config.cache_dir / "isr"`).

    Writes are transactions (temp file in the same folder, fsync, `os.replace`,
    fsync of the folder), so after a crash or kill -9 an entry is the old one or
    the new one, never a mix. Entries of another build_id are ignored and
    removed on `scan`, since a new build replaced the pages they regenerated.
    Methods block on disk I/O: call them through `asyncio.to_thread`.

    Args:
        directory: the folder the store owns; created if missing.
        build_id: the manifest's build_id; entries are tagged with it.
        before_replace: a test hook run between the synced temp write and the rename.
    """

    def __init__(
        self, directory: Path, build_id: str, *, before_replace: BeforeReplace | None = None
    ) -> None:
        self.directory = directory
        self.build_id = build_id
        self._before_replace = before_replace
        directory.mkdir(parents=True, exist_ok=True)

    def entry_file(self, url_path: str) -> Path:
        """The file holding `url_path`'s entry (named by a hash: URLs are not file names)."""
        digest = hashlib.sha256(url_path.encode("utf-8")).hexdigest()[:40]
        return self.directory / f"{digest}{ENTRY_SUFFIX}"

    def write(self, meta: EntryMeta, body: bytes) -> StoredEntry:
        """Write an entry atomically, replacing any previous one for the URL.

        Raises:
            ValueError: `meta` does not describe `body` (size or etag) or another build.
            OSError: the disk write failed (the previous entry is left as it was).
        """
        if meta.size_bytes != len(body) or meta.etag != make_etag(body):
            raise ValueError(f"entry header for {meta.url_path} does not match its body")
        if meta.build_id != self.build_id:
            raise ValueError(f"entry for {meta.url_path} belongs to build {meta.build_id}")
        header = json.dumps(meta.to_json(), ensure_ascii=False, separators=(",", ":"))
        head = header.encode("utf-8") + b"\n"
        target = self.entry_file(meta.url_path)
        temp = target.with_name(f".{target.name}.{os.getpid()}.{time.monotonic_ns()}{TEMP_SUFFIX}")
        try:
            with open(temp, "wb") as handle:
                handle.write(head)
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            if self._before_replace is not None:
                self._before_replace(temp, target)
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.directory)
        return StoredEntry(meta, target, len(head))

    def read(self, url_path: str) -> tuple[EntryMeta, bytes] | None:
        """Read `url_path`'s entry of this build; None when missing, corrupt or of another build.

        A corrupt file is logged and removed (degrade loudly: the page is then
        served from the build output or rendered again).
        """
        entry_file = self.entry_file(url_path)
        try:
            data = entry_file.read_bytes()
        except FileNotFoundError:
            return None
        parsed = self._parse(entry_file, data)
        if parsed is None or parsed[0].url_path != url_path:
            return None
        return parsed

    def read_body(self, entry_file: Path, etag: str) -> bytes | None:
        """Read a scanned entry's body; None when the file is gone or holds another body now."""
        try:
            data = entry_file.read_bytes()
        except FileNotFoundError:
            return None
        parsed = self._parse(entry_file, data)
        if parsed is None or parsed[0].etag != etag:
            return None
        return parsed[1]

    def scan(self) -> Iterator[StoredEntry]:
        """Yield every entry of this build (headers only; bodies stay on disk).

        Removes entries of other builds, corrupt entries and temp files left by
        a killed writer, logging what was removed.
        """
        removed_old = 0
        now = time.time()
        for entry_file in sorted(self.directory.iterdir()):
            name = entry_file.name
            if name.endswith(TEMP_SUFFIX):
                try:
                    if now - entry_file.stat().st_mtime > STALE_TEMP_SECONDS:
                        entry_file.unlink(missing_ok=True)
                except OSError:
                    pass
                continue
            if not name.endswith(ENTRY_SUFFIX):
                continue
            try:
                with open(entry_file, "rb") as handle:
                    head = handle.readline()
                    size = os.fstat(handle.fileno()).st_size
            except OSError as exc:
                logger.warning("Cannot read ISR entry %s (%s); skipping it.", entry_file, exc)
                continue
            try:
                meta = EntryMeta.from_json(json.loads(head))
            except ValueError as exc:
                self._drop(entry_file, f"unreadable header ({exc})")
                continue
            if meta.build_id != self.build_id:
                entry_file.unlink(missing_ok=True)
                removed_old += 1
                continue
            if size - len(head) != meta.size_bytes:
                self._drop(entry_file, "body size does not match its header")
                continue
            yield StoredEntry(meta, entry_file, len(head))
        if removed_old:
            logger.info(
                "Removed %d ISR entries of an older build (a new build replaced their pages).",
                removed_old,
            )

    def _parse(self, entry_file: Path, data: bytes) -> tuple[EntryMeta, bytes] | None:
        head, newline, body = data.partition(b"\n")
        try:
            if not newline:
                raise ValueError("no header line")
            meta = EntryMeta.from_json(json.loads(head))
        except ValueError as exc:
            self._drop(entry_file, f"unreadable header ({exc})")
            return None
        if meta.build_id != self.build_id:
            return None
        if len(body) != meta.size_bytes or make_etag(body) != meta.etag:
            self._drop(entry_file, "body does not match its header")
            return None
        return meta, body

    def _drop(self, entry_file: Path, why: str) -> None:
        logger.warning(
            "ISR entry %s is corrupt (%s); removing it, so the page is served from the build "
            "or rendered again.",
            entry_file,
            why,
        )
        entry_file.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX: the directory entry is data of the folder)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
