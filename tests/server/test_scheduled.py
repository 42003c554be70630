"""Scheduled publishing under ssg serve: a future post goes out at its date, with no rebuild."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MakeSite

from .conftest import LAYOUT, FakeClock, ServeSite

NOW = 2_000_000_000.0  # 2033-05-18T03:33:20Z
DUE_IN = 100  # soon.md is dated 2033-05-18T03:35:00Z


def scheduled_site(make_site: MakeSite) -> Path:
    return make_site(
        {
            "ssg.toml": 'base_url = "https://example.org"\n',
            "app/layout.html": LAYOUT,
            "app/page.html": "{% for p in posts %}[{{ p.title }}]{% endfor %}",
            "app/page.py": "import scheduled_posts as posts\nrevalidate = 3600\n"
            "def load(params):\n    return {'posts': posts.load()}\n",
            "app/blog/[slug]/page.html": "<h1>{{ post.title }}</h1>",
            "app/blog/[slug]/page.py": "import scheduled_posts as posts, ssg\n"
            "revalidate = 3600\n"
            "def generate_static_params(params):\n"
            "    return [{'slug': p.slug} for p in posts.load()]\n"
            "def load(params):\n"
            "    post = posts.load().get(params['slug'])\n"
            "    if post is None:\n        ssg.not_found()\n"
            "    return {'post': post}\n",
            "app/feed.xml/route.py": "import scheduled_posts as posts, ssg\nrevalidate = 3600\n"
            "def GET(request, params):\n"
            "    return ssg.feed(posts.load(), url=lambda e: '/blog/' + e.slug)\n",
            "app/sitemap.xml/route.py": "import scheduled_posts as posts, ssg\nrevalidate = 3600\n"
            "def GET(request, params):\n"
            "    return ssg.sitemap(posts.load(), url=lambda e: '/blog/' + e.slug)\n",
            "scheduled_posts.py": "import ssg\nfrom ssg.content import load_collection\n"
            "@ssg.cache\ndef load():\n    return load_collection('content')\n",
            "content/old.md": "---\ntitle: Old\ndate: 2020-05-01\n---\nOld.\n",
            "content/soon.md": "---\ntitle: Soon\ndate: 2033-05-18T03:35:00Z\n---\nS.\n",
        }
    )


async def test_scheduled_post_is_a_404_until_its_date_then_rendered_on_demand(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    clock = FakeClock(NOW)
    server = await serve_site(scheduled_site(make_site), clock=clock)

    before = await server.get("/blog/soon")
    clock.advance(DUE_IN + 1)
    after = await server.get("/blog/soon")

    assert before.status == 404
    assert after.status == 200 and "<h1>Soon</h1>" in after.text


async def test_listing_that_left_out_a_scheduled_post_shows_it_after_its_date(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    clock = FakeClock(NOW)
    server = await serve_site(scheduled_site(make_site), clock=clock)

    fresh = await server.get("/")
    clock.advance(DUE_IN - 2)
    still_fresh = await server.get("/")
    clock.advance(3)
    stale = await server.get("/")
    await server.engine.regenerator.wait_idle()
    published = await server.get("/")

    assert fresh.headers["X-SSG-Cache"] == "HIT" and "[Soon]" not in fresh.text
    assert fresh.headers["Cache-Control"].startswith("s-maxage=100,")
    assert still_fresh.headers["X-SSG-Cache"] == "HIT"
    assert stale.headers["X-SSG-Cache"] == "STALE"
    assert published.headers["X-SSG-Cache"] == "HIT"
    assert "[Soon][Old]" in published.text
    # Nothing else is scheduled: back to the page's own revalidate.
    assert published.headers["Cache-Control"].startswith("s-maxage=3600,")


@pytest.mark.parametrize("url_path", ["/feed.xml", "/sitemap.xml"])
async def test_feed_and_sitemap_list_a_scheduled_post_after_its_date(
    make_site: MakeSite, serve_site: ServeSite, url_path: str
) -> None:
    clock = FakeClock(NOW)
    server = await serve_site(scheduled_site(make_site), clock=clock)

    before = await server.get(url_path)
    clock.advance(DUE_IN + 1)
    await server.get(url_path)  # stale: sent as it was, regenerated in the background
    await server.engine.regenerator.wait_idle()
    after = await server.get(url_path)

    assert before.headers["X-SSG-Cache"] == "HIT"
    assert "/blog/soon" not in before.text and "/blog/old" in before.text
    assert after.headers["X-SSG-Cache"] == "HIT"
    assert "https://example.org/blog/soon" in after.text
