"""examples/blog builds its own posts and each real corpus, and every sitemap URL exists."""

from __future__ import annotations

import json
import logging
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ssg.builder.build_result import BuildResult
from ssg.builder.builder import build_site
from ssg.builder.report import route_symbol
from ssg.config import load_config

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "blog"
CORPUS = REPO.parent / "shared" / "corpus"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


async def build_example(
    out_dir: Path, monkeypatch: pytest.MonkeyPatch, content_dir: Path | None = None
) -> BuildResult:
    if content_dir is None:
        monkeypatch.delenv("SSG_CONTENT_DIR", raising=False)
    else:
        monkeypatch.setenv("SSG_CONTENT_DIR", str(content_dir))
    return await build_site(load_config(EXAMPLE, out_dir=out_dir))


def sitemap_paths(out_dir: Path) -> list[str]:
    tree = ET.parse(out_dir / "sitemap.xml")
    return [urlsplit(loc.text or "").path for loc in tree.iter(f"{SITEMAP_NS}loc")]


def assert_sitemap_urls_exist(result: BuildResult) -> list[str]:
    paths = sitemap_paths(result.out_dir)
    pages = result.manifest.pages
    missing = [p for p in paths if p not in pages or pages[p].status != 200]
    assert missing == []
    return paths


async def test_own_posts_build_every_kind_of_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = await build_example(tmp_path / "out", monkeypatch)
    out = result.out_dir
    pages = result.manifest.pages
    for url_path in ("/", "/blog", "/about", "/tags", "/blog/hello-ssg", "/tags/python"):
        assert pages[url_path].status == 200, url_path
    assert "/authors/ada-lovelace" in pages
    moved = result.manifest.redirects["/blog/ssg-intro"]
    assert (moved.location, moved.status) == ("/blog/hello-ssg", 308)
    assert result.manifest.redirects["/2026/10/20/isr.html"].location == (
        "/blog/incremental-regeneration"
    )
    assert (out / "2026/10/20/isr.html").is_file()
    posts = json.loads((out / "api/posts").read_text())
    assert [p["slug"] for p in posts][:2] == ["route-handlers", "deploying"]
    assert result.manifest.redirects["/blog/page/1"].location == "/blog"
    assert pages["/blog/page/2"].status == 200
    assert pages["/api/posts"].content_type.startswith("application/json")
    feed = ET.parse(out / "feed.xml").getroot()
    links = [item.findtext("link") for item in feed.iter("item")]
    assert links[0] == "https://ssg-example.netlify.app/blog/route-handlers"
    about = (out / "about.html").read_text()
    assert "{{ this }}" in about and "<table>" in about
    assert '<meta name="robots" content="noindex">' in (out / "404.html").read_text()
    assert_sitemap_urls_exist(result)


async def test_post_pages_link_their_neighbours_in_date_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = await build_example(tmp_path / "out", monkeypatch)
    listed = [p["url"] for p in json.loads((result.out_dir / "api/posts").read_text())]
    links: dict[str, dict[str, str]] = {}
    for url_path in listed:
        html = (result.out_dir / result.manifest.pages[url_path].output_file).read_text()
        links[url_path] = dict(
            (rel, href) for href, rel in re.findall(r'href="([^"]+)" rel="(prev|next)"', html)
        )

    assert len(listed) > 2
    for number, url_path in enumerate(listed):  # newest first: "next" is the newer post
        expected = {}
        if number > 0:
            expected["next"] = listed[number - 1]
        if number + 1 < len(listed):
            expected["prev"] = listed[number + 1]
        assert links[url_path] == expected, url_path


async def test_export_build_needs_no_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSG_CONTENT_DIR", raising=False)
    result = await build_site(load_config(EXAMPLE, out_dir=tmp_path / "out", output="export"))
    assert "ƒ" not in [route_symbol(row) for row in result.routes]
    assert (result.out_dir / "feed.xml").is_file()


@pytest.mark.parametrize(
    ("corpus", "min_posts"),
    [("rust-blog", 750), ("go-blog", 274), ("twir", 667)],
    ids=["rust-blog", "go-blog", "twir"],
)
async def test_real_corpus_builds_and_its_sitemap_urls_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus: str, min_posts: int
) -> None:
    content_dir = CORPUS / corpus / "posts"
    if not content_dir.is_dir():
        pytest.skip(f"{content_dir} not found (the shared corpus sits beside the repo)")
    # As the deploys build it: a static export, which fails on any route needing a server.
    monkeypatch.setenv("SSG_CONTENT_DIR", str(content_dir))
    result = await build_site(load_config(EXAMPLE, out_dir=tmp_path / "out", output="export"))
    posts = [p for p in result.manifest.pages if p.startswith("/blog/") and "/page/" not in p]
    real = [p for p in posts if result.manifest.pages[p].status == 200]
    assert len(real) >= min_posts
    paths = assert_sitemap_urls_exist(result)
    assert len(paths) > min_posts


async def test_go_blog_template_actions_are_translated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content_dir = CORPUS / "go-blog" / "posts"
    if not content_dir.is_dir():
        pytest.skip(f"{content_dir} not found")
    result = await build_example(tmp_path / "out", monkeypatch, content_dir)
    html = (result.out_dir / "blog/allocation-optimizations.html").read_text()
    assert "{{raw" not in html
    assert "*[image:" not in html and "{{image" not in html
    assert "/blog/index" not in result.manifest.pages  # the Go template index page
    assert "/blog/all" not in result.manifest.pages


async def test_rust_blog_old_urls_redirect_to_posts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content_dir = CORPUS / "rust-blog" / "posts"
    if not content_dir.is_dir():
        pytest.skip(f"{content_dir} not found")
    result = await build_example(tmp_path / "out", monkeypatch, content_dir)
    redirects = result.manifest.redirects
    assert redirects["/2020/10/08/Rust-1.47"].location == "/blog/Rust-1.47"
    assert redirects["/2020/10/08/Rust-1.47.html"].location == "/blog/Rust-1.47"


def output_files(out_dir: Path) -> dict[str, bytes]:
    """Every output file's bytes by relative name; the manifest without its build time and id."""
    files = {}
    for file in sorted(out_dir.rglob("*")):
        if file.is_file():
            files[file.relative_to(out_dir).as_posix()] = file.read_bytes()
    manifest = json.loads(files.pop("_ssg/manifest.json"))
    manifest.pop("build_id")
    build_time = manifest.pop("generated_at")
    for page in manifest["pages"].values():
        assert page.pop("generated_at") == build_time  # each page is stamped with the build time
    files["_ssg/manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


async def test_a_warm_build_takes_the_parsed_posts_from_the_cache_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    content_dir = CORPUS / "rust-blog" / "posts"
    if not content_dir.is_dir():
        pytest.skip(f"{content_dir} not found")
    site = tmp_path / "blog"  # its own cache folder, SITE/.ssg
    shutil.copytree(EXAMPLE, site, ignore=shutil.ignore_patterns(".ssg", "out", "__pycache__"))
    monkeypatch.setenv("SSG_CONTENT_DIR", str(content_dir))
    caplog.set_level(logging.INFO, logger="ssg.content")
    await build_site(load_config(site, out_dir=tmp_path / "cold"))
    assert not [r for r in caplog.records if r.getMessage().startswith("Content in ")]
    caplog.clear()

    await build_site(load_config(site, out_dir=tmp_path / "warm"))

    [counts] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Content in ")]
    assert counts.endswith(", 0 parsed.")
    cold, warm = output_files(tmp_path / "cold"), output_files(tmp_path / "warm")
    assert cold.keys() == warm.keys()
    assert [name for name in cold if cold[name] != warm[name]] == []
