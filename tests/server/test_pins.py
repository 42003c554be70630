"""Each served build reads from its own pin of out/: made at load, removed when it retires."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from ssg.config import load_config
from ssg.server import pins as pins_module
from ssg.server.pins import PINS_FOLDER
from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, ServeSite
from tests.server.test_build_switch import switch_of

FILES = {"app/layout.html": LAYOUT, "app/page.html": "<p>home</p>", "public/a.txt": "a"}


def pins_of(site_dir: Path) -> Path:
    return load_config(site_dir).cache_dir / PINS_FOLDER


async def test_a_servers_pin_holds_the_builds_files_and_goes_with_the_server(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(FILES)
    server = await serve_site(site_dir)
    pin = switch_of(server).current.pin
    assert pin is not None and pin.parent == pins_of(site_dir)
    out_dir = server.config.out_dir
    assert (pin / "a.txt").stat().st_ino == (out_dir / "a.txt").stat().st_ino  # linked, not copied

    await server.restart()
    assert not pin.exists()
    assert [p.name for p in pins_of(site_dir).iterdir()] == [switch_of(server).current.pin.name]


async def test_pins_left_by_a_killed_server_are_removed_by_the_next_one(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(FILES)
    left = pins_of(site_dir) / "999999999-killed"  # no process has that id
    (left / "sub").mkdir(parents=True)
    (left / "sub/page.html").write_text("old")
    await serve_site(site_dir)
    assert not left.exists()


async def test_a_cache_folder_where_no_pin_can_be_made_serves_out_directly_and_says_why(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site_dir = make_site(FILES)
    pins = pins_of(site_dir)
    pins.parent.mkdir(parents=True, exist_ok=True)
    pins.write_text("a file where the pins folder goes")
    with caplog.at_level(logging.WARNING, logger="ssg.server"):
        server = await serve_site(site_dir)
    reply = await server.get("/a.txt")
    assert (reply.status, reply.text) == (200, "a")
    assert switch_of(server).current.pin is None
    assert "Could not pin the build" in caplog.text
    assert "same file system as out_dir" in caplog.text


def test_a_build_swapped_in_while_pinning_is_pinned_whole_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out_dir, newer = tmp_path / "out", tmp_path / ".out.staging-1"
    for folder, version in ((out_dir, "1"), (newer, "2")):
        (folder / "blog").mkdir(parents=True)
        for name in ("index.html", "blog/a.html", "blog/b.html"):
            (folder / name).write_text(version)
    real_fwalk = os.fwalk
    swaps = []

    def fwalk_then_swap(*args: Any, **kwargs: Any) -> Any:
        for step in real_fwalk(*args, **kwargs):
            yield step
            if not swaps:  # a build commits (and deletes the old build) mid-walk
                swaps.append(os.replace(out_dir, tmp_path / "old"))
                os.replace(newer, out_dir)
                shutil.rmtree(tmp_path / "old")

    monkeypatch.setattr(pins_module.os, "fwalk", fwalk_then_swap)
    pin = pins_module.pin_build(out_dir, tmp_path / "pins")

    assert pin is not None and len(swaps) == 1
    pinned = {p.relative_to(pin).as_posix(): p.read_text() for p in pin.rglob("*.html")}
    assert pinned == {"index.html": "2", "blog/a.html": "2", "blog/b.html": "2"}
    assert [p.name for p in (tmp_path / "pins").iterdir()] == [pin.name]
