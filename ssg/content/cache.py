"""The content cache: parsed files kept in the site's cache folder, so an unchanged post is parsed once.

One file per content folder and body filter (`SITE/.ssg/content/<key>.pickle`), written
whole with a temp file and `os.replace` (lektor `Artifact`): a pickle of the parses
without their bodies, then the bodies' UTF-8 bytes one after another. Reading it
unpickles the parses and leaves each entry's `html` to be decoded from those bytes
when a render first reads it (`DeferredValue`): a rebuild after one edit reads the few
bodies its pages show, not every post's. Beside it, a small `<key>.recent.pickle` holds
the files changed since it was written (a log on top of a snapshot, as Git's packs and
loose objects): an edit of one post rewrites that one: one read and one unpickle cost
far less than a `diskcache` lookup per file. Each file is kept under its relative name
with the BLAKE2b digest of its bytes; the whole file is valid only for the same cache
format, ssg (its version and its content code), cmarkgfm, Pygments and body filter
(Next.js versions its cache keys the same way: `MAIN_KEY_PREFIX`). Anything else is a
foreign cache: logged once and rebuilt, never fatal (pelican `cache.py`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from ssg.content.cache_file import BodiesUnpickler, collector_paused, write_pickle, write_whole
from ssg.content.parse_identity import code_identity, filter_identity
from ssg.content.parsing import (
    FilterRef,
    LoadedFile,
    file_digest,
    is_bundle_index,
    trusted_stamp,
)
from ssg.content.references import scan_bundle

logger = logging.getLogger("ssg.content")

CACHE_FORMAT = 6
"""Bump when what a cache file holds changes shape (LoadedFile, Entry, the bodies)."""

BACKGROUND_WRITE_DELAY_SECONDS = 0.5
"""A server's cache is written this long after the change: the pickling holds the GIL, so
the request that parsed the edited post is answered first."""

RECENT_MAX = 64
"""Changed files kept in the small `.recent` file beside the whole cache before the whole
cache is written again: an edit of one post writes one entry, not every post's."""

CACHE_FOLDER = "content"
"""Under the site's cache folder (`cache_dir`, `.ssg` by default)."""


@dataclass(eq=False)  # identity equality: no generated __eq__
class ContentCache:
    """The kept parses of one content folder (with one body filter).

    Attributes:
        file: the pickle file.
        identity: what the parses depend on besides the files (versions, filter).
        kept: relative POSIX name -> the `LoadedFile` parsed from it.
        written: what the whole cache file holds (the `.recent` file holds the rest).
        token: names the whole cache file's contents; the `.recent` file applies to it only.
        hits: files answered from the cache so far (this process).
        parsed: files parsed and added so far (this process).
        background: `save` writes on a thread of its own (a server, `ssg dev`:
            the request that parsed an edited post does not wait for the write).
    """

    file: Path
    identity: tuple[str, ...]
    kept: dict[str, LoadedFile] = field(default_factory=dict)
    written: dict[str, LoadedFile] = field(default_factory=dict)
    token: str = ""
    hits: int = 0
    parsed: int = 0
    background: bool = False
    _dirty: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _writer: threading.Thread | None = field(default=None, repr=False)

    @classmethod
    def open(
        cls,
        cache_dir: Path,
        content_dir: Path,
        body_filter: FilterRef | None,
        *,
        patterns: tuple[str, ...] = (),
        exclude: tuple[str, ...] = (),
        force: bool = False,
        background: bool = False,
    ) -> ContentCache:
        """Read the cache of one collection under `cache_dir` (`SITE/.ssg/content`).

        Args:
            cache_dir: the content cache folder.
            content_dir: the collection's folder (absolute).
            body_filter: the collection's body filter, or None.
            patterns, exclude: the collection's file patterns; two collections
                of one folder keep a cache each, so neither drops the other's files.
            force: ignore what is kept (`ssg build --force`); it is rewritten.
            background: see the attribute.

        Returns:
            The cache; empty when there is none, when `force`, or when the file
            is unreadable (logged as a warning) or was written by another
            format, ssg, cmarkgfm, Pygments or body filter (logged as info).
            Never raises.
        """
        identity = (f"format {CACHE_FORMAT}", *code_identity(), filter_identity(body_filter))
        name = hashlib.blake2b(
            repr((str(content_dir), patterns, exclude, body_filter)).encode(), digest_size=12
        ).hexdigest()
        cache = cls(cache_dir / f"{name}.pickle", identity, background=background)
        if force:
            cache._dirty = True
            return cache
        try:
            blob = cache.file.read_bytes()
        except FileNotFoundError:
            return cache
        except OSError as exc:
            logger.warning(
                "Could not read the content cache %s (%s); parsing the content of %s again.",
                cache.file,
                exc,
                content_dir,
            )
            return cache
        try:
            stream = io.BytesIO(blob)
            kept_identity, token, names, parses, size = pickle.load(stream)
            kept: dict[str, LoadedFile] = {}
            if kept_identity == identity:  # another format's parses may not unpickle
                bodies = memoryview(blob)[stream.tell() :]
                if len(bodies) != size:
                    raise ValueError(f"{len(bodies)} bytes of bodies instead of {size}")
                with collector_paused():
                    items = BodiesUnpickler(io.BytesIO(parses), bodies).load()
                kept.update(zip(names, items, strict=True))
        except Exception as exc:  # torn, truncated or foreign bytes: only costs a parse
            logger.warning(
                "The content cache %s is unreadable (%s: %s); parsing the content of %s "
                "again and rewriting it.",
                cache.file,
                type(exc).__name__,
                exc,
                content_dir,
            )
            cache._dirty = True
            return cache
        if kept_identity != identity:
            logger.info(
                "The content cache of %s was made by another ssg, cmarkgfm, Pygments or body "
                "filter; parsing again.",
                content_dir,
            )
            cache._dirty = True
            return cache
        cache.written = kept
        cache.token = str(token)
        merged: dict[str, LoadedFile | None] = {**kept, **cache._recent()}
        cache.kept = {name: item for name, item in merged.items() if item is not None}
        return cache

    @property
    def recent_file(self) -> Path:
        """The `.recent` file: the changes since the whole cache was written."""
        return self.file.with_suffix(".recent.pickle")

    def _recent(self) -> dict[str, LoadedFile | None]:
        """The `.recent` file's changes (None: removed) if it applies to the whole file read."""
        try:
            token, changes = pickle.loads(self.recent_file.read_bytes())
        except FileNotFoundError:
            return {}
        except Exception as exc:  # torn: the whole cache alone is still right
            logger.info("The content cache %s is unreadable (%s)", self.recent_file, exc)
            return {}
        if token != self.token or not isinstance(changes, dict):
            return {}
        return changes

    def get(
        self,
        relative_name: str,
        source_file: Path | str,
        content_dir: Path,
        stamp: tuple[int, int, int, int] | None = None,
    ) -> LoadedFile | None:
        """The kept parse of `source_file` if its bytes and the files it refers to are unchanged.

        Args:
            relative_name: the file's name relative to the content folder (POSIX).
            source_file: the file (absolute); a string spares building a Path per
                file on a warm start.
            content_dir: the collection's folder.
            stamp: (mtime_ns, ctime_ns, size in bytes, inode) of the file as the
                caller just found it (`FileStamp.stat_stamp`: the scan stats every
                file already); None: the file is stat'ed here.

        Returns:
            The `LoadedFile`, or None: not kept, the bytes differ, a file it
            refers to appeared or disappeared, its bundle's files changed, or
            the file cannot be read (the parse reports that).
        """
        item = self.kept.get(relative_name)
        name = str(source_file)
        if item is None or str(item.source_file) != name:
            return None
        if stamp is None:
            try:
                found = os.stat(name)
            except OSError:
                return None
            stamp = (found.st_mtime_ns, found.st_ctime_ns, found.st_size, found.st_ino)
        # A stamp as kept proves the bytes unchanged without reading them (Git's index,
        # Make): a write changes the ctime, which no tool can set back.
        if item.stamp != stamp:
            try:
                found = os.stat(name)  # before the read: a write after it changes the stamp
                with open(name, "rb") as stream:
                    digest = file_digest(stream.read())
            except OSError:
                return None
            if digest != item.digest:
                return None
            item = replace(item, stamp=trusted_stamp(found))
        # os.path, not pathlib: a warm start checks every reference of every post.
        where = os.path.dirname(name)
        if any(
            os.path.isfile(os.path.join(where, target)) != existed
            for target, existed in item.file_checks
        ):
            return None
        if (
            item.entry is not None
            and is_bundle_index(item.source_file, content_dir)
            and scan_bundle(item.source_file.parent) != item.entry.bundle_files
        ):
            return None
        self.hits += 1
        return item

    def update(self, loaded: dict[str, LoadedFile], parsed: int) -> None:
        """Keep exactly `loaded` (relative name -> parse) from now on; `parsed` of them are new."""
        self.parsed += parsed
        kept = {name: item for name, item in loaded.items() if item.digest}
        previous = self.kept
        changed = (
            bool(parsed)
            or kept.keys() != previous.keys()
            or any(previous.get(name) is not item for name, item in kept.items())
        )
        self.kept = kept
        if changed:  # after the new dict is in place: a writer that sees _dirty writes it
            self._dirty = True

    @property
    def dirty(self) -> bool:
        """The parses kept changed since the cache file was last written (or read)."""
        return self._dirty

    def mark_saved(self) -> None:
        """Take what is kept as written: another process (a build's forked child) writes it."""
        self._dirty = False

    def save(self) -> None:
        """Write the cache if it changed (temp file + `os.replace`); a failure is logged, not raised.

        With `background`, the write runs on a thread BACKGROUND_WRITE_DELAY_SECONDS
        later (not a daemon: the process lets it finish before it exits); a
        save asked for meanwhile is done by that thread too.
        """
        if not self._dirty:
            return
        if not self.background:
            self._write()
            return
        with self._lock:  # guards _writer
            if self._writer is not None:
                return  # the running writer sees _dirty and writes again
            self._writer = threading.Thread(
                target=self._write_while_dirty, name="ssg-content-cache"
            )
            self._writer.start()

    def _write_while_dirty(self) -> None:
        time.sleep(BACKGROUND_WRITE_DELAY_SECONDS)
        while True:
            with self._lock:
                if not self._dirty:
                    self._writer = None
                    return
            self._write()

    def _write(self) -> None:
        self._dirty = False  # an update from here on makes it dirty again
        kept = self.kept  # update() replaces the dict, never changes it
        written = self.written
        changes: dict[str, LoadedFile | None] = {
            name: item for name, item in kept.items() if written.get(name) is not item
        }
        changes.update((name, None) for name in written.keys() - kept.keys())
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            if self.token and len(changes) <= RECENT_MAX:
                write_pickle(self.recent_file, (self.token, changes))
                return
            token = os.urandom(8).hex()
            write_whole(self.file, self.identity, token, kept)
            self.recent_file.unlink(missing_ok=True)
            self.written, self.token = kept, token
        except OSError as exc:  # only the next build's speed depends on it
            logger.warning("Could not write the content cache %s: %s", self.file, exc)
