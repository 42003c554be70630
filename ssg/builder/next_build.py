"""What a build keeps for the next build's short cut: the stamps of the inputs it read."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ssg.builder.build_records import record_inputs
from ssg.builder.build_result import BuildResult
from ssg.builder.records_writer import RecordsWriter
from ssg.builder.unchanged import BuildSummary, write_snapshot
from ssg.content.memo import collections_read
from ssg.scope import DataServices
from ssg.site import Site


def keep_snapshot(
    site: Site,
    services: DataServices,
    recorder: RecordsWriter,
    result: BuildResult,
    *,
    started_ns: int | None,
    settings: str,
    warnings: tuple[str, ...],
) -> None:
    """Keep the stamps of this build's inputs for the next build's short cut (`ssg.builder.unchanged`)."""
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
    )
