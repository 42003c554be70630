"""ssg.feed() and ssg.sitemap(): valid RSS/Atom and a sitemap of the build's own pages."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest

from ssg.builder.builder import build_site
from ssg.config import load_config
from tests.conftest import MakeSite

NOW = 2_000_000_000.0  # 2033-05-18T03:33:20Z
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
LAYOUT = "<html><head><title>t</title></head><body>{{ children }}</body></html>"


def feed_site(make_site: MakeSite, toml: str = "") -> Path:
    return make_site(
        {
            "ssg.toml": 'title = "Notes"\ndescription = "About things"\nlanguage = "en"\n'
            'author = "Ann"\nbase_url = "https://example.org"\n' + toml,
            "feed_posts.py": "import ssg\nfrom ssg.content import load_collection\n"
            "@ssg.cache\ndef posts():\n    return load_collection('content')\n"
            "def url(entry):\n    return f'/blog/{entry.slug}'\n",
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/hidden/page.html": "hidden",
            "app/hidden/page.py": "metadata = {'robots': 'noindex, follow'}\n",
            "app/old/page.py": "import ssg\ndef load(params):\n    ssg.permanent_redirect('/')\n",
            "app/old/page.html": "",
            "app/blog/[slug]/page.html": "{{ post.title }}",
            "app/blog/[slug]/page.py": "import feed_posts, ssg\n"
            "def generate_static_params(params):\n"
            "    return [{'slug': p.slug} for p in feed_posts.posts()]\n"
            "def load(params):\n"
            "    post = feed_posts.posts().get(params['slug'])\n"
            "    if post is None:\n        ssg.not_found()\n"
            "    return {'post': post}\n",
            "app/feed.xml/route.py": "import feed_posts, ssg\ndynamic = 'force-static'\n"
            "def GET(request, params):\n"
            "    return ssg.feed(feed_posts.posts(), url=feed_posts.url)\n",
            "app/atom.xml/route.py": "import feed_posts, ssg\ndynamic = 'force-static'\n"
            "def GET(request, params):\n"
            "    return ssg.feed(feed_posts.posts(), url=feed_posts.url, format='atom',"
            " full_content=True)\n",
            "app/sitemap.xml/route.py": "import feed_posts, ssg\ndynamic = 'force-static'\n"
            "def GET(request, params):\n"
            "    return ssg.sitemap(feed_posts.posts(), url=feed_posts.url)\n",
            "content/first.md": "---\ntitle: First\ndate: 2020-01-01\ntags: [a, b]\n"
            "authors: [Bo]\n---\nFirst *body*.\n",
            "content/café.md": "---\ntitle: Second\ndate: 2021-02-03T04:05:06Z\n"
            "updated: 2022-01-01\n---\nSecond body.\n",
            "content/draft.md": "---\ntitle: Draft\ndate: 2021-01-01\ndraft: true\n---\nD.\n",
            "content/soon.md": "---\ntitle: Soon\ndate: 2033-05-18T03:35:00Z\n---\nS.\n",
        }
    )


async def build(site: Path, *, include_drafts: bool = False) -> Path:
    await build_site(load_config(site), clock=lambda: NOW, include_drafts=include_drafts)
    return site / "out"


def sitemap_locs(out: Path) -> list[str]:
    root = ET.parse(out / "sitemap.xml").getroot()
    return [loc.text or "" for loc in root.iter(f"{SITEMAP_NS}loc")]


async def test_rss_feed_validates_and_lists_published_posts_newest_first(
    make_site: MakeSite,
) -> None:
    out = await build(feed_site(make_site))

    parsed = feedparser.parse((out / "feed.xml").read_bytes())

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == "Notes"
    assert parsed.feed.link == "https://example.org/"
    assert parsed.feed.language == "en"
    assert [e.title for e in parsed.entries] == ["Second", "First"]
    assert parsed.entries[0].link == "https://example.org/blog/caf%C3%A9"
    assert parsed.entries[1].published == "Wed, 01 Jan 2020 00:00:00 +0000"
    assert [t.term for t in parsed.entries[1].tags] == ["a", "b"]


async def test_atom_feed_validates_with_content_and_updated_dates(make_site: MakeSite) -> None:
    out = await build(feed_site(make_site))

    parsed = feedparser.parse((out / "atom.xml").read_bytes())

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == ["Second", "First"]
    assert parsed.entries[0].updated == "2022-01-01T00:00:00+00:00"
    assert "<em>body</em>" in parsed.entries[1].content[0].value
    assert parsed.entries[1].author == "Bo"
    assert any(
        link.rel == "self" and link.href == "https://example.org/atom.xml"
        for link in parsed.feed.links
    )


async def test_feed_bytes_do_not_depend_on_the_build_time(make_site: MakeSite) -> None:
    site = feed_site(make_site)
    first = (await build(site) / "feed.xml").read_bytes()
    await build_site(load_config(site), clock=lambda: NOW + 50)
    assert (site / "out/feed.xml").read_bytes() == first


async def test_drafts_and_scheduled_posts_stay_out_of_feed_and_sitemap_with_drafts_on(
    make_site: MakeSite,
) -> None:
    out = await build(feed_site(make_site), include_drafts=True)

    assert (out / "blog/draft.html").is_file() and (out / "blog/soon.html").is_file()
    titles = [e.title for e in feedparser.parse((out / "feed.xml").read_bytes()).entries]
    assert titles == ["Second", "First"]
    locs = sitemap_locs(out)
    assert "https://example.org/blog/draft" not in locs
    assert "https://example.org/blog/soon" not in locs


async def test_sitemap_lists_the_build_pages_without_redirects_handlers_or_noindex(
    make_site: MakeSite,
) -> None:
    out = await build(feed_site(make_site))

    assert sitemap_locs(out) == [
        "https://example.org/",
        "https://example.org/blog/caf%C3%A9",
        "https://example.org/blog/first",
    ]
    root = ET.parse(out / "sitemap.xml").getroot()
    lastmods = [u.findtext(f"{SITEMAP_NS}lastmod") for u in root.iter(f"{SITEMAP_NS}url")]
    assert lastmods == [None, "2022-01-01T00:00:00Z", "2020-01-01T00:00:00Z"]


@pytest.mark.parametrize(
    ("toml", "origin"),
    [
        pytest.param('base_path = "/docs"\n', "https://example.org/docs", id="base_path"),
        pytest.param("", "https://example.org", id="no-base-path"),
    ],
)
async def test_feed_and_sitemap_urls_honour_base_path(
    make_site: MakeSite, toml: str, origin: str
) -> None:
    out = await build(feed_site(make_site, toml))

    parsed = feedparser.parse((out / "feed.xml").read_bytes())
    assert parsed.entries[1].link == f"{origin}/blog/first"
    assert parsed.feed.link == f"{origin}/"
    assert sitemap_locs(out)[0] == f"{origin}/"


async def test_pages_of_drafts_stay_out_of_a_sitemap_given_no_entries(make_site: MakeSite) -> None:
    site = feed_site(make_site)
    (site / "app/sitemap.xml/route.py").write_text(
        "import ssg\ndynamic = 'force-static'\ndef GET(request, params):\n    return ssg.sitemap()\n"
    )

    out = await build(site, include_drafts=True)

    assert (out / "blog/draft.html").is_file()
    assert sitemap_locs(out) == [
        "https://example.org/",
        "https://example.org/blog/caf%C3%A9",
        "https://example.org/blog/first",
    ]
