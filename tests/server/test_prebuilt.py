"""Fresh HITs answered from prebuilt bytes: the answer the request handler gives, byte for byte."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp import web

from ssg.builder.builder import build_site
from ssg.server.access_log import ACCESS_LOGGER, AccessLogBuffer, access_logger_class
from ssg.server.app import SWITCH_KEY, create_app
from ssg.server.hit_protocol import prebuilt_supported
from ssg.server.runner import make_runner
from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, Server, ServeSite, isr_site


def prebuilt_answers(server: Server) -> int:
    return getattr(server.runner.server, "prebuilt_answers", 0)


def without_date(headers: object) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers.items() if k != "Date"]  # type: ignore[attr-defined]


def test_the_installed_aiohttp_keeps_the_state_the_prebuilt_path_needs() -> None:
    assert prebuilt_supported()


async def test_a_repeated_fresh_hit_is_answered_from_prebuilt_bytes_identical_to_the_first(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(isr_site(make_site))

    first = await server.get("/blog/a?utm=x")
    second = await server.get("/blog/a?utm=x")

    assert prebuilt_answers(server) == 1
    assert (second.status, second.body) == (first.status, first.body)
    assert without_date(second.headers) == without_date(first.headers)
    assert second.headers["X-SSG-Cache"] == "HIT"
    assert second.headers["Cache-Control"] == "s-maxage=60, stale-while-revalidate=31535940"


async def test_a_prebuilt_hit_counts_s_maxage_down_and_turns_stale_on_time(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(isr_site(make_site))
    await server.get("/blog/a")
    full = await server.get("/blog/a")

    server.clock.advance(10.5)
    counting = await server.get("/blog/a")
    server.clock.advance(50)  # 60.5 s after the build: stale
    stale = await server.get("/blog/a")

    assert full.headers["Cache-Control"].startswith("s-maxage=60,")
    assert counting.headers["Cache-Control"].startswith("s-maxage=49,")
    assert prebuilt_answers(server) == 2
    assert stale.headers["X-SSG-Cache"] == "STALE"
    assert stale.headers["Cache-Control"].startswith("s-maxage=0,")


async def test_conditional_and_head_requests_after_a_prebuilt_hit(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(isr_site(make_site))
    page = await server.get("/blog/a")
    etag = page.headers["ETag"]

    head = await server.request("HEAD", "/blog/a")
    by_handler = await server.get("/blog/a", headers={"If-None-Match": f'"x", {etag}'})
    answered = prebuilt_answers(server)
    prebuilt = [
        await server.get("/blog/a", headers={"If-None-Match": value})
        for value in (etag, f"W/{etag}")
    ]
    other = await server.get("/blog/a", headers={"If-None-Match": '"another"'})

    assert (head.status, head.body, head.headers["X-SSG-Cache"]) == (200, b"", "HIT")
    assert head.headers["Content-Length"] == str(len(page.body))
    assert answered == 1  # the HEAD: a list of ETags goes to the handler
    assert prebuilt_answers(server) == 3
    for reply in (by_handler, *prebuilt):
        assert (reply.status, reply.body) == (304, b"")
        assert without_date(reply.headers) == without_date(by_handler.headers)
    assert "Content-Type" not in by_handler.headers
    assert by_handler.headers["ETag"] == etag
    assert (other.status, other.body) == (200, page.body)


async def test_a_page_revalidated_on_demand_is_never_answered_from_its_prebuilt_bytes(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(isr_site(make_site))
    await server.get("/blog/a")
    await server.get("/blog/a")

    server.engine.revalidations.revalidate_path("/blog/a")
    after = await server.get("/blog/a")

    assert after.headers["X-SSG-Cache"] == "STALE"
    assert prebuilt_answers(server) == 1


async def test_pipelined_requests_are_answered_in_order_around_prebuilt_ones(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(isr_site(make_site))
    await server.get("/blog/a")  # remembered

    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    request = "GET {} HTTP/1.1\r\nHost: t\r\n{}\r\n"
    writer.write(
        (
            request.format("/blog/a", "")
            + request.format("/nope", "")
            + request.format("/blog/a", "")
            + request.format("/blog/b", "Connection: close\r\n")
        ).encode()
    )
    data = await reader.read()
    writer.close()
    await writer.wait_closed()

    statuses, states = [], []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        statuses.append(int(lines[0].split()[1]))
        states.append(headers.get("X-SSG-Cache"))
        data = rest[int(headers["Content-Length"]) :]
    assert statuses == [200, 404, 200, 200]
    assert states == ["HIT", None, "HIT", "HIT"]
    assert prebuilt_answers(server) >= 1


async def test_a_build_switch_replaces_the_prebuilt_answers(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "<p>v1</p>"})
    server = await serve_site(site_dir)
    await server.get("/")
    before = await server.get("/")

    (site_dir / "app/page.html").write_text("<p>v2</p>")
    await build_site(server.config, clock=server.clock)
    assert await server.app[SWITCH_KEY].reload()
    after = [await server.get("/") for _ in range(2)]

    assert "v1" in before.text
    assert ["v2" in reply.text for reply in after] == [True, True]
    assert prebuilt_answers(server) == 2  # the second request to each build


async def test_prebuilt_hits_keep_the_base_path(
    make_site: MakeSite, serve_site: ServeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSG_BASE_PATH", raising=False)
    site_dir = make_site(
        {
            "ssg.toml": 'base_path = "/docs"\n',
            "app/layout.html": LAYOUT,
            "app/about/page.html": "<h1>about</h1>",
        }
    )
    server = await serve_site(site_dir)

    replies = [await server.get("/docs/about") for _ in range(2)]
    outside = await server.get("/about")

    assert [r.status for r in replies] == [200, 200]
    assert prebuilt_answers(server) == 1
    assert outside.status == 404


async def test_a_prebuilt_hit_gets_its_access_log_line(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    server = await serve_site(isr_site(make_site))
    buffer = AccessLogBuffer(logging.getLogger(ACCESS_LOGGER))
    app = create_app(server.config, clock=server.clock)
    runner = make_runner(
        app,
        access_log=logging.getLogger(ACCESS_LOGGER),
        access_log_class=access_logger_class(buffer),
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
            for _ in range(2):
                async with server.session.get(f"http://127.0.0.1:{port}/blog/a") as response:
                    await response.read()
            buffer.flush()
        answered = getattr(runner.server, "prebuilt_answers", 0)
    finally:
        await runner.cleanup()

    access = [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]
    lines = "\n".join(access).splitlines()
    assert answered == 1
    assert [line.split(" ")[:6] for line in lines] == [
        ["127.0.0.1", '"GET', '/blog/a"', "200", lines[0].split(" ")[4], "HIT"]
    ] * 2
