"""`ssg serve` as a process: builds when needed, logs each request, stops cleanly on signals."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_serve(
    site_dir: Path, port: int, workers: int = 1, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """Start `ssg serve SITE --port PORT` (stderr merged into stdout, read with read_until)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ssg",
        "serve",
        str(site_dir),
        "--port",
        str(port),
        "--workers",
        str(workers),
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    return process


async def read_until(process: asyncio.subprocess.Process, marker: str, seen: list[str]) -> None:
    assert process.stdout is not None
    while True:
        line = (await process.stdout.readline()).decode()
        if not line:
            raise AssertionError("ssg serve exited early:\n" + "".join(seen))
        seen.append(line)
        if marker in line:
            return


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_serve_builds_first_serves_logs_and_stops_cleanly(
    make_site: MakeSite, signum: signal.Signals
) -> None:
    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "<h1>served</h1>"})
    port = free_port()
    process = await start_serve(site_dir, port)
    seen: list[str] = []
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=30)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/") as response,
        ):
            body = await response.text()
            cache = response.headers["X-SSG-Cache"]
        await asyncio.wait_for(read_until(process, '"GET /"', seen), timeout=10)
        process.send_signal(signum)
        rest, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    output = "".join(seen) + rest.decode()

    assert "building the site first" in output
    assert (site_dir / "out" / "_ssg" / "manifest.json").is_file()
    assert ("<h1>served</h1>" in body, cache) == (True, "HIT")
    assert '127.0.0.1 "GET /" 200' in output
    assert process.returncode == 0
    assert "Traceback" not in output


async def test_two_workers_share_the_port_and_one_regeneration_counter(make_site: MakeSite) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "<h1>served</h1>",
            "app/blog/[slug]/page.html": "{{ params.slug }}",
            "app/blog/[slug]/page.py": "revalidate = 60\n",
        }
    )
    port = free_port()
    auth = {"Authorization": "Bearer s"}
    process = await start_serve(site_dir, port, workers=2, env={"SSG_REVALIDATE_SECRET": "s"})
    seen: list[str] = []
    pids: set[int] = set()
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=60)
        base = f"http://127.0.0.1:{port}"
        for _ in range(40):  # a new connection each time: the kernel spreads them
            async with (
                aiohttp.ClientSession() as session,
                session.get(base + "/_ssg/status", headers=auth) as response,
            ):
                pids.add((await response.json())["worker"]["pid"])
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/blog/new") as response:
                first = response.headers["X-SSG-Cache"]
            for _ in range(10):
                async with (
                    aiohttp.ClientSession() as other,
                    other.get(base + "/blog/new") as response,
                ):
                    assert response.status == 200
            async with session.get(base + "/_ssg/status", headers=auth) as response:
                renders = (await response.json())["on_demand_renders"]
        process.send_signal(signal.SIGTERM)
        rest, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    output = "".join(seen) + rest.decode()

    assert len(pids) == 2
    assert first == "MISS"
    assert renders == 1  # the other worker adopted the entry instead of rendering again
    assert process.returncode == 0
    assert "Traceback" not in output
