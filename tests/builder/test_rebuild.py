"""A rebuild over a previous build: unchanged files are the previous build's files (hard links),
changed ones are new, and a failed rebuild never alters the previous output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ssg.errors import SsgError
from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.conftest import MakeSite

SITE = {
    "app/layout.html": ROOT_LAYOUT,
    "app/page.html": "<h1>Home</h1>",
    "app/about/page.html": "<p>About</p>",
    "app/old/page.html": "old page",
    "public/robots.txt": "User-agent: *\n",
}


def identities(out: Path) -> dict[str, tuple[int, int, bytes]]:
    """relative file -> (inode, mtime ns, bytes)."""
    found = {}
    for path in out.rglob("*"):
        if path.is_file():
            stat = path.stat()
            found[path.relative_to(out).as_posix()] = (
                stat.st_ino,
                stat.st_mtime_ns,
                path.read_bytes(),
            )
    return found


async def test_unchanged_files_keep_their_inode_and_time_changed_ones_are_new(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(SITE)
    await build(site)
    before = identities(site / "out")
    (site / "app/about/page.html").write_text("<p>About us</p>")
    (site / "public/robots.txt").write_text("User-agent: *\nDisallow: /x\n")
    await build(site)
    after = identities(site / "out")
    assert after["index.html"] == before["index.html"]  # the same file: linked, not rewritten
    assert after["old.html"] == before["old.html"]
    assert after["about.html"][0] != before["about.html"][0]
    assert after["about.html"][2].endswith(b"<p>About us</p></body></html>")
    assert after["robots.txt"][2] == b"User-agent: *\nDisallow: /x\n"
    assert after["robots.txt"][0] != before["robots.txt"][0]
    # The previous output folder is gone; its unchanged files live on in the new one.
    assert os.stat(site / "out/index.html").st_nlink == 1


async def test_failed_rebuild_never_writes_through_a_linked_file(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(SITE)
    await build(site)
    before = identities(site / "out")
    # old.html is linked from the previous build for /old, then /old.html (an alias with
    # other bytes) is written to the same file, which fails the build. The write must
    # replace the link in the staging folder, not change the previous build's file.
    (site / "app/[...alias]/page.html").parent.mkdir(parents=True)
    (site / "app/[...alias]/page.html").write_text("alias")
    (site / "app/[...alias]/page.py").write_text(
        "def generate_static_params(p):\n    return [{'alias': ['old.html']}]\n"
    )
    with pytest.raises(SsgError, match=r"would both be written to old\.html"):
        await build(site)
    assert identities(site / "out") == before


async def test_public_file_changed_with_the_same_size_and_time_is_copied_again(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(SITE)
    robots = site / "public/robots.txt"
    os.utime(robots, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    await build(site)
    robots.write_text("User-agent: x\n")  # same length, then the same mtime (as tar or cp -p)
    os.utime(robots, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    await build(site)
    assert (site / "out/robots.txt").read_text() == "User-agent: x\n"
