"""What a CDN in front of `ssg serve` sees: s-maxage counted down, tag headers, purge webhooks."""

from __future__ import annotations

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
