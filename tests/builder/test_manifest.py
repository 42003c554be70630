"""The manifest a build writes over the last one: the text `Manifest.dumps` gives."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ssg.builder.manifest import MANIFEST_FILE, KeptManifest, write_manifest
from ssg.records import Manifest, PageRecord
from ssg.revalidate import Revalidate


def page(url_path: str, generated_at: float, **changes: object) -> PageRecord:
    record = PageRecord(
        url_path=url_path,
        route_pattern="/[slug]",
        status=200,
        content_type="text/html; charset=utf-8",
        revalidate=Revalidate.after(60),
        tags=("posts",),
        etag='"0123456789abcdef"',
        size_bytes=120,
        output_file=url_path.strip("/") + ".html",
        generated_at=generated_at,
    )
    return replace(record, **changes)


def manifest(build_id: str, generated_at: float, pages: list[PageRecord]) -> Manifest:
    return Manifest(
        build_id=build_id,
        generated_at=generated_at,
        routes=(),
        pages={record.url_path: record for record in pages},
        indexed_pages=tuple(record.url_path for record in pages),
    )


def test_a_manifest_written_over_the_last_one_keeps_its_unchanged_lines_as_dumps_would(
    tmp_path: Path,
) -> None:
    last = manifest("a1", 5.0, [page("/a", 5.0), page("/b", 5.0), page("/c", 5.0)])
    pages = [
        page("/a", 9.5),  # unchanged: its line again, with the new time
        page("/b", 9.5, etag='"fedcba9876543210"', location="/new"),  # rendered again
        page("/d", 9.5),  # new; /c is gone
    ]
    new = manifest("b2", 9.5, pages)

    write_manifest(tmp_path, new, KeptManifest(last.dumps(), last.pages))

    assert (tmp_path / MANIFEST_FILE).read_text() == new.dumps()
    assert Manifest.loads(new.dumps()) == new


def test_a_last_manifest_that_is_not_dumps_text_is_not_reused(tmp_path: Path) -> None:
    last = manifest("a1", 5.0, [page("/a", 5.0)])
    new = manifest("b2", 9.5, [page("/a", 9.5)])
    for text in ("", "{}", last.dumps()[:120]):  # empty, foreign, torn in its pages
        write_manifest(tmp_path, new, KeptManifest(text, last.pages))

        assert (tmp_path / MANIFEST_FILE).read_text() == new.dumps()
