"""HIT / STALE / MISS over real HTTP, with a fake clock."""

from __future__ import annotations

import asyncio

from tests.conftest import MakeSite
from tests.server.conftest import ServeSite, hold_renders, isr_site, renders


async def test_fresh_page_is_a_hit_without_rendering(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)
    server = await serve_site(site_dir)
    built = renders(site_dir)

    server.clock.advance(60)  # now == generated_at + revalidate: still fresh
    reply = await server.get("/blog/a")

    assert reply.status == 200
    assert reply.headers["X-SSG-Cache"] == "HIT"
    assert "a v=1" in reply.text
    assert renders(site_dir) == built


async def test_stale_page_is_served_then_regenerated_once_and_next_request_gets_new_page(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)
    server = await serve_site(site_dir)
    built = len(renders(site_dir))
    (site_dir / "content" / "version.txt").write_text("2")
    server.clock.advance(61)

    stale = await server.get("/blog/a")
    await server.engine.regenerator.wait_idle()
    fresh = await server.get("/blog/a")

    assert stale.headers["X-SSG-Cache"] == "STALE"
    assert "a v=1" in stale.text
    assert fresh.headers["X-SSG-Cache"] == "HIT"
    assert "a v=2" in fresh.text
    assert renders(site_dir)[built:] == ["a"]
    assert fresh.headers["ETag"] != stale.headers["ETag"]


async def test_stale_storm_of_200_requests_runs_one_regeneration(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site, slugs=("a",))
    server = await serve_site(site_dir)
    built = len(renders(site_dir))
    # Renders wait until all 200 requests were answered, so all overlap the regeneration.
    hold = hold_renders(server, "app/blog/[slug]/page.py")
    (site_dir / "content" / "version.txt").write_text("2")
    server.clock.advance(61)

    replies = await asyncio.gather(*(server.get("/blog/a") for _ in range(200)))
    assert server.engine.regenerator.in_flight  # still rendering: all were answered stale
    hold.gate.set()
    await server.engine.regenerator.wait_idle()
    after = await server.get("/blog/a")

    assert {r.status for r in replies} == {200}
    assert {r.headers["X-SSG-Cache"] for r in replies} <= {"STALE", "HIT"}
    assert renders(site_dir)[built:] == ["a"]
    assert server.engine.regenerator.regenerations_started == 1
    assert after.headers["X-SSG-Cache"] == "HIT"
    assert "a v=2" in after.text


async def test_build_older_than_revalidate_is_stale_on_first_request(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)
    server = await serve_site(site_dir)
    server.clock.advance(3600)

    reply = await server.get("/blog/b")

    assert reply.headers["X-SSG-Cache"] == "STALE"


async def test_never_stale_page_stays_a_hit(make_site: MakeSite, serve_site: ServeSite) -> None:
    site_dir = isr_site(make_site)
    server = await serve_site(site_dir)
    server.clock.advance(10 * 365 * 86400)

    reply = await server.get("/")

    assert reply.headers["X-SSG-Cache"] == "HIT"
    assert reply.headers["Cache-Control"] == "s-maxage=31536000"


async def test_regenerated_page_survives_a_restart(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)
    server = await serve_site(site_dir)
    (site_dir / "content" / "version.txt").write_text("2")
    server.clock.advance(61)
    await server.get("/blog/a")
    await server.engine.regenerator.wait_idle()
    rendered = len(renders(site_dir))

    await server.restart()
    reply = await server.get("/blog/a")

    assert reply.headers["X-SSG-Cache"] == "HIT"
    assert "a v=2" in reply.text
    assert len(renders(site_dir)) == rendered


async def test_entries_of_an_older_build_are_ignored_after_a_rebuild(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)
    first = await serve_site(site_dir)
    (site_dir / "content" / "version.txt").write_text("2")
    first.clock.advance(61)
    await first.get("/blog/a")
    await first.engine.regenerator.wait_idle()
    isr_dir = first.config.cache_dir / "isr"
    assert list(isr_dir.glob("*.entry"))

    (site_dir / "content" / "version.txt").write_text("3")
    second = await serve_site(site_dir)  # rebuilds: a new build_id
    reply = await second.get("/blog/a")

    assert "a v=3" in reply.text
    assert reply.headers["X-SSG-Cache"] == "HIT"
    assert not list(isr_dir.glob("*.entry"))  # the old build's entry was removed


async def test_page_past_expire_seconds_is_rendered_while_waiting(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site, extra={"ssg.toml": "expire_seconds = 600\n"})
    server = await serve_site(site_dir)
    (site_dir / "content" / "version.txt").write_text("2")
    server.clock.advance(601)

    reply = await server.get("/blog/a")

    assert reply.headers["X-SSG-Cache"] == "MISS"
    assert "a v=2" in reply.text
    assert reply.headers["Cache-Control"] == "s-maxage=60, stale-while-revalidate=540"


async def test_render_slower_than_revalidate_is_fresh_when_it_arrives(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)  # revalidate = 60
    server = await serve_site(site_dir)
    built = len(renders(site_dir))
    hold = hold_renders(server, "app/blog/[slug]/page.py")
    (site_dir / "content" / "version.txt").write_text("2")
    server.clock.advance(61)

    stale = await server.get("/blog/a")
    await hold.started.wait()
    server.clock.advance(90)  # the render takes longer than revalidate
    hold.gate.set()
    await server.engine.regenerator.wait_idle()
    after = await server.get("/blog/a")
    await server.engine.regenerator.wait_idle()

    page = server.engine.cache.get("/blog/a")
    assert stale.headers["X-SSG-Cache"] == "STALE"
    assert (after.headers["X-SSG-Cache"], "a v=2" in after.text) == ("HIT", True)
    assert page is not None and page.record.generated_at == server.clock.now  # when it was written
    assert renders(site_dir)[built:] == ["a"]  # no back-to-back regeneration


async def test_revalidation_during_a_slow_render_still_counts_after_a_restart(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site)
    server = await serve_site(site_dir, revalidate_secret="s")
    hold = hold_renders(server, "app/blog/[slug]/page.py")
    server.clock.advance(61)

    await server.get("/blog/a")
    await hold.started.wait()
    server.clock.advance(5)
    marked = await server.request(
        "POST", "/_ssg/revalidate", json={"path": "/blog/a"}, headers={"Authorization": "Bearer s"}
    )
    server.clock.advance(5)
    hold.gate.set()
    await server.engine.regenerator.wait_idle()
    await server.restart(revalidate_secret="s")
    reply = await server.get("/blog/a")

    assert marked.json()["marked"] == 1
    # The entry was written after the mark, but its render began before it: still stale.
    assert reply.headers["X-SSG-Cache"] == "STALE"


async def test_fresh_page_never_expires_when_expire_seconds_is_below_revalidate(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site, extra={"ssg.toml": "expire_seconds = 30\n"})  # revalidate 60
    server = await serve_site(site_dir)
    built = len(renders(site_dir))

    server.clock.advance(45)  # past expire_seconds, inside revalidate
    fresh = await server.get("/blog/a")
    server.clock.advance(16)  # past revalidate: expired, rendered while waiting
    expired = await server.get("/blog/a")

    assert fresh.headers["X-SSG-Cache"] == "HIT"
    assert fresh.headers["Cache-Control"] == "s-maxage=15"  # 15 s of freshness left
    assert expired.headers["X-SSG-Cache"] == "MISS"
    assert renders(site_dir)[built:] == ["a"]
