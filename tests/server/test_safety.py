"""No URL escapes out/, dotfiles and the manifest are hidden, slashes redirect, 404 is noindex."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, ServeSite

SECRET = "TOP-SECRET-VALUE"


def safety_site(make_site: MakeSite, toml: str = "") -> Path:
    site_dir = make_site(
        {
            "ssg.toml": toml,
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/about/page.html": "about",
            "app/docs/[slug]/page.html": "doc {{ params.slug }}",
            "app/old/page.html": "never shown",
            "app/old/page.py": "import ssg\nasync def load(params):\n    ssg.redirect('/about')\n",
            "app/moved/page.html": "never shown",
            "app/moved/page.py": (
                "import ssg\nasync def load(params):\n    ssg.permanent_redirect('/about')\n"
            ),
            "public/robots.txt": "User-agent: *",
            "public/.hidden": SECRET,
        }
    )
    (site_dir.parent / "secret.txt").write_text(SECRET)
    return site_dir


@pytest.mark.parametrize(
    "target",
    [
        "/..%2f..%2fsecret.txt",
        "/..%2F..%2Fsecret.txt",
        "/%2e%2e/%2e%2e/secret.txt",
        "/%2e%2e/",
        "/../../secret.txt",
        "/docs/..%2f..%2f..%2fsecret.txt",
        "/..\\..\\secret.txt",
        "/%5c..%5c..%5csecret.txt",
        "/robots.txt%00.html",
        "/.hidden",
        "/_ssg/manifest.json",
        "/.git/config",
    ],
)
async def test_unsafe_or_hidden_paths_are_404_and_leak_nothing(
    make_site: MakeSite, serve_site: ServeSite, target: str
) -> None:
    server = await serve_site(safety_site(make_site))

    reply = await server.raw(target)

    assert reply.status == 404
    assert SECRET.encode() not in reply.body
    assert b'"build_id"' not in reply.body


async def test_double_slash_redirects_to_one_slash_on_this_host(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(safety_site(make_site))

    escaped = await server.raw("//etc/passwd")
    other_host = await server.raw("//evil.example/about")
    inner = await server.raw("/docs//a?x=1")

    assert (escaped.status, escaped.headers["Location"]) == (308, "/etc/passwd")
    assert (other_host.status, other_host.headers["Location"]) == (308, "/evil.example/about")
    assert (inner.status, inner.headers["Location"]) == (308, "/docs/a?x=1")


async def test_symlink_pointing_outside_out_is_not_served(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = safety_site(make_site)
    server = await serve_site(site_dir)
    os.symlink(site_dir.parent / "secret.txt", server.config.out_dir / "leak.txt")
    await server.restart()

    reply = await server.get("/leak.txt")

    assert reply.status == 404
    assert SECRET not in reply.text


async def test_trailing_slash_false_redirects_to_no_slash_keeping_the_query(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(safety_site(make_site))

    reply = await server.get("/about/?a=1&b=2")
    root = await server.get("/")

    assert (reply.status, reply.headers["Location"]) == (308, "/about?a=1&b=2")
    assert root.status == 200


async def test_trailing_slash_true_redirects_to_slash_but_not_files(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(safety_site(make_site, toml="trailing_slash = true\n"))

    bare = await server.get("/about?x=1")
    slashed = await server.get("/about/")
    file = await server.get("/robots.txt")

    assert (bare.status, bare.headers["Location"]) == (308, "/about/?x=1")
    assert (slashed.status, "about" in slashed.text) == (200, True)
    assert file.status == 200


async def test_unmatched_url_gets_the_404_page_with_noindex(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(safety_site(make_site))

    reply = await server.get("/no/such/page")

    assert reply.status == 404
    assert '<meta name="robots" content="noindex">' in reply.text
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert reply.body == (server.config.out_dir / "404.html").read_bytes()


async def test_manifest_redirects_answer_with_their_real_status(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(safety_site(make_site))

    temporary = await server.get("/old")
    permanent = await server.get("/moved")

    redirect = server.build.manifest.redirects["/old"]
    assert (redirect.location, redirect.status) == ("/about", 307)
    assert (temporary.status, temporary.headers["Location"]) == (307, "/about")
    assert (permanent.status, permanent.headers["Location"]) == (308, "/about")


async def test_unmatched_url_gets_the_not_found_page_of_its_deepest_folder(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/not-found.html": "<p>root missing</p>",
            "app/page.html": "home",
            "app/posts/layout.html": "<section class='posts'>{{ children }}</section>",
            "app/posts/not-found.html": "<p>no such post</p>",
            "app/posts/[slug]/page.html": "post {{ params.slug }}",
            "app/posts/[slug]/page.py": (
                "dynamic_params = False\n"
                "async def generate_static_params(params):\n"
                "    return [{'slug': 'a'}]\n"
            ),
            "app/[lang]/docs/not-found.html": "<p>no such doc</p>",
            "app/[lang]/docs/page.html": "docs {{ params.lang }}",
        }
    )
    server = await serve_site(site_dir)

    deep = await server.get("/posts/x/y")
    unlisted = await server.get("/posts/zzz")
    doc = await server.get("/fr/docs/missing")
    other = await server.get("/nope/x/y")

    assert (deep.status, unlisted.status, doc.status, other.status) == (404, 404, 404, 404)
    assert "no such post" in deep.text and "class='posts'" in deep.text
    assert '<meta name="robots" content="noindex">' in deep.text
    assert unlisted.body == deep.body
    assert "no such doc" in doc.text
    assert other.body == (server.config.out_dir / "404.html").read_bytes()
    assert "root missing" in other.text
