"""out/ as a symbolic link to a web server's root, and out/ as a mount point (a volume)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builder.conftest import ROOT_LAYOUT
from tests.conftest import MakeSite

SITE = {"app/layout.html": ROOT_LAYOUT, "app/page.html": "<p>home</p>"}


def _build(site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ssg", "build", str(site)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_build_writes_into_the_folder_an_out_link_points_to(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = make_site(SITE)
    root = tmp_path / "www" / "site"
    root.mkdir(parents=True)
    (site / "out").symlink_to(root)
    for text in ("<p>home</p>", "<p>home, edited</p>"):  # a full render, then in place
        (site / "app/page.html").write_text(text)
        done = _build(site)
        assert done.returncode == 0, done.stderr
        assert text in (root / "index.html").read_text()
    assert (site / "out").is_symlink() and (site / "out").resolve() == root


@pytest.fixture
def mounted_out(make_site: MakeSite, tmp_path: Path) -> Iterator[Path]:
    """A site whose out/ is a bind mount of another folder (skipped where mount is denied)."""
    site = make_site(SITE)
    volume = tmp_path / "volume"
    volume.mkdir()
    (site / "out").mkdir()
    mount = shutil.which("mount")
    if mount is None or os.geteuid() != 0:
        pytest.skip("bind mounts need mount(8) and root")
    done = subprocess.run([mount, "--bind", str(volume), str(site / "out")], check=False)
    if done.returncode != 0:
        pytest.skip("this machine does not allow bind mounts")
    yield site
    subprocess.run(["umount", str(site / "out")], check=False)


def test_out_as_a_mount_point_fails_with_the_fix_and_no_traceback(mounted_out: Path) -> None:
    done = _build(mounted_out)
    assert done.returncode == 1
    assert "is a mount point" in done.stderr
    assert f'out_dir = "{mounted_out / "out" / "site"}"' in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert list((mounted_out / "out").iterdir()) == []
