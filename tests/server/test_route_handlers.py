"""Route handlers at serve time: methods, HEAD, OPTIONS, 405 + Allow, 413, 500."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, ServeSite

ROUTE_PY = """
from aiohttp import web

async def GET(request, params):
    return web.json_response({"method": request.method, "q": request.query.get("q")},
                             headers={"X-Handler": "yes"})

async def POST(request, params):
    data = await request.json()
    return web.json_response({"got": data}, status=201)

async def DELETE(request, params):
    raise RuntimeError("delete exploded")
"""


def api_site(make_site: MakeSite, toml: str = "") -> Path:
    return make_site(
        {
            "ssg.toml": toml,
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/api/items/route.py": ROUTE_PY,
        }
    )


async def test_every_method_runs_its_handler(make_site: MakeSite, serve_site: ServeSite) -> None:
    server = await serve_site(api_site(make_site))

    got = await server.get("/api/items?q=1")
    posted = await server.request("POST", "/api/items", json={"a": 1})

    assert (got.status, got.json()) == (200, {"method": "GET", "q": "1"})
    assert got.headers["X-Handler"] == "yes"
    assert got.headers["Cache-Control"] == "private, no-cache, no-store, max-age=0, must-revalidate"
    assert (posted.status, posted.json()) == (201, {"got": {"a": 1}})


async def test_ssg_response_sets_status_headers_and_type(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/api/gone/route.py": "import ssg\n"
            "def GET(request, params):\n"
            "    return ssg.Response(text='<gone/>', status=410, content_type='application/xml',\n"
            "                        headers={'X-Reason': 'moved'})\n",
        }
    )
    server = await serve_site(site)

    reply = await server.get("/api/gone")

    assert (reply.status, reply.body) == (410, b"<gone/>")
    assert reply.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert reply.headers["X-Reason"] == "moved"


async def test_head_is_answered_from_get_without_a_body(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(api_site(make_site))

    reply = await server.request("HEAD", "/api/items")
    got = await server.get("/api/items")

    assert reply.status == 200
    assert reply.body == b""
    assert reply.headers["X-Handler"] == "yes"
    assert reply.headers["Content-Length"] == str(len(got.body)) == got.headers["Content-Length"]


async def test_options_is_204_with_allow(make_site: MakeSite, serve_site: ServeSite) -> None:
    server = await serve_site(api_site(make_site))

    reply = await server.request("OPTIONS", "/api/items")

    assert reply.status == 204
    assert reply.headers["Allow"] == "GET, HEAD, POST, DELETE, OPTIONS"


async def test_unsupported_method_is_405_with_allow(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(api_site(make_site))

    handler = await server.request("PUT", "/api/items")
    page = await server.request("POST", "/")

    assert handler.status == 405
    assert handler.headers["Allow"] == "GET, HEAD, POST, DELETE, OPTIONS"
    assert page.status == 405
    assert page.headers["Allow"] == "GET, HEAD, OPTIONS"


async def test_handler_that_raises_is_500_and_logged_with_its_route(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    server = await serve_site(api_site(make_site))

    with caplog.at_level(logging.ERROR, logger="ssg.server"):
        reply = await server.request("DELETE", "/api/items")

    assert reply.status == 500
    assert (
        "Route handler DELETE /api/items in app/api/items/route.py raised RuntimeError: "
        "delete exploded" in caplog.text
    )


async def test_body_over_the_limit_is_413(make_site: MakeSite, serve_site: ServeSite) -> None:
    server = await serve_site(api_site(make_site, toml="body_limit_bytes = 1000\n"))

    small = await server.request("POST", "/api/items", json={"a": "x" * 100})
    declared = await server.request("POST", "/api/items", data=b"x" * 1001)

    async def chunks():  # no Content-Length: aiohttp's client_max_size stops the read
        for _ in range(4):
            yield b"x" * 500

    chunked = await server.request("POST", "/api/items", data=chunks())

    assert small.status == 201
    assert declared.status == 413
    assert chunked.status == 413


async def test_default_body_limit_is_one_mebibyte(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(api_site(make_site))

    body = io.BytesIO(b"x" * (1024 * 1024 + 1))
    reply = await server.request("POST", "/api/items", data=body)

    assert reply.status == 413


def hook_site(make_site: MakeSite, route_py: str) -> Path:
    """/ shows v.txt (static, never stale); app/api/hook/route.py is `route_py`."""
    return make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "home {{ v }}",
            "app/page.py": (
                "from pathlib import Path\n"
                "async def load(params):\n"
                "    return {'v': (Path(__file__).parents[1] / 'v.txt').read_text()}\n"
            ),
            "v.txt": "1",
            "app/api/hook/route.py": route_py,
        }
    )


async def test_route_handler_revalidates_a_path_at_serve_time(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = hook_site(
        make_site,
        "import ssg\n"
        "async def POST(request, params):\n"
        "    marked = ssg.revalidate_path('/')\n"
        "    tagged = ssg.revalidate_tag('posts')\n"
        "    return {'marked': marked, 'tagged': tagged}\n",
    )
    server = await serve_site(site_dir)
    (site_dir / "v.txt").write_text("2")

    hook = await server.request("POST", "/api/hook")
    stale = await server.get("/")
    await server.engine.regenerator.wait_idle()
    fresh = await server.get("/")

    assert hook.json() == {"marked": 1, "tagged": 0}
    assert (stale.headers["X-SSG-Cache"], "home 1" in stale.text) == ("STALE", True)
    assert (fresh.headers["X-SSG-Cache"], "home 2" in fresh.text) == ("HIT", True)


async def test_sync_handler_revalidates_without_await_and_the_mark_is_saved(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    # As Next.js writes it: a plain call, from a plain `def` handler.
    site_dir = hook_site(
        make_site,
        "import ssg\ndef POST(request, params):\n    ssg.revalidate_path('/')\n    return None\n",
    )
    server = await serve_site(site_dir)

    hook = await server.request("POST", "/api/hook")
    marked = server.engine.cache.get("/")
    await server.engine.revalidations.save_marks()
    await server.restart()
    after_restart = server.engine.cache.get("/")

    assert hook.status == 204
    assert marked is not None and marked.marked_stale
    assert after_restart is not None and after_restart.marked_stale


FEED_ROUTE_PY = """
import ssg

revalidate = 60
VERSION = "1"

def GET(request, params):
    return ssg.Response(text="<rss/>", content_type="application/rss+xml",
                        headers={"X-Feed-Version": VERSION})
"""


async def test_prerendered_handler_headers_are_served_from_the_build_and_after_regeneration(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site = make_site(
        {"app/layout.html": LAYOUT, "app/page.html": "home", "app/feed.xml/route.py": FEED_ROUTE_PY}
    )
    server = await serve_site(site)

    built = await server.get("/feed.xml")
    server.engine.site.modules[site / "app/feed.xml/route.py"].module.VERSION = "2"
    server.clock.advance(61)
    stale = await server.get("/feed.xml")
    await server.engine.regenerator.wait_idle()
    regenerated = await server.get("/feed.xml")
    await server.restart()
    restarted = await server.get("/feed.xml")

    seen = [(r.headers["X-SSG-Cache"], r.headers.get("X-Feed-Version")) for r in (built, stale)]
    assert seen == [("HIT", "1"), ("STALE", "1")]
    assert regenerated.headers["X-SSG-Cache"] == "HIT"
    assert regenerated.headers.get("X-Feed-Version") == "2"
    assert restarted.headers.get("X-Feed-Version") == "2"


async def test_route_handler_with_revalidate_false_is_prerendered_and_never_stale(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/feed.xml/route.py": "revalidate = False\n"
            "def GET(request, params):\n"
            "    return '<rss/>'\n",
        }
    )
    server = await serve_site(site)
    server.clock.advance(10 * 365 * 24 * 3600)

    reply = await server.get("/feed.xml")

    assert (site / "out/feed.xml").read_text() == "<rss/>"
    assert (reply.status, reply.body) == (200, b"<rss/>")
    assert reply.headers["X-SSG-Cache"] == "HIT"
    assert reply.headers["Cache-Control"] == "s-maxage=31536000"
