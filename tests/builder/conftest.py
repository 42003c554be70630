"""Build fixtures: `build(site_dir)` runs a real build into SITE/out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ssg.builder.build_result import BuildResult
from ssg.builder.builder import build_site
from ssg.config import load_config

ROOT_LAYOUT = (
    "<!doctype html><html><head><title>{{ metadata.title }}</title></head>"
    "<body>{{ children }}</body></html>"
)

Build = Callable[..., Awaitable[BuildResult]]


@pytest.fixture
def build() -> Build:
    """Return `await build(site_dir, **load_config_overrides) -> BuildResult`."""

    async def run(site_dir: Path, **overrides: Any) -> BuildResult:
        return await build_site(load_config(site_dir, **overrides))

    return run
