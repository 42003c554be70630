"""An installed ssg (the wheel's layout: themes/ and starters/ inside the package, as
pyproject.toml maps them; what `pip install .` gives Netlify and the Pages workflow)
finds its theme and builds a site, with nothing from this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.timeout(120)


def test_the_installed_layout_finds_its_theme_and_builds_a_site(tmp_path: Path) -> None:
    target = tmp_path / "site-packages"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "ssg", target / "ssg", ignore=ignore)
    shutil.copytree(REPO / "themes", target / "ssg" / "themes", ignore=ignore)
    shutil.copytree(REPO / "starters", target / "ssg" / "starters", ignore=ignore)
    site = tmp_path / "site"
    (site / "app").mkdir(parents=True)
    (site / "app" / "layout.html").write_text('{% extends "theme/base.html" %}')
    (site / "app" / "page.html").write_text("<p>hello</p>")
    (site / "ssg.toml").write_text('feed_url = ""\n')  # no feed.xml route to link to
    code = (
        "import sys, ssg.theme; from ssg.cli import main; print(ssg.theme.__file__, file=sys.stderr); "
        "sys.argv = ['ssg', 'build', sys.argv[1], '--strict']; main()"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run(
        [sys.executable, "-c", code, str(site)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    assert str(target) in run.stderr  # the installed copy ran, not this checkout
    assert 'href="/_assets/style.' in (site / "out" / "index.html").read_text()
