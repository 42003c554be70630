"""A build that replaces out/ under a running server: never a body with another version's ETag.

Until the server switches, the build it serves answers from its own files
(its pin); after the switch, the new build answers with its own.
"""

from __future__ import annotations

from ssg.builder.builder import build_site
from ssg.records import make_etag
from ssg.server.app import SWITCH_KEY
from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, ServeSite


async def test_a_page_changed_by_a_rebuild_is_sent_with_its_own_etag(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(
        {"app/layout.html": LAYOUT, "app/page.html": "v1", "app/about/page.html": "about"}
    )
    server = await serve_site(site_dir)  # no watch: the switch waits for reload()
    old_etag = server.engine.cache.get("/").record.etag  # type: ignore[union-attr]
    (site_dir / "app/page.html").write_text("v2")
    await build_site(server.config, clock=server.clock)

    before_switch = await server.get("/")
    await server.app[SWITCH_KEY].reload()
    reply = await server.get("/")
    revalidated = await server.get("/", headers={"If-None-Match": old_etag})

    assert "v1" in before_switch.text
    assert before_switch.headers["ETag"] == make_etag(before_switch.body) == old_etag
    assert "v2" in reply.text
    assert reply.headers["ETag"] == make_etag(reply.body) != old_etag
    assert revalidated.status == 200  # never 304 for content that changed


async def test_a_public_file_deleted_by_a_rebuild_gets_the_404_page(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/not-found.html": "<p>nothing here</p>",
            "public/gone.txt": "soon gone",
        }
    )
    server = await serve_site(site_dir)
    (site_dir / "public/gone.txt").unlink()
    await build_site(server.config, clock=server.clock)

    before_switch = await server.get("/gone.txt")
    await server.app[SWITCH_KEY].reload()
    reply = await server.get("/gone.txt")

    assert (before_switch.status, before_switch.text) == (200, "soon gone")
    assert reply.status == 404
    assert "nothing here" in reply.text
