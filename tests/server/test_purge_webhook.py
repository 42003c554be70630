"""purge_webhook: batched {"paths", "tags"} POSTs after revalidations, retried, never blocking."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from ssg.isr.cdn_tags import cdn_purge_tags
from ssg.server.app import PURGE_KEY
from tests.conftest import MakeSite
from tests.server.conftest import Server, ServeSite, isr_site

AUTH = {"Authorization": "Bearer s3cret"}


@dataclass
class Receiver:
    """A webhook on 127.0.0.1 that records each POSTed JSON body; the first `failures` get 500."""

    url: str = ""
    posts: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    failures: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        await self.posts.put(await request.json())
        if self.failures:
            self.failures -= 1
            return web.Response(status=500)
        return web.Response(status=204)


@dataclass
class Waits:
    """The webhook's sleep: records each wait, and holds while `gate` is closed."""

    seconds: list[float] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        await self.gate.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield hook
    await runner.cleanup()


def hooked_site(make_site: MakeSite, receiver: Receiver) -> Path:
    return isr_site(
        make_site,
        extra={
            "ssg.toml": f'purge_webhook = "{receiver.url}"\n',
            "app/api/revalidate/route.py": (
                "import ssg\n"
                "async def POST(request, params):\n"
                "    ssg.revalidate_tag('posts')\n"
                "    ssg.revalidate_path('/blog/[slug]', 'page')\n"
                "    return {'ok': True}\n"
            ),
        },
    )


def purge_tags(*tags: str) -> list[str]:
    return sorted({form for tag in tags for form in cdn_purge_tags(tag)})


async def serve(serve_site: ServeSite, site_dir: Path, waits: Waits) -> Server:
    return await serve_site(site_dir, revalidate_secret="s3cret", purge_sleep=waits)


async def test_revalidations_are_posted_as_one_batch_after_the_requests_return(
    make_site: MakeSite, serve_site: ServeSite, receiver: Receiver
) -> None:
    waits = Waits()
    server = await serve(serve_site, hooked_site(make_site, receiver), waits)

    by_path = await server.request(
        "POST", "/_ssg/revalidate", json={"path": "/blog/a/"}, headers=AUTH
    )
    by_tag = await server.request("POST", "/_ssg/revalidate", json={"tag": "team"}, headers=AUTH)
    posted_before = receiver.posts.qsize()
    waits.gate.set()  # the batch window ends
    body = await receiver.posts.get()

    assert (by_path.status, by_tag.status, posted_before) == (200, 200, 0)
    assert waits.seconds == [0.5]
    assert body == {"paths": ["/blog/a"], "tags": purge_tags("/blog/a", "team")}


async def test_revalidations_from_a_route_handler_are_posted(
    make_site: MakeSite, serve_site: ServeSite, receiver: Receiver
) -> None:
    waits = Waits()
    waits.gate.set()
    server = await serve(serve_site, hooked_site(make_site, receiver), waits)

    reply = await server.request("POST", "/api/revalidate")
    body = await receiver.posts.get()

    assert reply.status == 200
    assert body == {"paths": [], "tags": purge_tags("posts", "/blog/[slug]/page")}


async def test_a_failed_post_is_retried_with_exponential_back_off(
    make_site: MakeSite, serve_site: ServeSite, receiver: Receiver
) -> None:
    receiver.failures = 2
    waits = Waits()
    waits.gate.set()
    server = await serve(serve_site, hooked_site(make_site, receiver), waits)

    await server.request("POST", "/_ssg/revalidate", json={"tag": "team"}, headers=AUTH)
    bodies = [await receiver.posts.get() for _ in range(3)]
    webhook = server.app[PURGE_KEY]
    await webhook.wait_idle()

    assert waits.seconds == [0.5, 1.0, 2.0]  # batch window, then 1 s, 2 s
    assert bodies == [{"paths": [], "tags": purge_tags("team")}] * 3
    assert (webhook.batches_sent, webhook.batches_dropped) == (1, 0)


async def test_a_webhook_that_keeps_failing_is_given_up_after_bounded_attempts(
    make_site: MakeSite,
    serve_site: ServeSite,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver.failures = 100
    waits = Waits()
    waits.gate.set()
    server = await serve(serve_site, hooked_site(make_site, receiver), waits)

    await server.request("POST", "/_ssg/revalidate", json={"tag": "team"}, headers=AUTH)
    webhook = server.app[PURGE_KEY]
    await webhook.wait_idle()

    assert receiver.posts.qsize() == 5
    assert waits.seconds == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert webhook.batches_dropped == 1
    assert "failed 5 times (last: HTTP 500)" in caplog.text


async def test_shutdown_sends_what_was_collected_without_waiting_for_the_batch_window(
    make_site: MakeSite, serve_site: ServeSite, receiver: Receiver
) -> None:
    waits = Waits()  # the gate stays closed: only shutdown can end the window
    server = await serve(serve_site, hooked_site(make_site, receiver), waits)

    await server.request("POST", "/_ssg/revalidate", json={"tag": "team"}, headers=AUTH)
    await server.restart()
    body = receiver.posts.get_nowait()

    assert body == {"paths": [], "tags": purge_tags("team")}
