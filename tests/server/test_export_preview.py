"""`ssg serve` on a static export serves its files only, as the static host will."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import MakeSite
from tests.server.conftest import ServeSite, isr_site, renders


async def test_an_export_is_served_as_files_only(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site_dir = isr_site(make_site, settings="revalidate = 10")
    (site_dir / "ssg.toml").write_text('output = "export"\n')
    with caplog.at_level(logging.INFO, logger="ssg.server"):
        server = await serve_site(site_dir, revalidate_secret="s")
    built = len(renders(site_dir))
    (site_dir / "content" / "version.txt").write_text("2")
    server.clock.advance(3600)  # long past the page's revalidate

    listed = await server.get("/blog/a")
    await server.engine.regenerator.wait_idle()
    again = await server.get("/blog/a")
    unlisted = await server.get("/blog/zzz")
    home = await server.get("/")

    assert [r.status for r in (listed, again, home)] == [200, 200, 200]
    assert "a v=1" in again.text  # the export's bytes: nothing regenerated
    assert "s-maxage=0" not in again.headers["Cache-Control"]
    assert unlisted.status == 404  # as Netlify or GitHub Pages would answer
    assert len(renders(site_dir)) == built  # nothing rendered by the server
    assert 'is a static export (output = "export"): serving its files only' in caplog.text
