"""Failed renders: the last good page stays, retries back off, first renders get error.html."""

from __future__ import annotations

import logging
import re
import shutil

import pytest

from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, ServeSite, isr_site, renders

ERROR_HTML = (
    "<p class='oops'>[{{ error }}] [{{ error.message }}] digest=<b>{{ error.digest }}</b></p>"
)
SECRET = "password=hunter2 at db.internal:5432"


def shown_digest(html: str) -> str:
    found = re.search(r"digest=<b>([0-9a-f]+)</b>", html)
    assert found is not None, html
    return found.group(1)


async def test_failed_regeneration_keeps_the_old_page_and_backs_off(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site_dir = isr_site(make_site, settings="revalidate = 10")
    server = await serve_site(site_dir)
    (site_dir / "fail.txt").write_text("upstream is down")
    server.clock.advance(11)

    with caplog.at_level(logging.ERROR, logger="ssg.isr"):
        first = await server.get("/blog/a")
        await server.engine.regenerator.wait_idle()
    tries = renders(site_dir).count("a")
    server.clock.advance(9.9)  # inside clamp(10, 3, 30) = 10 s: no retry
    during = await server.get("/blog/a")
    await server.engine.regenerator.wait_idle()
    tries_during = renders(site_dir).count("a")
    (site_dir / "fail.txt").unlink()
    (site_dir / "content" / "version.txt").write_text("2")
    server.clock.advance(0.1)  # the retry time: one more try, which succeeds
    retried = await server.get("/blog/a")
    await server.engine.regenerator.wait_idle()
    fresh = await server.get("/blog/a")

    # One line naming the site file that raised, as a build names it; no ssg traceback.
    assert (
        "Regenerating /blog/a (route /blog/[slug]) failed: RuntimeError: upstream is down "
        "at app/blog/[slug]/page.py:"
    ) in caplog.text
    assert "Traceback" not in caplog.text
    assert first.status == during.status == retried.status == 200
    assert "a v=1" in first.text and "a v=1" in during.text
    assert during.headers["X-SSG-Cache"] == "STALE"
    assert tries_during == tries  # backing off: nothing rendered
    assert retried.headers["X-SSG-Cache"] == "STALE"
    assert (fresh.headers["X-SSG-Cache"], "a v=2" in fresh.text) == ("HIT", True)
    assert server.engine.regenerator.failures == {}


async def test_failed_first_render_is_500_with_error_html_and_caches_nothing(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site_dir = isr_site(
        make_site,
        extra={"app/blog/error.html": "<p class='oops'>blog error: {{ error }}</p>"},
    )
    server = await serve_site(site_dir)
    (site_dir / "fail.txt").write_text("no such post")

    with caplog.at_level(logging.ERROR, logger="ssg.isr"):
        failed = await server.get("/blog/new")
    (site_dir / "fail.txt").unlink()
    recovered = await server.get("/blog/new")

    assert failed.status == 500
    assert "class='oops'" in failed.text
    assert "X-SSG-Cache" not in failed.headers
    assert "Rendering /blog/new (route /blog/[slug]) on demand failed" in caplog.text
    assert (recovered.status, recovered.headers["X-SSG-Cache"]) == (200, "MISS")


async def test_status_endpoint_lists_the_last_failure(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)
    server = await serve_site(site_dir, revalidate_secret="s3")
    (site_dir / "fail.txt").write_text("boom")
    server.clock.advance(61)
    await server.get("/blog/a")
    await server.engine.regenerator.wait_idle()

    status = (await server.get("/_ssg/status", headers={"Authorization": "Bearer s3"})).json()

    [failure] = status["failures"]
    assert failure["url_path"] == "/blog/a"
    assert failure["route_pattern"] == "/blog/[slug]"
    assert "boom" in failure["error"]
    assert failure["retry_at"] == server.clock.now + 30


async def test_error_page_shows_a_generic_message_and_a_digest_never_the_exception(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site_dir = isr_site(make_site, extra={"app/blog/error.html": ERROR_HTML})
    server = await serve_site(site_dir)
    (site_dir / "fail.txt").write_text(SECRET)

    with caplog.at_level(logging.ERROR, logger="ssg.isr"):
        failed = await server.get("/blog/new")
    digest = shown_digest(failed.text)

    assert failed.status == 500
    assert SECRET not in failed.text
    assert "[Internal Server Error] [Internal Server Error]" in failed.text
    assert len(digest) == 8
    # The operator finds the real error by the digest the visitor saw.
    [line] = [r.getMessage() for r in caplog.records if digest in r.getMessage()]
    assert f"on demand failed: RuntimeError: {SECRET} at app/blog/[slug]/page.py:" in line
    assert f" [digest {digest}]" in line


async def test_dynamic_page_error_page_hides_the_exception_and_logs_its_digest(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/error.html": ERROR_HTML,
            "app/me/page.html": "never",
            "app/me/page.py": (
                'dynamic = "force-dynamic"\n'
                "async def load(params):\n"
                f"    raise RuntimeError({SECRET!r})\n"
            ),
        }
    )
    server = await serve_site(site_dir)

    with caplog.at_level(logging.ERROR, logger="ssg.server"):
        failed = await server.get("/me")
    digest = shown_digest(failed.text)

    assert failed.status == 500
    assert SECRET not in failed.text
    assert f"failed: {SECRET} [digest {digest}]" in caplog.text


async def test_default_error_page_is_unchanged_and_shows_no_error(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)  # no error.html: the default theme's
    server = await serve_site(site_dir)
    (site_dir / "fail.txt").write_text(SECRET)

    failed = await server.get("/blog/new")

    assert failed.status == 500
    assert "Something went wrong" in failed.text
    assert SECRET not in failed.text
    assert "Internal Server Error" not in failed.text


async def test_an_on_demand_render_that_never_returns_fails_with_the_error_page(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site_dir = make_site(
        {
            "ssg.toml": "render_timeout_seconds = 0.2\n",
            "app/layout.html": LAYOUT,
            "app/error.html": ERROR_HTML,
            "app/page.html": "home",
            "app/slow/[slug]/page.html": "never",
            "app/slow/[slug]/page.py": (
                "import asyncio\n\nasync def load(params):\n    await asyncio.Event().wait()\n"
            ),
        }
    )
    server = await serve_site(site_dir)

    with caplog.at_level(logging.ERROR, logger="ssg.isr"):
        replies = [await server.get("/slow/x"), await server.get("/slow/x")]

    assert [reply.status for reply in replies] == [500, 500]
    failure = server.engine.regenerator.failures["/slow/x"]
    assert failure.route_pattern == "/slow/[slug]"
    assert "render_timeout_seconds = 0.2 s" in failure.error
    assert "rendering /slow/x (route /slow/[slug]) took longer" in caplog.text


async def test_the_isr_folder_removed_under_the_server_is_made_again(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site_dir = isr_site(make_site, settings="revalidate = 10")
    server = await serve_site(site_dir, revalidate_secret="s")
    await server.get("/blog/unlisted")  # on demand: the lock files and an entry exist
    isr_folder = server.config.cache_dir / "isr"
    shutil.rmtree(isr_folder)  # an operator clearing the cache, or a tmp cleaner
    (site_dir / "content" / "version.txt").write_text("2")
    server.clock.advance(11)

    with caplog.at_level(logging.ERROR):
        stale = await server.get("/blog/a")
        await server.engine.regenerator.wait_idle()
        regenerated = await server.get("/blog/a")
        on_demand = await server.get("/blog/new")
        marked = await server.request(
            "POST",
            "/_ssg/revalidate",
            json={"path": "/blog/b"},
            headers={"Authorization": "Bearer s"},
        )

    assert stale.headers["X-SSG-Cache"] == "STALE"
    assert (regenerated.headers["X-SSG-Cache"], "a v=2" in regenerated.text) == ("HIT", True)
    assert (on_demand.status, on_demand.headers["X-SSG-Cache"]) == (200, "MISS")
    assert (marked.status, marked.json()["marked"]) == (200, 1)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(isr_folder.glob("*.entry"))  # the regenerated and the new page, kept again
