"""deploy/nginx.conf in front of two instances, as docker-compose.yml runs them.

A real nginx (when installed) with the repository's config, its Docker upstream
replaced by the two instances' addresses; the instances each on their own copy
of the site and out/, sharing a real redis-server where a test needs it.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from ssg.config import load_config
from ssg.server.app import create_app
from tests.conftest import MakeSite, RedisServer
from tests.server.conftest import Server, ServeSite, _start, isr_site

REPO_DIR = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx")
SECRET = "s"
AUTH = {"Authorization": f"Bearer {SECRET}"}

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _nginx_config(tmp_path: Path, listen: int, upstreams: list[int]) -> Path:
    """deploy/nginx.conf with fixed upstream addresses (no Docker DNS here) and our port."""
    conf = (REPO_DIR / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    servers = "\n    ".join(f"server 127.0.0.1:{port} max_fails=0;" for port in upstreams)
    conf = conf.replace("server ssg:3000 resolve;", servers)
    conf = "\n".join(line for line in conf.splitlines() if not line.startswith("resolver "))
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    (tmp_path / "default.conf").write_text(conf, encoding="utf-8")
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n"
        f"  proxy_temp_path {tmp_path}/proxy;\n  include {tmp_path}/default.conf;\n}}\n",
        encoding="utf-8",
    )
    return main


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[Callable[[list[int]], int]]:
    """Return `start(upstream ports) -> nginx port`; the nginx is stopped at the end."""
    processes: list[subprocess.Popen[bytes]] = []
    folder = tmp_path / "nginx"
    folder.mkdir()

    def start(upstreams: list[int]) -> int:
        port = _free_port()
        config = _nginx_config(folder, port, upstreams)
        assert NGINX is not None
        processes.append(
            subprocess.Popen(
                [NGINX, "-p", str(folder), "-c", str(config), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        return port

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


async def _second_instance(first: Server, tmp_path: Path) -> Server:
    """Another instance on its own copy of the site and out/ (not of .ssg/)."""
    copy = tmp_path / "instance-2"
    shutil.copytree(first.site_dir, copy, ignore=shutil.ignore_patterns(".ssg", "renders.log"))
    config = load_config(copy)
    app = create_app(config, clock=first.clock, revalidate_secret=SECRET)
    runner, port = await _start(app)
    return Server(
        copy, config, app, runner, aiohttp.ClientSession(), port, first.clock, first.build
    )


async def _until_listening(session: aiohttp.ClientSession, url: str) -> None:
    async with asyncio.timeout(10):
        while True:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.02)  # nginx starting: no event to await


def _marked(server: Server, url_path: str) -> bool:
    return any(p.marked_stale for p in server.engine.cache if p.record.url_path == url_path)


async def test_a_revalidation_sent_through_nginx_reaches_both_instances(
    make_site: MakeSite,
    serve_site: ServeSite,
    redis_server: RedisServer,
    nginx: Callable[[list[int]], int],
    tmp_path: Path,
) -> None:
    site_dir = isr_site(make_site, extra={"ssg.toml": f'cache_url = "{redis_server.url}"\n'})
    first = await serve_site(site_dir, revalidate_secret=SECRET)
    second = await _second_instance(first, tmp_path)
    try:
        front = f"http://127.0.0.1:{nginx([first.port, second.port])}"
        async with aiohttp.ClientSession() as session:
            await _until_listening(session, front + "/_ssg/health")
            async with session.post(
                front + "/_ssg/revalidate", json={"path": "/blog/a"}, headers=AUTH
            ) as reply:
                revalidated = reply.status
        # One instance answered; the other learns of it through Redis (a stream read).
        async with asyncio.timeout(5):
            while not (_marked(first, "/blog/a") and _marked(second, "/blog/a")):
                await asyncio.sleep(0.01)  # the stream reader is a background task
        untouched = _marked(first, "/blog/b") or _marked(second, "/blog/b")
    finally:
        await second.session.close()
        await second.runner.cleanup()

    assert revalidated == 200
    assert not untouched


async def test_nginx_answers_from_the_other_instance_when_one_is_gone(
    make_site: MakeSite,
    serve_site: ServeSite,
    nginx: Callable[[list[int]], int],
    tmp_path: Path,
) -> None:
    site_dir = isr_site(make_site)
    first = await serve_site(site_dir, revalidate_secret=SECRET)
    second = await _second_instance(first, tmp_path)
    port = nginx([first.port, second.port])
    front = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        await _until_listening(session, front + "/_ssg/health")
        await second.session.close()
        await second.runner.cleanup()  # the instance being replaced: connections refused
        statuses = []
        for _ in range(6):  # round robin: half of them would go to the gone instance
            async with session.get(front + "/blog/a") as response:
                await response.read()
                statuses.append(response.status)

    assert statuses == [200] * 6


async def test_nginx_compresses_pages_and_a_revalidating_client_still_gets_304(
    make_site: MakeSite,
    serve_site: ServeSite,
    nginx: Callable[[list[int]], int],
) -> None:
    # `ssg serve` sends bodies as they are; the proxy in front compresses them.
    first = await serve_site(isr_site(make_site), revalidate_secret=SECRET)
    front = f"http://127.0.0.1:{nginx([first.port])}"
    gzip = {"Accept-Encoding": "gzip"}
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        await _until_listening(session, front + "/_ssg/health")
        async with session.get(front + "/blog/a", headers=gzip) as response:
            body = await response.read()
            encoding, vary = response.headers.get("Content-Encoding"), response.headers["Vary"]
            etag = response.headers["ETag"]
        async with session.get(front + "/blog/a", headers={**gzip, "If-None-Match": etag}) as again:
            status = again.status

    assert (encoding, "Accept-Encoding" in vary, body[:2]) == ("gzip", True, b"\x1f\x8b")
    assert status == 304
