"""examples/blog seen in a real browser: headless Chromium drives home -> post -> tag -> back.

Debian's chromium is installed by .ci/run; Playwright for Python drives it through
its own driver (no browser download). Screenshots land in tests/artifacts/ (ignored).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from ssg.builder.builder import build_site
from ssg.config import load_config

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)"),
    pytest.mark.timeout(120),
]


@pytest.fixture
async def blog_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """examples/blog (its own posts) built into tmp and served by `ssg serve` on 127.0.0.1."""
    from ssg.server.app import create_app

    monkeypatch.delenv("SSG_CONTENT_DIR", raising=False)  # the example's own posts
    site = tmp_path / "blog"
    shutil.copytree(REPO / "examples" / "blog", site, ignore=shutil.ignore_patterns("out", ".ssg"))
    config = load_config(site)
    await build_site(config)
    runner = web.AppRunner(create_app(config))
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_reader_goes_home_post_tag_and_back(blog_url: str) -> None:
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    console_errors: list[str] = []
    failed: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            page.on(
                "console",
                lambda msg: console_errors.append(msg.text) if msg.type == "error" else None,
            )
            page.on("requestfailed", lambda req: failed.append(f"{req.url} {req.failure}"))
            page.on(
                "response",
                lambda res: failed.append(f"{res.url} {res.status}") if res.status >= 400 else None,
            )

            await page.goto(blog_url + "/")
            assert await page.title() == "The ssg Blog"
            assert await page.locator("main h1").first.inner_text() == "The ssg Blog"
            first_post = page.locator("main .post-summary__title a").first
            post_title = await first_post.inner_text()
            await first_post.click()
            await page.wait_for_load_state()
            assert await page.locator("h1.post__title").inner_text() == post_title
            assert await page.title() == f"{post_title} · The ssg Blog"
            post_url = page.url

            tag = page.locator("article.post .tag-list a").first
            tag_name = (await tag.inner_text()).strip()
            await tag.click()
            await page.wait_for_load_state()
            assert await page.locator("main h1").inner_text() == f"Tagged “{tag_name}”"
            titles = await page.locator("main .post-summary__title a").all_inner_texts()
            assert post_title in titles

            await page.go_back()
            await page.wait_for_load_state()
            assert page.url == post_url
            assert await page.locator("h1.post__title").inner_text() == post_title

            for name, width, scheme in (
                ("wide-light", 1280, "light"),
                ("wide-dark", 1280, "dark"),
                ("narrow-light", 390, "light"),
                ("narrow-dark", 390, "dark"),
            ):
                await page.set_viewport_size({"width": width, "height": 900})
                await page.emulate_media(color_scheme=scheme)
                await page.screenshot(path=str(ARTIFACTS / f"post-{name}.png"), full_page=True)
            await page.goto(blog_url + "/")
            await page.screenshot(path=str(ARTIFACTS / "home-narrow-dark.png"), full_page=True)
        finally:
            await browser.close()
    assert console_errors == []
    assert failed == []
