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


def test_packages_of_a_virtualenv_in_the_site_folder_keep_their_bytecode(
    make_site: MakeSite,
) -> None:
    # Only the site's own modules are imported through hash-checked .pyc files.
    packages = ".venv/lib/python3/site-packages"
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/page.html": "<p>{{ word }}</p>",
            "app/page.py": "import sys, pathlib\n"
            f"sys.path.append(str(pathlib.Path(__file__).parents[1] / '{packages}'))\n"
            "def load(params):\n    import fakepkg.sub\n    return {'word': fakepkg.sub.WORD}\n",
            f"{packages}/fakepkg/__init__.py": "",
            f"{packages}/fakepkg/sub.py": "WORD = 'installed'\n",
        }
    )
    _build(site)
    assert "<p>installed</p>" in (site / "out/index.html").read_text()
    cached = next((site / packages / "fakepkg/__pycache__").glob("sub.*.pyc")).read_bytes()
    assert cached[4:8] == bytes(4)  # PEP 552 flags 0: a timestamp .pyc, as Python writes it
