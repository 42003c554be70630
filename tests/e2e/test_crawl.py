"""examples/blog crawled from its home page by a real HTTP client: every link and asset answers.

Under base_path "/repo" on a plain static file server mounted at /repo/ (as a GitHub
Pages project site) and on `ssg serve`; at the root on `ssg serve`; and one page in
Debian's chromium with its stylesheet applied. Links are read with the standard
library's HTML parser, independently of the build's own link check.
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import aiohttp
import pytest
from aiohttp import web

from ssg.builder.builder import build_site
from ssg.config import SiteConfig, load_config
from ssg.server.app import create_app

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MAX_URLS = 500

pytestmark = pytest.mark.timeout(180)


class _Links(HTMLParser):
    """href of <a>/<link>, src of <img>/<script>/<source>, as a crawler follows them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        name = "href" if tag in ("a", "link") else "src" if tag in ("img", "script") else None
        if name and values.get(name) and values.get("rel") != "canonical":
            self.links.append(str(values[name]))


async def crawl(start_url: str) -> tuple[dict[str, str], list[str]]:
    """Visit every same-origin URL reachable from `start_url`, following redirects.

    Returns:
        (visited URL -> Content-Type, broken "URL status (linked from PAGE)").
    """
    origin = urlsplit(start_url)[:2]
    queue = [(start_url, "start")]
    seen = {start_url}
    visited: dict[str, str] = {}
    broken: list[str] = []
    async with aiohttp.ClientSession() as session:
        while queue and len(visited) < MAX_URLS:
            url, referrer = queue.pop()
            async with session.get(url, max_redirects=5) as response:
                body = await response.read()
                content_type = response.headers.get("Content-Type", "")
                visited[url] = content_type
                if response.status != 200:
                    broken.append(f"{url} {response.status} (linked from {referrer})")
                    continue
                if not content_type.startswith("text/html"):
                    continue
                parser = _Links()
                parser.feed(body.decode("utf-8"))
                for link in parser.links:
                    target = urldefrag(urljoin(str(response.url), link)).url
                    if urlsplit(target)[:2] == origin and target not in seen:
                        seen.add(target)
                        queue.append((target, url))
    assert len(visited) < MAX_URLS, "the crawl did not end"
    return visited, broken


async def build_blog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str) -> SiteConfig:
    """examples/blog (its own posts) copied to tmp with extra ssg.toml lines, then built."""
    monkeypatch.delenv("SSG_CONTENT_DIR", raising=False)
    for variable in ("SSG_BASE_PATH", "SSG_BASE_URL", "NETLIFY"):
        monkeypatch.delenv(variable, raising=False)
    site = tmp_path / "blog"
    shutil.copytree(REPO / "examples" / "blog", site, ignore=shutil.ignore_patterns("out", ".ssg"))
    with (site / "ssg.toml").open("a", encoding="utf-8") as file:
        file.write(toml)
    config = load_config(site)
    result = await build_site(config)
    assert result.broken_links == []
    return config


@asynccontextmanager
async def ssg_serve(config: SiteConfig) -> AsyncIterator[str]:
    """`ssg serve`'s app on 127.0.0.1:<ephemeral>; yields its origin."""
    runner = web.AppRunner(create_app(config), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@contextmanager
def static_server(root: Path) -> Iterator[str]:
    """Python's http.server over `root` on 127.0.0.1:<ephemeral>; yields its origin."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler: Callable[..., Quiet] = functools.partial(Quiet, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def assert_whole_site(visited: dict[str, str], prefix: str) -> None:
    paths = [urlsplit(url).path for url in visited]
    assert all(p == prefix or p.startswith(prefix + "/") for p in paths), paths
    assert any("/_assets/style." in p for p in paths)  # the stylesheet was fetched
    assert any(p.endswith("/blog/hello-ssg") or p.endswith("/blog/hello-ssg/") for p in paths)
    assert any(t.startswith("text/html") for t in visited.values())


async def test_base_path_site_on_a_plain_static_server_mounted_at_the_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plain file server has no pretty URLs: trailing_slash writes each page as
    # a folder's index.html, as a project site needs without a host's help.
    config = await build_blog(tmp_path, monkeypatch, 'base_path = "/repo"\ntrailing_slash = true\n')
    www = tmp_path / "www"
    www.mkdir()
    shutil.copytree(config.out_dir, www / "repo")
    with static_server(www) as origin:
        visited, broken = await crawl(f"{origin}/repo/")
    assert broken == []
    assert_whole_site(visited, "/repo")


async def test_base_path_site_on_ssg_serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = await build_blog(tmp_path, monkeypatch, 'base_path = "/repo"\n')
    async with ssg_serve(config) as origin:
        visited, broken = await crawl(f"{origin}/repo")
        async with aiohttp.ClientSession() as session, session.get(f"{origin}/blog") as outside:
            assert outside.status == 404
    assert broken == []
    assert_whole_site(visited, "/repo")


async def test_example_blog_at_the_root_on_ssg_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = await build_blog(tmp_path, monkeypatch, "")
    async with ssg_serve(config) as origin:
        visited, broken = await crawl(f"{origin}/")
    assert broken == []
    assert_whole_site(visited, "")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
async def test_a_base_path_page_in_chromium_has_its_stylesheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.async_api import async_playwright

    from tests.e2e.test_browser import CHROMIUM_ARGS

    config = await build_blog(tmp_path, monkeypatch, 'base_path = "/repo"\n')
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failed: list[str] = []
    async with ssg_serve(config) as origin, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("requestfailed", lambda req: failed.append(f"{req.url} {req.failure}"))
            page.on(
                "response",
                lambda res: failed.append(f"{res.url} {res.status}") if res.status >= 400 else None,
            )
            await page.goto(f"{origin}/repo/blog/hello-ssg")
            await page.wait_for_load_state("load")
            # The theme's stylesheet takes the skip link out of the flow; unstyled it is static.
            position = await page.eval_on_selector(
                ".skip-link", "element => getComputedStyle(element).position"
            )
            sheets = await page.evaluate(
                "Array.from(document.styleSheets, sheet => new URL(sheet.href).pathname)"
            )
            await page.screenshot(path=str(ARTIFACTS / "base-path-post.png"), full_page=True)
            await page.locator("header .site-title").click()
            await page.wait_for_load_state("load")
            home_path = urlsplit(page.url).path
        finally:
            await browser.close()
    assert position == "absolute"
    assert any(sheet.startswith("/repo/_assets/style.") for sheet in sheets)
    assert home_path == "/repo"
    assert failed == []
