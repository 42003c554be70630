"""The default theme links its feed_url only when the site answers it: a site without a
feed gets no link it did not write, and no broken links for it."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.builder.conftest import Build
from tests.conftest import MakeSite

SITE = {
    "app/layout.html": '{% extends "theme/base.html" %}',
    "app/page.md": "# Home\n",
    "app/about/page.md": "# About\n",
}
FEED_ROUTE = (
    "import ssg\n"
    "def GET(request):\n"
    "    return ssg.Response('<rss/>', content_type='application/rss+xml')\n"
)
FEED_LINK = 'type="application/rss+xml"'


async def test_no_feed_no_link_and_no_broken_link(make_site: MakeSite, build: Build) -> None:
    site = make_site(SITE)

    result = await build(site)

    assert FEED_LINK not in (site / "out/index.html").read_text()
    assert "RSS feed" not in (site / "out/about.html").read_text()
    assert result.broken_links == []


async def test_a_feed_route_or_a_public_file_is_linked(make_site: MakeSite, build: Build) -> None:
    site = make_site({**SITE, "app/feed.xml/route.py": FEED_ROUTE})
    await build(site)
    assert FEED_LINK in (site / "out/index.html").read_text()

    other = make_site({**SITE, "public/feed.xml": "<rss/>"})  # the same folder, rewritten
    shutil.rmtree(other / "app/feed.xml")
    shutil.rmtree(other / "out")
    result = await build(other)
    assert FEED_LINK in (other / "out/about.html").read_text()
    assert result.broken_links == []


async def test_a_public_feed_added_later_is_linked_as_by_a_cold_build(
    make_site: MakeSite, build: Build, tmp_path: Path
) -> None:
    site = make_site(SITE)
    await build(site)
    (site / "public").mkdir()
    (site / "public/feed.xml").write_text("<rss/>")

    second = await build(site)

    assert second.pages_rendered >= 2  # both pages asked whether the feed is there
    cold = tmp_path / "cold"
    shutil.copytree(site, cold, ignore=shutil.ignore_patterns("out", ".ssg"))
    await build(cold)
    for name in ("index.html", "about.html"):
        page = (site / "out" / name).read_text()
        assert FEED_LINK in page and page == (cold / "out" / name).read_text()
