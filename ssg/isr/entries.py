"""The on-disk ISR entry store: one file per regenerated page, written as a transaction.

An entry file is one JSON header line (the format, the build, when the render
began and the page's `PageRecord`), a newline, then the body bytes, so the record
can never disagree with the body: both are replaced by one rename.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssg.records import PageRecord, make_etag

logger = logging.getLogger("ssg.isr")

ENTRY_FORMAT = "ssg-isr/2"
"""Versions the entry layout (as Next.js `MAIN_KEY_PREFIX`); other formats are ignored."""

ENTRY_SUFFIX = ".entry"
TEMP_SUFFIX = ".tmp"
STALE_TEMP_SECONDS = 300.0
"""Temp files older than this are leftovers of a killed writer and are removed on scan."""


@dataclass(frozen=True, slots=True)
class EntryWrite:
    """One entry to write: the page's record, its body and when its render began (epoch seconds)."""

    page: PageRecord
    body: bytes
    started_at: float


@dataclass(frozen=True)
class StoredEntry:
    """An entry found on disk: its page record, when its render began, and its file.

    Attributes:
        page: the page's record (`output_file` is the entry file's name).
        started_at: epoch seconds the render began; a revalidation mark at or
            after it makes the entry stale (a mark made during the render is not
            lost). Freshness counts from `page.generated_at`, when the entry was set.
        entry_file: the entry file.
    """

    page: PageRecord
    started_at: float
    entry_file: Path


class EntryStore:
    """ISR entries of one build under `directory` (`config.cache_dir / "isr"`).

    Writes are transactions (temp file in the same folder, then `os.replace`;
    see `write_many` for what is fsynced), so after a crash or kill -9 an entry
    is the old one or the new one, never a mix. Entries of another build_id are ignored and
    removed on `scan`, since a new build replaced the pages they regenerated.
    Methods block on disk I/O: call them through `asyncio.to_thread`.

    Args:
        directory: the folder the store owns; created if missing.
        build_id: the manifest's build_id; entries are tagged with it.
    """

    def __init__(self, directory: Path, build_id: str) -> None:
        self.directory = directory
        self.build_id = build_id
        self._directory_name = os.fspath(directory)
        directory.mkdir(parents=True, exist_ok=True)

    def entry_name(self, url_path: str) -> str:
        """The name of the file holding `url_path`'s entry (a hash: URLs are not file names)."""
        return hashlib.sha256(url_path.encode("utf-8")).hexdigest()[:40] + ENTRY_SUFFIX

    def entry_file(self, url_path: str) -> Path:
        """The file holding `url_path`'s entry, in `directory`."""
        return self.directory / self.entry_name(url_path)

    def has_entry(self, url_path: str) -> bool:
        """True when an entry file exists for `url_path` (one stat; any build, not read)."""
        return os.path.exists(os.path.join(self._directory_name, self.entry_name(url_path)))

    def write(self, page: PageRecord, body: bytes, *, started_at: float) -> StoredEntry:
        """Write one entry atomically, replacing any previous one for the URL (see `write_many`).

        Raises:
            ValueError: `page` does not describe `body` (size or etag) or this entry.
            OSError: the disk write failed (the previous entry is left as it was).
        """
        (result,) = self.write_many([EntryWrite(page, body, started_at)])
        if isinstance(result, Exception):
            raise result
        return result

    def write_many(self, writes: Sequence[EntryWrite]) -> list[StoredEntry | Exception]:
        """Write entries atomically, each replacing any previous one for its URL.

        Each entry goes to a temp file in the store's folder, then `os.replace`
        puts it in place, so a kill -9 at any point leaves the old entry or the
        new one, never a mix. Power loss: an entry that replaces another is
        fsynced before its rename and the folder after the renames (one fsync
        of the folder for the whole batch), so the page is then its last written
        version or the one before. A first entry of an URL (a page rendered on
        demand, or a built page's first regeneration) is not waited for: after a
        power loss it may be missing, or found torn by its size and ETag check and
        dropped (`scan`, `read`); the page is then the build's version or rendered
        again, never served torn.

        Args:
            writes: the entries; `page.output_file` must be the entry's file name.

        Returns:
            Per write, in order: the stored entry, or the error that kept it from
            being written (ValueError: the record does not describe the body or
            this entry; OSError: the disk write failed, the previous entry is left
            as it was).
        """
        results: list[StoredEntry | Exception] = []
        staged: list[tuple[int, Path, Path]] = []
        replacing = False
        for write in writes:
            page, body = write.page, write.body
            target = self.entry_file(page.url_path)
            if page.size_bytes != len(body) or page.etag != make_etag(body):
                results.append(
                    ValueError(f"entry record for {page.url_path} does not match its body")
                )
                continue
            if page.output_file != target.name:
                results.append(
                    ValueError(f"entry record for {page.url_path} names {page.output_file}")
                )
                continue
            header = {
                "format": ENTRY_FORMAT,
                "build_id": self.build_id,
                "started_at": write.started_at,
                "page": page.to_json(),
            }
            head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            temp = target.with_name(
                f".{target.name}.{os.getpid()}.{time.monotonic_ns()}{TEMP_SUFFIX}"
            )
            try:
                # Data before the name: a rename over an older entry must not commit
                # ahead of the new bytes (else a power loss could tear both versions).
                durable = os.path.exists(target)
                try:
                    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                except FileNotFoundError:
                    # The folder was removed under the server (`rm -rf .ssg/isr`, a
                    # tmp cleaner): entries are a cache, so it is made again.
                    self.directory.mkdir(parents=True, exist_ok=True)
                    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                try:
                    _write_all(fd, head + b"\n")
                    _write_all(fd, body)
                    if durable:
                        os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as exc:
                temp.unlink(missing_ok=True)
                results.append(exc)
                continue
            replacing = replacing or durable
            staged.append((len(results), temp, target))
            results.append(StoredEntry(page, write.started_at, target))
        for index, temp, target in staged:
            try:
                os.replace(temp, target)
            except BaseException as exc:
                temp.unlink(missing_ok=True)
                if not isinstance(exc, Exception):
                    raise
                results[index] = exc
        if replacing:
            _fsync_dir(self.directory)
        return results

    def read(self, url_path: str) -> tuple[StoredEntry, bytes] | None:
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
        if parsed is None or parsed[0].page.url_path != url_path:
            return None
        return parsed

    def read_body(self, entry_file: Path, etag: str) -> bytes | None:
        """Read a scanned entry's body; None when the file is gone or holds another body now."""
        try:
            data = entry_file.read_bytes()
        except FileNotFoundError:
            return None
        parsed = self._parse(entry_file, data)
        if parsed is None or parsed[0].page.etag != etag:
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
                build_id, entry = self._header(head, entry_file)
            except ValueError as exc:
                self._drop(entry_file, f"unreadable header ({exc})")
                continue
            if build_id != self.build_id:
                entry_file.unlink(missing_ok=True)
                removed_old += 1
                continue
            if size - len(head) != entry.page.size_bytes:
                self._drop(entry_file, "body size does not match its header")
                continue
            yield entry
        if removed_old:
            logger.info(
                "Removed %d ISR entries of an older build (a new build replaced their pages).",
                removed_old,
            )

    @staticmethod
    def _header(head: bytes, entry_file: Path) -> tuple[str, StoredEntry]:
        """(build_id, entry) of a header line (with its newline).

        Raises:
            ValueError: not JSON, another format, or a missing or mistyped field.
        """
        data: Any = json.loads(head)
        if not isinstance(data, dict) or data.get("format") != ENTRY_FORMAT:
            found = data.get("format") if isinstance(data, dict) else None
            raise ValueError(f"format {found!r}, not {ENTRY_FORMAT!r}")
        try:
            page = PageRecord.from_json(data["page"])
            started_at = float(data["started_at"])
            build_id = str(data["build_id"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"bad header field: {exc!r}") from exc
        return build_id, StoredEntry(page, started_at, entry_file)

    def _parse(self, entry_file: Path, data: bytes) -> tuple[StoredEntry, bytes] | None:
        head, newline, body = data.partition(b"\n")
        try:
            if not newline:
                raise ValueError("no header line")
            build_id, entry = self._header(head + newline, entry_file)
        except ValueError as exc:
            self._drop(entry_file, f"unreadable header ({exc})")
            return None
        if build_id != self.build_id:
            return None
        if len(body) != entry.page.size_bytes or make_etag(body) != entry.page.etag:
            self._drop(entry_file, "body does not match its header")
            return None
        return entry, body

    def _drop(self, entry_file: Path, why: str) -> None:
        logger.warning(
            "ISR entry %s is corrupt (%s); removing it, so the page is served from the build "
            "or rendered again.",
            entry_file,
            why,
        )
        entry_file.unlink(missing_ok=True)


def _write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is written (a write may be short)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


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
