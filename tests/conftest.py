"""Shared fixtures: `make_site` writes a throwaway site from a dict of files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

MakeSite = Callable[[dict[str, str]], Path]


@pytest.fixture
def make_site(tmp_path: Path) -> MakeSite:
    """Return `make(files) -> site_dir`: write each relative path's text under tmp_path/site.

    A key ending in "/" makes an empty folder: {"app/blog/": ""}.
    """

    def make(files: dict[str, str]) -> Path:
        site_dir = tmp_path / "site"
        site_dir.mkdir(exist_ok=True)
        for relative, text in files.items():
            target = site_dir / relative
            if relative.endswith("/"):
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return site_dir

    return make


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current output instead of comparing",
    )
