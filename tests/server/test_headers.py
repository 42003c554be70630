"""Cache-Control, X-SSG-Cache, ETag/304 and content types of pages, handler files and assets."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, ServeSite, isr_site

DYNAMIC = "private, no-cache, no-store, max-age=0, must-revalidate"


def headers_site(make_site: MakeSite) -> Path:
    return isr_site(
        make_site,
        extra={
            "ssg.toml": "expire_seconds = 3600\n",
            "app/now/page.html": "<p>now</p>",
            "app/now/page.py": 'dynamic = "force-dynamic"\n',
            "app/feed.xml/route.py": (
                "from aiohttp import web\n"
                "revalidate = 120\n"
                "async def GET(request, params):\n"
                "    return web.Response(body=b'<rss/>', content_type='application/rss+xml')\n"
            ),
            "public/images/logo.svg": "<svg/>",
            "public/notes.txt": "hi",
        },
    )


async def test_isr_page_cache_control_uses_revalidate_and_expire(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(headers_site(make_site))

    reply = await server.get("/blog/a")

    assert reply.headers["Cache-Control"] == "s-maxage=60, stale-while-revalidate=3540"
    assert reply.headers["X-SSG-Cache"] == "HIT"
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"


async def test_never_stale_page_cache_control(make_site: MakeSite, serve_site: ServeSite) -> None:
    server = await serve_site(headers_site(make_site))

    reply = await server.get("/")

    assert reply.headers["Cache-Control"] == "s-maxage=31536000"


async def test_dynamic_page_is_private_and_has_no_cache_state(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(headers_site(make_site))

    reply = await server.get("/now")

    assert reply.headers["Cache-Control"] == DYNAMIC
    assert "X-SSG-Cache" not in reply.headers


async def test_page_etag_answers_304_to_if_none_match(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(headers_site(make_site))
    first = await server.get("/blog/a")
    etag = first.headers["ETag"]

    again = await server.get("/blog/a", headers={"If-None-Match": etag})
    weak = await server.get("/blog/a", headers={"If-None-Match": f'"x", W/{etag}'})
    other = await server.get("/blog/a", headers={"If-None-Match": '"nope"'})

    assert etag == server.build.manifest.pages["/blog/a"].etag
    assert (again.status, again.body, again.headers["ETag"]) == (304, b"", etag)
    assert again.headers["X-SSG-Cache"] == "HIT"
    assert weak.status == 304
    assert other.status == 200


async def test_dynamic_page_has_an_etag_too(make_site: MakeSite, serve_site: ServeSite) -> None:
    server = await serve_site(headers_site(make_site))
    etag = (await server.get("/now")).headers["ETag"]

    assert (await server.get("/now", headers={"If-None-Match": etag})).status == 304


async def test_prerendered_handler_file_keeps_its_content_type_and_isr_headers(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(headers_site(make_site))
    server.clock.advance(121)

    stale = await server.get("/feed.xml")
    await server.engine.regenerator.wait_idle()
    hit = await server.get("/feed.xml")

    assert stale.body == b"<rss/>"
    assert stale.headers["Content-Type"] == "application/rss+xml"
    assert stale.headers["Cache-Control"] == "s-maxage=0, stale-while-revalidate=3480"
    assert hit.headers["Cache-Control"] == "s-maxage=120, stale-while-revalidate=3480"
    assert (stale.headers["X-SSG-Cache"], hit.headers["X-SSG-Cache"]) == ("STALE", "HIT")
    assert hit.headers["Content-Type"] == "application/rss+xml"


async def test_fingerprinted_assets_are_immutable_with_etag_and_304(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(headers_site(make_site))
    asset = next((server.config.out_dir / "_assets").glob("*.css"))

    reply = await server.get(f"/_assets/{asset.name}")
    again = await server.get(
        f"/_assets/{asset.name}", headers={"If-None-Match": reply.headers["ETag"]}
    )

    assert reply.status == 200
    assert reply.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert reply.headers["Content-Type"].startswith("text/css")
    assert again.status == 304


async def test_public_files_get_content_types_from_their_names(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(headers_site(make_site))

    svg = await server.get("/images/logo.svg")
    txt = await server.get("/notes.txt")

    assert svg.headers["Content-Type"] == "image/svg+xml"
    assert txt.headers["Content-Type"].startswith("text/plain")
    assert svg.headers["Cache-Control"] == "public, max-age=0"
    assert "ETag" in svg.headers


async def test_page_files_are_not_served_under_their_file_names(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(make_site({"app/layout.html": LAYOUT, "app/about/page.html": "a"}))

    assert (await server.get("/about")).status == 200
    assert (await server.get("/about.html")).status == 404
    assert (await server.get("/404.html")).status == 404


async def test_head_of_a_cached_page_has_its_headers_and_no_body(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(headers_site(make_site))

    get = await server.get("/blog/a")
    head = await server.request("HEAD", "/blog/a")

    assert (head.status, head.body) == (200, b"")
    assert head.headers["Content-Length"] == str(len(get.body))
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["X-SSG-Cache"] == "HIT"


async def test_options_of_a_page_is_204_with_allow(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(headers_site(make_site))

    reply = await server.request("OPTIONS", "/blog/a")

    assert (reply.status, reply.headers["Allow"]) == (204, "GET, HEAD, OPTIONS")
