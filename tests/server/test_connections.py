"""Idle and slow clients cannot lock visitors out; shutdown answers stragglers 503."""

from __future__ import annotations

import asyncio
import logging
import resource
import signal
import socket
from pathlib import Path

import aiohttp
import pytest

from ssg.server.connections import ACCEPT_FAILURE_MESSAGE, AcceptFailureLog, connection_cap
from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT
from tests.server.test_serve_command import free_port, read_until, start_serve, stop_serve

IDLE_CONNECTIONS = 2000


def served_site(make_site: MakeSite, toml: str = "", extra: dict[str, str] | None = None) -> Path:
    return make_site(
        {
            "ssg.toml": toml,
            "app/layout.html": LAYOUT,
            "app/page.html": "<h1>home page</h1>",
            **(extra or {}),
        }
    )


def raise_own_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"the open-file hard limit {hard} is below {needed}")
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


async def test_a_visitor_gets_the_page_while_2000_idle_connections_are_open(
    make_site: MakeSite,
) -> None:
    raise_own_file_limit(IDLE_CONNECTIONS + 200)
    site_dir = served_site(make_site)
    port = free_port()
    # 256 open files at most: without a cap the idle connections exhaust them.
    process = await start_serve(site_dir, port, open_files=(256, 256))
    seen: list[str] = []
    idle: list[asyncio.StreamWriter] = []
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=60)
        for index in range(IDLE_CONNECTIONS):
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            if index % 2:  # half of them slowloris: headers started, never finished
                writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
            idle.append(writer)
        timeout = aiohttp.ClientTimeout(total=10)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"http://127.0.0.1:{port}/") as response,
        ):
            status, body = response.status, await response.text()
    finally:
        for writer in idle:
            writer.close()
        output = "".join(seen) + await stop_serve(process, timeout=30)

    assert (status, "<h1>home page</h1>" in body) == (200, True)
    assert output.count("closing the oldest idle ones") == 1
    assert "Traceback" not in output, output


async def test_slow_headers_time_out_and_a_malformed_request_logs_one_line(
    make_site: MakeSite,
) -> None:
    site_dir = served_site(make_site, "keepalive_timeout_seconds = 0.5\n")
    port = free_port()
    process = await start_serve(site_dir, port, open_files=(256, 4096))
    seen: list[str] = []
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=60)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
        closed_with = await asyncio.wait_for(reader.read(), timeout=10)
        writer.close()
        limits = Path(f"/proc/{process.pid}/limits").read_text()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Bad: \x00\x01\r\nConnection: close\r\n\r\n")
        malformed = await asyncio.wait_for(reader.read(), timeout=10)
        writer.close()
    finally:
        output = "".join(seen) + await stop_serve(process, timeout=30)

    assert closed_with == b""  # the server hung up; nothing was answered
    soft = next(line for line in limits.splitlines() if line.startswith("Max open files"))
    assert soft.split()[3:5] == ["4096", "4096"]  # the soft limit was raised to the hard one
    assert malformed.startswith(b"HTTP/1.0 400")
    assert '"UNKNOWN /" 400' in output  # its access-log line, and no traceback
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("configured", "open_files", "cap"),
    [(4096, 20_000, 4096), (4096, 1024, 960), (4096, 100, 67), (10, 1024, 10)],
    ids=["configured", "file-limit", "tiny-file-limit", "small-config"],
)
def test_connection_cap_leaves_files_for_the_server(
    configured: int, open_files: int, cap: int
) -> None:
    assert connection_cap(configured, open_files) == cap


def test_accept_failures_are_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.new_event_loop()
    handler = AcceptFailureLog()
    context = {"message": ACCEPT_FAILURE_MESSAGE, "exception": OSError(24, "Too many open files")}
    with caplog.at_level(logging.ERROR, logger="ssg.server"):
        for _ in range(500):
            handler(loop, context)
    loop.close()

    assert [r.getMessage().startswith("Cannot accept") for r in caplog.records] == [True]
    assert handler.failures == 500


def test_an_accept_retry_after_the_server_closed_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = asyncio.new_event_loop()
    handler = AcceptFailureLog()
    listening = socket.socket()
    listening.close()  # the server stopped before asyncio's retry of a failed accept ran
    retry = asyncio.TimerHandle(0.0, loop._start_serving, (None, listening), loop)  # type: ignore[attr-defined]
    context = {
        "message": f"Exception in callback {retry}",
        "exception": ValueError("Invalid file descriptor: -1"),
        "handle": retry,
    }
    other = {"message": "something else", "exception": ValueError("other")}
    with caplog.at_level(logging.ERROR):
        handler(loop, context)
        handler(loop, other)
    loop.close()

    assert [r.getMessage() for r in caplog.records] == ["something else"]


HANGING_PAGE_PY = """
import asyncio, sys

async def load(params):
    print("LOAD STARTED", params["slug"], file=sys.stderr, flush=True)
    await asyncio.Event().wait()  # never returns
    return {}
"""


async def test_shutdown_answers_a_request_past_the_grace_period_503_and_exits_non_zero(
    make_site: MakeSite,
) -> None:
    site_dir = served_site(
        make_site,
        "shutdown_grace_seconds = 0.5\nrender_timeout_seconds = 600\n",
        {"app/slow/[slug]/page.html": "never", "app/slow/[slug]/page.py": HANGING_PAGE_PY},
    )
    port = free_port()
    process = await start_serve(site_dir, port)
    seen: list[str] = []
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=60)
        async with aiohttp.ClientSession() as session:
            pending = asyncio.ensure_future(session.get(f"http://127.0.0.1:{port}/slow/x"))
            await asyncio.wait_for(read_until(process, "LOAD STARTED x", seen), timeout=10)
            process.send_signal(signal.SIGTERM)
            async with await asyncio.wait_for(pending, timeout=10) as response:
                status, retry_after = response.status, response.headers.get("Retry-After")
        output = "".join(seen) + await stop_serve(process, timeout=30)
    finally:
        await stop_serve(process)

    assert (status, retry_after) == (503, "5")
    assert process.returncode == 1
    assert "shutdown abandoned work: 1 request answered 503" in output
    assert "Traceback" not in output
