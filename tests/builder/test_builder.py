"""ssg build: output files, manifest, layouts, slots, errors, dynamic usage, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ssg.errors import (
    BuildError,
    DynamicUsageError,
    ExportError,
    FetchError,
    ModuleError,
    ModuleErrors,
    OutputConflictError,
    OutputDirError,
    PagesFailedError,
    PublicLinkError,
    SsgError,
    TemplateError,
)
from ssg.records import Manifest
from ssg.revalidate import Revalidate
from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.conftest import MakeSite

BASIC = {
    "app/layout.html": ROOT_LAYOUT,
    "app/page.html": "<h1>Home</h1>",
    "app/about/page.html": "<p>About</p>",
    "public/robots.txt": "User-agent: *\n",
    "public/img/logo.svg": "<svg/>",
}


@pytest.mark.parametrize(
    ("trailing_slash", "expected"),
    [(False, ["about.html", "index.html"]), (True, ["about/index.html", "index.html"])],
    ids=["no-trailing-slash", "trailing-slash"],
)
async def test_pages_are_written_per_trailing_slash(
    make_site: MakeSite, build: Build, trailing_slash: bool, expected: list[str]
) -> None:
    site = make_site({**BASIC, "ssg.toml": f"trailing_slash = {str(trailing_slash).lower()}\n"})
    await build(site)
    html = sorted(
        p.relative_to(site / "out").as_posix()
        for p in (site / "out").rglob("*.html")
        if p.name != "404.html"
    )
    assert html == expected
    assert (site / "out" / expected[0]).read_text().endswith("<p>About</p></body></html>")


async def test_public_files_are_copied_verbatim(make_site: MakeSite, build: Build) -> None:
    site = make_site(BASIC)
    await build(site)
    assert (site / "out/robots.txt").read_text() == "User-agent: *\n"
    assert (site / "out/img/logo.svg").read_text() == "<svg/>"


async def test_manifest_lists_routes_pages_and_generated_time(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/blog/[slug]/page.html": "{{ params.slug }}",
            "app/blog/[slug]/page.py": "revalidate = 60\n"
            "def generate_static_params(params):\n    return [{'slug': 'a'}]\n",
        }
    )
    result = await build(site)
    text = (site / "out/_ssg/manifest.json").read_text()
    manifest = Manifest.loads(text)
    assert manifest == result.manifest
    assert json.loads(text)["version"] == 2
    # One page per line: a rebuild's manifest diffs page by page.
    page_lines = [line for line in text.splitlines() if line.startswith('  "/')]
    from_lines = {}
    for line in page_lines:
        from_lines.update(json.loads("{" + line.rstrip(",") + "}"))
    assert from_lines == {url: page.to_json() for url, page in manifest.pages.items()}
    routes = {r.route_pattern: r for r in manifest.routes}
    assert routes["/blog/[slug]"].render == "isr"
    assert routes["/blog/[slug]"].revalidate == Revalidate.after(60)
    assert routes["/about"].render == "static"
    page = manifest.pages["/blog/a"]
    assert page.revalidate == Revalidate.after(60)
    assert page.output_file == "blog/a.html"
    assert page.generated_at == manifest.generated_at
    assert manifest.pages["/about"].revalidate == Revalidate.NEVER
    assert manifest.not_found_file == "404.html"


async def test_nested_and_group_layouts_wrap_pages_root_first(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/(shop)/layout.html": "<div class=shop>{{ children }}</div>",
            "app/(shop)/cart/layout.html": "<section>{{ children }}</section>",
            "app/(shop)/cart/page.html": "cart",
        }
    )
    await build(site)
    assert (
        (site / "out/cart.html")
        .read_text()
        .endswith("<body><div class=shop><section>cart</section></div></body></html>")
    )


async def test_metadata_merges_root_to_leaf_with_title_template(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/layout.py": "metadata = {'title': {'default': 'Site', 'template': '%s | Site'},"
            " 'description': 'root'}\n",
            "app/page.html": "{{ metadata.description }}",
            "app/post/page.html": "{{ metadata.description }}",
            "app/post/page.py": "async def generate_metadata(params):\n"
            "    return {'title': 'Post', 'description': 'leaf'}\n",
        }
    )
    await build(site)
    assert "<title>Site</title>" in (site / "out/index.html").read_text()
    post = (site / "out/post.html").read_text()
    assert "<title>Post | Site</title>" in post
    assert post.endswith("<body>leaf</body></html>")


async def test_slots_render_their_page_or_default(make_site: MakeSite, build: Build) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/dash/layout.html": "[{{ slots.team }}]{{ children }}",
            "app/dash/page.html": "main",
            "app/dash/settings/page.html": "settings",
            "app/dash/@team/page.html": "team-home",
            "app/dash/@team/default.html": "team-default",
        }
    )
    await build(site)
    assert (site / "out/dash.html").read_text().endswith("<body>[team-home]main</body></html>")
    assert (
        (site / "out/dash/settings.html")
        .read_text()
        .endswith("<body>[team-default]settings</body></html>")
    )


async def test_markdown_page_body_never_goes_through_jinja(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/about/page.md": "---\ntitle: About us\n---\n# Hi {{ name }}\n\n*x* {% raw %}\n",
        }
    )
    await build(site)
    html = (site / "out/about.html").read_text()
    assert "<title>About us</title>" in html
    assert "{{ name }}" in html
    assert "{% raw %}" in html
    assert "<em>x</em>" in html


async def test_not_found_page_is_written_as_404_with_noindex(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site({**BASIC, "app/not-found.html": "<p>Nothing here</p>"})
    await build(site)
    html = (site / "out/404.html").read_text()
    assert "Nothing here" in html
    assert '<meta name="robots" content="noindex">' in html


async def test_default_404_has_noindex_without_a_not_found_file(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(BASIC)
    await build(site)
    assert '<meta name="robots" content="noindex">' in (site / "out/404.html").read_text()


async def test_not_found_call_writes_no_page(make_site: MakeSite, build: Build) -> None:
    site = make_site(
        {
            **BASIC,
            "app/blog/[slug]/page.html": "post",
            "app/blog/[slug]/page.py": "import ssg.render.api as api\n"
            "def generate_static_params(params):\n    return [{'slug': 'a'}, {'slug': 'gone'}]\n"
            "def load(params):\n"
            "    if params['slug'] == 'gone':\n        api.not_found()\n    return {}\n",
        }
    )
    result = await build(site)
    assert "/blog/gone" not in result.manifest.pages
    assert not (site / "out/blog/gone.html").exists()
    assert result.manifest.pages["/blog/a"].status == 200


async def test_redirect_writes_a_refresh_page_and_manifest_entry(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/old/page.html": "x",
            "app/old/page.py": "import ssg.render.api as api\n"
            "def load(params):\n    api.permanent_redirect('/about')\n",
        }
    )
    result = await build(site)
    redirects = result.manifest.redirects
    assert {url: (p.location, p.status) for url, p in redirects.items()} == {
        "/old": ("/about", 308)
    }
    assert 'http-equiv="refresh" content="0; url=/about"' in (site / "out/old.html").read_text()


async def test_template_error_names_the_template_file_and_line(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site({**BASIC, "app/about/page.html": "ok\n{{ missing.attr.deeper }}\n"})
    with pytest.raises(BuildError, match=r"app/about/page.html:2") as info:
        await build(site)
    assert info.value.route_pattern == "/about"
    assert (info.value.source_file, info.value.line) == ("app/about/page.html", 2)


async def test_template_syntax_error_names_file_and_line(make_site: MakeSite, build: Build) -> None:
    site = make_site({**BASIC, "app/about/page.html": "ok\n\n{% if %}\n"})
    with pytest.raises(SsgError, match=r"app/about/page.html:3: template syntax error"):
        await build(site)


async def test_template_error_keeps_structured_fields(make_site: MakeSite, build: Build) -> None:
    site = make_site({**BASIC, "app/about/page.html": "{% include 'nope.html' %}"})
    with pytest.raises(BuildError) as info:
        await build(site)
    cause = info.value.__cause__
    assert isinstance(cause, TemplateError)
    assert cause.template_file == "app/about/page.html"
    assert "'nope.html' not found" in str(info.value)


async def test_every_broken_module_is_reported_at_once(make_site: MakeSite, build: Build) -> None:
    site = make_site(
        {
            **BASIC,
            "app/page.py": "x = 1\nraise RuntimeError('boom')\n",
            "app/about/page.py": "revalidate = '60'\n",
        }
    )
    with pytest.raises(ModuleErrors) as info:
        await build(site)
    messages = [str(e) for e in info.value.errors]
    assert any("app/page.py:2: importing it raised RuntimeError: boom" in m for m in messages)
    assert any(
        "app/about/page.py: revalidate = '60': use a number of seconds" in m for m in messages
    )


async def test_failed_build_leaves_previous_output_intact(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site({**BASIC, "app/gone/page.html": "soon removed"})
    await build(site)
    before = {p: p.read_bytes() for p in (site / "out").rglob("*") if p.is_file()}
    # The next build changes a page, removes a route, adds a public file, then fails:
    # none of it may reach out/ (a build that wrote into out/ directly would show it).
    (site / "app/page.html").write_text("<h1>Changed</h1>")
    (site / "app/gone/page.html").unlink()
    (site / "public/new.txt").write_text("new")
    (site / "app/about/page.html").write_text("{{ broken(")
    with pytest.raises(SsgError):
        await build(site)
    after = {p: p.read_bytes() for p in (site / "out").rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in site.iterdir() if p.name.startswith(".out.")]


async def test_reading_cookies_makes_an_auto_route_dynamic(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/me/page.html": "hi",
            "app/me/page.py": "import ssg.render.api as api\n"
            "def load(params):\n    return {'c': api.cookies()}\n",
        }
    )
    result = await build(site)
    (row,) = [r for r in result.routes if r.route.route_pattern == "/me"]
    assert row.render == "dynamic"
    assert row.dynamic_reason == "cookies()"
    assert "/me" not in result.manifest.pages
    assert not (site / "out/me.html").exists()


async def test_dynamic_error_names_route_call_file_and_fix(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/x/page.html": "hi",
            "app/x/page.py": "import ssg.render.api as api\ndynamic = 'error'\n"
            "def load(params):\n    return {'c': api.cookies()}\n",
        }
    )
    with pytest.raises(BuildError) as info:
        await build(site)
    assert (
        "Route /x couldn't be rendered statically because it used cookies(). Set dynamic = "
        '"force-dynamic" in app/x/page.py to render it per request, or stop reading the request.'
    ) in str(info.value)
    assert isinstance(info.value.__cause__, DynamicUsageError)


async def test_force_static_reads_empty_request_values(make_site: MakeSite, build: Build) -> None:
    site = make_site(
        {
            **BASIC,
            "app/x/page.html": "[{{ c }}]",
            "app/x/page.py": "import ssg.render.api as api\ndynamic = 'force-static'\n"
            "def load(params):\n    return {'c': len(api.cookies()) + len(api.headers())}\n",
        }
    )
    await build(site)
    assert (site / "out/x.html").read_text().endswith("<body>[0]</body></html>")


async def test_dynamic_settings_are_inherited_from_layouts(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/admin/layout.html": "{{ children }}",
            "app/admin/layout.py": "dynamic = 'force-dynamic'\n",
            "app/admin/page.html": "admin",
        }
    )
    result = await build(site)
    (row,) = [r for r in result.routes if r.route.route_pattern == "/admin"]
    assert row.render == "dynamic"
    assert not (site / "out/admin.html").exists()


async def test_lowest_revalidate_of_layouts_and_page_wins(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/news/layout.html": "{{ children }}",
            "app/news/layout.py": "revalidate = 30\n",
            "app/news/page.html": "n",
            "app/news/page.py": "revalidate = 300\n",
        }
    )
    result = await build(site)
    assert result.manifest.pages["/news"].revalidate == Revalidate.after(30)


async def test_prerendered_route_handler_is_written_with_its_content_type(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/feed.xml/route.py": "from aiohttp import web\ndynamic = 'force-static'\n"
            "def GET(request, params):\n"
            "    return web.Response(text='<rss/>', content_type='application/rss+xml')\n",
            "app/api/live/route.py": "def GET(request, params):\n    return {'ok': True}\n",
        }
    )
    result = await build(site)
    assert (site / "out/feed.xml").read_text() == "<rss/>"
    assert result.manifest.pages["/feed.xml"].content_type.startswith("application/rss+xml")
    routes = {r.route_pattern: r for r in result.manifest.routes}
    assert routes["/api/live"].render == "dynamic"
    assert not (site / "out/api/live").exists()


async def test_route_handler_with_revalidate_false_is_prerendered_for_export(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/feed.xml/route.py": "revalidate = False\n"
            "def GET(request, params):\n"
            "    return '<rss/>'\n",
        }
    )

    await build(site, output="export")

    assert (site / "out/feed.xml").read_text() == "<rss/>"


async def test_prerendered_handler_returning_ssg_response_keeps_its_type_and_bytes(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/feed.xml/route.py": "import ssg\ndynamic = 'force-static'\n"
            "def GET(request, params):\n"
            "    return ssg.Response(text='<rss>é</rss>', content_type='application/rss+xml')\n",
            "app/logo.bin/route.py": "import ssg\ndynamic = 'force-static'\n"
            "def GET(request, params):\n"
            "    return ssg.Response(body=b'\\x00\\x01')\n",
        }
    )
    result = await build(site)
    pages = result.manifest.pages
    assert (site / "out/feed.xml").read_text(encoding="utf-8") == "<rss>é</rss>"
    assert pages["/feed.xml"].content_type == "application/rss+xml; charset=utf-8"
    assert (site / "out/logo.bin").read_bytes() == b"\x00\x01"
    assert pages["/logo.bin"].content_type == "application/octet-stream"


async def test_page_fetches_its_own_route_handler_in_process(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/api/posts/route.py": "revalidate = 120\n"
            "def GET(request, params):\n    return [{'title': 'A'}, {'title': 'B'}]\n",
            "app/posts/page.html": "{% for p in posts %}{{ p.title }}{% endfor %}",
            "app/posts/page.py": "import ssg.data.fetch as f\n"
            "async def load(params):\n"
            "    return {'posts': (await f.fetch('/api/posts')).json()}\n",
        }
    )
    result = await build(site)
    assert (site / "out/posts.html").read_text().endswith("<body>AB</body></html>")
    assert result.manifest.pages["/posts"].revalidate == Revalidate.after(120)


async def test_relative_fetch_without_a_route_names_page_url_and_closest(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/api/posts/route.py": "def GET(request, params):\n    return []\n",
            "app/list/page.html": "x",
            "app/list/page.py": "import ssg.data.fetch as f\n"
            "async def load(params):\n    await f.fetch('/api/post')\n    return {}\n",
        }
    )
    with pytest.raises(BuildError) as info:
        await build(site)
    message = str(info.value)
    assert "/list fetched '/api/post' at app/list/page.py:3" in message
    assert "closest route handler is /api/posts" in message
    cause = info.value.__cause__
    assert isinstance(cause, FetchError)
    assert (cause.source_file, cause.line) == ("app/list/page.py", 3)
    assert (cause.url, cause.closest_route) == ("/api/post", "/api/posts")


async def test_relative_fetch_without_a_route_names_the_site_helper_that_called_it(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/api/posts/route.py": "def GET(request, params):\n    return []\n",
            "app/list/page.html": "x",
            "app/list/page.py": "import feeds\n"
            "async def load(params):\n    return {'posts': await feeds.posts()}\n",
            "feeds.py": "import ssg\n\n\nasync def posts():\n"
            "    return (await ssg.fetch('/api/post')).json()\n",
        }
    )
    with pytest.raises(BuildError) as info:
        await build(site)
    assert "fetched '/api/post' at feeds.py:5" in str(info.value)


async def test_export_lists_every_route_that_needs_a_server(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "ssg.toml": 'output = "export"\n',
            "app/blog/[slug]/page.html": "x",
            "app/tags/[tag]/page.html": "x",
            "app/tags/[tag]/page.py": "def generate_static_params(params):\n    return []\n",
            "app/me/page.html": "x",
            "app/me/page.py": "import ssg.render.api as api\n"
            "def load(params):\n    return {'c': api.cookies()}\n",
            "app/api/x/route.py": "def POST(request, params):\n    return {}\n",
        }
    )
    await build(site, output="server")  # a previous, deployable build
    before = (site / "out/index.html").read_bytes()
    with pytest.raises(ExportError) as info:
        await build(site)
    text = "\n".join(info.value.problems)
    assert "/blog/[slug] (app/blog/[slug]/page.html): a dynamic route that has no " in text
    assert "/tags/[tag] (app/tags/[tag]/page.py): a dynamic route that returns []" in text
    assert "/me (app/me/page.py): reads the request (cookies())" in text
    assert "/api/x (app/api/x/route.py): a route handler that runs per request" in text
    assert len(info.value.problems) == 4
    assert (site / "out/index.html").read_bytes() == before


async def test_a_prerendered_handler_that_returns_nothing_fails_the_build(
    make_site: MakeSite, build: Build
) -> None:
    # A GET that forgot its return would leave an empty file, which a static host
    # serves as a 200 page: as Next.js ("No response is returned from route handler").
    site = make_site(
        {
            **BASIC,
            "app/api/[name]/route.py": 'dynamic = "force-static"\n'
            "def generate_static_params(params):\n"
            "    return [{'name': 'a.json'}, {'name': 'b.json'}, {'name': 'c.json'}]\n"
            "def GET(request, params):\n    data = {'name': params['name']}\n",
        }
    )
    with pytest.raises(PagesFailedError) as info:
        await build(site)
    assert (
        "/api/a.json, /api/b.json and 1 more page (route /api/[name]): app/api/[name]/route.py: "
        "GET returned None (a missing return?)"
    ) in str(info.value)
    assert "ssg.Response(status=204)" in str(info.value)
    assert not (site / "out").exists()


async def test_export_fails_a_prerendered_handler_that_answers_no_body(
    make_site: MakeSite, build: Build
) -> None:
    # ssg serve sends the 204 itself; a file host would serve an empty 200 page.
    site = make_site(
        {
            **BASIC,
            "app/api/[name]/route.py": 'import ssg\ndynamic = "force-static"\n'
            "def generate_static_params(params):\n"
            "    return [{'name': 'a.json'}, {'name': 'b.json'}]\n"
            "def GET(request, params):\n    return ssg.Response(status=204)\n",
        }
    )
    served = await build(site)
    assert served.manifest.pages["/api/a.json"].status == 204
    before = (site / "out/index.html").read_bytes()
    with pytest.raises(ExportError) as info:
        await build(site, output="export")
    assert info.value.problems == [
        "/api/[name] (app/api/[name]/route.py): GET answered 204, an empty answer for "
        "/api/a.json and 1 more, which a file host would serve as a 200 page; return the "
        "body (a dict or list, a str, bytes or an ssg.Response with status 200)"
    ]
    assert (site / "out/index.html").read_bytes() == before


async def test_theme_assets_are_fingerprinted(make_site: MakeSite, build: Build) -> None:
    site = make_site(
        {
            "app/layout.html": "<link href=\"{{ asset_url('style.css') }}\">{{ children }}",
            "app/page.html": "x",
        }
    )
    await build(site)
    html = (site / "out/index.html").read_text()
    href = html.split('href="')[1].split('"')[0]
    assert href.startswith("/_assets/style.") and href.endswith(".css")
    assert (site / "out" / href.lstrip("/")).is_file()


STRICT_SITE = {
    "app/layout.html": ROOT_LAYOUT,
    "app/page.html": "{{ n }}",
    "app/page.py": "import ssg\n"
    "def load(params):\n    return {'n': len(ssg.content.load_collection('posts'))}\n",
    "posts/a.md": "---\ntitle: A\ndate: 2024-13-45\n---\nBody\n",
}


async def test_content_problems_warn_and_the_post_is_still_built(
    make_site: MakeSite, build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(STRICT_SITE)
    await build(site)
    assert (site / "out/index.html").read_text() == (
        "<!doctype html><html><head><title></title></head><body>1</body></html>"
    )
    assert any("posts/a.md:3" in r.getMessage() for r in caplog.records)


async def test_strict_build_fails_on_content_problems(make_site: MakeSite) -> None:
    from ssg.builder.builder import build_site
    from ssg.config import load_config
    from ssg.errors import ContentError

    site = make_site(STRICT_SITE)
    with pytest.raises(BuildError, match=r"posts/a.md:3") as info:
        await build_site(load_config(site), strict=True)
    assert isinstance(info.value.__cause__, ContentError)
    assert not (site / "out").exists()


@pytest.mark.parametrize(
    "out",
    [".", "..", "app", "public/out", "elsewhere"],
    ids=["the-site", "holds-the-site", "app", "inside-public", "a-folder-of-other-files"],
)
async def test_refuses_an_output_folder_it_would_destroy(
    make_site: MakeSite, build: Build, out: str
) -> None:
    site = make_site({**BASIC, "elsewhere/notes.txt": "mine"})
    with pytest.raises(OutputDirError, match="choose another folder with --out") as info:
        await build(site, out_dir=site / out)
    assert info.value.out_dir == (site / out).resolve()
    assert (site / "app/layout.html").is_file()
    assert (site / "elsewhere/notes.txt").read_text() == "mine"


async def test_slot_pages_under_dynamic_folders_match_the_url(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/dash/layout.html": "[{{ slots.team }}]{{ children }}",
            "app/dash/page.html": "main",
            "app/dash/[id]/page.html": "item",
            "app/dash/[id]/page.py": "def generate_static_params(p):\n    return [{'id': '5'}]\n",
            "app/dash/@team/[id]/page.html": "team-{{ params.id }}",
            "app/dash/@team/default.html": "team-default",
        }
    )
    await build(site)
    assert (site / "out/dash/5.html").read_text().endswith("<body>[team-5]item</body></html>")
    assert (site / "out/dash.html").read_text().endswith("<body>[team-default]main</body></html>")


async def test_a_bug_in_ssg_keeps_its_traceback(
    make_site: MakeSite, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssg.render.renderer

    def broken(*args: object) -> str:
        raise AttributeError("internal bug")

    monkeypatch.setattr(ssg.render.renderer, "render_template", broken)
    site = make_site(BASIC)
    with pytest.raises(AttributeError, match="internal bug"):
        await build(site)


async def test_user_error_in_generate_static_params_names_file_and_line(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/[x]/page.html": "x",
            "app/[x]/page.py": "def generate_static_params(params):\n    return params['nope']\n",
        }
    )
    with pytest.raises(
        ModuleError, match=r"app/\[x\]/page.py:2: generate_static_params raised KeyError"
    ):
        await build(site)


async def test_broken_not_found_template_fails_the_build(make_site: MakeSite, build: Build) -> None:
    site = make_site({**BASIC, "app/not-found.html": "ok\n{{ 1 // 0 }}"})
    with pytest.raises(TemplateError, match=r"app/not-found.html:2"):
        await build(site)


async def test_noindex_is_added_to_a_404_without_head(make_site: MakeSite, build: Build) -> None:
    site = make_site(
        {"app/layout.html": "<html><body>{{ children }}</body></html>", "app/page.html": "x"}
    )
    await build(site)
    assert (
        (site / "out/404.html")
        .read_text()
        .startswith('<html><meta name="robots" content="noindex"><body>')
    )


async def test_generated_url_owned_by_a_more_specific_route_is_skipped(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/blog/hello/page.html": "STATIC",
            "app/blog/[slug]/page.html": "DYN {{ params.slug }}",
            "app/blog/[slug]/page.py": "def generate_static_params(p):\n"
            "    return [{'slug': 'hello'}, {'slug': 'x'}]\n",
        }
    )
    result = await build(site)
    assert result.manifest.pages["/blog/hello"].route_pattern == "/blog/hello"
    assert result.manifest.pages["/blog/x"].route_pattern == "/blog/[slug]"
    assert (site / "out/blog/hello.html").read_text().endswith("<body>STATIC</body></html>")


async def test_two_urls_writing_different_content_to_one_file_is_an_error(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/old/page.html": "page",
            "app/[...alias]/page.html": "x",
            "app/[...alias]/page.py": "def generate_static_params(p):\n"
            "    return [{'alias': ['old.html']}]\n",
        }
    )
    with pytest.raises(
        OutputConflictError, match=r"would both be written to old.html with different"
    ) as info:
        await build(site)
    assert info.value.output_file == "old.html"


async def test_two_urls_with_the_same_content_share_one_file(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/[...alias]/page.html": "x",
            "app/[...alias]/page.py": "import ssg\n"
            "def generate_static_params(p):\n"
            "    return [{'alias': ['old.html']}, {'alias': ['old']}]\n"
            "def load(p):\n    ssg.permanent_redirect('/about')\n",
        }
    )
    result = await build(site)
    assert result.manifest.redirects["/old"].location == "/about"
    assert result.manifest.redirects["/old.html"].location == "/about"


async def test_public_file_may_not_replace_a_page(make_site: MakeSite, build: Build) -> None:
    site = make_site({**BASIC, "public/about.html": "PUBLIC"})
    with pytest.raises(
        OutputConflictError, match=r"public/about.html would replace the page /about"
    ) as info:
        await build(site)
    assert (info.value.output_file, info.value.url_path) == ("about.html", "/about")


async def test_public_dotfiles_are_copied(make_site: MakeSite, build: Build) -> None:
    site = make_site({**BASIC, "public/.nojekyll": "", "public/.well-known/security.txt": "x"})
    await build(site)
    assert (site / "out/.nojekyll").is_file()
    assert (site / "out/.well-known/security.txt").read_text() == "x"


async def test_public_links_outside_the_site_fail_the_build_naming_each_link(
    make_site: MakeSite, build: Build, tmp_path: Path
) -> None:
    site = make_site(BASIC)
    await build(site)
    secret = tmp_path / "secret.txt"
    secret.write_text("PRIVATE")
    (site / "public/leak.txt").symlink_to(secret)
    (site / "public/img/up").symlink_to(tmp_path)

    with pytest.raises(PublicLinkError, match=r"public/leak.txt -> .*secret.txt") as caught:
        await build(site)

    assert [link.name for link, _target in caught.value.links] == ["up", "leak.txt"]
    assert "cp --dereference" in str(caught.value)
    assert not (site / "out/leak.txt").exists()  # the previous build is kept
    assert (site / "out/robots.txt").is_file()


async def test_public_links_inside_the_site_are_copied(make_site: MakeSite, build: Build) -> None:
    site = make_site({**BASIC, "content/shared.txt": "shared"})
    (site / "public/shared.txt").symlink_to(site / "content/shared.txt")

    await build(site)

    assert (site / "out/shared.txt").read_text() == "shared"


async def test_layout_params_alone_leave_deeper_segments_on_demand(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/shop/[cat]/layout.html": "{{ children }}",
            "app/shop/[cat]/layout.py": "def generate_static_params(p):\n"
            "    return [{'cat': 'tea'}]\n",
            "app/shop/[cat]/page.html": "cat",
            "app/shop/[cat]/[item]/page.html": "item",
        }
    )
    result = await build(site)
    assert "/shop/tea" in result.manifest.pages
    (row,) = [r for r in result.routes if r.route.route_pattern == "/shop/[cat]/[item]"]
    assert row.params_count is None and row.url_paths == []


async def test_a_static_slot_page_wins_over_a_dynamic_one(
    make_site: MakeSite, build: Build
) -> None:
    """As routes: `@team/settings` beats `@team/[id]` for /dash/settings, `[id]` takes the rest."""
    site_dir = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/dash/layout.html": "{{ children }}|{{ slots.team }}",
            "app/dash/page.html": "dash",
            "app/dash/settings/page.html": "settings",
            "app/dash/[id]/page.html": "item",
            "app/dash/@team/[id]/page.html": "team {{ params.id }}",
            "app/dash/@team/settings/page.html": "team settings",
            "app/dash/@team/default.html": "team default",
            "app/dash/[id]/page.py": "def generate_static_params(params):\n    return [{'id': '7'}]\n",
        }
    )
    await build(site_dir)
    out = site_dir / "out"
    assert "settings|team settings" in (out / "dash/settings.html").read_text()
    assert "item|team" in (out / "dash/7.html").read_text()
    assert "dash|team default" in (out / "dash.html").read_text()


async def test_a_route_handler_returning_an_unsendable_value_names_its_file(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **BASIC,
            "app/feed.json/route.py": 'dynamic = "force-static"\n'
            "def GET(request, params):\n    return {1}\n",
        }
    )
    with pytest.raises(
        BuildError, match=r"route.py: GET returned set; return an ssg.Response"
    ) as info:
        await build(site)
    assert info.value.route_pattern == "/feed.json"
    assert info.value.source_file is not None
    assert info.value.source_file.endswith("app/feed.json/route.py")
