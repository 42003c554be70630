"""base_path (Next.js basePath): every URL ssg makes carries the prefix; out/ keeps its paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssg.base_path import absolute_url, with_base_path
from ssg.builder.builder import build_site
from ssg.config import load_config
from ssg.content.markdown import prefix_root_links, render_markdown
from tests.conftest import MakeSite


@pytest.mark.parametrize(
    ("url", "base_path", "trailing_slash", "result"),
    [
        ("/blog/a?x=1#c", "/docs", False, "/docs/blog/a?x=1#c"),
        ("/blog/a?x=1#c", "/docs", True, "/docs/blog/a/?x=1#c"),
        ("/blog/a/", "", False, "/blog/a"),
        ("/blog/a", "", True, "/blog/a/"),
        ("/feed.xml", "/docs", True, "/docs/feed.xml"),
        ("/feed.xml/", "", True, "/feed.xml"),
        ("/tags/machine learning", "", False, "/tags/machine%20learning"),
        ("/tags/café", "/docs", False, "/docs/tags/caf%C3%A9"),
        ("/tags/c%2B%2B", "", False, "/tags/c%2B%2B"),
        ("/", "/docs", False, "/docs"),
        ("/", "/docs", True, "/docs/"),
        ("/#top", "/docs", True, "/docs/#top"),
        ("/?q=1", "/docs", False, "/docs?q=1"),
        ("/blog/a", "", False, "/blog/a"),
        ("https://x.org/a", "/docs", False, "https://x.org/a"),
        ("//x.org/a", "/docs", False, "//x.org/a"),
        ("a.png", "/docs", False, "a.png"),
        ("#top", "/docs", False, "#top"),
    ],
)
def test_with_base_path(url: str, base_path: str, trailing_slash: bool, result: str) -> None:
    assert with_base_path(url, base_path, trailing_slash=trailing_slash) == result


@pytest.mark.parametrize(
    ("url", "origin", "trailing_slash", "result"),
    [
        ("/blog/café", "https://x.org", False, "https://x.org/blog/caf%C3%A9"),
        ("/blog/caf%C3%A9", "https://x.org", False, "https://x.org/blog/caf%C3%A9"),
        ("/100%25", "https://x.org", False, "https://x.org/100%25"),
        ("about", "https://x.org/d", False, "https://x.org/d/about"),
        ("/about", "https://x.org/d", True, "https://x.org/d/about/"),
        ("/about/", "https://x.org/d", True, "https://x.org/d/about/"),
        ("/about/", "https://x.org/d", False, "https://x.org/d/about"),
        ("/feed.xml", "https://x.org", True, "https://x.org/feed.xml"),
        ("/", "https://x.org/d", False, "https://x.org/d/"),
        ("/", "https://x.org/d", True, "https://x.org/d/"),
        ("/blog/a?x=1#c", "https://x.org", True, "https://x.org/blog/a/?x=1#c"),
        ("https://y.org/a", "https://x.org", True, "https://y.org/a"),
        ("mailto:a@x.org", "https://x.org", False, "mailto:a@x.org"),
        ("//cdn.y.org/a.png", "https://x.org", False, "https://cdn.y.org/a.png"),
        ("/blog/a", "", True, "/blog/a/"),
    ],
)
def test_absolute_url(url: str, origin: str, trailing_slash: bool, result: str) -> None:
    assert absolute_url(url, origin, trailing_slash=trailing_slash) == result


def test_markdown_root_relative_links_and_images_get_the_prefix() -> None:
    html = render_markdown(
        "[post](/blog/y) [rel](y) [out](https://x.org/) ![i](/img/a.png)\n\n"
        '<a class="x" href="/raw">raw</a>\n\n<script src="/s.js"></script>\n\n'
        '```html\n<a href="/code">\n```\n',
        base_path="/docs",
    ).html
    assert 'href="/docs/blog/y"' in html and 'src="/docs/img/a.png"' in html
    assert 'href="y"' in html and 'href="https://x.org/"' in html
    assert 'href="/docs/raw"' in html and 'src="/docs/s.js"' in html
    assert "/docs/code" not in html  # code is text, not a link
    assert prefix_root_links('<a href="/a">', "") == '<a href="/a">'


def test_a_markdown_link_to_the_home_page_is_the_bare_base_path_as_url_gives_it() -> None:
    # "/docs/" would cost every click a 308 to "/docs" without trailing slashes.
    html = render_markdown("[home](/) [top](/#top) [q](/?q=1)\n", base_path="/docs").html
    assert 'href="/docs"' in html and 'href="/docs#top"' in html and 'href="/docs?q=1"' in html
    assert 'href="/docs/"' not in html


def test_with_trailing_slash_markdown_page_links_take_the_sites_form() -> None:
    # As url() gives them: a click costs no redirect; files keep their form.
    html = render_markdown(
        "[post](/blog/y) [part](/blog/y#c) [q](/s?q=1) [home](/) [feed](/feed.xml) "
        "![i](/img/a) [out](https://x.org/a) [rel](y)\n\n<a href='/raw'>raw</a>\n",
        base_path="/docs",
        trailing_slash=True,
    ).html
    assert 'href="/docs/blog/y/"' in html and 'href="/docs/blog/y/#c"' in html
    assert 'href="/docs/s/?q=1"' in html and 'href="/docs/"' in html
    assert 'href="/docs/feed.xml"' in html and 'src="/docs/img/a"' in html
    assert 'href="https://x.org/a"' in html and 'href="y"' in html
    assert "href='/docs/raw/'" in html


@pytest.mark.parametrize(
    ("base_url", "base_path", "site_url"),
    [
        ("https://x.org", "", "https://x.org"),
        ("https://x.org", "/docs", "https://x.org/docs"),
        ("https://x.org/docs", "/docs", "https://x.org/docs"),
        ("", "/docs", ""),
    ],
)
def test_site_config_base_url_includes_the_base_path(
    make_site: MakeSite, base_url: str, base_path: str, site_url: str
) -> None:
    site = make_site({"app/layout.html": "{{ children }}"})
    config = load_config(site, base_url=base_url, base_path=base_path, environ={})
    assert config.site_url == site_url
    assert config.template_values()["base_url"] == site_url
    assert config.template_values()["base_path"] == base_path


def test_ssg_base_path_overrides_the_file(make_site: MakeSite) -> None:
    site = make_site({"app/layout.html": "{{ children }}", "ssg.toml": 'base_path = "/a"\n'})
    assert load_config(site, environ={"SSG_BASE_PATH": "/b"}).base_path == "/b"
    assert load_config(site, base_path="/c", environ={"SSG_BASE_PATH": "/b"}).base_path == "/c"


SITE = {
    "ssg.toml": 'base_url = "https://x.org"\nbase_path = "/repo"\ntitle = "T"\n'
    'nav = [{ title = "About", url = "/about" }]\n',
    "app/layout.html": '{% extends "theme/base.html" %}',
    "app/page.html": '<a id="t" href="{{ url(\'/about\') }}">about</a>'
    "<img src=\"{{ url('/logo.png') }}\">",
    "app/about/page.md": "---\ntitle: About\n---\n[home](/) ![logo](/logo.png)\n",
    "app/old/page.py": "import ssg\ndef load(params):\n    ssg.permanent_redirect('/about')\n",
    "app/old/page.html": "never",
    "app/feed.xml/route.py": (
        'import ssg\ndynamic = "force-static"\n'
        "def GET(request, params):\n"
        "    return ssg.site_config()['base_url'] + '/about'\n"
    ),
    "app/not-found.html": "<a href=\"{{ url('/') }}\">home</a>",
    "public/logo.png": "png",
}


async def test_a_build_under_a_base_path_prefixes_every_url_and_keeps_out_paths(
    make_site: MakeSite,
) -> None:
    site = make_site(SITE)
    result = await build_site(load_config(site, environ={}))
    out = site / "out"
    home = (out / "index.html").read_text()
    assert 'href="/repo/about"' in home and 'src="/repo/logo.png"' in home
    assert 'href="/repo/_assets/style.' in home  # theme assets
    assert 'href="/repo/feed.xml"' in home and 'href="/repo"' in home  # feed link, home link
    assert '<link rel="canonical" href="https://x.org/repo/">' in home
    about = (out / "about.html").read_text()
    assert 'href="/repo"' in about and 'src="/repo/logo.png"' in about  # Markdown body
    assert (out / "feed.xml").read_text() == "https://x.org/repo/about"
    assert result.manifest.redirects["/old"].location == "/repo/about"
    assert 'url=/repo/about"' in (out / "old.html").read_text()
    assert (out / "_redirects").read_text().startswith("/repo/old /repo/about 308")
    assert (out / "_headers").read_text().startswith("/repo/_assets/*")
    assert 'href="/repo"' in (out / "404.html").read_text()
    assert (out / "logo.png").is_file() and not (out / "repo").exists()
    assert result.broken_links == []


async def test_with_trailing_slash_links_and_redirects_take_the_sites_form(
    make_site: MakeSite,
) -> None:
    # A link without the slash would cost every click a redirect (as Next.js <Link>
    # with trailingSlash: normalizePathTrailingSlash).
    site = make_site(
        {
            **SITE,
            "ssg.toml": SITE["ssg.toml"].replace(
                'title = "T"', 'title = "T"\ntrailing_slash = true'
            ),
            "app/sitemap.xml/route.py": 'import ssg\ndynamic = "force-static"\n'
            "def GET(request, params):\n    return ssg.sitemap()\n",
            "posts/p.md": "---\ntitle: P\n---\nSee [about](/about).\n",
            "app/p/page.py": "from ssg.content import load_collection\n"
            "def load(params):\n    return {'post': load_collection('posts')[0]}\n",
            "app/p/page.html": "{{ post.html }}",
        }
    )
    result = await build_site(load_config(site, environ={}))
    home = (site / "out" / "index.html").read_text()
    assert 'id="t" href="/repo/about/"' in home and 'src="/repo/logo.png"' in home
    assert 'href="/repo/feed.xml"' in home and 'href="/repo/"' in home
    # Absolute URLs (canonical, og:url, sitemap) name the page's own form, not a redirect.
    about = (site / "out" / "about" / "index.html").read_text()
    assert '<link rel="canonical" href="https://x.org/repo/about/">' in about
    assert '<meta property="og:url" content="https://x.org/repo/about/">' in about
    assert 'See <a href="/repo/about/">about</a>' in (site / "out/p/index.html").read_text()
    sitemap = (site / "out" / "sitemap.xml").read_text()
    assert "<loc>https://x.org/repo/about/</loc>" in sitemap
    assert "<loc>https://x.org/repo/</loc>" in sitemap
    assert result.manifest.redirects["/old"].location == "/repo/about/"
    assert result.broken_links == []


async def test_a_link_that_forgets_the_base_path_is_reported(make_site: MakeSite) -> None:
    site = make_site({**SITE, "app/page.html": '<a href="/about">about</a>'})
    result = await build_site(load_config(site, environ={}))
    assert [(b.page, b.link) for b in result.broken_links] == [("/", "/about")]
    assert "outside the base path /repo" in result.broken_links[0].reason


def test_build_command_takes_base_path(make_site: MakeSite, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ssg.cli import cli

    site = make_site({**SITE, "ssg.toml": 'title = "T"\n'})
    outcome = CliRunner().invoke(cli, ["build", str(site), "--base-path", "/x"])
    assert outcome.exit_code == 0, outcome.output
    assert 'href="/x/about"' in (site / "out" / "index.html").read_text()


@pytest.mark.parametrize(
    ("files", "args", "env", "lines"),
    [
        pytest.param(
            {},
            ["--base-path", "nope"],
            {},
            [
                "Error: 1 problem in the config:",
                """  - base_path = 'nope' must start with "/" (from the command line's """
                """--base-path): write it as "/nope" (as Next.js's basePath: "" for none, """
                """or a path such as "/repo")""",
            ],
            id="flag",
        ),
        pytest.param(
            {"ssg.toml": 'title = "T"\n\nbase_path = "/docs/"\n'},
            [],
            {},
            [
                "ssg.toml: 1 problem in the config:",
                """  - line 3: base_path = '/docs/' must not end with "/": write it as "/docs" """
                """(as Next.js's basePath: "" for none, or a path such as "/repo")""",
            ],
            id="ssg-toml",
        ),
        pytest.param(
            {},
            [],
            {"SSG_BASE_PATH": "docs"},
            [
                "Error: 1 problem in the config:",
                """  - base_path = 'docs' must start with "/" (from the environment variable """
                """SSG_BASE_PATH): write it as "/docs" (as Next.js's basePath: "" for none, """
                """or a path such as "/repo")""",
            ],
            id="environment",
        ),
    ],
)
def test_a_base_path_not_in_next_js_form_fails_the_build_naming_where_it_came_from(
    make_site: MakeSite,
    files: dict[str, str],
    args: list[str],
    env: dict[str, str],
    lines: list[str],
) -> None:
    from click.testing import CliRunner

    from ssg.cli import cli

    site = make_site({**SITE, **files})
    outcome = CliRunner(env={"SSG_BASE_PATH": None, **env}).invoke(cli, ["build", str(site), *args])
    assert outcome.exit_code == 1
    printed = outcome.stderr.splitlines()
    assert printed[0].endswith(lines[0]) and printed[1:] == lines[1:]
    assert "Traceback" not in outcome.output
    assert not (site / "out").exists()
