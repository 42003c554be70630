"""Fixtures for the data layer: a counting upstream HTTP server, a fake clock, scopes."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from ssg.data.memo import RequestMemo
from ssg.data.response import FetchResponse
from ssg.data.store import DataStore
from ssg.scope import DataServices, DynamicMode, RenderScope, ServiceMode

TWO_MB = 2 * 1024 * 1024


class FakeClock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Upstream:
    """A real HTTP server on 127.0.0.1 that counts requests per path.

    Paths: /status/<code> answers that status; /bytes/<n> answers n bytes
    (/chunked/<n> the same without a Content-Length);
    /slow never answers; /echo answers the request's method, headers and body;
    anything else answers JSON {"path", "method", "hit"}.
    """

    base_url: str
    hits: Counter[str] = field(default_factory=Counter)

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    never = asyncio.Event()  # set only at teardown, so /slow never answers during a test
    server = Upstream(base_url="")

    async def handle(request: web.Request) -> web.StreamResponse:
        server.hits[request.path] += 1
        path = request.path
        if path.startswith("/status/"):
            return web.Response(status=int(path.rsplit("/", 1)[1]), text="status")
        if path.startswith("/bytes/"):
            return web.Response(body=b"x" * int(path.rsplit("/", 1)[1]))
        if path.startswith("/chunked/"):  # no Content-Length: the size shows only as it is read
            response = web.StreamResponse()
            response.enable_chunked_encoding()
            await response.prepare(request)
            remaining = int(path.rsplit("/", 1)[1])
            while remaining > 0:
                await response.write(b"x" * min(1000, remaining))
                remaining -= 1000
            await response.write_eof()
            return response
        if path == "/slow":
            await never.wait()
            return web.Response(text="late")
        if path == "/echo":
            return web.json_response(
                {
                    "method": request.method,
                    "headers": {k.lower(): v for k, v in request.headers.items()},
                    "body": await request.text(),
                }
            )
        return web.json_response({"path": path, "method": request.method, "hit": server.hits[path]})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    server.base_url = f"http://{host}:{port}"
    yield server
    never.set()
    await runner.cleanup()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class FakeDispatcher:
    """Stands in for the lead's route dispatcher; records each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str], bytes | None]] = []

    async def __call__(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> FetchResponse:
        self.calls.append((method, url, headers, body))
        payload = json.dumps({"route": url, "method": method, "n": len(self.calls)}).encode()
        return FetchResponse(200, (("Content-Type", "application/json"),), payload, url)


@pytest.fixture
def dispatcher() -> FakeDispatcher:
    return FakeDispatcher()


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
async def make_services(
    tmp_path: Path, cache_dir: Path, clock: FakeClock, dispatcher: FakeDispatcher
) -> AsyncIterator[Callable[[], DataServices]]:
    """Each call is a new "process": a new DataStore on the same cache_dir, a new session."""
    made: list[DataServices] = []

    def make() -> DataServices:
        services = DataServices(
            mode=ServiceMode.SERVE,
            clock=clock,
            dispatch=dispatcher,
            store=DataStore(cache_dir, clock=clock),
            site_dir=tmp_path,
        )
        made.append(services)
        return services

    yield make
    for services in made:
        await services.aclose()


@pytest.fixture
def services(make_services: Callable[[], DataServices]) -> DataServices:
    return make_services()


@pytest.fixture
def make_scope(services: DataServices) -> Callable[..., RenderScope]:
    def make(
        *,
        dynamic: str = "auto",
        memo: RequestMemo | None = None,
        request: Any = None,
        on: DataServices | None = None,
    ) -> RenderScope:
        return RenderScope(
            route_pattern="/x",
            url_path="/x",
            dynamic=DynamicMode(dynamic),
            config_file="app/x/page.py",
            services=on or services,
            memo=memo if memo is not None else RequestMemo(),
            request=request,
        )

    return make
