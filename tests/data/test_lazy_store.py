"""A build's data cache opens when a page first uses it (`ssg.data.lazy_store`)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ssg.builder.builder import build_site
from ssg.config import load_config
from ssg.data.lazy_store import LazyDataStore
from ssg.revalidate import Revalidate
from tests.conftest import MakeSite

from .conftest import FakeClock

LAYOUT = "<html><body>{{ children }}</body></html>"


async def test_a_build_whose_pages_read_no_data_cache_leaves_no_data_cache_folder(
    make_site: MakeSite,
) -> None:
    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "<p>home</p>"})
    await build_site(load_config(site_dir))
    assert (site_dir / "out" / "index.html").is_file()
    assert not (site_dir / ".ssg" / "data").exists()


async def test_a_value_a_build_stored_is_read_by_the_next_builds_pages(
    make_site: MakeSite,
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "<p>{{ stamp }}</p>",
            "app/page.py": "from pathlib import Path\n"
            "import ssg\n"
            "@ssg.cache(revalidate=False)\n"
            "def stamp():\n"
            "    runs = Path(__file__).parent.parent / 'runs.txt'\n"
            "    with runs.open('a') as stream:\n"
            "        stream.write('run\\n')\n"
            "    return f'run {len(runs.read_text().splitlines())}'\n"
            "def load(params):\n"
            "    return {'stamp': stamp()}\n",
        }
    )
    await build_site(load_config(site_dir))
    first = (site_dir / "out" / "index.html").read_text()
    await build_site(load_config(site_dir), force=True)  # renders the page again

    assert "<p>run 1</p>" in first
    assert (site_dir / "out" / "index.html").read_text() == first
    assert (site_dir / "runs.txt").read_text() == "run\n"
    assert (site_dir / ".ssg" / "data").is_dir()


def test_a_corrupt_directory_is_logged_once_when_first_used_not_when_made(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "data"
    directory.mkdir()
    (directory / "cache.db").write_bytes(b"this is not a sqlite database" * 100)
    with caplog.at_level(logging.WARNING, logger="ssg.data"):
        store = LazyDataStore(directory, clock=clock)
        made = caplog.text
        store.set("k", 1, revalidate=Revalidate.NEVER, tags=())
        entry = store.get("k")
        store.close()
    assert made == ""
    assert caplog.text.count("starting with an empty data cache") == 1
    assert entry is not None and entry.value == 1


def test_a_store_closed_before_any_use_never_opens_and_misses(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = LazyDataStore(tmp_path / "data", clock=clock)
    store.close()
    store.set("k", 1, revalidate=Revalidate.NEVER, tags=())
    assert (store.get("k"), store.expire(), store.enabled) == (None, 0, False)
    assert not (tmp_path / "data").exists()
