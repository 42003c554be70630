"""The digest of each read now (`ssg.reads`): templates and files hashed from disk, content
reads from the collection loaded again, for comparison with the digests the records kept."""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Iterable

import jinja2

from ssg.builder.fingerprint import digest
from ssg.content.collection import Collection
from ssg.content.entry import Entry, unrecorded_field
from ssg.content.memo import memoized_collection
from ssg.content.parse_identity import filter_identity
from ssg.content.specs import CollectionOrigin
from ssg.reads import COLLECTION_READS, Read, ReadKind
from ssg.scope import DataServices
from ssg.site import Site

MISSING = "missing"
"""The digest of a file or entry that is gone."""

_TRANSIENT = re.compile(r"\..+\.((staging|old)-\d+|journal(\.\d+\.tmp)?)$")


class ReadDigests:
    """The current digest of each read, computed once per build.

    Templates and files are hashed from disk; content reads load the collection
    again through the build's services (its memo: the render then reuses the parse).
    """

    def __init__(self, site: Site, services: DataServices) -> None:
        self._site = site
        self._services = services
        self._known: dict[Read, str] = {}
        self._collections: dict[CollectionOrigin, Collection | None] = {}
        self._due: dict[CollectionOrigin, str] = {}  # the published list's next change
        self._by_file: dict[str, list[Entry]] | None = None
        self._file_digests: dict[str, str] = {}  # source file -> what its entries come from
        self._slugs: dict[CollectionOrigin, dict[str, str]] = {}
        self._origins: set[CollectionOrigin] = set()

    def digest(self, read: Read) -> str:
        """The digest of `read` now ("missing" for a file or entry that is gone)."""
        found = self._known.get(read)
        if found is None:
            found = self._compute(read)
            if read[0] != ReadKind.PAGE_INDEX:  # known only once the pages are settled
                self._known[read] = found
        return found

    def add_origins(self, reads: Iterable[Read]) -> None:
        """Make the collections these reads name known to FIELD reads."""
        for read in reads:
            origin = read[1] if read[0] in COLLECTION_READS else None
            if isinstance(origin, CollectionOrigin) and origin not in self._origins:
                self._origins.add(origin)
                self._by_file = None

    def _compute(self, read: Read) -> str:
        kind = read[0]
        if kind == ReadKind.TEMPLATE:
            return self._template(str(read[1]))
        if kind == ReadKind.FILE:
            try:
                return digest((self._site.config.site_dir / str(read[1])).read_bytes())
            except OSError:
                return MISSING
        if kind == ReadKind.DIR:
            try:
                names = os.listdir(str(read[1]))
            except OSError:
                return MISSING
            # A build's own staging and swapped-out folders and journal (`.out.staging-PID`) come and go.
            return digest("\0".join(sorted(n for n in names if not _TRANSIENT.match(n))))
        if kind == ReadKind.ENTRIES and isinstance(read[1], CollectionOrigin):
            collection = self._collection(read[1])
            if collection is None:
                return MISSING
            # Members, order and slugs (slug reads are not noted one by one: see Entry), and
            # when a scheduled post joins them: a render that left one out counts its
            # revalidate down to that date (`RenderScope.record_due`).
            field = object.__getattribute__  # not Entry's, which checks for a recorded render
            members = "\n".join(
                f"{field(e, 'source_file')}\0{field(e, 'slug')}" for e in collection.entries
            )
            return digest(f"{self._due[read[1]]}\n{members}")
        if kind == ReadKind.SLUG and isinstance(read[1], CollectionOrigin):
            slugs = self._slugs.get(read[1])
            if slugs is None:
                collection = self._collection(read[1])
                entries = collection.entries if collection is not None else ()
                slugs = self._slugs[read[1]] = {}
                field = object.__getattribute__  # not Entry's (see _entry)
                for entry in entries:  # the first entry with a slug wins, as Collection.get
                    slugs.setdefault(field(entry, "slug"), str(field(entry, "source_file")))
            found = slugs.get(str(read[2]))
            return MISSING if found is None else f"{found}\0{self._due.get(read[1], '')}"
        if kind == ReadKind.FIELD:
            return self._field(str(read[1]), str(read[2]))
        if kind == ReadKind.METADATA:
            return self._metadata_key(str(read[1]), read[2])
        if kind == ReadKind.ENTRY:
            return self._entry(str(read[1]))
        if kind == ReadKind.PAGE_INDEX:
            return digest(repr(self._services.page_index.url_paths))
        # VOLATILE, and any read this version does not know: never proven unchanged.
        return "volatile:" + os.urandom(8).hex()

    def _template(self, name: str) -> str:
        env = self._site.env
        assert env.loader is not None  # make_environment always sets one
        try:
            source, filename, _uptodate = env.loader.get_source(env, name)
        except jinja2.TemplateNotFound:
            return MISSING
        return digest(f"{filename}\0{source}")

    def _collection(self, origin: CollectionOrigin) -> Collection | None:
        if origin not in self._collections:
            self._origins.add(origin)
            self._by_file = None
            services = self._services
            base_path = str(services.site_values.get("base_path", ""))
            try:
                memo = memoized_collection(services, origin.spec, None, base_path)
                loaded = memo.collection
                source = filter_identity(origin.spec.body_filter) + "\0" + base_path
                for _stamp, item in memo.loaded.values():
                    self._file_digests[str(item.source_file)] = f"{item.digest}\0{source}"
            except Exception:  # a folder gone, a filter that fails: the render reports it
                self._collections[origin] = None
                return None
            due_at = None
            if not origin.drafts:
                loaded, due_at = loaded.published(services.clock())
                if due_at is not None:  # as a render's load_collection reports it
                    services.schedule.note(due_at)
            self._due[origin] = repr(due_at)
            self._collections[origin] = loaded
        return self._collections[origin]

    def _field(self, source_file: str, name: str) -> str:
        entries = self._entries_of(source_file)
        if not entries:
            return MISSING
        parts = []
        for entry in entries:
            value = unrecorded_field(entry, name)
            parts.append(value if isinstance(value, str) else repr(value))
        return digest("\0".join(parts))

    def _entry(self, source_file: str) -> str:
        """All of an entry's fields at once: an entry is made from its file's bytes (with
        ssg's content code, in the fingerprint, and the body filter), its slug after
        renames of shared ones, its bundle's files, and the base path."""
        parsed = self._entries_of(source_file)
        made_from = self._file_digests.get(source_file)
        if not parsed or made_from is None:
            return MISSING if not parsed else digest(pickle.dumps(parsed, protocol=4))
        parts = [made_from]
        field = object.__getattribute__  # not Entry's, which checks for a recorded render
        for entry in parsed:
            parts.append(field(entry, "slug"))
            parts.append(repr(field(entry, "bundle_files")))
        return digest("\0".join(parts))

    def _metadata_key(self, source_file: str, key: object) -> str:
        entries = self._entries_of(source_file)
        if not entries:
            return MISSING
        parts = []
        for entry in entries:
            metadata = object.__getattribute__(entry, "metadata")
            parts.append(repr(metadata[key]) if key in metadata else "absent")
        return digest("\0".join(parts))

    def _entries_of(self, source_file: str) -> list[Entry]:
        """The entries parsed from `source_file` in the collections the reads name."""
        if self._by_file is None:
            by_file: dict[str, list[Entry]] = {}
            for origin in sorted(self._origins, key=repr):
                collection = self._collection(origin)
                for entry in collection.entries if collection is not None else ():
                    name = str(object.__getattribute__(entry, "source_file"))
                    by_file.setdefault(name, []).append(entry)
            self._by_file = by_file
        return self._by_file.get(source_file, [])
