"""The content cache file: what the content pool's workers parsed is read back unchanged."""

from __future__ import annotations

import pickle
from pathlib import Path

from ssg.content.cache import ContentCache
from ssg.content.entry import load_entries
from ssg.content.memo import reload_collection
from ssg.content.pool import PARALLEL_MIN_FILES
from ssg.content.scan import DEFAULT_EXCLUDE, DEFAULT_PATTERNS, scan_content

from .conftest import WritePosts
from .test_pool import many_posts


def test_a_cache_written_from_pool_workers_reads_back_every_parse(
    write_posts: WritePosts, tmp_path: Path
) -> None:
    folder = write_posts(many_posts(PARALLEL_MIN_FILES + 6))
    cache_dir = tmp_path / "cache"
    cache = ContentCache.open(cache_dir, folder, None)
    stamps = scan_content(folder, DEFAULT_PATTERNS, DEFAULT_EXCLUDE)

    memo = reload_collection(folder, stamps, None, workers=2, cache=cache)
    reopened = ContentCache.open(cache_dir, folder, None)

    assert reopened.kept == {name: item for name, (_, item) in memo.loaded.items()}
    assert len(reopened.kept) == PARALLEL_MIN_FILES + 6


def test_pickled_parses_replaced_since_they_were_offered_are_not_written(
    write_posts: WritePosts, tmp_path: Path
) -> None:
    folder = write_posts(many_posts(3))
    names = sorted(path.name for path in folder.glob("*.md"))
    first = load_entries([str(folder / name) for name in names], str(folder))
    cache = ContentCache.open(tmp_path / "cache", folder, None)
    cache.offer_pickled(names, first, pickle.dumps(first))
    (folder / names[0]).write_text("---\ntitle: Edited\n---\nNew body.\n", encoding="utf-8")
    (edited,) = load_entries([str(folder / names[0])], str(folder))

    cache.update({names[0]: edited, names[1]: first[1], names[2]: first[2]}, parsed=3)
    cache.save()
    reopened = ContentCache.open(tmp_path / "cache", folder, None)

    assert reopened.kept[names[0]].entry is not None
    assert reopened.kept[names[0]].entry.title == "Edited"
    assert reopened.kept[names[1]] == first[1]
    assert reopened.kept[names[2]] == first[2]
