"""`ssg dev` seen in a real browser: the page reloads by itself after an edit and shows the new text.

Debian's chromium (installed by .ci/run), driven by Playwright for Python as in test_browser.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MakeSite
from tests.dev.conftest import DevServer, start_dev, stop_dev
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)"),
    pytest.mark.timeout(120),
]

LAYOUT = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>dev</title>'
    '<link rel="stylesheet" href="/site.css"></head><body>{{ children }}</body></html>'
)


async def test_page_reloads_itself_after_an_edit(make_site: MakeSite) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "<h1>Before the edit</h1><p>{{ word }}</p>",
            "app/page.py": 'def load(params):\n    return {"word": "first"}\n',
            "public/site.css": "h1 { color: rgb(255, 0, 0); }",
        }
    )
    server = await start_dev(site)
    try:
        await _edit_and_watch_the_page(site, server.url, server)
    finally:
        await stop_dev(server)


async def _edit_and_watch_the_page(site: Path, url: str, server: DevServer) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(url + "/")
            await page.wait_for_selector("h1:text('Before the edit')")
            mark = len(server.lines)
            # The page listens to the events stream before the edit is made.
            await page.wait_for_selector("html[data-ssg-dev='live']", state="attached")
            (site / "app" / "page.html").write_text("<h1>After the edit</h1><p>{{ word }}</p>")
            await page.wait_for_selector("h1:text('After the edit')", timeout=30_000)
            await server.wait_for_line("app/page.html changed, 1 page reloaded", start=mark)

            # A stylesheet-only change is swapped in without reloading the page.
            await page.evaluate("window.kept = 'still here'")
            (site / "public" / "site.css").write_text("h1 { color: rgb(0, 0, 255); }")
            await page.wait_for_function(
                "() => getComputedStyle(document.querySelector('h1')).color === 'rgb(0, 0, 255)'",
                timeout=30_000,
            )
            assert await page.evaluate("window.kept") == "still here"

            # A Python edit: a new worker takes over and the page reloads onto it.
            mark = len(server.lines)
            (site / "app" / "page.py").write_text(
                'def load(params):\n    return {"word": "second"}\n'
            )
            await page.wait_for_selector("p:text('second')", timeout=30_000)
            await server.wait_for_line("Site code reloaded", start=mark)
        finally:
            await browser.close()
