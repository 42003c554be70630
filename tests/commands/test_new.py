"""`ssg new`: each starter builds with --strict and serves as written; a non-empty folder is refused."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import feedparser
import pytest
from aiohttp import web

from ssg.commands.new import TEMPLATES
from ssg.config import load_config
from ssg.server.app import create_app

# What each starter must answer once served: its home, its first post and its route handler.
PAGES = {
    "blog": ("/", "/blog/hello-world", "/blog/hello-world/picture.svg", "/feed.xml"),
    "docs": ("/", "/docs", "/docs/getting-started", "/sitemap.xml"),
    "minimal": ("/", "/posts/first-post", "/feed.xml"),
}


def ssg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ssg", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("template", TEMPLATES)
async def test_new_site_builds_strictly_and_serves(tmp_path: Path, template: str) -> None:
    site = tmp_path / "my-site"

    created = ssg("new", str(site), "--template", template)
    built = ssg("build", str(site), "--strict")

    assert created.returncode == 0, created.stderr
    assert built.returncode == 0, built.stderr + built.stdout
    assert "Traceback" not in built.stderr
    app = create_app(load_config(site), clock=time.time)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            for url_path in PAGES[template]:
                async with session.get(f"http://127.0.0.1:{port}{url_path}") as response:
                    body = await response.read()
                    assert response.status == 200, url_path
                    if url_path == "/feed.xml":
                        feed = feedparser.parse(body)
                        assert feed.bozo == 0 and len(feed.entries) == 1
                    if url_path == "/":
                        assert b"My Site" in body
    finally:
        await runner.cleanup()


def test_every_template_is_offered_by_the_cli() -> None:
    result = ssg("new", "--help")
    for template in TEMPLATES:
        assert template in result.stdout


def test_a_non_empty_folder_is_refused_and_left_alone(tmp_path: Path) -> None:
    site = tmp_path / "existing"
    site.mkdir()
    (site / "notes.txt").write_text("mine")

    result = ssg("new", str(site))

    assert result.returncode == 1
    assert "is not empty" in result.stderr and "Traceback" not in result.stderr
    assert [p.name for p in site.iterdir()] == ["notes.txt"]


def test_an_empty_folder_is_accepted(tmp_path: Path) -> None:
    site = tmp_path / "empty"
    site.mkdir()

    result = ssg("new", str(site), "--template", "minimal")

    assert result.returncode == 0, result.stderr
    assert (site / "ssg.toml").is_file() and (site / "app/layout.html").is_file()


@pytest.mark.parametrize("template", TEMPLATES)
def test_new_site_builds_strictly_under_a_base_path(tmp_path: Path, template: str) -> None:
    # --strict fails on a link that forgets the prefix, so every link goes through url().
    site = tmp_path / "my-site"
    assert ssg("new", str(site), "--template", template).returncode == 0
    built = ssg("build", str(site), "--strict", "--base-path", "/repo")
    assert built.returncode == 0, built.stderr + built.stdout
    home = (site / "out" / "index.html").read_text(encoding="utf-8")
    assert 'href="/repo/' in home


def test_the_blog_starter_builds_posts_tagged_with_a_slash(tmp_path: Path) -> None:
    # A tag is one URL segment, which cannot hold "/": the starter's own code must not
    # fail its user's first post tagged "CI/CD".
    site = tmp_path / "my-site"
    assert ssg("new", str(site), "--template", "blog").returncode == 0
    post = site / "content/posts/hello-world/index.md"
    post.write_text(post.read_text().replace("tags: [welcome]", 'tags: [welcome, "CI/CD", C++]'))

    built = ssg("build", str(site), "--strict")

    assert built.returncode == 0, built.stderr + built.stdout
    assert "Tagged “CI/CD”" in (site / "out/tags/CI-CD.html").read_text()
    page = (site / "out/blog/hello-world.html").read_text()
    assert 'href="/tags/CI-CD"' in page and 'href="/tags/C%2B%2B"' in page


async def test_the_blog_starter_redirects_a_post_s_hugo_aliases(tmp_path: Path) -> None:
    site = tmp_path / "blog"
    assert ssg("new", str(site), "--template", "blog").returncode == 0
    post = site / "content/posts/hello-world/index.md"
    post.write_text(
        post.read_text().replace("tags: [welcome]", "tags: [welcome]\naliases: [/2019/01/hello]")
    )

    exported = ssg("build", str(site), "--strict", "--export")

    assert exported.returncode == 0, exported.stderr + exported.stdout
    assert "/2019/01/hello /blog/hello-world 308" in (site / "out/_redirects").read_text()
    app = create_app(load_config(site), clock=time.time)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/2019/01/hello"
            async with session.get(url, allow_redirects=False) as response:
                assert response.status == 308
                assert response.headers["Location"] == "/blog/hello-world"
            async with session.get(f"http://127.0.0.1:{port}/2019/01/other") as response:
                assert response.status == 404
    finally:
        await runner.cleanup()
