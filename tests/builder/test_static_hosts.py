"""out/_redirects and out/_headers for Netlify and Cloudflare Pages."""

from __future__ import annotations

import pytest

from ssg.builder.static_hosts import render_redirects
from ssg.records import PageRecord
from ssg.revalidate import Revalidate
from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.conftest import MakeSite


def redirect(url_path: str, location: str, status: int) -> PageRecord:
    return PageRecord(
        url_path=url_path,
        route_pattern=url_path,
        status=status,
        content_type="text/html; charset=utf-8",
        revalidate=Revalidate.NEVER,
        tags=(),
        etag='"0"',
        size_bytes=0,
        output_file=url_path.strip("/") + ".html",
        location=location,
    )


REDIRECTS = {
    "/old": redirect("/old", "/new", 308),
    "/away": redirect("/away", "https://x.org/", 307),
}


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({}, "/away https://x.org/ 307\n/old /new 308\n"),
        ({"base_path": "/docs"}, "/docs/away https://x.org/ 307\n/docs/old /new 308\n"),
        ({"trailing_slash": True}, "/away/ https://x.org/ 307\n/old/ /new 308\n"),
        ({"force": True}, "/away https://x.org/ 307!\n/old /new 308!\n"),
    ],
    ids=["plain", "base-path", "trailing-slash", "forced"],
)
def test_render_redirects(options: dict[str, object], text: str) -> None:
    assert render_redirects(REDIRECTS, **{"force": False, **options}) == text  # type: ignore[arg-type]


def test_a_target_with_a_space_stays_one_token() -> None:
    rules = render_redirects({"/a": redirect("/a", "/b c?x=1%20", 307)}, force=False)
    assert rules == "/a /b%20c?x=1%20 307\n"


def test_netlify_builds_force_the_rules_over_the_meta_refresh_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NETLIFY", "true")
    assert render_redirects({"/old": REDIRECTS["/old"]}) == "/old /new 308!\n"


def _site(make_site: MakeSite, **extra: str) -> dict[str, str]:
    return {
        "app/layout.html": ROOT_LAYOUT,
        "app/page.html": '<a href="/old">old</a>',
        "app/new/page.html": "new",
        "app/old/page.py": "import ssg\ndef load(params):\n    ssg.permanent_redirect('/new')\n",
        "app/old/page.html": "never",
        "app/later/page.py": "import ssg\ndef load(params):\n    ssg.redirect('/new')\n",
        "app/later/page.html": "never",
        **extra,
    }


async def test_build_writes_every_redirect_with_its_status(
    make_site: MakeSite, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NETLIFY", raising=False)
    site = make_site(_site(make_site))
    await build(site)
    out = site / "out"
    assert (out / "_redirects").read_text() == "/later /new 307\n/old /new 308\n"
    # Hosts that read no _redirects still get the meta-refresh page.
    assert 'http-equiv="refresh"' in (out / "old.html").read_text()


async def test_the_sites_own_rules_come_first(
    make_site: MakeSite, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NETLIFY", raising=False)
    site = make_site(
        _site(
            make_site,
            **{
                "public/_redirects": "/gh https://github.com/x 301",
                "public/_headers": "/x\n  A: b\n",
            },
        )
    )
    await build(site)
    out = site / "out"
    assert (out / "_redirects").read_text().splitlines() == [
        "/gh https://github.com/x 301",
        "/later /new 307",
        "/old /new 308",
    ]
    assert (out / "_headers").read_text().startswith("/x\n  A: b\n/_assets/*\n")


async def test_headers_make_fingerprinted_assets_immutable(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site({"app/layout.html": '{% extends "theme/base.html" %}', "app/page.html": "hi"})
    await build(site)
    out = site / "out"
    assert (out / "_headers").read_text() == (
        "/_assets/*\n  Cache-Control: public, max-age=31536000, immutable\n"
    )
    assert not (out / "_redirects").exists()  # no redirects, no file
    assert list((out / "_assets").glob("style.*.css"))
