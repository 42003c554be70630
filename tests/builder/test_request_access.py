"""Reading the request where there is none: generate_static_params and prerendered handlers."""

from __future__ import annotations

import pytest

from ssg.errors import BuildError, DynamicUsageError, ExportError
from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.conftest import MakeSite


async def test_request_api_in_generate_static_params_names_the_file(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/[x]/page.html": "x",
            "app/[x]/page.py": "import ssg\n"
            "def generate_static_params(params):\n"
            "    ssg.headers()\n    return [{'x': 'a'}]\n",
        }
    )
    with pytest.raises(DynamicUsageError) as info:
        await build(site)
    assert str(info.value).startswith(
        "generate_static_params in app/[x]/page.py used headers(), but it runs at build time only"
    )
    assert info.value.source_file == "app/[x]/page.py"


async def test_prerendered_handler_reading_the_request_turns_dynamic(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/ua/route.py": "revalidate = 60\n"
            "def GET(request, params):\n    return {'ua': request.headers.get('User-Agent')}\n",
        }
    )
    result = await build(site)
    (row,) = [r for r in result.routes if r.route.route_pattern == "/ua"]
    assert row.render == "dynamic"
    assert row.dynamic_reason == "request.headers"
    assert not (site / "out/ua").exists()


async def test_force_static_handler_reads_an_empty_request(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/q/route.py": "dynamic = 'force-static'\n"
            "def GET(request, params):\n"
            "    return {'q': dict(request.query), 'c': request.cookies}\n",
        }
    )
    await build(site)
    assert (site / "out/q").read_text() == '{"q": {}, "c": {}}'


async def test_export_rejects_a_static_handler_that_also_answers_post(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "ssg.toml": 'output = "export"\n',
            "app/layout.html": ROOT_LAYOUT,
            "app/feed.xml/route.py": "dynamic = 'force-static'\n"
            "def GET(request, params):\n    return '<rss/>'\n"
            "def POST(request, params):\n    return {}\n",
        }
    )
    with pytest.raises(ExportError) as info:
        await build(site)
    assert info.value.problems == [
        "/feed.xml (app/feed.xml/route.py): also answers POST, which needs a server; "
        "remove those functions or deploy with ssg serve"
    ]


IN_PROCESS = {
    "app/layout.html": ROOT_LAYOUT,
    "app/api/go/route.py": "import ssg\ndef GET(request, params):\n    ssg.redirect('/there')\n",
    "app/api/only-get/route.py": "def GET(request, params):\n    return {'ok': True}\n",
    "app/p/page.html": "{{ r }}",
}


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("ssg.fetch('/api/go')", "307 /there"),
        ("ssg.fetch('/api/only-get', method='DELETE')", "405 GET, HEAD, OPTIONS"),
        ("ssg.fetch('/api/only-get', method='OPTIONS')", "204 GET, HEAD, OPTIONS"),
        ("ssg.fetch('/api/only-get', method='HEAD')", "200 0"),
    ],
    ids=["redirect-location", "405-allow", "options-204", "head-no-body"],
)
async def test_in_process_fetch_answers_like_the_server(
    make_site: MakeSite, build: Build, call: str, expected: str
) -> None:
    site = make_site(
        {
            **IN_PROCESS,
            "app/p/page.py": "import ssg\nasync def load(params):\n"
            f"    r = await {call}\n"
            "    extra = r.headers.get('Location') or r.headers.get('Allow') or len(r.body)\n"
            "    return {'r': f'{r.status} {extra}'}\n",
        }
    )
    await build(site)
    assert (site / "out/p.html").read_text().endswith(f"<body>{expected}</body></html>")


async def test_no_route_error_names_the_page_once(make_site: MakeSite, build: Build) -> None:
    site = make_site(
        {
            **IN_PROCESS,
            "app/p/page.py": "import ssg\nasync def load(params):\n"
            "    await ssg.fetch('/api/nothing-like-it')\n",
        }
    )
    with pytest.raises(BuildError) as info:
        await build(site)
    assert str(info.value).startswith(
        "/p fetched '/api/nothing-like-it' at app/p/page.py:3, but no route"
    )
    assert "(/p)" not in str(info.value) and "(route /p)" not in str(info.value)
