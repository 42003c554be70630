"""What a build keeps for the next build: its records, the pages' links, the content it read,
and the stamps of the inputs it read (the short cut)."""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Collection, Iterable
from dataclasses import replace
from pathlib import Path

from ssg.builder.build_records import BuildRecords
from ssg.builder.build_result import BuildResult
from ssg.builder.links import write_known_links
from ssg.builder.records_writer import RecordsWriter
from ssg.builder.unchanged import BuildSummary, Taken, write_snapshot
from ssg.content.memo import collections_read
from ssg.content.specs import CollectionOrigin, write_collection_specs
from ssg.reads import COLLECTION_READS, ReadKind
from ssg.scope import DataServices
from ssg.site import Site

log = logging.getLogger("ssg.builder")


def keep_for_next_build(
    site: Site,
    services: DataServices,
    recorder: RecordsWriter,
    result: BuildResult,
    links: Iterable[tuple[str, tuple[str, ...]]],
    *,
    outputs: Collection[str],
    started_ns: int | None,
    settings: str,
    warnings: tuple[str, ...],
    taken: Taken | None = None,
) -> None:
    """Write, under the cache folder, what the next build (or `ssg serve`) reads from this one.

    Called once out/ is switched. Each file is written whole (temp file + rename);
    one that cannot be written is logged as a warning: only the next build's speed
    depends on it.

    Args:
        links: (page ETag, its links) of the pages written (`write_known_links`).
        outputs, started_ns, settings, warnings, taken: see `keep_snapshot`.
    """
    config = site.config
    try:
        recorder.save(config)
    except OSError as exc:
        log.warning("Could not keep the build records in %s: %s", config.cache_dir, exc)
    try:
        write_known_links(config.cache_dir, links)
    except OSError as exc:
        log.warning("Could not keep the links for the next build in %s: %s", config.cache_dir, exc)
    try:  # the server preloads them off its event loop
        write_collection_specs(config.cache_dir, collections_read(services))
    except OSError as exc:
        log.warning("Could not list the content read in %s: %s", config.cache_dir, exc)
    try:
        keep_snapshot(
            site,
            services,
            recorder,
            result,
            outputs=outputs,
            started_ns=started_ns,
            settings=settings,
            warnings=warnings,
            taken=taken,
        )
    # A route result a site made unpicklable costs the short cut, never the build.
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        log.warning("Could not keep the input stamps in %s: %s", config.cache_dir, exc)


def keep_snapshot(
    site: Site,
    services: DataServices,
    recorder: RecordsWriter,
    result: BuildResult,
    *,
    outputs: Collection[str],
    started_ns: int | None,
    settings: str,
    warnings: tuple[str, ...],
    taken: Taken | None = None,
) -> None:
    """Keep the stamps of this build's inputs for the next build's short cut (`ssg.builder.unchanged`).

    Args:
        outputs: what shows out/ as this build left it (`ssg.builder.file_stamps.output_names`).
        started_ns: `start_marker` at the build's start.
        settings: `build_settings` of the build.
        warnings: the content problems it logged (an unchanged build logs them again).
        taken: what the short cut stamped before the build (`write_snapshot`).
    """
    config = site.config
    records = recorder.saved
    if records is None:
        started_ns = None  # no records: nothing says which files the pages read
        files: set[str] = set()
        content_dirs: set[Path] = set()
        volatile = True
    else:
        files, content_dirs, volatile = record_inputs(records, config.site_dir)
    content_dirs.update(Path(spec.content_dir) for spec in collections_read(services))
    write_snapshot(
        config,
        started_ns=started_ns,
        settings=settings,
        roots=[config.site_dir, site.theme.theme_dir, *content_dirs],
        files=files,
        outputs=outputs,
        volatile=volatile,
        next_due_at=result.next_due_at,
        summary=BuildSummary(
            routes=result.routes,
            manifest=replace(result.manifest, pages={}),
            pages_written=result.pages_written,
            broken_links=result.broken_links,
            exported=result.exported,
            warnings=warnings,
        ),
        taken=taken,
    )


_STAMPED_KINDS = frozenset(
    {
        ReadKind.TEMPLATE,
        ReadKind.ENTRIES,
        ReadKind.SLUG,
        ReadKind.FIELD,
        ReadKind.METADATA,
        ReadKind.ENTRY,
        ReadKind.PAGE_INDEX,
    }
)
"""Reads whose inputs are files below the site, theme and content folders (stamped whole)."""
_DISK_KINDS = frozenset({ReadKind.FILE, ReadKind.DIR})
_ENTRY_KINDS = frozenset({ReadKind.FIELD, ReadKind.METADATA, ReadKind.ENTRY})


def record_inputs(records: BuildRecords, site_dir: Path) -> tuple[set[str], set[Path], bool]:
    """What the kept pages and params read, for the input snapshot (`ssg.builder.unchanged`).

    Returns:
        (the files and folders they read, absolute; the content folders of the
        collections they read; whether any read is one no file stamp speaks for:
        a data-cache entry, an uncached fetch, a read this version does not know).
    """
    # Every kept read, not only those a page still uses: the few no page uses any more
    # (until the records are written whole, see `save`) only stamp a file more.
    files: set[str] = set()
    content_dirs: set[str] = set()  # Paths made once, not for each of thousands of reads
    site = str(site_dir)
    volatile = False
    for read in records.keys:
        kind = read[0]
        if kind in _ENTRY_KINDS:
            files.add(str(read[1]))  # below a content folder too, unless a page made it by hand
        elif kind in COLLECTION_READS and isinstance(read[1], CollectionOrigin):
            content_dirs.add(read[1].spec.content_dir)
        elif kind in _DISK_KINDS:
            files.add(os.path.abspath(os.path.join(site, str(read[1]))))
        elif kind not in _STAMPED_KINDS:
            volatile = True
    return files, {Path(folder) for folder in content_dirs}, volatile
