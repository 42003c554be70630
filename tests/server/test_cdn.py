"""What a CDN in front of `ssg serve` sees: s-maxage counted down, tag headers, purge webhooks."""

from __future__ import annotations

from pathlib import Path

from ssg.isr.cdn_tags import cdn_purge_tags
from tests.conftest import MakeSite
from tests.server.conftest import ServeSite, isr_site

SWR = "stale-while-revalidate=3540"


async def test_hit_s_maxage_counts_down_to_the_pages_remaining_freshness(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(isr_site(make_site, extra={"ssg.toml": "expire_seconds = 3600\n"}))

    first = await server.get("/blog/a")
    server.clock.advance(45.5)
    later = await server.get("/blog/a")
    server.clock.advance(14.5)  # the last fresh instant: generated_at + 60
    last = await server.get("/blog/a")

    assert first.headers["Cache-Control"] == f"s-maxage=60, {SWR}"
    assert later.headers["Cache-Control"] == f"s-maxage=14, {SWR}"
    assert (last.headers["X-SSG-Cache"], last.headers["Cache-Control"]) == (
        "HIT",
        f"s-maxage=1, {SWR}",
    )


async def test_stale_response_has_s_maxage_zero_and_the_same_swr(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(isr_site(make_site, extra={"ssg.toml": "expire_seconds = 3600\n"}))
    server.clock.advance(61)

    stale = await server.get("/blog/a")
    await server.engine.regenerator.wait_idle()
    regenerated = await server.get("/blog/a")

    assert stale.headers["X-SSG-Cache"] == "STALE"
    assert stale.headers["Cache-Control"] == f"s-maxage=0, {SWR}"
    assert regenerated.headers["X-SSG-Cache"] == "HIT"
    assert regenerated.headers["Cache-Control"] == f"s-maxage=60, {SWR}"


async def test_page_revalidated_on_demand_is_sent_with_s_maxage_zero(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(isr_site(make_site), revalidate_secret="s3cret")
    auth = {"Authorization": "Bearer s3cret"}

    never = await server.get("/")
    await server.request("POST", "/_ssg/revalidate", json={"path": "/"}, headers=auth)
    await server.request("POST", "/_ssg/revalidate", json={"path": "/blog/a"}, headers=auth)
    marked_never = await server.get("/")
    marked_isr = await server.get("/blog/a")

    assert never.headers["Cache-Control"] == "s-maxage=31536000"
    assert (marked_never.headers["X-SSG-Cache"], marked_never.headers["Cache-Control"]) == (
        "STALE",
        "s-maxage=0",
    )
    assert marked_isr.headers["Cache-Control"] == "s-maxage=0, stale-while-revalidate=31535940"


def tagged_site(make_site: MakeSite, toml: str, tags: list[str] | None = None) -> Path:
    """isr_site plus /about (data tagged `tags`) and a prerendered feed.xml route handler."""
    return isr_site(
        make_site,
        extra={
            "ssg.toml": toml,
            "app/about/page.html": "about {{ n }}",
            "app/about/page.py": (
                "import ssg\n"
                f"@ssg.cache(tags={tags or ['team']!r}, revalidate=3600)\n"
                "def team_size():\n"
                "    return 3\n"
                "async def load(params):\n"
                "    return {'n': team_size()}\n"
            ),
            "app/feed.xml/route.py": (
                "import ssg\n"
                "revalidate = 120\n"
                "async def GET(request, params):\n"
                "    return ssg.Response(body=b'<rss/>', content_type='application/rss+xml')\n"
            ),
        },
    )


async def test_cache_tag_header_lists_explicit_and_implicit_tags_comma_separated(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(tagged_site(make_site, 'cdn_tag_header = "Cache-Tag"\n'))

    about = await server.get("/about")
    blog = await server.get("/blog/a")
    feed = await server.get("/feed.xml")

    assert about.headers["Cache-Tag"] == "/about,/about/layout,/about/page,/layout,team"
    assert blog.headers["Cache-Tag"] == (
        "/blog/[slug]/layout,/blog/[slug]/page,/blog/a,/blog/layout,/layout"
    )
    assert feed.headers["Cache-Tag"] == "/feed.xml,/feed.xml/layout,/feed.xml/page,/layout"


async def test_surrogate_key_is_space_separated_on_stale_and_miss_responses_too(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = tagged_site(make_site, 'cdn_tag_header = "Surrogate-Key"\n')
    (site_dir / "app/blog/[slug]/page.py").write_text(
        (site_dir / "app/blog/[slug]/page.py")
        .read_text()
        .replace("return [{", "return []\n    [{"),
    )
    server = await serve_site(site_dir)

    miss = await server.get("/blog/new")
    server.clock.advance(61)
    stale = await server.get("/blog/new")
    await server.engine.regenerator.wait_idle()

    expected = "/blog/[slug]/layout /blog/[slug]/page /blog/layout /blog/new /layout"
    assert (miss.headers["X-SSG-Cache"], miss.headers["Surrogate-Key"]) == ("MISS", expected)
    assert (stale.headers["X-SSG-Cache"], stale.headers["Surrogate-Key"]) == ("STALE", expected)


async def test_no_tag_header_by_default_nor_on_dynamic_pages(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    plain = await serve_site(tagged_site(make_site, ""))
    tagged = await serve_site(
        isr_site(
            make_site,
            extra={
                "ssg.toml": 'cdn_tag_header = "Cache-Tag"\n',
                "app/now/page.html": "now",
                "app/now/page.py": 'dynamic = "force-dynamic"\n',
            },
        )
    )

    assert "Cache-Tag" not in (await plain.get("/about")).headers
    assert "Cache-Tag" not in (await tagged.get("/now")).headers


async def test_tags_past_cdn_limits_are_hashed_and_bucketed_reproducibly(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    tags = [f"product-{n:03d}" for n in range(300)] + ["author:Ada Lovelace", "x" * 300]
    server = await serve_site(tagged_site(make_site, 'cdn_tag_header = "Cache-Tag"\n', tags))

    header = (await server.get("/about")).headers["Cache-Tag"]
    sent = header.split(",")

    assert len(sent) <= 128
    assert len(header.encode()) <= 16_000
    assert all(len(tag) <= 128 for tag in sent)
    assert "author:Ada Lovelace" not in sent and "x" * 300 not in sent
    # Whoever calls revalidate_tag(t) can purge exactly what the page carries.
    assert all(set(cdn_purge_tags(tag)) & set(sent) for tag in [*tags, "/about", "/layout"])
