"""Incremental builds: the last build's records against the sources now, and which pages and
params a rebuild may reuse.

After a build, every written page is kept with its reads (`ssg.reads`: templates, entry
fields, collections, files of its route, memoized calls' reads) and the digest each read
had (`ssg.builder.build_records`, written by `ssg.builder.records_writer`). The next build
of the same site into the same output folder renders a page only when one of its reads
changed (`ssg.builder.read_digests`), and hard-links its previous file otherwise (lektor's
`BuildState`, Bazel's action cache). Anything the records cannot speak for (ssg itself,
ssg.toml, build options, `SSG_*` variables, files added or removed under app/, the
theme's assets) makes a full render, with the reason in the build summary.
"""

from __future__ import annotations

import logging
import os
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path

from ssg.builder.app_files import ROUTES_CHANGED, compare_app_names, routes_gaining
from ssg.builder.build_records import (
    BuildRecords,
    KeptPage,
    KeptParams,
    load_records,
    params_key,
)
from ssg.builder.build_result import PlannedPage
from ssg.builder.fingerprint import fingerprint
from ssg.builder.libraries import changed_library
from ssg.builder.links import BrokenLink
from ssg.builder.manifest import KeptManifest
from ssg.builder.read_digests import ReadDigests
from ssg.builder.writer import OutputWriter
from ssg.reads import ENTRY_PART_READS, ReadKind
from ssg.records import MANIFEST_FILE
from ssg.routing.definitions import RouteDefinition
from ssg.scope import DataServices
from ssg.site import Site

log = logging.getLogger("ssg.builder")


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
        self._now = services.clock()
        self.fingerprint = fingerprint(site, include_drafts=include_drafts, strict=strict)
        self._site = site
        self.records: BuildRecords | None = None
        self.full_reason: str | None
        self._last_pages: AbstractSet[str] = frozenset()
        # Files added under app/ that change no route, and the routes they are route files
        # of (`ssg.builder.app_files`): those routes' pages and params are not reused.
        self._added_app_files: tuple[str, ...] = ()
        self._gaining_routes: set[str] = set()
        self._changed_ids: set[int] | None = None
        self._changed_groups: set[int] | None = None
        self._page_index_id: int | None = None
        self._index_groups: set[int] | None = None  # the groups holding the page index
        self._index_only: set[int] = set()  # the page index's read id
        if force:
            self.full_reason = "--force"
            return
        records, reason = load_records(site.config)
        if records is None:
            self.full_reason = reason
            return
        self._last_pages = records.pages.keys()
        changed = [k for k, v in self.fingerprint.items() if records.fingerprint.get(k) != v]
        # A key only the last build had: an `SSG_*` variable since unset.
        changed += [k for k in records.fingerprint if k not in self.fingerprint]
        if ROUTES_CHANGED in changed:
            names = compare_app_names(
                records.fingerprint.get(ROUTES_CHANGED), self.fingerprint[ROUTES_CHANGED]
            )
            if names.full_reason is None:  # only files that are no route-table file came or went
                changed.remove(ROUTES_CHANGED)
                self._added_app_files = names.added
                self._gaining_routes = routes_gaining(site, names.added)
            else:
                changed[changed.index(ROUTES_CHANGED)] = names.full_reason
        if changed:
            self.full_reason = changed[0]
            return
        moved = changed_library(site.config)
        if moved is not None:
            self.full_reason = moved
            return
        self.full_reason = None
        self.records = records
        self.digests.add_origins(records.keys)
        self._page_index_id = next(
            (i for i, read in enumerate(records.keys) if read[0] == "page_index"), None
        )
        self._index_only = {self._page_index_id} if self._page_index_id is not None else set()

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
                if kind in ENTRY_PART_READS:
                    fields.append(key_id)
                elif kind != ReadKind.PAGE_INDEX and digest(read) != known[key_id]:
                    changed.add(key_id)
            # A field of an entry whose every field is unchanged (one digest per entry,
            # kept as an ENTRY read) needs no digest of its own.
            entry = ReadKind.ENTRY
            edited = {records.keys[k][1] for k in changed if records.keys[k][0] == entry}
            kept_entries = {read[1] for read in records.keys if read[0] == entry}
            for key_id in fields:
                read = records.keys[key_id]
                if read[1] in kept_entries and read[1] not in edited:
                    continue
                if digest(read) != known[key_id]:
                    changed.add(key_id)
            self._changed_groups = {
                group_id for group_id, ids in enumerate(records.groups) if holds_any(ids, changed)
            }
        assert self._changed_groups is not None
        return self._changed_ids, self._changed_groups

    def kept_manifest(self) -> KeptManifest | None:
        """The last build's manifest and the page records it was written from, or None
        (no records, or the manifest is unreadable: every page's line is encoded)."""
        if self.records is None:
            return None
        try:  # the records are used only with this very file (`load_records` checks its stamp)
            data = (self._site.config.out_dir / MANIFEST_FILE).read_bytes()
        except OSError:
            return None
        return KeptManifest(
            data, {url_path: kept.page.record for url_path, kept in self.records.pages.items()}
        )

    def kept_links(
        self, answers_key: str
    ) -> tuple[list[BrokenLink], dict[str, tuple[str, ...]]] | None:
        """The last link check's broken links and each page's links, if its `answers_key`
        (`ssg.builder.link_check`) was this one; else None (every page is checked)."""
        if self.records is None or self.records.links_key != answers_key:
            return None
        links = {url_path: kept.page.links for url_path, kept in self.records.pages.items()}
        return self.records.broken_links, links

    def changed_inputs(self) -> tuple[list[str], list[str]]:
        """What made pages render since the last build, for the summary: (the files that
        changed: templates by name, paths relative to the site folder or the working
        directory when inside them; what no record keeps: 'the data cache (ssg.fetch(...))',
        "another program's output"), each sorted, each name once. Empty for a full render or
        when nothing changed."""
        if self.records is None:
            return [], []
        keys = self.records.keys
        files, templates, volatile = set(), set(), set()
        for key_id in self.changed_ids():
            read = keys[key_id]
            kind = read[0]
            if kind == ReadKind.ENTRY:
                continue  # the builder's summary of an entry's field reads, which name it
            if kind == ReadKind.VOLATILE:
                volatile.add(str(read[1]))
            elif kind == ReadKind.TEMPLATE:
                templates.add(str(read[1]))
            elif kind in (ReadKind.ENTRIES, ReadKind.SLUG):
                origin = read[1]
                folder = getattr(getattr(origin, "spec", None), "content_dir", None)
                if folder is not None:
                    files.add(os.path.join(self._shown(folder), ""))
            elif len(read) > 1:
                files.add(self._shown(str(read[1])))
        # A template of the site is also a file of its routes (app/layout.html): named once.
        added = set(self._added_app_files)
        files.update(
            t
            for t in templates
            if os.path.join("app", t) not in files and os.path.join("app", t) not in added
        )
        files.update(f"{name} (added)" for name in added)
        return sorted(files), sorted(volatile)

    def _shown(self, path: str) -> str:
        """`path` relative to the site folder, else to the working directory, else as is."""
        for folder in (str(self._site.config.site_dir), os.getcwd()):
            if os.path.isabs(path) and path.startswith(os.path.join(folder, "")):
                return os.path.relpath(path, folder)
        return path

    def pages_removed(self, url_paths: AbstractSet[str]) -> int:
        """How many pages of the last build this build no longer has (`url_paths`: the URL
        paths of its pages); 0 when the last build's records are not read (--force)."""
        return sum(1 for url_path in self._last_pages if url_path not in url_paths)

    def changed_ids(self) -> set[int]:
        """The ids of the last build's reads that changed (empty without records)."""
        return self._changes()[0] if self.records is not None else set()

    def _page_index_changed(self, kept_reads: Sequence[int], groups: Iterable[int]) -> bool:
        records = self.records
        assert records is not None
        index_id = self._page_index_id
        if index_id is None:
            return False
        index_only = self._index_only
        if self._index_groups is None:
            self._index_groups = {
                group_id
                for group_id, ids in enumerate(records.groups)
                if holds_any(ids, index_only)
            }
        if self._index_groups.isdisjoint(groups) and not holds_any(kept_reads, index_only):
            return False
        return self.digests.digest((ReadKind.PAGE_INDEX,)) != records.digests[index_id]

    def params(self, route: RouteDefinition) -> KeptParams | None:
        """The route's generate_static_params result of the last build (with the URLs its
        params were planned at), if nothing it read changed."""
        if self.records is None:
            return None
        kept = self.records.params.get(route.route_pattern)
        if (
            kept is None
            or route.route_pattern in self._gaining_routes
            or not self._changes()[0].isdisjoint(kept.reads)
        ):
            return None
        return kept

    def unchanged(self, item: PlannedPage) -> KeptPage | None:
        """The page's record from the last build when nothing it read changed, else None.

        No side effect: `reuse` keeps the page's file.
        """
        records = self.records
        if records is None:
            return None
        kept = records.pages.get(item.url_path)
        if kept is None or kept.route_pattern != item.route.route_pattern:
            return None
        # Asked of every page: the checks that an edit leaves with nothing to look at
        # (no changed read, no changed group, no page index) are skipped.
        changed, changed_groups = self._changes()
        if (
            (changed and holds_any(kept.reads, changed))
            or (changed_groups and not changed_groups.isdisjoint(kept.groups))
            or (
                self._page_index_id is not None
                and self._page_index_changed(kept.reads, kept.groups)
            )
            or kept.params_key != params_key(item.params)
            or (self._gaining_routes and kept.route_pattern in self._gaining_routes)
            # It left out a post that is published now (a feed of a --drafts build, whose
            # collection keeps the post, so no read of it changed).
            or (kept.page.record.due_at is not None and kept.page.record.due_at <= self._now)
        ):
            return None
        return kept

    def reuse(self, item: PlannedPage, kept: KeptPage, writer: OutputWriter) -> bool:
        """Keep the page's previous file (in place, or linked into staging) and its bundle's.

        Args:
            item: the page.
            kept: its record, as `unchanged(item)` found it.
            writer: this build's output.

        Returns:
            False when the last build's file is gone (render the page).
        """
        if not writer.reuse(kept.page.record.output_file):
            return False
        for folder, names in kept.bundles:
            prefix = item.url_path.strip("/")
            for name in names:
                target = f"{prefix}/{name}" if prefix else name
                writer.write(target, (Path(folder) / name).read_bytes())
        return True


FEW_IDS = 16
"""Up to this many ids are looked up one by one in a sorted sequence (by bisection), more
are checked against each of its ids."""


def holds_any(sorted_ids: Sequence[int], ids: AbstractSet[int]) -> bool:
    """Whether `sorted_ids` (ascending, as the records keep a page's or a group's read ids)
    holds any of `ids`: the few reads an edit changed, checked against thousands of pages
    and groups of up to 100,000 ids each, are looked up by bisection.

    | sorted_ids   | ids       | result |
    | ------------ | --------- | ------ |
    | (1, 5, 9)    | {5}       | True   |
    | (1, 5, 9)    | {2, 10}   | False  |
    | ()           | {1}       | False  |
    """
    if len(ids) > FEW_IDS:
        return not ids.isdisjoint(sorted_ids)
    size = len(sorted_ids)
    for wanted in ids:
        at = bisect_left(sorted_ids, wanted)
        if at < size and sorted_ids[at] == wanted:
            return True
    return False
