"""POST /_ssg/revalidate and GET /_ssg/status behind the bearer secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MakeSite
from tests.server.conftest import Server, ServeSite, isr_site, renders

AUTH = {"Authorization": "Bearer s3cret"}


def tagged_site(make_site: MakeSite) -> Path:
    """/blog/[slug] (ISR) plus /about, whose data is tagged "team", under a /blog layout."""
    return isr_site(
        make_site,
        extra={
            "app/blog/layout.html": "<main>{{ children }}</main>",
            "app/about/page.html": "about {{ n }}",
            "app/about/page.py": (
                "import ssg\n"
                "from pathlib import Path\n"
                "@ssg.cache(tags=['team'], revalidate=3600)\n"
                "def team_size():\n"
                "    with open(Path(__file__).parents[2] / 'team.log', 'a') as log:\n"
                "        log.write('called\\n')\n"
                "    return 3\n"
                "async def load(params):\n"
                "    return {'n': team_size()}\n"
            ),
        },
    )


async def revalidate(server: Server, payload: Any, headers: dict[str, str] = AUTH) -> Any:
    return await server.request("POST", "/_ssg/revalidate", json=payload, headers=headers)


def cache_states(server: Server) -> dict[str, bool]:
    return {page.record.url_path: page.marked_stale for page in server.engine.cache}


async def test_endpoint_is_404_when_the_secret_is_unset(
    make_site: MakeSite, serve_site: ServeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSG_REVALIDATE_SECRET", raising=False)
    server = await serve_site(tagged_site(make_site))

    reply = await revalidate(server, {"path": "/blog/a"})
    status = await server.get("/_ssg/status", headers=AUTH)

    assert (reply.status, status.status) == (404, 404)


async def test_bad_or_missing_secret_is_401(
    make_site: MakeSite, serve_site: ServeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSG_REVALIDATE_SECRET", "s3cret")
    server = await serve_site(tagged_site(make_site))

    wrong = await revalidate(server, {"path": "/blog/a"}, {"Authorization": "Bearer nope"})
    missing = await revalidate(server, {"path": "/blog/a"}, {})
    basic = await revalidate(server, {"path": "/blog/a"}, {"Authorization": "Basic s3cret"})

    assert (wrong.status, missing.status, basic.status) == (401, 401, 401)
    assert not any(cache_states(server).values())


async def test_revalidating_a_path_serves_stale_once_then_the_new_page(
    make_site: MakeSite, serve_site: ServeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSG_REVALIDATE_SECRET", "s3cret")
    site_dir = tagged_site(make_site)
    server = await serve_site(site_dir)
    (site_dir / "content" / "version.txt").write_text("2")

    reply = await revalidate(server, {"path": "/blog/a"})
    stale = await server.get("/blog/a")
    await server.engine.regenerator.wait_idle()
    fresh = await server.get("/blog/a")
    other = await server.get("/blog/b")

    assert (reply.status, reply.json()["marked"]) == (200, 1)
    assert (stale.headers["X-SSG-Cache"], "a v=1" in stale.text) == ("STALE", True)
    assert (fresh.headers["X-SSG-Cache"], "a v=2" in fresh.text) == ("HIT", True)
    assert other.headers["X-SSG-Cache"] == "HIT"


async def test_revalidating_a_tag_marks_pages_and_drops_data_cache_entries(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = tagged_site(make_site)
    server = await serve_site(site_dir, revalidate_secret="s3cret")
    team_log = site_dir / "team.log"
    assert team_log.read_text().split() == ["called"]  # the build's call, now in the data cache

    reply = await revalidate(server, {"tag": "team"})
    states = cache_states(server)
    await server.get("/about")
    await server.engine.regenerator.wait_idle()

    assert reply.json()["marked"] == 1
    assert (states["/about"], states["/blog/a"]) == (True, False)
    # The regeneration called team_size() again: its data cache entry was dropped.
    assert team_log.read_text().split() == ["called", "called"]


async def test_pattern_with_type_page_marks_every_page_of_the_route(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(tagged_site(make_site), revalidate_secret="s3cret")

    reply = await revalidate(server, {"path": "/blog/[slug]", "type": "page"})

    assert reply.json()["marked"] == 2
    assert cache_states(server) == {"/": False, "/about": False, "/blog/a": True, "/blog/b": True}


async def test_type_layout_marks_every_page_under_the_layout(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(tagged_site(make_site), revalidate_secret="s3cret")

    blog = await revalidate(server, {"path": "/blog", "type": "layout"})
    marked_after_blog = dict(cache_states(server))
    root = await revalidate(server, {"path": "/", "type": "layout"})

    assert blog.json()["marked"] == 2
    assert marked_after_blog == {"/": False, "/about": False, "/blog/a": True, "/blog/b": True}
    assert root.json()["marked"] == 4
    assert all(cache_states(server).values())


async def test_pattern_without_type_is_400_with_the_fix(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(tagged_site(make_site), revalidate_secret="s3cret")

    reply = await revalidate(server, {"path": "/blog/[slug]"})
    bad_body = await server.request("POST", "/_ssg/revalidate", data=b"not json", headers=AUTH)
    both = await revalidate(server, {"path": "/", "tag": "x"})
    get = await server.get("/_ssg/revalidate", headers=AUTH)

    assert reply.status == 400
    assert 'type "page"' in reply.json()["error"]
    assert (bad_body.status, both.status) == (400, 400)
    assert (get.status, get.headers["Allow"]) == (405, "POST")


async def test_revalidation_survives_a_restart(make_site: MakeSite, serve_site: ServeSite) -> None:
    site_dir = tagged_site(make_site)
    server = await serve_site(site_dir, revalidate_secret="s3cret")
    await revalidate(server, {"path": "/blog/b"})

    await server.restart(revalidate_secret="s3cret")
    built = len(renders(site_dir))
    reply = await server.get("/blog/b")
    await server.engine.regenerator.wait_idle()

    assert reply.headers["X-SSG-Cache"] == "STALE"
    assert renders(site_dir)[built:] == ["b"]


async def test_status_lists_routes_freshness_and_regenerations(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(tagged_site(make_site), revalidate_secret="s3cret")
    server.clock.advance(61)
    await server.get("/blog/a")
    await server.engine.regenerator.wait_idle()

    status = (await server.get("/_ssg/status", headers=AUTH)).json()
    verbose = (await server.get("/_ssg/status?pages=1", headers=AUTH)).json()
    unauthorized = await server.get("/_ssg/status")

    blog = next(r for r in status["routes"] if r["route_pattern"] == "/blog/[slug]")
    assert (blog["pages"], blog["fresh"], blog["stale"], blog["render"]) == (2, 1, 1, "isr")
    assert status["regenerations"] == 1
    assert status["failures"] == []
    assert verbose["pages"]["/blog/a"]["source"] == "isr"
    assert verbose["pages"]["/blog/b"]["freshness"] == "stale"
    assert unauthorized.status == 401


async def test_status_shows_the_build_and_the_local_disk_backend_of_one_instance(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(tagged_site(make_site), revalidate_secret="s3cret")

    status = (await server.get("/_ssg/status", headers=AUTH)).json()

    assert status["build_id"] == server.build.manifest.build_id
    assert status["cache"] == {
        "backend": "disk",
        "connected": True,
        "instances": 1,
        "stream_lag_ms": None,
    }


async def test_endpoints_answer_under_trailing_slash_true_without_a_redirect(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = isr_site(make_site, extra={"ssg.toml": "trailing_slash = true\n"})
    server = await serve_site(site_dir, revalidate_secret="s3cret")

    reply = await revalidate(server, {"path": "/blog/a"})
    status = await server.get("/_ssg/status", headers=AUTH)
    page = await server.get("/blog/a")

    assert (reply.status, reply.json()["marked"]) == (200, 1)
    assert status.status == 200
    assert (page.status, page.headers["Location"]) == (308, "/blog/a/")  # pages keep the policy


async def test_status_lists_pages_one_slice_at_a_time(
    make_site: MakeSite, serve_site: ServeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSG_REVALIDATE_SECRET", "s3cret")
    server = await serve_site(tagged_site(make_site))

    first = (await server.get("/_ssg/status?pages=1&limit=2", headers=AUTH)).json()
    rest = (await server.get("/_ssg/status?pages=1&offset=2", headers=AUTH)).json()
    bad = await server.get("/_ssg/status?pages=1&limit=x", headers=AUTH)

    assert len(first["pages"]) == 2
    assert first["pages_total"] == rest["pages_total"] == len(server.engine.cache)
    assert set(first["pages"]).isdisjoint(rest["pages"])
    assert len(first["pages"]) + len(rest["pages"]) == first["pages_total"]
    assert (first["failures_total"], first["on_demand_entries"]) == (0, 0)
    assert bad.status == 400


async def test_a_path_given_with_the_base_path_is_answered_with_a_hint(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    # Paths are the site's, without the base path (as revalidate_path in page code); the
    # address bar's path, with it, marks nothing and says so.
    site_dir = isr_site(make_site, extra={"ssg.toml": 'base_path = "/docs"\n'})
    server = await serve_site(site_dir, revalidate_secret="s3cret")

    wrong = await server.request(
        "POST", "/docs/_ssg/revalidate", json={"path": "/docs/blog/a"}, headers=AUTH
    )
    right = await server.request(
        "POST", "/docs/_ssg/revalidate", json={"path": "/blog/a"}, headers=AUTH
    )

    assert wrong.json()["marked"] == 0
    assert wrong.json()["hint"] == (
        'paths are given without the base path /docs: {"path": "/blog/a"}'
    )
    assert right.json()["marked"] == 1 and "hint" not in right.json()


async def test_a_route_group_pattern_marks_the_pages_of_the_route(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    # Next.js documents revalidatePath("/(main)/post/[slug]", "page"): the group is no
    # part of the URL, nor of ssg's route pattern.
    site_dir = tagged_site(make_site)
    (site_dir / "app/(marketing)/team").mkdir(parents=True)
    (site_dir / "app/(marketing)/team/page.html").write_text("team")
    (site_dir / "app/(marketing)/team/page.py").write_text("revalidate = 60\n")
    server = await serve_site(site_dir, revalidate_secret="s3cret")

    reply = await revalidate(server, {"path": "/(marketing)/team", "type": "page"})

    assert reply.json()["marked"] == 1
    assert cache_states(server)["/team"] is True
    assert "hint" not in reply.json()


@pytest.mark.parametrize(
    ("payload", "hint"),
    [
        ({"path": "/blgo/a"}, "no route matches /blgo/a; the closest route is /blog/[slug]"),
        (
            {"path": "/blog/[id]", "type": "page"},
            "no route has the pattern /blog/[id]; the closest is /blog/[slug]",
        ),
        (
            {"path": "/blog/new"},
            "no page at /blog/new (route /blog/[slug]) is stored: none was prerendered or "
            "rendered since (or it renders per request), so the next request renders it anyway",
        ),
    ],
    ids=["no-route", "no-pattern", "not-stored"],
)
async def test_a_revalidation_that_marks_nothing_says_why(
    make_site: MakeSite, serve_site: ServeSite, payload: dict[str, str], hint: str
) -> None:
    server = await serve_site(tagged_site(make_site), revalidate_secret="s3cret")

    reply = await revalidate(server, payload)

    assert reply.status == 200
    assert reply.json()["marked"] == 0
    assert reply.json()["hint"] == hint


async def test_a_short_revalidation_secret_is_warned_of_at_start(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="ssg.server"):
        await serve_site(tagged_site(make_site), revalidate_secret="x")
    assert (
        "SSG_REVALIDATE_SECRET is 1 character long: whoever guesses it can mark every page "
        "stale. Use a long random one (openssl rand -hex 32)." in caplog.text
    )
