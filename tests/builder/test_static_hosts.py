"""out/_redirects and out/_headers for Netlify and Cloudflare Pages."""

from __future__ import annotations

import json
import logging
from pathlib import Path

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


def json_api_site(make_site: MakeSite, slugs: tuple[str, ...]) -> Path:
    params = ", ".join(f'{{"slug": "{slug}"}}' for slug in slugs)
    return make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/page.html": "home",
            "app/api/posts/[slug]/route.py": 'dynamic = "force-static"\n'
            f"def generate_static_params(params):\n    return [{params}]\n"
            "def GET(request, params):\n    return {'slug': params['slug']}\n",
        }
    )


async def test_an_export_keeps_the_type_of_files_whose_name_does_not_tell_it(
    make_site: MakeSite, build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    # out/api/posts/first has no extension: a static host would send it as
    # application/octet-stream. Netlify and Cloudflare read the type from _headers.
    site = json_api_site(make_site, ("first", "second"))
    with caplog.at_level(logging.WARNING, logger="ssg"):
        await build(site, output="export")
    out = site / "out"
    assert json.loads((out / "api/posts/first").read_text()) == {"slug": "first"}
    headers = (out / "_headers").read_text()
    assert headers.endswith(
        "/api/posts/first\n  Content-Type: application/json; charset=utf-8\n"
        "/api/posts/second\n  Content-Type: application/json; charset=utf-8\n"
    )
    assert headers.count("Content-Type") == 2  # an HTML page says its type by its name
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings  # once per route
    assert (
        "Route /api/posts/[slug] writes out/api/posts/first (and 1 more) as application/json"
        in (warnings[0])
    )
    assert '{"slug": "first.json"}' in warnings[0]


async def test_params_with_the_types_extension_need_no_header_rule(
    make_site: MakeSite, build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    site = json_api_site(make_site, ("first.json",))
    with caplog.at_level(logging.WARNING, logger="ssg"):
        await build(site, output="export")
    out = site / "out"
    assert json.loads((out / "api/posts/first.json").read_text()) == {"slug": "first.json"}
    assert "Content-Type" not in (out / "_headers").read_text()
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]
