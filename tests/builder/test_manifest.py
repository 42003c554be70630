"""The manifest a build writes over the last one: the text `Manifest.dumps` gives."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from ssg.builder.manifest import (
    KeptManifest,
    StampedPages,
    _spliced,
    write_manifest,
)
from ssg.records import MANIFEST_FILE, Manifest, PageRecord
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

    write_manifest(tmp_path, new, KeptManifest(last.dumps().encode(), last.pages))

    assert (tmp_path / MANIFEST_FILE).read_text() == new.dumps()
    assert Manifest.loads(new.dumps()) == new


def test_a_last_manifest_that_is_not_dumps_text_is_not_reused(tmp_path: Path) -> None:
    last = manifest("a1", 5.0, [page("/a", 5.0)])
    new = manifest("b2", 9.5, [page("/a", 9.5)])
    for text in ("", "{}", last.dumps()[:120]):  # empty, foreign, torn in its pages
        write_manifest(tmp_path, new, KeptManifest(text.encode(), last.pages))

        assert (tmp_path / MANIFEST_FILE).read_text() == new.dumps()


def _build_manifest(build_id: str, now: float, records: list[PageRecord]) -> Manifest:
    """A manifest as a build makes it: the records restamped on use (`StampedPages`)."""
    ordered = sorted(records, key=lambda record: record.url_path)
    return Manifest(
        build_id=build_id,
        generated_at=now,
        routes=(),
        pages=StampedPages({record.url_path: record for record in ordered}, now),
        indexed_pages=tuple(record.url_path for record in ordered),
    )


def test_a_manifest_over_the_last_one_is_the_last_text_with_the_edited_lines_as_dumps_would(
    tmp_path: Path,
) -> None:
    kept = {f"/p{n:03}": page(f"/p{n:03}", 0.0) for n in range(0, 300, 3)}
    kept["/p006"] = page("/p006", 0.0, due_at=50.0)  # its revalidate counts down to due_at
    kept["/p009"] = page("/p009", 0.0, tags=("café",))  # UTF-8 kept as it was
    last = _build_manifest("a1", 5.0, list(kept.values()))
    records = dict(kept)  # the kept records, as an incremental build reuses them
    records["/p003"] = page("/p003", 0.0, etag='"fedcba9876543210"')  # rendered again
    del records["/p150"]  # removed
    for url_path in ("/a", "/p001", "/p151", "/p298", "/z"):  # added: first, between, last
        records[url_path] = page(url_path, 0.0, tags=("naïve",))
    new = _build_manifest("b2", 9.5, list(records.values()))

    write_manifest(tmp_path, new, KeptManifest(last.dumps().encode(), kept))

    assert (tmp_path / MANIFEST_FILE).read_text() == new.dumps()
    spliced = _spliced(new, KeptManifest(last.dumps().encode(), kept))  # not line by line
    assert spliced is not None and b"".join(spliced) == new.dumps().encode()
    assert new.pages["/p006"].revalidate == Revalidate.after(41)
    assert Manifest.loads(new.dumps()) == new


def test_a_last_manifest_with_other_times_or_lines_is_not_spliced(tmp_path: Path) -> None:
    kept = {url: page(url, 0.0) for url in ("/a", "/b", "/c")}
    last = _build_manifest("a1", 5.0, list(kept.values())).dumps()
    new = _build_manifest("b2", 9.5, [*kept.values(), page("/d", 0.0)])
    regenerated = last.replace('"generated_at": 5.0, "etag"', '"generated_at": 7.0, "etag"', 1)
    for text in (regenerated, last.replace(',\n  "/c"', ',\n  "/bb": {},\n  "/c"')):
        write_manifest(tmp_path, new, KeptManifest(text.encode(), kept))

        assert _spliced(new, KeptManifest(text.encode(), kept)) is None
        assert (tmp_path / MANIFEST_FILE).read_text() == new.dumps()


@pytest.mark.parametrize("seed", range(20))
def test_spliced_manifests_of_random_edits_are_dumps_text(seed: int) -> None:
    rng = random.Random(seed)
    kept = {f"/p{n:03}": page(f"/p{n:03}", 0.0) for n in range(0, 60, 2)}
    last = _build_manifest("a1", 5.0, list(kept.values())).dumps().encode()
    records = dict(kept)
    for _ in range(rng.randint(1, 12)):
        url_path = f"/p{rng.randrange(61):03}"
        action = rng.choice(["remove", "change", "add"])
        if action == "remove":
            records.pop(url_path, None)
        elif action == "change" or url_path not in records:
            records[url_path] = page(url_path, 0.0, size_bytes=rng.randint(1, 999))
    if not records:
        return
    new = _build_manifest("b2", 9.25, list(records.values()))

    spliced = _spliced(new, KeptManifest(last, kept))

    assert spliced is not None and b"".join(spliced) == new.dumps().encode()
