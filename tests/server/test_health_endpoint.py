"""GET /_ssg/health: what a load balancer or a container's healthcheck polls, without the secret."""

from __future__ import annotations

import pytest

from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, ServeSite


@pytest.mark.parametrize("secret", [None, "s3cret"], ids=["no-secret", "secret-set"])
async def test_health_answers_ok_and_the_build_id_without_authorization(
    make_site: MakeSite, serve_site: ServeSite, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    if secret is None:
        monkeypatch.delenv("SSG_REVALIDATE_SECRET", raising=False)
    else:
        monkeypatch.setenv("SSG_REVALIDATE_SECRET", secret)
    server = await serve_site(make_site({"app/layout.html": LAYOUT, "app/page.html": "home"}))

    reply = await server.get("/_ssg/health")
    head = await server.request("HEAD", "/_ssg/health")

    assert reply.status == 200
    assert reply.json() == {"status": "ok", "build_id": server.engine.build_id}
    assert "no-store" in reply.headers["Cache-Control"]
    assert (head.status, head.body) == (200, b"")


async def test_health_refuses_other_methods_with_allow(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(make_site({"app/layout.html": LAYOUT, "app/page.html": "home"}))

    reply = await server.request("POST", "/_ssg/health")

    assert (reply.status, reply.headers["Allow"]) == (405, "GET, HEAD")


async def test_health_is_under_the_base_path(make_site: MakeSite, serve_site: ServeSite) -> None:
    site_dir = make_site(
        {"ssg.toml": 'base_path = "/docs"\n', "app/layout.html": LAYOUT, "app/page.html": "home"}
    )
    server = await serve_site(site_dir)

    inside = await server.get("/docs/_ssg/health")
    outside = await server.get("/_ssg/health")

    assert (inside.status, outside.status) == (200, 404)
