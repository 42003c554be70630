"""Relative links to Markdown files (the MkDocs convention, Zola's `@/`) point at the pages
built from those files, in collections and page.md files; a page.md takes its first h1 as title."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.conftest import MakeSite

DOCS_SITE = {
    "ssg.toml": 'title = "Widget Docs"\nfeed_url = ""\n',
    "app/layout.html": ROOT_LAYOUT,
    "app/[[...path]]/page.py": (
        "import ssg\n"
        "from ssg.content import load_collection\n"
        "dynamic_params = False\n"
        "def generate_static_params():\n"
        "    return [{'path': e.path.split('/') if e.path else []}\n"
        "            for e in load_collection('content')]\n"
        "def load(params):\n"
        "    page = load_collection('content').get(path='/'.join(params.get('path', [])))\n"
        "    if page is None:\n"
        "        ssg.not_found()\n"
        "    return {'page': page}\n"
    ),
    "app/[[...path]]/page.html": "<article>{{ page.html }}</article>",
    "content/index.md": (
        "# Widget\n\n[installing](guide/install.md), the [API](reference/api.md#widget-class), "
        "[Zola style](@/guide/configure.md)\n"
    ),
    "content/guide/install.md": (
        "# Install\n\n[configure](configure.md) [home](../index.md) [guide](index.md)\n"
    ),
    "content/guide/index.md": "# Guide\n\nRead [install](./install.md#steps).\n",
    "content/guide/configure.md": "# Configure\n\nBack to [install](install.md).\n",
    "content/reference/api.md": (
        "# API\n\n## Widget class\n\nSee [missing](../guide/missing.md) and `[code](install.md)`.\n"
    ),
}


def out(site: Path, name: str) -> str:
    return (site / "out" / name).read_text(encoding="utf-8")


async def test_links_to_markdown_files_point_at_their_pages_and_missing_ones_are_named(
    make_site: MakeSite, build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(DOCS_SITE)
    with caplog.at_level(logging.WARNING):
        result = await build(site)

    home = out(site, "index.html")
    assert 'href="/guide/install"' in home
    assert 'href="/reference/api#widget-class"' in home
    assert 'href="/guide/configure"' in home  # @/ starts at the collection's folder
    install = out(site, "guide/install.html")
    assert 'href="/guide/configure"' in install
    assert 'href="/"' in install  # ../index.md: the collection's index page
    assert 'href="/guide"' in install  # index.md of its folder
    assert 'href="/guide/install#steps"' in out(site, "guide.html")
    api = out(site, "reference/api.html")
    assert 'href="../guide/missing.md"' in api  # no such file: left as written
    assert "<code>[code](install.md)</code>" in api  # code is text, not a link
    assert [link.link for link in result.broken_links] == ["../guide/missing.md"]
    problems = [r.getMessage() for r in caplog.records if r.name == "ssg.content"]
    assert len(problems) == 1
    assert problems[0].startswith("content/reference/api.md:5: links to '../guide/missing.md'")
    assert "content/guide/missing.md does not exist" in problems[0]


async def test_under_a_base_path_with_trailing_slashes_the_links_take_the_site_s_form(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site({**DOCS_SITE, "ssg.toml": 'feed_url = ""\ntrailing_slash = true\n'})
    result = await build(site, base_path="/docs")

    install = out(site, "guide/install/index.html")
    assert 'href="/docs/guide/configure/"' in install
    assert 'href="/docs/"' in install
    assert [link.link for link in result.broken_links] == ["../guide/missing.md"]


BLOG_SITE = {
    "app/layout.html": ROOT_LAYOUT,
    "app/page.html": "Home",
    "app/blog/[slug]/page.py": (
        "from ssg.content import load_collection\n"
        "dynamic_params = False\n"
        "def generate_static_params():\n"
        "    return [{'slug': p.slug} for p in load_collection('posts')]\n"
        "def load(params):\n"
        "    return {'post': load_collection('posts').get(params['slug'])}\n"
    ),
    "app/blog/[slug]/page.html": "<h1>{{ post.title }}</h1>{{ post.html }}",
    "posts/a.md": "---\ntitle: A\ndate: 2020-01-01\n---\nSee [b](b.md).\n",
    "posts/b.md": "---\ntitle: B\ndate: 2020-01-02\n---\nBody of b.\n",
    "posts/c.md": "---\ntitle: C\ndate: 2020-01-03\n---\nBody of c.\n",
}


async def test_a_linked_post_renamed_removed_or_added_changes_the_linking_page_as_a_cold_build(
    make_site: MakeSite, build: Build, tmp_path: Path
) -> None:
    site = make_site(BLOG_SITE)
    await build(site)
    assert 'href="/blog/b"' in out(site, "blog/a.html")

    async def same_as_cold() -> str:
        page = out(site, "blog/a.html")
        cold = tmp_path / "cold"
        shutil.rmtree(cold, ignore_errors=True)
        shutil.copytree(site, cold, ignore=shutil.ignore_patterns("out", ".ssg"))
        await build(cold)  # a copy without out/ and .ssg/: a cold build
        assert page == out(cold, "blog/a.html")
        return page

    (site / "posts/b.md").write_text("---\ntitle: B\nslug: bee\ndate: 2020-01-02\n---\nB.\n")
    await build(site)
    assert 'href="/blog/bee"' in await same_as_cold()

    (site / "posts/b.md").unlink()
    result = await build(site)
    assert 'href="b.md"' in await same_as_cold()

    assert [link.link for link in result.broken_links] == ["b.md"]

    (site / "posts/b.md").write_text("---\ntitle: B\ndate: 2020-01-02\n---\nBack.\n")
    result = await build(site)
    assert 'href="/blog/b"' in await same_as_cold()
    assert result.broken_links == []


async def test_a_page_md_links_other_page_md_files_and_takes_its_first_h1_as_title(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "ssg.toml": 'title = "Widget Docs"\nfeed_url = ""\n',
            "app/layout.html": ROOT_LAYOUT,
            "app/page.md": "# Welcome\n\n[install](guide/install.md) [guide](guide/page.md)\n",
            "app/guide/page.md": "---\ntitle: The guide\n---\n# Guide\n\n[home](../index.md)\n",
            "app/guide/install/page.md": (
                "# Install\n\n[guide](../page.md) [gone](../gone.md) [home](../../page.md)\n"
            ),
        }
    )
    result = await build(site)

    home = out(site, "index.html")
    assert "<title>Welcome</title>" in home
    assert 'href="/guide/install"' in home and 'href="/guide"' in home
    assert "<title>The guide</title>" in out(site, "guide.html")
    assert 'href="/"' in out(site, "guide.html")
    install = out(site, "guide/install.html")
    assert "<title>Install</title>" in install
    assert 'href="/guide"' in install and 'href="/"' in install
    assert [link.link for link in result.broken_links] == ["../gone.md"]
