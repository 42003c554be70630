"""Incremental builds: what each page read last time, and which pages a rebuild may reuse.

After a build, every written page is kept with its reads (`ssg.reads`: templates, entry
fields, collections, files of its route, memoized calls' reads) and the digest each read
had. The next build of the same site into the same output folder renders a page only
when one of its reads changed, and hard-links its previous file otherwise (lektor's
`BuildState`, Bazel's action cache). Anything the records cannot speak for (ssg itself,
ssg.toml, build options, `SSG_*` variables, files added or removed under app/, the
theme's assets) makes a full render, with the reason in the build summary.

The records live in `cache_dir/build/pages-<out folder key>.pickle`, written only
after the build's output replaced out/: a failed build leaves both as they were.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import jinja2

from ssg.builder.build_result import PlannedPage
from ssg.builder.fingerprint import digest, fingerprint
from ssg.builder.finish import FinishedPage
from ssg.builder.links import BrokenLink
from ssg.builder.route_inputs import route_files
from ssg.builder.unchanged import (
    output_stamp,
    read_output_stamp,
    records_file,
    write_output_stamp,
)
from ssg.builder.writer import OutputWriter
from ssg.config import SiteConfig
from ssg.content.collection import Collection
from ssg.content.entry import Entry
from ssg.content.memo import CollectionOrigin, memoized_collection
from ssg.reads import Read, Reads
from ssg.routing.definitions import Params, RouteDefinition
from ssg.scope import DataServices
from ssg.site import Site

log = logging.getLogger("ssg.builder")

RECORDS_FORMAT = 2
"""Bump when the pickled records change shape."""

_MISSING = "missing"
_TRANSIENT = re.compile(r"\..+\.(staging|old)-\d+$")


@dataclass(frozen=True)
class KeptPage:
    """One page of the last build, as the next build may reuse it.

    Attributes:
        route_pattern: its route ("/blog/[slug]").
        params_key: its params, canonically encoded (`params_key`).
        page: its record and links (no reads).
        reads: ids of what it read (into `BuildRecords.keys`).
        groups: ids of the memoized calls' read groups it used (`BuildRecords.groups`).
        indexed: it was in the build's page index (sitemaps).
        bundles: page-bundle files published beside it: (folder, names).
    """

    route_pattern: str
    params_key: str
    page: FinishedPage
    reads: tuple[int, ...]
    groups: tuple[int, ...]
    indexed: bool
    bundles: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class KeptParams:
    """What a route's generate_static_params returned last time, and what it read."""

    params: list[Params]
    reads: tuple[int, ...]


@dataclass
class BuildRecords:
    """Everything kept between builds of one site into one output folder (pickled).

    Attributes:
        fingerprint: what a full render depends on, by reason (see `fingerprint`).
        keys: every read of every kept page, by id.
        digests: the digest of each key when the build ended.
        groups: read groups (ids into `keys`) shared by many pages.
        pages: url path -> KeptPage.
        params: route pattern -> KeptParams.
        links_key: the output's files and 404.html's links when the link check ran.
        broken_links: what it found.
    """

    fingerprint: dict[str, str]
    keys: list[Read] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    groups: list[tuple[int, ...]] = field(default_factory=list)
    pages: dict[str, KeptPage] = field(default_factory=dict)
    params: dict[str, KeptParams] = field(default_factory=dict)
    links_key: str = ""
    broken_links: list[BrokenLink] = field(default_factory=list)
    format: int = RECORDS_FORMAT


def params_key(params: Params) -> str:
    """Params as one string, independent of key order: {"b": "2", "a": "1"} -> "a=1&b=2"."""
    return repr(sorted(params.items()))


def load_records(config: SiteConfig) -> tuple[BuildRecords | None, str]:
    """The last build's records for this output folder, or None and the reason there are none.

    A corrupt or foreign file is logged once (a warning) and ignored: the build
    renders every page and writes new records.
    """
    path = records_file(config)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "no previous build"
    except OSError as exc:
        log.warning("Could not read the build records %s (%s); rendering every page", path, exc)
        return None, "no previous build records"
    try:
        records = pickle.loads(data)
    except Exception as exc:  # any unpickling failure: a torn or foreign file
        log.warning(
            "The build records %s are unreadable (%s); rendering every page and writing them again",
            path,
            exc,
        )
        return None, "no previous build records"
    if not isinstance(records, BuildRecords) or records.format != RECORDS_FORMAT:
        log.warning(
            "The build records %s were written by another ssg version; rendering every page", path
        )
        return None, "no previous build records"
    if output_stamp(config) != read_output_stamp(config):
        return None, "the output folder changed since the last build"
    return records, ""


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
        self._by_file: dict[str, list[Entry]] | None = None
        self._slugs: dict[CollectionOrigin, dict[str, str]] = {}
        self._origins: set[CollectionOrigin] = set()

    def digest(self, read: Read) -> str:
        """The digest of `read` now ("missing" for a file or entry that is gone)."""
        found = self._known.get(read)
        if found is None:
            found = self._compute(read)
            if read[0] != "page_index":  # known only once the pages are settled
                self._known[read] = found
        return found

    def add_origins(self, reads: Iterable[Read]) -> None:
        """Make the collections these reads name known to `field` reads."""
        for read in reads:
            origin = read[1] if read[0] in ("entries", "slug") else None
            if isinstance(origin, CollectionOrigin) and origin not in self._origins:
                self._origins.add(origin)
                self._by_file = None

    def _compute(self, read: Read) -> str:
        kind = read[0]
        if kind == "template":
            return self._template(str(read[1]))
        if kind == "file":
            try:
                return digest((self._site.config.site_dir / str(read[1])).read_bytes())
            except OSError:
                return _MISSING
        if kind == "dir":
            try:
                names = os.listdir(str(read[1]))
            except OSError:
                return _MISSING
            # A build's own staging and swapped-out folders (`.out.staging-PID`) come and go.
            return digest("\0".join(sorted(n for n in names if not _TRANSIENT.match(n))))
        if kind == "entries" and isinstance(read[1], CollectionOrigin):
            collection = self._collection(read[1])
            if collection is None:
                return _MISSING
            # Members, order and slugs (slug reads are not noted one by one: see Entry).
            return digest("\n".join(f"{e.source_file}\0{e.slug}" for e in collection.entries))
        if kind == "slug" and isinstance(read[1], CollectionOrigin):
            slugs = self._slugs.get(read[1])
            if slugs is None:
                collection = self._collection(read[1])
                entries = collection.entries if collection is not None else ()
                slugs = self._slugs[read[1]] = {}
                for entry in entries:  # the first entry with a slug wins, as Collection.get
                    slugs.setdefault(entry.slug, str(entry.source_file))
            return slugs.get(str(read[2]), _MISSING)
        if kind == "field":
            return self._field(str(read[1]), str(read[2]))
        if kind == "metadata":
            return self._metadata_key(str(read[1]), read[2])
        if kind == "entry":
            parsed = self._entries_of(str(read[1]))
            return digest(pickle.dumps(parsed, protocol=4)) if parsed else _MISSING
        if kind == "page_index":
            return digest(repr(self._services.page_index.url_paths))
        # "volatile", and any read this version does not know: never proven unchanged.
        return "volatile:" + os.urandom(8).hex()

    def _template(self, name: str) -> str:
        env = self._site.env
        assert env.loader is not None  # make_environment always sets one
        try:
            source, filename, _uptodate = env.loader.get_source(env, name)
        except jinja2.TemplateNotFound:
            return _MISSING
        return digest(f"{filename}\0{source}")

    def _collection(self, origin: CollectionOrigin) -> Collection | None:
        if origin not in self._collections:
            self._origins.add(origin)
            self._by_file = None
            services = self._services
            base_path = str(services.site_values.get("base_path", ""))
            try:
                loaded = memoized_collection(services, origin.spec, None, base_path).collection
            except Exception:  # a folder gone, a filter that fails: the render reports it
                self._collections[origin] = None
                return None
            if not origin.drafts:
                loaded, due_at = loaded.published(services.clock())
                if due_at is not None:  # as a render's load_collection reports it
                    services.schedule.note(due_at)
            self._collections[origin] = loaded
        return self._collections[origin]

    def _field(self, source_file: str, name: str) -> str:
        entries = self._entries_of(source_file)
        if not entries:
            return _MISSING
        parts = []
        for entry in entries:
            value = object.__getattribute__(entry, name)
            parts.append(value if isinstance(value, str) else repr(value))
        return digest("\0".join(parts))

    def _metadata_key(self, source_file: str, key: object) -> str:
        entries = self._entries_of(source_file)
        if not entries:
            return _MISSING
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
                    by_file.setdefault(str(entry.source_file), []).append(entry)
            self._by_file = by_file
        return self._by_file.get(source_file, [])


class PreviousBuild:
    """The last build's records against the sources now: which pages and params to reuse.

    Attributes:
        full_reason: why every page is rendered ("ssg.toml changed"), or None.
    """

    def __init__(
        self,
        site: Site,
        services: DataServices,
        *,
        force: bool,
        include_drafts: bool,
        strict: bool,
    ) -> None:
        self.digests = ReadDigests(site, services)
        self.fingerprint = fingerprint(site, include_drafts=include_drafts, strict=strict)
        self._site = site
        self.records: BuildRecords | None = None
        self.full_reason: str | None
        self._changed_ids: set[int] | None = None
        self._changed_groups: set[int] | None = None
        self._page_index_id: int | None = None
        self._index_groups: set[int] | None = None  # the groups holding the page index
        if force:
            self.full_reason = "--force"
            return
        records, reason = load_records(site.config)
        if records is None:
            self.full_reason = reason
            return
        changed = [k for k, v in self.fingerprint.items() if records.fingerprint.get(k) != v]
        if changed:
            self.full_reason = changed[0]
            return
        self.full_reason = None
        self.records = records
        self.digests.add_origins(records.keys)
        self._page_index_id = next(
            (i for i, read in enumerate(records.keys) if read[0] == "page_index"), None
        )

    def _changes(self) -> tuple[set[int], set[int]]:
        """(ids of the reads that changed, ids of the groups holding one), computed once.

        The page index is left out: it is known only once the pages are settled
        (`_page_index_changed`).
        """
        if self._changed_ids is None:
            records = self.records
            assert records is not None
            digest = self.digests.digest
            known = records.digests
            changed = self._changed_ids = set()
            fields = []
            for key_id, read in enumerate(records.keys):
                kind = read[0]
                if kind in ("field", "metadata"):
                    fields.append(key_id)
                elif kind != "page_index" and digest(read) != known[key_id]:
                    changed.add(key_id)
            # A field of an entry whose every field is unchanged (one digest per entry,
            # kept as an "entry" read) needs no digest of its own.
            edited = {records.keys[k][1] for k in changed if records.keys[k][0] == "entry"}
            kept_entries = {read[1] for read in records.keys if read[0] == "entry"}
            for key_id in fields:
                read = records.keys[key_id]
                if read[1] in kept_entries and read[1] not in edited:
                    continue
                if digest(read) != known[key_id]:
                    changed.add(key_id)
            self._changed_groups = {
                group_id
                for group_id, ids in enumerate(records.groups)
                if not changed.isdisjoint(ids)
            }
        assert self._changed_groups is not None
        return self._changed_ids, self._changed_groups

    def links_key(self, files: Iterable[str], not_found_links: Iterable[str]) -> str:
        """What the link check's answer depends on besides the pages: the output's files."""
        return digest(repr((sorted(files), tuple(not_found_links))))

    def broken_links(self, links_key: str) -> list[BrokenLink] | None:
        """The last link check's broken links if its output had the same files, else None.

        Only for a build that reused every page: the same pages and files give the
        same answer.
        """
        if self.records is None or self.records.links_key != links_key:
            return None
        return self.records.broken_links

    def changed_ids(self) -> set[int]:
        """The ids of the last build's reads that changed (empty without records)."""
        return self._changes()[0] if self.records is not None else set()

    def _page_index_changed(self, kept_reads: Iterable[int], groups: Iterable[int]) -> bool:
        records = self.records
        assert records is not None
        index_id = self._page_index_id
        if index_id is None:
            return False
        if self._index_groups is None:
            self._index_groups = {
                group_id for group_id, ids in enumerate(records.groups) if index_id in ids
            }
        if index_id not in kept_reads and self._index_groups.isdisjoint(groups):
            return False
        return self.digests.digest(("page_index",)) != records.digests[index_id]

    def params(self, route: RouteDefinition) -> list[Params] | None:
        """The route's generate_static_params result of the last build, if nothing it read changed."""
        if self.records is None:
            return None
        kept = self.records.params.get(route.route_pattern)
        if kept is None or not self._changes()[0].isdisjoint(kept.reads):
            return None
        return kept.params

    def reuse(
        self, item: PlannedPage, writer: OutputWriter
    ) -> tuple[KeptPage, FinishedPage] | None:
        """Reuse the page's previous file if nothing it read changed (linked into staging).

        Returns:
            (its record, the page as this build lists it), or None to render it.
        """
        if self.records is None:
            return None
        kept = self.records.pages.get(item.url_path)
        if (
            kept is None
            or kept.route_pattern != item.route.route_pattern
            or kept.params_key != params_key(item.params)
        ):
            return None
        changed, changed_groups = self._changes()
        if (
            not changed.isdisjoint(kept.reads)
            or not changed_groups.isdisjoint(kept.groups)
            or self._page_index_changed(kept.reads, kept.groups)
        ):
            return None
        if not writer.reuse(kept.page.record.output_file):
            return None
        for folder, names in kept.bundles:
            prefix = item.url_path.strip("/")
            for name in names:
                target = f"{prefix}/{name}" if prefix else name
                writer.write(target, (Path(folder) / name).read_bytes())
        return kept, kept.page


class RecordsWriter:
    """Collects this build's pages and params, then writes the records (`save`).

    It starts from the last build's records, so a reused page is carried over as
    it is (its read ids stay valid); reads no page uses any more are dropped when
    they make up a third of the records.
    """

    def __init__(self, site: Site, previous: PreviousBuild) -> None:
        self.site = site
        self.previous = previous
        records = previous.records
        self._keys: dict[Read, int] = {}
        self._group_list: list[tuple[int, ...]] = []
        self._base = 0  # keys below this id come from the last build
        if records is not None:
            self._keys = {read: key_id for key_id, read in enumerate(records.keys)}
            self._group_list = list(records.groups)
            self._base = len(records.keys)
        self._groups: dict[int, tuple[frozenset[Read], int]] = {}
        self._route_files: dict[str, frozenset[Read]] = {}
        self.pages: dict[str, KeptPage] = {}
        self.params: dict[str, KeptParams] = {}
        self.links: tuple[str, list[BrokenLink]] = ("", [])
        self._added = False  # a page rendered or params listed by this build
        self.saved: BuildRecords | None = None  # the records `save` kept

    def _key(self, read: Read) -> int:
        found = self._keys.get(read)
        if found is None:
            found = self._keys[read] = len(self._keys)
        return found

    def _group(self, group: frozenset[Read]) -> int:
        kept = self._groups.get(id(group))
        if kept is None:
            ids = tuple(sorted(self._key(read) for read in group))
            # The tuple holds the group, so its id() is not reused while this build runs.
            kept = self._groups[id(group)] = (group, len(self._group_list))
            self._group_list.append(ids)
        return kept[1]

    def route_files(self, route: RouteDefinition) -> frozenset[Read]:
        """The files of the route's folders and the site modules they import, as reads."""
        found = self._route_files.get(route.route_pattern)
        if found is None:
            found = self._route_files[route.route_pattern] = frozenset(
                ("file", name) for name in route_files(self.site, route)
            )
        return found

    def add_params(self, route: RouteDefinition, params: list[Params], reads: Reads) -> None:
        """Keep a generate_static_params result and what it read."""
        self._added = True
        all_reads = reads.flat() | self.route_files(route)
        self.params[route.route_pattern] = KeptParams(
            params, tuple(sorted(self._key(r) for r in all_reads))
        )

    def keep_params(self, route: RouteDefinition) -> None:
        """Carry a reused generate_static_params result over from the last build."""
        assert self.previous.records is not None
        self.params[route.route_pattern] = self.previous.records.params[route.route_pattern]

    def add_page(
        self,
        item: PlannedPage,
        page: FinishedPage,
        *,
        indexed: bool,
        bundles: dict[Path, tuple[str, ...]],
    ) -> None:
        """Keep a page this build rendered."""
        self._added = True
        reads = page.reads if page.reads is not None else Reads()
        own = set(reads.own) | self.route_files(item.route)
        self.pages[item.url_path] = KeptPage(
            item.route.route_pattern,
            params_key(item.params),
            FinishedPage(page.record, page.links),
            tuple(sorted(self._key(r) for r in own)),
            tuple(sorted({self._group(g) for g in reads.groups.values()})),
            indexed,
            tuple((str(folder), names) for folder, names in bundles.items()),
        )

    def keep_page(self, url_path: str, kept: KeptPage) -> None:
        """Carry a reused page over from the last build."""
        self.pages[url_path] = kept

    def save(self, config: SiteConfig) -> None:
        """Write the records for the next build (temp file + rename), once out/ is in place.

        Raises:
            OSError: the cache folder cannot be written.
        """
        stamp = output_stamp(config)
        if stamp is None:
            return
        previous = self.previous.records
        if (
            previous is not None
            and not self._added
            and not self.previous.changed_ids()
            and self.pages.keys() == previous.pages.keys()
            and self.params.keys() == previous.params.keys()
            and self.links == (previous.links_key, previous.broken_links)
        ):
            self.saved = previous
            write_output_stamp(config, stamp)  # every record as it was
            return
        keys = list(self._keys)
        groups = self._group_list
        pages, params = self.pages, self.params
        used_groups = {g for page in pages.values() for g in page.groups}
        used = {k for page in pages.values() for k in page.reads}
        used.update(k for kept in params.values() for k in kept.reads)
        used.update(k for g in used_groups for k in groups[g])
        if len(used) < len(keys) * 2 // 3 or len(used_groups) < len(groups) * 2 // 3:
            keys, groups, pages, params = _compacted(keys, groups, pages, params, used, used_groups)
            base = 0
        else:
            base = self._base
        self.previous.digests.add_origins(keys)
        present = set(keys)
        for read in [read for read in keys if read[0] in ("field", "metadata")]:
            entry = ("entry", read[1])
            if entry not in present:
                present.add(entry)
                keys.append(entry)
        known = self.previous.records.digests if self.previous.records is not None else []
        changed = self.previous.changed_ids()
        digest = self.previous.digests.digest
        records = BuildRecords(
            fingerprint=self.previous.fingerprint,
            keys=keys,
            digests=[
                known[key_id]
                if key_id < base and key_id not in changed and read[0] != "page_index"
                else digest(read)
                for key_id, read in enumerate(keys)
            ],
            groups=groups,
            pages=pages,
            params=params,
            links_key=self.links[0],
            broken_links=self.links[1],
        )
        target = records_file(config)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temp.write_bytes(pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temp, target)
        write_output_stamp(config, stamp)
        self.saved = records


_STAMPED_KINDS = frozenset(
    {"template", "entries", "slug", "field", "metadata", "entry", "page_index"}
)
"""Reads whose inputs are files below the site, theme and content folders (stamped whole)."""


def record_inputs(records: BuildRecords, site_dir: Path) -> tuple[set[str], set[Path], bool]:
    """What the kept pages and params read, for the input snapshot (`ssg.builder.unchanged`).

    Returns:
        (the files and folders they read, absolute; the content folders of the
        collections they read; whether any read is one no file stamp speaks for:
        a data-cache entry, an uncached fetch, a read this version does not know).
    """
    used: set[int] = set()
    groups: set[int] = set()
    for page in records.pages.values():
        used.update(page.reads)
        groups.update(page.groups)
    for kept in records.params.values():
        used.update(kept.reads)
    for group_id in groups:
        used.update(records.groups[group_id])
    files: set[str] = set()
    content_dirs: set[Path] = set()
    volatile = False
    for key_id in used:
        read = records.keys[key_id]
        kind = read[0]
        if kind in ("file", "dir"):
            files.add(os.path.abspath(site_dir / str(read[1])))
        elif kind in ("entries", "slug") and isinstance(read[1], CollectionOrigin):
            content_dirs.add(Path(read[1].spec.content_dir))
        elif kind in ("field", "metadata", "entry"):
            files.add(str(read[1]))  # below a content folder too, unless a page made it by hand
        elif kind not in _STAMPED_KINDS:
            volatile = True
    return files, content_dirs, volatile


def _compacted(
    keys: list[Read],
    groups: list[tuple[int, ...]],
    pages: dict[str, KeptPage],
    params: dict[str, KeptParams],
    used: set[int],
    used_groups: set[int],
) -> tuple[list[Read], list[tuple[int, ...]], dict[str, KeptPage], dict[str, KeptParams]]:
    """The records without the reads and groups no page or params use, renumbered."""
    new_key = {old: new for new, old in enumerate(sorted(used))}
    new_group = {old: new for new, old in enumerate(sorted(used_groups))}

    def ids(old: Iterable[int]) -> tuple[int, ...]:
        return tuple(sorted(new_key[k] for k in old))

    return (
        [keys[old] for old in sorted(used)],
        [ids(groups[old]) for old in sorted(used_groups)],
        {
            url_path: replace(
                page, reads=ids(page.reads), groups=tuple(sorted(new_group[g] for g in page.groups))
            )
            for url_path, page in pages.items()
        },
        {pattern: replace(kept, reads=ids(kept.reads)) for pattern, kept in params.items()},
    )
