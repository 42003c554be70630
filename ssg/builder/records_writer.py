"""Collect a build's pages and params with what they read, then write the records for the
next build (`ssg.builder.build_records`)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from ssg.builder.build_records import (
    LOG_MAX_ENTRIES,
    BuildRecords,
    KeptPage,
    KeptParams,
    dump_log_entry,
    dump_records,
    log_file,
    params_key,
)
from ssg.builder.build_result import PlannedPage
from ssg.builder.finish import FinishedPage
from ssg.builder.incremental import PreviousBuild
from ssg.builder.kept_files import output_stamp, records_file, write_output_stamp
from ssg.builder.libraries import save_library_stamps
from ssg.builder.links import BrokenLink
from ssg.builder.route_inputs import route_files
from ssg.config import SiteConfig
from ssg.reads import ENTRY_PART_READS, Read, ReadKind, Reads
from ssg.routing.definitions import Params, RouteDefinition
from ssg.site import Site

_PAGE_INDEX: Read = (ReadKind.PAGE_INDEX,)
_DIGESTED_AT_SAVE = frozenset({ReadKind.FILE, ReadKind.DIR, ReadKind.PAGE_INDEX, ReadKind.VOLATILE})
"""Reads whose digest `warm_digests` leaves to `save`: a file or folder listing may change when
out/ is switched in, the page index is digested afresh each time, a volatile read is never equal."""


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
        self._group_list: list[Sequence[int]] = []
        self._base = 0  # keys below this id come from the last build
        if records is not None:
            self._keys = {read: key_id for key_id, read in enumerate(records.keys)}
            self._group_list = list(records.groups)
            self._base = len(records.keys)
        self._groups: dict[int, tuple[frozenset[Read], int]] = {}
        self._route_files: dict[str, frozenset[Read]] = {}
        self._imports: dict[Path, list[str]] = {}  # the site modules' imports (`route_files`)
        self.pages: dict[str, KeptPage] = {}
        self.params: dict[str, KeptParams] = {}
        self.links: tuple[str, list[BrokenLink]] = ("", [])
        self._added = False  # a page rendered or params listed by this build
        self.saved: BuildRecords | None = None  # the records `save` kept

    def _key_ids(self, reads: Iterable[Read]) -> tuple[int, ...]:
        """The sorted ids of `reads`, new ones numbered (a listing page reads thousands of
        entry fields: one loop, no call per read)."""
        keys = self._keys
        get = keys.get
        ids = []
        for read in reads:
            found = get(read)
            if found is None:
                found = keys[read] = len(keys)
            ids.append(found)
        ids.sort()
        return tuple(ids)

    def _group(self, group: frozenset[Read]) -> int:
        kept = self._groups.get(id(group))
        if kept is None:
            ids = self._key_ids(group)
            # The tuple holds the group, so its id() is not reused while this build runs.
            kept = self._groups[id(group)] = (group, len(self._group_list))
            self._group_list.append(ids)
        return kept[1]

    def route_files(self, route: RouteDefinition) -> frozenset[Read]:
        """The files of the route's folders and the site modules they import, as reads."""
        found = self._route_files.get(route.route_pattern)
        if found is None:
            found = self._route_files[route.route_pattern] = frozenset(
                (ReadKind.FILE, name) for name in route_files(self.site, route, self._imports)
            )
        return found

    def add_params(
        self,
        route: RouteDefinition,
        params: list[Params],
        reads: Reads,
        url_paths: tuple[str | None, ...] = (),
    ) -> None:
        """Keep a generate_static_params result, what it read and where it was planned
        (`KeptParams.url_paths`)."""
        self._added = True
        all_reads = reads.flat() | self.route_files(route)
        self.params[route.route_pattern] = KeptParams(params, self._key_ids(all_reads), url_paths)

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
            self._key_ids(own),
            tuple(sorted({self._group(g) for g in reads.groups.values()})),
            indexed,
            tuple((str(folder), names) for folder, names in bundles.items()),
        )

    def keep_page(self, url_path: str, kept: KeptPage) -> None:
        """Carry a reused page over from the last build."""
        self.pages[url_path] = kept

    def save(self, config: SiteConfig) -> None:
        """Write the records for the next build, once out/ is in place: what changed appended
        to the log, or all of them (temp file + rename) every `LOG_MAX_ENTRIES` builds.

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
            save_library_stamps(config, renders_all=False, route_inputs=_files(previous.keys))
            return
        keys, groups, pages, params, base, logged = self._laid_out()
        records = BuildRecords(
            fingerprint=self.previous.fingerprint,
            keys=keys,
            digests=self._digests(keys, base),
            groups=groups,
            pages=pages,
            params=params,
            links_key=self.links[0],
            broken_links=self.links[1],
        )
        target = records_file(config)
        if logged:
            assert previous is not None
            change = dump_log_entry(previous, records)
            with open(log_file(config), "ab") as stream:
                stream.write(change)
            records.base_id, records.base_bytes = previous.base_id, previous.base_bytes
            records.log_entries = previous.log_entries + 1
            records.log_bytes = previous.log_bytes + len(change)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            data = dump_records(records)
            temp.write_bytes(data)
            os.replace(temp, target)
            # A log left beside new records names the old ones: its entries are skipped.
            log_file(config).unlink(missing_ok=True)
            records.base_bytes = len(data)
        write_output_stamp(config, stamp)
        save_library_stamps(config, renders_all=previous is None, route_inputs=_files(keys))
        self.saved = records

    def _digests(self, keys: list[Read], base: int) -> list[str]:
        """The digest of each of `keys`: the last records' for the reads below `base` that did
        not change (but the page index, digested afresh), the current one for the others."""
        known = self.previous.records.digests if self.previous.records is not None else []
        digest = self.previous.digests.digest
        digests = list(known[:base])  # copied whole, then the few exceptions replaced
        for key_id in self.previous.changed_ids():
            if key_id < base:
                digests[key_id] = digest(keys[key_id])
        index_id = self._keys.get(_PAGE_INDEX) if base else None
        if index_id is not None and index_id < base:
            digests[index_id] = digest(keys[index_id])
        digests.extend(digest(read) for read in keys[base:])
        return digests

    def warm_digests(self) -> None:
        """Compute now the digests `save` will write, but those of the reads the switch of
        out/ may change (files, folder listings) and the ones taken from the last records.

        Called in the Keeper's child once the pages are rendered, while the build process
        writes the site's other files, checks the links and switches out/: `save`, after
        those, then finds most digests computed (`ReadDigests` keeps them).
        """
        keys, _groups, _pages, _params, base, _logged = self._laid_out()
        changed = self.previous.changed_ids()
        digest = self.previous.digests.digest
        for key_id, read in enumerate(keys):
            if read[0] in _DIGESTED_AT_SAVE or (key_id < base and key_id not in changed):
                continue
            digest(read)

    def _laid_out(
        self,
    ) -> tuple[
        list[Read], list[Sequence[int]], dict[str, KeptPage], dict[str, KeptParams], int, bool
    ]:
        """The reads, groups, pages and params `save` writes, the id below which a read comes
        from the last records, and whether they are logged on top of the last records."""
        previous = self.previous.records
        keys = list(self._keys)
        groups = self._group_list
        pages, params = self.pages, self.params
        # Logged on top of the last records (see build_records), or written whole.
        logged = (
            previous is not None
            and previous.log_entries < LOG_MAX_ENTRIES
            and previous.log_bytes <= previous.base_bytes // 2
            # A page carried over is the KeptPage object the last records held.
            and sum(previous.pages.get(url) is not kept for url, kept in pages.items())
            <= len(pages) // 4
        )
        base = self._base
        if not logged:
            used_groups = {g for page in pages.values() for g in page.groups}
            used = {k for page in pages.values() for k in page.reads}
            used.update(k for kept in params.values() for k in kept.reads)
            used.update(k for g in used_groups for k in groups[g])
            if len(used) < len(keys) * 2 // 3 or len(used_groups) < len(groups) * 2 // 3:
                keys, groups, pages, params = _compacted(
                    keys, groups, pages, params, used, used_groups
                )
                base = 0
        # The last records' reads are known to the digests (`PreviousBuild`) and hold the
        # entry read of each of their entry part reads (added below when they were written).
        new_reads = list(self._keys)[self._base :]
        self.previous.digests.add_origins(new_reads)
        present = set(keys) if base == 0 else self._keys
        added: set[Read] = set()
        for read in keys if base == 0 else new_reads:
            if read[0] in ENTRY_PART_READS:
                entry = (ReadKind.ENTRY, read[1])
                if entry not in present and entry not in added:
                    added.add(entry)
                    keys.append(entry)
        return keys, groups, pages, params, base, bool(logged)


def _compacted(
    keys: list[Read],
    groups: list[Sequence[int]],
    pages: dict[str, KeptPage],
    params: dict[str, KeptParams],
    used: set[int],
    used_groups: set[int],
) -> tuple[list[Read], list[Sequence[int]], dict[str, KeptPage], dict[str, KeptParams]]:
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


def _files(keys: Iterable[Read]) -> Iterable[str]:
    """The files these reads name (route files, site modules, files a render opened)."""
    return (str(read[1]) for read in keys if read[0] == ReadKind.FILE)
