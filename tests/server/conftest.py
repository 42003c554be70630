"""Server fixtures: build a throwaway site, serve it on 127.0.0.1:<ephemeral>, talk real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict

from ssg.builder.build_result import BuildResult
from ssg.builder.builder import build_site
from ssg.config import SiteConfig, load_config
from ssg.isr.engine import IsrEngine
from ssg.server.app import SWITCH_KEY, create_app
from ssg.server.runner import make_runner

BUILD_TIME = 1_000_000.0

LAYOUT = "<html><head><title>t</title></head><body>{{ children }}</body></html>"

# A page module that counts its renders in SITE/renders.log (one slug per line)
# and shows SITE/content/version.txt, so tests can change what a render sees.
# A test holds renders by setting HOLD (see `hold_renders`).
COUNTING_PAGE_PY = """
from pathlib import Path

SITE = Path(__file__).resolve().parents[{depth}]
HOLD = None

{settings}

async def load(params):
    if HOLD is not None:
        HOLD.started.set()
        await HOLD.gate.wait()
    slug = params.get("slug", "index")
    with open(SITE / "renders.log", "a", encoding="utf-8") as log:
        log.write(slug + "\\n")
    failing = SITE / "fail.txt"
    if failing.exists():
        raise RuntimeError(failing.read_text(encoding="utf-8"))
    return {{"version": (SITE / "content" / "version.txt").read_text(encoding="utf-8").strip()}}
"""


class FakeClock:
    """A clock the test moves by hand: freshness without sleeping."""

    def __init__(self, now: float = BUILD_TIME) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def counting_page_py(depth: int, settings: str) -> str:
    """page.py source counting renders; `depth` = folders between the page.py and SITE."""
    return COUNTING_PAGE_PY.format(depth=depth, settings=settings)


@dataclass
class Hold:
    """Renders wait for `gate`; `started` is set when one has begun."""

    started: asyncio.Event = field(default_factory=asyncio.Event)
    gate: asyncio.Event = field(default_factory=asyncio.Event)


def hold_renders(server: Server, page_py: str) -> Hold:
    """Make the server's renders of `page_py` ("app/blog/[slug]/page.py") wait for `hold.gate`."""
    hold = Hold()
    server.engine.site.modules[server.site_dir / page_py].module.HOLD = hold
    return hold


def renders(site_dir: Path) -> list[str]:
    """The slugs rendered so far (build included), in order."""
    log = site_dir / "renders.log"
    return log.read_text(encoding="utf-8").split() if log.exists() else []


@dataclass
class Reply:
    """A fully read HTTP response."""

    status: int
    headers: CIMultiDict[str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class Server:
    """A running ssg server and a client session to it."""

    site_dir: Path
    config: SiteConfig
    app: web.Application
    runner: web.AppRunner
    session: aiohttp.ClientSession
    port: int
    clock: FakeClock
    build: BuildResult
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def engine(self) -> IsrEngine:
        return self.app[SWITCH_KEY].current.engine

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def request(self, method: str, target: str, **kwargs: Any) -> Reply:
        kwargs.setdefault("allow_redirects", False)
        url = self.base_url + target
        async with self.session.request(method, url, **kwargs) as response:
            body = await response.read()
            return Reply(response.status, CIMultiDict(response.headers), body)

    async def get(self, target: str, **kwargs: Any) -> Reply:
        return await self.request("GET", target, **kwargs)

    async def raw(self, request_line_target: str, method: str = "GET") -> Reply:
        """Send a request target byte for byte (clients normalise `..`, `//` and backslashes)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(
                f"{method} {request_line_target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Connection: close\r\n\r\n".encode("latin-1")
            )
            await writer.drain()
            data = await reader.read()
        finally:
            writer.close()
            await writer.wait_closed()
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers: CIMultiDict[str] = CIMultiDict()
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.add(name.strip(), value.strip())
        return Reply(status, headers, body)

    async def second_worker(self, **create_kwargs: Any) -> Server:
        """Another server process's view: a second app on the same build, cache dir and clock."""
        app = create_app(self.config, clock=self.clock, **create_kwargs)
        runner, port = await _start(app)
        worker = Server(
            self.site_dir,
            self.config,
            app,
            runner,
            aiohttp.ClientSession(),
            port,
            self.clock,
            self.build,
        )
        self.extra.setdefault("workers", []).append(worker)
        return worker

    async def restart(self, **create_kwargs: Any) -> None:
        """Stop the server and start a new one on the same build (a server restart)."""
        await self.runner.cleanup()
        self.app = create_app(self.config, clock=self.clock, **create_kwargs)
        self.runner, self.port = await _start(self.app)


ServeSite = Callable[..., Awaitable[Server]]


async def _start(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = make_runner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, port


@pytest.fixture
async def serve_site() -> AsyncIterator[ServeSite]:
    """Return `serve(site_dir, *, clock=None, build=True, **create_app_kwargs) -> Server`.

    Builds the site with the fake clock (pages generated at BUILD_TIME), then
    serves it; everything is closed at the end of the test.
    """
    servers: list[Server] = []

    async def serve(
        site_dir: Path, *, clock: FakeClock | None = None, **create_kwargs: Any
    ) -> Server:
        clock = clock or FakeClock()
        config = load_config(site_dir)
        build = await build_site(config, clock=clock)
        app = create_app(config, clock=clock, **create_kwargs)
        runner, port = await _start(app)
        session = aiohttp.ClientSession()
        server = Server(site_dir, config, app, runner, session, port, clock, build)
        servers.append(server)
        return server

    yield serve
    for server in servers:
        for worker in server.extra.get("workers", []):
            await worker.session.close()
            await worker.runner.cleanup()
        await server.session.close()
        await server.runner.cleanup()


def isr_site(
    make_site: Callable[[dict[str, str]], Path],
    *,
    settings: str = "revalidate = 60",
    slugs: tuple[str, ...] = ("a", "b"),
    extra: dict[str, str] | None = None,
) -> Path:
    """A site with / (static) and /blog/[slug] (counting renders, `settings` in its page.py)."""
    params = ", ".join(f'{{"slug": "{s}"}}' for s in slugs)
    files = {
        "app/layout.html": LAYOUT,
        "app/page.html": "<h1>home</h1>",
        "app/blog/[slug]/page.html": "<p>{{ params.slug }} v={{ version }}</p>",
        "app/blog/[slug]/page.py": counting_page_py(
            3,
            f"{settings}\n\nasync def generate_static_params(params):\n    return [{params}]\n",
        ),
        "content/version.txt": "1",
    }
    files.update(extra or {})
    return make_site(files)
