"""Dynamic routes render per request with the request; static routes that turn dynamic fail loudly."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, ServeSite, isr_site, renders

DYNAMIC = "private, no-cache, no-store, max-age=0, must-revalidate"


async def test_force_dynamic_page_renders_per_request_with_the_request(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/me/page.html": "<p>hello {{ who }} q={{ q }}</p>",
            "app/me/page.py": (
                "import ssg\n"
                'dynamic = "force-dynamic"\n'
                "async def load(params):\n"
                '    return {"who": ssg.cookies().get("name", "?"),\n'
                '            "q": ssg.search_params().get("q", "")}\n'
            ),
        }
    )
    server = await serve_site(site_dir)

    ann = await server.get("/me?q=1", headers={"Cookie": "name=ann"})
    bob = await server.get("/me?q=2", headers={"Cookie": "name=bob"})

    assert "hello ann q=1" in ann.text
    assert "hello bob q=2" in bob.text
    assert ann.headers["Cache-Control"] == DYNAMIC
    assert "X-SSG-Cache" not in ann.headers


async def test_route_the_build_found_dynamic_renders_per_request(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/agent/page.html": "<p>ua={{ ua }}</p>",
            "app/agent/page.py": (
                "import ssg\n"
                "async def load(params):\n"
                '    return {"ua": ssg.headers().get("User-Agent", "")}\n'
            ),
        }
    )
    server = await serve_site(site_dir)

    reply = await server.get("/agent", headers={"User-Agent": "probe/1"})

    assert [r.render for r in server.build.routes if r.route.route_pattern == "/agent"] == [
        "dynamic"
    ]
    assert "ua=probe/1" in reply.text
    assert reply.headers["Cache-Control"] == DYNAMIC


async def test_on_demand_render_that_reads_cookies_is_500_with_the_fix_logged(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/x/[slug]/page.html": "<p>{{ v }}</p>",
            "app/x/[slug]/page.py": (
                "import ssg\nrevalidate = 60\n"
                "async def load(params):\n"
                '    return {"v": ssg.cookies().get("v")}\n'
            ),
        }
    )
    server = await serve_site(site_dir)

    with caplog.at_level(logging.ERROR, logger="ssg.isr"):
        reply = await server.get("/x/a")

    assert reply.status == 500
    assert (
        "Route /x/[slug] changed from static to dynamic at runtime: it used cookies()"
        in caplog.text
    )
    assert 'Set dynamic = "force-dynamic" in app/x/[slug]/page.py' in caplog.text
    assert server.engine.cache.get("/x/a") is None


async def test_isr_page_that_starts_reading_the_request_keeps_its_page_and_logs(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site_dir = isr_site(make_site, settings="import ssg\nrevalidate = 60")
    page_py = site_dir / "app/blog/[slug]/page.py"
    page_py.write_text(
        page_py.read_text().replace(
            "    slug = ",
            "    if (SITE / 'read-cookies').exists():\n        ssg.cookies()\n    slug = ",
        )
    )
    server = await serve_site(site_dir)
    (site_dir / "read-cookies").write_text("")
    server.clock.advance(61)

    with caplog.at_level(logging.ERROR, logger="ssg.isr"):
        stale = await server.get("/blog/a")
        await server.engine.regenerator.wait_idle()
    again = await server.get("/blog/a")

    assert "Route /blog/[slug] changed from static to dynamic at runtime: it used cookies()" in (
        caplog.text
    )
    assert (stale.status, again.status) == (200, 200)
    assert again.headers["X-SSG-Cache"] == "STALE"
    assert again.body == stale.body
    assert "/blog/a" in server.engine.regenerator.failures
    assert renders(site_dir).count("a") == 1  # the build's render; the failing one stopped early
