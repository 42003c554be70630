"""The dev app over real HTTP: same routing as ssg serve, rendered per request, errors as an overlay."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from ssg.dev.worker import create_dev_app
from tests.conftest import MakeSite
from tests.dev.conftest import LAYOUT

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "blog"


@asynccontextmanager
async def serving(site_dir: Path, *, strict: bool = False) -> AsyncIterator[str]:
    """The dev app (without its watcher) on 127.0.0.1:<ephemeral>; yields its base URL."""
    runner = web.AppRunner(create_dev_app(site_dir, generation="test", strict=strict, watch=False))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def fetch(url: str, **kwargs: object) -> tuple[int, str, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(url, **kwargs) as response:  # type: ignore[arg-type]
        return response.status, await response.text(), dict(response.headers)


async def test_template_syntax_error_names_file_line_and_quotes_the_source(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "<h1>ok</h1>\n{% if x %}\n<p>never closed</p>\n",
        }
    )
    async with serving(site) as url:
        status, body, headers = await fetch(url + "/")
    assert status == 500
    assert headers["X-Robots-Tag"] == "noindex"
    assert "app/page.html:4" in body or "app/page.html:3" in body
    assert "template syntax error" in body
    assert "&lt;p&gt;never closed&lt;/p&gt;" in body  # the lines around it
    assert "/_ssg/dev/events" in body  # the overlay reloads itself once fixed


async def test_exception_in_load_shows_the_users_traceback(make_site: MakeSite) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "x",
            "app/page.py": "def helper():\n    return 1 / 0\n\ndef load(params):\n    return helper()\n",
        }
    )
    async with serving(site) as url:
        status, body, _ = await fetch(url + "/")
    assert status == 500
    assert "ZeroDivisionError" in body
    assert "app/page.py:2" in body  # where it was raised
    assert "app/page.py:5</code> in <code>load" in body  # the user's frames
    assert "ssg/render" not in body  # not ssg's own frames


async def test_bad_return_of_generate_metadata_is_an_overlay(make_site: MakeSite) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "x",
            "app/page.py": "def generate_metadata(params):\n    return ['title']\n",
        }
    )
    async with serving(site) as url:
        status, body, _ = await fetch(url + "/")
    assert status == 500
    assert "generate_metadata returned list" in body


async def test_scan_error_is_shown_for_every_url(make_site: MakeSite) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/(a)/about/page.html": "a",
            "app/(b)/about/page.html": "b",
        }
    )
    async with serving(site) as url:
        status, body, _ = await fetch(url + "/anything")
    assert status == 500
    assert "RouteScanError" in body and "(a)/about" in body


async def test_dynamic_params_false_turns_away_unlisted_params(make_site: MakeSite) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/blog/[slug]/page.html": "<h1>{{ params.slug }}</h1>",
            "app/blog/[slug]/page.py": (
                "dynamic_params = False\nrevalidate = 3600\n"
                "def generate_static_params(params):\n    return [{'slug': 'listed'}]\n"
            ),
            "app/not-found.html": "<h1>nothing here</h1>",
        }
    )
    async with serving(site) as url:
        listed = await fetch(url + "/blog/listed")
        unlisted = await fetch(url + "/blog/other")
    assert listed[0] == 200 and "<h1>listed</h1>" in listed[1]
    assert unlisted[0] == 404 and "nothing here" in unlisted[1]


async def test_exception_in_generate_static_params_is_an_overlay(make_site: MakeSite) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/[slug]/page.html": "x",
            "app/[slug]/page.py": (
                "dynamic_params = False\n"
                "def generate_static_params(params):\n    raise KeyError('posts')\n"
            ),
        }
    )
    async with serving(site) as url:
        status, body, _ = await fetch(url + "/a")
    assert status == 500
    assert "generate_static_params raised KeyError" in body
    assert "app/[slug]/page.py:3" in body


async def test_a_bad_generate_static_params_return_is_an_overlay_with_dynamic_params(
    make_site: MakeSite,
) -> None:
    # Unlisted params still render (dynamic_params = True), but the wrong shape shows
    # in dev as it would fail `ssg build`: as next dev, the function runs on each visit.
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/blog/[slug]/page.html": "<h1>{{ params.slug }}</h1>",
            "app/blog/[slug]/page.py": (
                "def generate_static_params(params):\n    return ['first', 'second']\n"
            ),
        }
    )
    async with serving(site) as url:
        status, body, _ = await fetch(url + "/blog/first")
    assert status == 500
    assert "app/blog/[slug]/page.py" in body and "returned a str in its list" in body


async def test_params_nobody_listed_render_in_dev_with_dynamic_params(make_site: MakeSite) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/blog/[slug]/page.html": "<h1>{{ params.slug }}</h1>",
            "app/blog/[slug]/page.py": (
                "def generate_static_params(params):\n    return [{'slug': 'first'}]\n"
            ),
        }
    )
    async with serving(site) as url:
        status, body, _ = await fetch(url + "/blog/other")
    assert status == 200 and "<h1>other</h1>" in body


async def test_pages_read_cookies_and_headers_per_request(make_site: MakeSite) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "<p>{{ theme }} {{ agent }}</p>",
            "app/page.py": (
                "import ssg\nrevalidate = 60\n"
                "def load(params):\n"
                "    return {'theme': ssg.cookies().get('theme'), 'agent': ssg.headers().get('x-agent')}\n"
            ),
        }
    )
    async with serving(site) as url:
        _, body, _ = await fetch(url + "/", headers={"Cookie": "theme=dark", "X-Agent": "probe"})
    assert "<p>dark probe</p>" in body


async def test_route_handlers_run_per_request_and_public_files_are_served(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "x",
            "app/api/route.py": (
                "dynamic = 'force-static'\n"
                "def GET(request, params):\n    return {'q': request.query.get('q')}\n"
            ),
            "public/robots.txt": "User-agent: *\n",
        }
    )
    async with serving(site) as url:
        status, body, headers = await fetch(url + "/api?q=1")
        robots = await fetch(url + "/robots.txt")
    assert status == 200 and body == '{"q": "1"}'
    assert headers["X-Robots-Tag"] == "noindex"
    assert robots[0] == 200 and robots[1] == "User-agent: *\n"


async def test_theme_assets_are_served_whatever_their_fingerprint(make_site: MakeSite) -> None:
    site = make_site({"app/layout.html": LAYOUT, "app/page.html": "{{ asset_url('style.css') }}"})
    async with serving(site) as url:
        _, body, _ = await fetch(url + "/")
        found = re.search(r"/_assets/style\.[0-9a-f]{8}\.css", body)
        assert found is not None
        asset = found.group(0)
        current = await fetch(url + asset)
        old_name = await fetch(url + "/_assets/style.00000000.css")
    assert asset.startswith("/_assets/style.") and current[0] == 200
    assert old_name[0] == 200 and old_name[1] == current[1]


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
async def test_malformed_front_matter_is_an_overlay_with_strict(
    make_site: MakeSite, strict: bool
) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "{{ posts|length }}",
            "app/page.py": (
                "from ssg.content import load_collection\n"
                "def load(params):\n    return {'posts': load_collection('posts')}\n"
            ),
            "posts/a.md": "---\ntitle: [unclosed\n---\nbody\n",
        }
    )
    async with serving(site, strict=strict) as url:
        status, body, _ = await fetch(url + "/")
    if strict:
        assert status == 500 and "posts/a.md" in body
    else:
        assert status == 200


async def test_drafts_and_scheduled_posts_are_shown_and_marked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSG_CONTENT_DIR", raising=False)
    site = tmp_path / "blog"
    shutil.copytree(EXAMPLE, site, ignore=shutil.ignore_patterns("out", ".ssg", "__pycache__"))
    posts = site / "content" / "posts"
    (posts / "unfinished.md").write_text(
        "---\ntitle: Unfinished thoughts\ndate: 2026-11-30\ndraft: true\n---\nSoon.\n"
    )
    (posts / "next-year.md").write_text(
        "---\ntitle: From the future\ndate: 2999-01-01\n---\nLater.\n"
    )
    async with serving(site) as url:
        _, listing, _ = await fetch(url + "/blog")
        status, draft_page, _ = await fetch(url + "/blog/unfinished")
    assert "Unfinished thoughts" in listing and "From the future" in listing
    assert status == 200
    assert '<strong class="post-meta__status">Draft</strong>' in draft_page
    assert '<strong class="post-meta__status">Scheduled</strong>' in listing


async def test_under_a_base_path_the_dev_server_answers_below_it_only(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {
            "ssg.toml": 'base_path = "/docs"\n',
            "app/layout.html": LAYOUT,
            "app/page.html": "<a href=\"{{ url('/about') }}\">about</a>",
            "app/about/page.html": "<h1>about</h1>",
        }
    )
    async with serving(site) as url:
        status, body, _ = await fetch(url + "/docs")
        assert status == 200 and 'href="/docs/about"' in body
        assert "/_ssg/dev/events" in body  # the live-reload script
        assert (await fetch(url + "/docs/about"))[0] == 200
        assert (await fetch(url + "/about"))[0] == 404
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                url + "/_ssg/dev/events", timeout=aiohttp.ClientTimeout(sock_read=10)
            ) as events,
        ):
            assert events.status == 200
            assert events.headers["Content-Type"].startswith("text/event-stream")


async def test_route_handler_exception_is_an_overlay_naming_the_line(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "x",
            "app/api/route.py": "def GET(request, params):\n    raise ValueError('no posts')\n",
        }
    )
    async with serving(site) as url:
        status, body, _ = await fetch(url + "/api")
    assert status == 500
    assert "ValueError" in body and "no posts" in body
    assert "app/api/route.py:2" in body


async def test_broken_config_is_an_overlay_naming_ssg_toml(make_site: MakeSite) -> None:
    site = make_site(
        {"app/layout.html": LAYOUT, "app/page.html": "x", "ssg.toml": 'titel = "Blog"\n'}
    )
    async with serving(site) as url:
        status, body, _ = await fetch(url + "/")
    assert status == 500
    assert "ConfigError" in body and "ssg.toml" in body and "titel" in body


async def test_sys_exit_in_the_site_is_an_overlay_not_the_end_of_the_worker(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "x",
            "app/quit/page.html": "x",
            "app/quit/page.py": "import sys\n\ndef load(params):\n    sys.exit(3)\n",
        }
    )
    async with serving(site) as url:
        quit_status, body, _ = await fetch(url + "/quit")
        home_status, _, _ = await fetch(url + "/")
    assert quit_status == 500 and "SystemExit" in body and "app/quit/page.py:4" in body
    assert home_status == 200
