"""Shared fixtures: `make_site` writes a throwaway site from a dict of files."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass
class RedisServer:
    """A real redis-server on 127.0.0.1 (Debian's package), in a tmp folder."""

    port: int
    process: subprocess.Popen[bytes]
    data_dir: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Any:
        """A synchronous redis-py client to look at what instances stored."""
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port)

    def start(self) -> None:
        """Start it (again, after `kill`) on the same port, and wait for PING."""
        self.process = _start_redis(self.port, self.data_dir)

    def kill(self) -> None:
        """SIGKILL it (Redis going away under the instances)."""
        self.process.kill()
        self.process.wait()


def _free_port() -> int:
    # redis-server has no "--port 0": bind an ephemeral port, release it, use it.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start_redis(port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            REDIS_SERVER or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data_dir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return process
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"redis-server did not start on port {port}")
        time.sleep(0.02)  # a process starting: nothing to await


REDIS_SERVER = shutil.which("redis-server")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh redis-server on an ephemeral port for one test; skipped when not installed."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (.ci/run installs Debian's redis-server)")
    data_dir = tmp_path / "redis"
    data_dir.mkdir()
    port = _free_port()
    server = RedisServer(port, _start_redis(port, data_dir), data_dir)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.terminate()
            try:
                server.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
