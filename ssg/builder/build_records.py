"""The page records an incremental build keeps (one pickle per site and output folder, plus a
log of the builds since): what each page and each generate_static_params call read, the
digests of those reads, and what the link check found.

The records live in `cache_dir/build/pages-<out folder key>.pickle`, written only
after the build's output replaced out/: a failed build leaves both as they were. A
build that rendered a few pages appends what it changed to `pages-<key>.log` instead
of writing them all again (a log on top of a snapshot, as the content cache's
`.recent`); every `LOG_MAX_ENTRIES` builds, or when the log grows large, the whole
records are written again and the log removed.
Reading them: `load_records(config)` gives the `BuildRecords`; a page's reads are
`[records.keys[i] for i in page.reads]` plus those of its groups
(`records.groups[g]` for g in `page.groups`), each a `ssg.reads.Read` tuple; the digest
each had when the build ended is `records.digests[i]`, and `ssg.builder.read_digests`
computes the digest a read has now. `ssg dev` uses the same reads and digests.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import pickle
import uuid
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssg.builder.finish import FinishedPage
from ssg.builder.kept_files import output_stamp, read_output_stamp, records_file
from ssg.builder.links import BrokenLink
from ssg.config import SiteConfig
from ssg.content.cache_file import collector_paused
from ssg.reads import Read
from ssg.records import PageRecord
from ssg.revalidate import Revalidate
from ssg.routing.definitions import Params

log = logging.getLogger("ssg.builder")

RECORDS_FORMAT = 7
"""Bump when the pickled records change shape (4: read kinds are `ReadKind` members;
5: `KeptParams.url_paths`; 6: groups are arrays; 7: so are pages' read ids)."""

LOG_MAX_ENTRIES = 16
"""Builds logged on top of the whole records before they are written whole again (and the
reads no page uses any more dropped)."""

_PAGE_FIELDS = tuple(f.name for f in dataclasses.fields(PageRecord))
"""A kept page's record is pickled as a tuple of these fields' values (checked on load)."""


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class KeptPage:
    """One page of the last build, as the next build may reuse it.

    Attributes:
        route_pattern: its route ("/blog/[slug]").
        params_key: its params, canonically encoded (`params_key`).
        page: its record and links (no reads).
        reads: ascending ids of what it read (into `BuildRecords.keys`); loaded
            records give each page its slice of one array of every page's ids.
        groups: ids of the memoized calls' read groups it used (`BuildRecords.groups`).
        indexed: it was in the build's page index (sitemaps).
        bundles: page-bundle files published beside it: (folder, names).
    """

    route_pattern: str
    params_key: str
    page: FinishedPage
    reads: Sequence[int]
    groups: tuple[int, ...]
    indexed: bool
    bundles: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class KeptParams:
    """What a route's generate_static_params returned last time, and what it read.

    Attributes:
        params: the params, in order.
        reads: ids of what the calls read (into `BuildRecords.keys`).
        url_paths: the URL each of `params` was planned at, in the same order; None
            where a more specific route owns the URL (planned again each build, so
            its warning repeats); () when not known. The URL and its owner depend on
            the route table alone, which the "routes changed" fingerprint covers.
    """

    params: list[Params]
    reads: tuple[int, ...]
    url_paths: tuple[str | None, ...] = ()


@dataclass(eq=False)  # identity equality: no generated __eq__
class BuildRecords:
    """Everything kept between builds of one site into one output folder (pickled).

    Attributes:
        fingerprint: what a full render depends on, by reason (see `fingerprint`).
        keys: every read of every kept page, by id.
        digests: the digest of each key when the build ended.
        groups: read groups (ascending ids into `keys`) shared by many pages; pickled
            as arrays of machine ints (`id_array`), which load as one copy of bytes
            each where a tuple of 100,000 ints is 100,000 objects to make.
        pages: url path -> KeptPage.
        params: route pattern -> KeptParams.
        links_key: the output's files and 404.html's links when the link check ran.
        broken_links: what it found.
    """

    fingerprint: dict[str, str]
    keys: list[Read] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    groups: list[Sequence[int]] = field(default_factory=list)
    pages: dict[str, KeptPage] = field(default_factory=dict)
    params: dict[str, KeptParams] = field(default_factory=dict)
    links_key: str = ""
    broken_links: list[BrokenLink] = field(default_factory=list)
    format: int = RECORDS_FORMAT
    base_id: str = ""
    log_entries: int = 0
    log_bytes: int = 0
    base_bytes: int = 0


def id_array(ids: Iterable[int]) -> array[int]:
    """Read ids as an array of machine ints (itself when it is one)."""
    return ids if isinstance(ids, array) else array("i", ids)


def log_file(config: SiteConfig) -> Path:
    """The log of the builds since the records were written whole, beside them."""
    return records_file(config).with_suffix(".log")


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
        with collector_paused():  # thousands of pages' records, no garbage among them
            records = parse_records(data)
            if records is not None:
                _replay_log(records, log_file(config))
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
        return None, "the build records are from another ssg version"
    if output_stamp(config) != read_output_stamp(config):
        return None, "the output folder changed since the last build"
    return records, ""


def _page_tuples(
    pages: Iterable[tuple[str, KeptPage]], revalidates: dict[Revalidate, int], reads: array[int]
) -> list[tuple[object, ...]]:
    """Kept pages as plain tuples (a record's revalidate as its index in `revalidates`, its
    read ids as (start, end) in `reads`, which they are appended to).

    One array of every page's ids loads as one copy of bytes, where a tuple per
    page is an object per id to make (a post page reads dozens of entry fields).
    """
    found: list[tuple[object, ...]] = []
    for url_path, kept in pages:
        record = kept.page.record
        values = [getattr(record, name) for name in _PAGE_FIELDS]
        values[_REVALIDATE] = revalidates.setdefault(record.revalidate, len(revalidates))
        start = len(reads)
        reads.extend(kept.reads)
        found.append(
            (
                url_path,
                kept.route_pattern,
                kept.params_key,
                tuple(values),
                kept.page.links,
                (start, len(reads)),
                kept.groups,
                kept.indexed,
                kept.bundles,
            )
        )
    return found


def _kept_pages(
    pages: list[Any], revalidates: list[Revalidate], reads: array[int]
) -> dict[str, KeptPage]:
    """`_page_tuples`' tuples as KeptPages again, by URL path."""
    kept_pages = {}
    for (
        url_path,
        route_pattern,
        params_key,
        values,
        links,
        (start, end),
        groups,
        indexed,
        bundles,
    ) in pages:
        values = list(values)
        values[_REVALIDATE] = revalidates[values[_REVALIDATE]]
        kept_pages[url_path] = KeptPage(
            route_pattern,
            params_key,
            FinishedPage(PageRecord(*values), links),
            reads[start:end],
            groups,
            indexed,
            bundles,
        )
    return kept_pages


def dump_records(records: BuildRecords) -> bytes:
    """The records as bytes for `parse_records`: a pickle of plain tuples.

    Each kept page is a tuple rather than three pickled dataclasses: pickling and
    unpickling thousands of frozen dataclasses field by field costs more than the
    rest of the records together, and a one-page edit reads them all. Sets
    `records.base_id` (what the log's entries name) to a new id.
    """
    records.base_id = uuid.uuid4().hex
    revalidates: dict[Revalidate, int] = {}
    reads = id_array(())
    pages = _page_tuples(records.pages.items(), revalidates, reads)
    state = (
        records.format,
        _PAGE_FIELDS,
        records.base_id,
        records.fingerprint,
        records.keys,
        records.digests,
        [id_array(group) for group in records.groups],
        list(revalidates),
        pages,
        records.params,
        records.links_key,
        records.broken_links,
        reads,
    )
    return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)


def parse_records(data: bytes) -> BuildRecords | None:
    """The records `dump_records` wrote, or None when `data` holds another format.

    Raises:
        Exception: whatever unpickling a torn or foreign file raises.
    """
    state = pickle.loads(data)
    if not isinstance(state, tuple) or state[:2] != (RECORDS_FORMAT, _PAGE_FIELDS):
        return None
    (
        _,
        _,
        base_id,
        fingerprint,
        keys,
        digests,
        groups,
        revalidates,
        pages,
        params,
        links_key,
        broken,
        reads,
    ) = state
    return BuildRecords(
        fingerprint=fingerprint,
        keys=keys,
        digests=digests,
        groups=groups,
        pages=_kept_pages(pages, revalidates, reads),
        params=params,
        links_key=links_key,
        broken_links=broken,
        base_id=base_id,
        base_bytes=len(data),
    )


def dump_log_entry(previous: BuildRecords, records: BuildRecords) -> bytes:
    """What `records` changed since `previous` (the records as the last build left them,
    whose keys, digests and groups `records` extends), as one entry of the log.

    A page carried over from `previous` is the same KeptPage object: only the
    others are written.
    """
    revalidates: dict[Revalidate, int] = {}
    known = previous.digests
    reads = id_array(())
    pages = _page_tuples(
        (
            (url_path, kept)
            for url_path, kept in records.pages.items()
            if previous.pages.get(url_path) is not kept
        ),
        revalidates,
        reads,
    )
    entry = (
        RECORDS_FORMAT,
        previous.base_id,
        records.fingerprint,
        records.keys[len(previous.keys) :],
        {i: d for i, d in enumerate(records.digests[: len(known)]) if d != known[i]},
        records.digests[len(known) :],
        [id_array(group) for group in records.groups[len(previous.groups) :]],
        list(revalidates),
        pages,
        [url_path for url_path in previous.pages if url_path not in records.pages],
        # A route's params kept from `previous` are the same KeptParams object.
        {
            pattern: kept
            for pattern, kept in records.params.items()
            if previous.params.get(pattern) is not kept
        },
        [pattern for pattern in previous.params if pattern not in records.params],
        records.links_key,
        records.broken_links,
        reads,
    )
    return pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)


def _replay_log(records: BuildRecords, path: Path) -> None:
    """Apply the log's entries for these records (`dump_log_entry`), in order.

    Entries for other records (left by a build killed while it wrote the records
    whole) are skipped. Raises what unpickling a torn entry raises.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    records.log_bytes = len(data)
    stream = io.BytesIO(data)
    while True:
        try:
            entry = pickle.load(stream)
        except EOFError:
            break
        records.log_entries += 1
        if entry[0] != RECORDS_FORMAT or entry[1] != records.base_id:
            records.log_entries = LOG_MAX_ENTRIES  # write them whole next time
            continue
        (_, _, fingerprint, keys, updated, added, groups, revalidates, pages, removed) = entry[:10]
        records.fingerprint = fingerprint
        records.keys.extend(keys)
        for key_id, value in updated.items():
            records.digests[key_id] = value
        records.digests.extend(added)
        records.groups.extend(groups)
        for url_path in removed:
            records.pages.pop(url_path, None)
        records.pages.update(_kept_pages(pages, revalidates, entry[14]))
        params, params_removed, records.links_key, records.broken_links = entry[10:14]
        for pattern in params_removed:
            records.params.pop(pattern, None)
        records.params.update(params)


_REVALIDATE = _PAGE_FIELDS.index("revalidate")
