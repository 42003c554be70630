"""Each served build reads from its own pin of out/: made at load, removed when it retires."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ssg.config import load_config
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
