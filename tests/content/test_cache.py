"""The content cache file: what the content pool's workers parsed is read back unchanged."""

from __future__ import annotations

import gc
import pickle
from pathlib import Path

from markupsafe import Markup

from ssg.content.cache import ContentCache
from ssg.content.entry import DeferredValue
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


def test_an_entry_read_from_the_cache_gets_its_body_on_first_read_and_pickles_it(
    write_posts: WritePosts, tmp_path: Path
) -> None:
    folder = write_posts({"a.md": "---\ntitle: A\n---\nBody of *a* — ü.\n"})
    stamps = scan_content(folder, DEFAULT_PATTERNS, DEFAULT_EXCLUDE)
    cache = ContentCache.open(tmp_path / "cache", folder, None)
    parsed = reload_collection(folder, stamps, None, workers=1, cache=cache)  # writes it whole
    entry = ContentCache.open(tmp_path / "cache", folder, None).kept["a.md"].entry
    assert entry is not None
    assert isinstance(object.__getattribute__(entry, "html"), DeferredValue)

    copy = pickle.loads(pickle.dumps(entry))

    assert isinstance(object.__getattribute__(copy, "html"), Markup)
    assert copy == entry == parsed.collection.entries[0]
    assert entry.html == Markup("<p>Body of <em>a</em> — ü.</p>\n")


def test_reading_a_cache_leaves_the_collector_as_it_found_it(
    write_posts: WritePosts, tmp_path: Path
) -> None:
    folder = write_posts({"a.md": "---\ntitle: A\n---\nBody.\n"})
    stamps = scan_content(folder, DEFAULT_PATTERNS, DEFAULT_EXCLUDE)
    reload_collection(
        folder, stamps, None, workers=1, cache=ContentCache.open(tmp_path, folder, None)
    )
    try:
        for enabled in (True, False):
            gc.enable() if enabled else gc.disable()
            reopened = ContentCache.open(tmp_path, folder, None)
            assert list(reopened.kept) == ["a.md"]
            assert gc.isenabled() is enabled
    finally:
        gc.enable()
