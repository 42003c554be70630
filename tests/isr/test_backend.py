"""open_backend: the cache_url setting picks where ISR state is shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssg.errors import CacheBackendError
from ssg.isr.backend import open_backend


def test_an_empty_cache_url_keeps_the_state_on_the_local_disk(tmp_path: Path) -> None:
    backend = open_backend("", tmp_path / ".ssg")

    build = backend.open_build("b1", clock=lambda: 0.0)

    assert backend.name == "disk"
    assert build.store.directory == tmp_path / ".ssg" / "isr"
    assert backend.status().to_json()["backend"] == "disk"


def test_an_unknown_cache_url_scheme_names_the_url_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(CacheBackendError, match="memcached") as caught:
        open_backend("memcached://cache:11211", tmp_path)

    assert caught.value.cache_url == "memcached://cache:11211"
    assert "redis://host:6379/0" in caught.value.fix
