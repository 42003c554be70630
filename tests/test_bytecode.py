"""A site module edited without changing its size or its mtime's second is imported afresh."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builder.conftest import ROOT_LAYOUT
from tests.conftest import MakeSite


def _build(site: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ssg", "build", str(site)],
        capture_output=True,
        text=True,
        check=False,
        env={key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("edited", ["words.py", "app/page.py"])
def test_an_edit_keeping_size_and_second_is_built(make_site: MakeSite, edited: str) -> None:
    # What a script, a `git checkout` or a test does within one second: the default .pyc,
    # checked by size and whole-second mtime, would keep the old code.
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/page.html": "<p>{{ word }} {{ other }}</p>",
            "app/page.py": "import words\nOTHER = 'p1'\n"
            "def load(params):\n    return {'word': words.WORD, 'other': OTHER}\n",
            "words.py": "WORD = 'w1'\n",
        }
    )
    _build(site)
    target = site / edited
    stamp = target.stat()
    target.write_text(target.read_text().replace("'w1'", "'w2'").replace("'p1'", "'p2'"))
    os.utime(target, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same second, same size
    _build(site)
    expected = "<p>w2 p1</p>" if edited == "words.py" else "<p>w1 p2</p>"
    assert expected in (site / "out/index.html").read_text()
