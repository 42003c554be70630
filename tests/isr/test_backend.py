"""open_backend: the cache_url setting picks where ISR state is shared."""

from __future__ import annotations

import dataclasses
import sys

import pytest

from ssg.config import load_config
from ssg.errors import CacheBackendError
from ssg.isr.backend import open_backend
from tests.conftest import MakeSite


def test_an_empty_cache_url_keeps_the_state_on_the_local_disk(make_site: MakeSite) -> None:
    config = load_config(make_site({"app/page.html": "hi"}))
    backend = open_backend(config)

    build = backend.open_build("b1", clock=lambda: 0.0)

    assert backend.name == "disk"
    assert build.store.directory == config.cache_dir / "isr"
    assert backend.status().to_json()["backend"] == "disk"


def test_an_unknown_cache_url_scheme_names_the_url_and_the_fix(make_site: MakeSite) -> None:
    config = load_config(make_site({"app/page.html": "hi"}))
    # ssg.toml rejects it already; open_backend is the last guard for other callers.
    config = dataclasses.replace(config, cache_url="memcached://cache:11211")

    with pytest.raises(CacheBackendError, match="memcached") as caught:
        open_backend(config)

    assert caught.value.cache_url == "memcached://cache:11211"
    assert "redis://host:6379/0" in caught.value.fix


def test_a_redis_cache_url_without_redis_py_says_how_to_install_it(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(make_site({"app/page.html": "hi"}))
    config = dataclasses.replace(config, cache_url="redis://cache:6379/0")
    monkeypatch.setitem(sys.modules, "ssg.isr.redis_backend", None)  # as if redis-py were missing

    with pytest.raises(CacheBackendError, match="needs redis-py") as caught:
        open_backend(config)

    assert caught.value.fix == 'pip install "ssg[redis]"'
