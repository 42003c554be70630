"""Dev server fixtures: `ssg dev` as a real process on 127.0.0.1:<ephemeral>, and an SSE reader."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest

from ssg.dev.events import EVENTS_PATH

LAYOUT = "<html><head><title>t</title></head><body>{{ children }}</body></html>"


@dataclass
class DevServer:
    """A running `ssg dev` process; its terminal lines are collected as they come."""

    process: asyncio.subprocess.Process
    url: str = ""
    """The server's origin ("http://127.0.0.1:PORT"), without the site's base path."""
    announced: str = ""
    """The URL the terminal line names (with the base path)."""
    lines: list[str] = field(default_factory=list)
    _new_line: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            self.lines.append(line.decode())
            self._new_line.set()
        self._new_line.set()

    async def wait_for_line(self, text: str, *, start: int = 0, timeout: float = 30) -> str:
        """The first terminal line (from index `start`) holding `text`; waits for it."""

        async def find() -> str:
            while True:
                for line in self.lines[start:]:
                    if text in line:
                        return line
                if self.process.stdout is not None and self.process.stdout.at_eof():
                    raise AssertionError("ssg dev exited:\n" + "".join(self.lines))
                self._new_line.clear()
                await self._new_line.wait()

        try:
            return await asyncio.wait_for(find(), timeout)
        except TimeoutError:
            raise AssertionError(f"no line with {text!r}:\n" + "".join(self.lines)) from None


async def start_dev(
    site_dir: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> DevServer:
    """Start `ssg dev SITE --port 0` and wait for the line naming its URL.

    `cwd`: run it there, as the `ssg` command does (without the current folder on
    sys.path: `python -P -m ssg`); by default in this folder with `python -m ssg`.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *(["-P"] if cwd is not None else []),
        "-m",
        "ssg",
        "dev",
        str(site_dir),
        "--port",
        "0",
        *args,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    server = DevServer(process)
    server._reader = asyncio.create_task(server._read())
    line = await server.wait_for_line("ssg dev serving")
    server.announced = line.split(" on ", 1)[1].split()[0]
    parts = urllib.parse.urlsplit(server.announced)
    server.url = f"{parts.scheme}://{parts.netloc}"
    return server


async def stop_dev(server: DevServer) -> None:
    """Stop a `start_dev` process (SIGTERM, then SIGKILL after 15 s) and its reader."""
    if server.process.returncode is None:
        server.process.terminate()
        try:
            await asyncio.wait_for(server.process.wait(), 15)
        except TimeoutError:
            server.process.kill()
            await server.process.wait()
    if server._reader is not None:
        await server._reader


@pytest.fixture
async def dev_server() -> AsyncIterator[list[DevServer]]:
    """Processes started with `start_dev` are appended here and stopped after the test."""
    started: list[DevServer] = []
    yield started
    for server in started:
        await stop_dev(server)


@dataclass(frozen=True)
class ServerEvent:
    """One Server-Sent Event."""

    event: str
    data: str
    id: str


class EventStream:
    """Reads /_ssg/dev/events with a real aiohttp client, one event at a time."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.last_id = ""

    async def next(self, timeout: float = 30) -> ServerEvent | None:
        """The next event, or None when the server ended the stream."""

        async def read() -> ServerEvent | None:
            fields: dict[str, str] = {}
            while True:
                raw = await self.response.content.readline()
                if not raw:
                    return None
                line = raw.decode().rstrip("\n")
                if not line:
                    if "event" in fields:
                        self.last_id = fields.get("id", self.last_id)
                        return ServerEvent(fields["event"], fields.get("data", ""), self.last_id)
                    fields = {}
                    continue
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(": ")
                fields[name] = value

        return await asyncio.wait_for(read(), timeout)

    async def next_named(self, name: str, timeout: float = 30) -> ServerEvent:
        """Skip events until one called `name`."""
        while True:
            event = await self.next(timeout)
            assert event is not None, f"the stream ended before a {name!r} event"
            if event.event == name:
                return event


@contextlib.asynccontextmanager
async def open_events(
    session: aiohttp.ClientSession,
    base_url: str,
    *,
    last_event_id: str | None = None,
    query: str = "",
) -> AsyncIterator[EventStream]:
    """Open the events stream, wait for its `hello`, and close it at the end of the block."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    async with session.get(
        base_url + EVENTS_PATH + query,
        headers=headers,
        timeout=aiohttp.ClientTimeout(total=None),
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/event-stream"
        stream = EventStream(response)
        await stream.next_named("hello")
        yield stream


_EVENTS_URL = re.compile(r'const url = "/_ssg/dev/events(\?[^"]*)"')


def events_query(body: str, url_path: str) -> str:
    """The query a page's injected script opens the events stream with, on `url_path`."""
    found = _EVENTS_URL.search(body)
    assert found is not None, body
    return found.group(1) + quote(url_path, safe="")  # the script adds location.pathname


@contextlib.asynccontextmanager
async def open_page(
    session: aiohttp.ClientSession, base_url: str, url_path: str
) -> AsyncIterator[tuple[str, EventStream]]:
    """Load a page and open its events stream as its injected script does (with its path).

    Yields:
        (the page's HTML, its events stream).
    """
    async with session.get(base_url + url_path) as response:
        assert response.status == 200
        body = await response.text()
    async with open_events(session, base_url, query=events_query(body, url_path)) as stream:
        yield body, stream
