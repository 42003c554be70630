"""The page records an incremental build keeps (one pickle per site and output folder): what
each page and each generate_static_params call read, the digests of those reads, and what
the link check found.

The records live in `cache_dir/build/pages-<out folder key>.pickle`, written only
after the build's output replaced out/: a failed build leaves both as they were.
Reading them: `load_records(config)` gives the `BuildRecords`; a page's reads are
`[records.keys[i] for i in page.reads]` plus those of its groups
(`records.groups[g]` for g in `page.groups`), each a `ssg.reads.Read` tuple; the digest
each had when the build ended is `records.digests[i]`, and `ssg.builder.read_digests`
computes the digest a read has now. `ssg dev` uses the same reads and digests.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from ssg.builder.finish import FinishedPage
from ssg.builder.links import BrokenLink
from ssg.builder.unchanged import output_stamp, read_output_stamp, records_file
from ssg.config import SiteConfig
from ssg.content.specs import CollectionOrigin
from ssg.reads import Read
from ssg.records import PageRecord
from ssg.revalidate import Revalidate
from ssg.routing.definitions import Params

log = logging.getLogger("ssg.builder")

RECORDS_FORMAT = 3
"""Bump when the pickled records change shape."""

_PAGE_FIELDS = tuple(f.name for f in dataclasses.fields(PageRecord))
"""A kept page's record is pickled as a tuple of these fields' values (checked on load)."""


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
        records = parse_records(data)
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


def dump_records(records: BuildRecords) -> bytes:
    """The records as bytes for `parse_records`: a pickle of plain tuples.

    Each kept page is a tuple rather than three pickled dataclasses: pickling and
    unpickling thousands of frozen dataclasses field by field costs more than the
    rest of the records together, and a one-page edit writes and reads them all.
    """
    revalidates: dict[Revalidate, int] = {}
    pages = []
    for url_path, kept in records.pages.items():
        record = kept.page.record
        values = [getattr(record, name) for name in _PAGE_FIELDS]
        values[_REVALIDATE] = revalidates.setdefault(record.revalidate, len(revalidates))
        pages.append(
            (
                url_path,
                kept.route_pattern,
                kept.params_key,
                tuple(values),
                kept.page.links,
                kept.reads,
                kept.groups,
                kept.indexed,
                kept.bundles,
            )
        )
    state = (
        records.format,
        _PAGE_FIELDS,
        records.fingerprint,
        records.keys,
        records.digests,
        records.groups,
        list(revalidates),
        pages,
        records.params,
        records.links_key,
        records.broken_links,
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
    _, _, fingerprint, keys, digests, groups, revalidates, pages, params, links_key, broken = state
    kept_pages = {}
    for (
        url_path,
        route_pattern,
        params_key,
        values,
        links,
        reads,
        groups_of,
        indexed,
        bundles,
    ) in pages:
        values = list(values)
        values[_REVALIDATE] = revalidates[values[_REVALIDATE]]
        kept_pages[url_path] = KeptPage(
            route_pattern,
            params_key,
            FinishedPage(PageRecord(*values), links),
            reads,
            groups_of,
            indexed,
            bundles,
        )
    return BuildRecords(
        fingerprint=fingerprint,
        keys=keys,
        digests=digests,
        groups=groups,
        pages=kept_pages,
        params=params,
        links_key=links_key,
        broken_links=broken,
    )


_REVALIDATE = _PAGE_FIELDS.index("revalidate")

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
