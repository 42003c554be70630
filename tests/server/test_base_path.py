"""`ssg serve` under a base path: answers under the prefix, 404 outside, the bare prefix per
trailing_slash; parse_site_path is the one function `ssg serve` and `ssg dev` use."""

from __future__ import annotations

import pytest

from ssg.server.paths import PathVerdict, parse_site_path
from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, ServeSite

OK, NOT_FOUND, REDIRECT = PathVerdict.OK, PathVerdict.NOT_FOUND, PathVerdict.REDIRECT


@pytest.mark.parametrize(
    ("target", "trailing_slash", "verdict", "value"),
    [
        ("/docs/blog/a?x=1", False, OK, "/blog/a"),
        ("/docs", False, OK, "/"),
        ("/docs/", False, REDIRECT, "/docs"),
        ("/docs/?x=1", False, REDIRECT, "/docs?x=1"),
        ("/docs", True, REDIRECT, "/docs/"),
        ("/docs?x=1", True, REDIRECT, "/docs/?x=1"),
        ("/docs/", True, OK, "/"),
        ("/docs/about/", False, REDIRECT, "/docs/about"),
        ("/docs/about", True, REDIRECT, "/docs/about/"),
        ("/docs//about", False, REDIRECT, "/docs/about"),
        ("/docs/feed.xml", True, OK, "/feed.xml"),
        ("/docs/../etc/passwd", False, NOT_FOUND, None),
        ("/blog/a", False, NOT_FOUND, None),
        ("/docsx", False, NOT_FOUND, None),
        ("/", False, NOT_FOUND, None),
    ],
)
def test_parse_site_path_table(
    target: str, trailing_slash: bool, verdict: PathVerdict, value: str | None
) -> None:
    parsed = parse_site_path(target, base_path="/docs", trailing_slash=trailing_slash)
    assert parsed.verdict is verdict
    if verdict is OK:
        assert parsed.url_path == value
    elif verdict is REDIRECT:
        assert parsed.location == value


def test_without_a_base_path_every_url_is_the_sites() -> None:
    assert parse_site_path("/about", base_path="", trailing_slash=False).url_path == "/about"


def _site(make_site: MakeSite, trailing_slash: bool = False) -> dict[str, str]:
    return {
        "ssg.toml": f'base_path = "/docs"\ntrailing_slash = {str(trailing_slash).lower()}\n',
        "app/layout.html": LAYOUT,
        "app/page.html": "<h1>home</h1><a href=\"{{ url('/about') }}\">about</a>",
        "app/about/page.html": "<h1>about</h1>",
        "app/old/page.py": "import ssg\ndef load(params):\n    ssg.permanent_redirect('/about')\n",
        "app/old/page.html": "never",
        "app/api/route.py": "def GET(request, params):\n    return {'path': request.path}\n",
        "app/go/route.py": "import ssg\ndef GET(request, params):\n    ssg.redirect('/about')\n",
        "public/logo.txt": "logo",
    }


async def test_serve_answers_under_the_prefix_and_404s_outside(
    make_site: MakeSite, serve_site: ServeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSG_BASE_PATH", raising=False)
    server = await serve_site(make_site(_site(make_site)))
    home = await server.get("/docs")
    assert home.status == 200 and 'href="/docs/about"' in home.text
    assert (await server.get("/docs/about")).status == 200
    assert (await server.get("/docs/logo.txt")).text == "logo"
    assert (await server.get("/docs/api")).json() == {"path": "/docs/api"}
    old = await server.get("/docs/old")
    assert (old.status, old.headers["Location"]) == (308, "/docs/about")
    go = await server.get("/docs/go")  # redirect() in a route handler
    assert (go.status, go.headers["Location"]) == (307, "/docs/about")
    slash = await server.get("/docs/")
    assert (slash.status, slash.headers["Location"]) == (308, "/docs")
    for outside in ("/", "/about", "/logo.txt", "/docsabout"):
        assert (await server.get(outside)).status == 404, outside


async def test_with_trailing_slash_the_bare_prefix_redirects_to_the_home_page(
    make_site: MakeSite, serve_site: ServeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSG_BASE_PATH", raising=False)
    server = await serve_site(make_site(_site(make_site, trailing_slash=True)))
    bare = await server.get("/docs")
    assert (bare.status, bare.headers["Location"]) == (308, "/docs/")
    assert (await server.get("/docs/")).status == 200
    about = await server.get("/docs/about")
    assert (about.status, about.headers["Location"]) == (308, "/docs/about/")


async def test_serve_answers_under_the_prefix_the_build_was_made_with(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aiohttp
    from aiohttp import web

    from ssg.builder.builder import build_site
    from ssg.config import load_config
    from ssg.server.app import create_app

    files = _site(make_site)
    files["ssg.toml"] = ""
    site = make_site(files)
    await build_site(load_config(site, base_path="/docs", environ={}))
    runner = web.AppRunner(create_app(load_config(site, environ={})), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    origin = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{origin}/docs/about") as response:
                assert response.status == 200
            async with session.get(f"{origin}/about") as response:
                assert response.status == 404
    finally:
        await runner.cleanup()
