"""Error boundaries sit above the segment that failed, as Next.js.

Written from the Next.js docs "Error Handling" ("Handling Errors in Layouts":
error.js does not catch errors thrown in the layout of the same segment) and
"global-error.js", and test/e2e/app-dir/global-error (a root layout failure
renders global-error with its own <html> and <body>).
"""

from __future__ import annotations

from tests.conftest import MakeSite
from tests.server.conftest import ServeSite

ROOT = "<html><head><title>t</title></head><body><main id=root>{{ children }}</main></body></html>"
DASH_LAYOUT = "<section id=dash>{{ children }}</section>"
FAIL = "dynamic = 'force-dynamic'\n\ndef load(params):\n    raise RuntimeError('boom')\n"
DYNAMIC = "dynamic = 'force-dynamic'\n"


def dash_site(make_site: MakeSite, extra: dict[str, str]) -> dict[str, str]:
    files = {
        "app/layout.html": ROOT,
        "app/page.html": "home",
        "app/error.html": "<p id=root-error>root error: {{ error }}</p>",
        "app/not-found.html": "<p id=root-404>root not found</p>",
        "app/dash/layout.html": DASH_LAYOUT,
        "app/dash/error.html": "<p id=dash-error>dash error</p>",
        "app/dash/not-found.html": "<p id=dash-404>dash not found</p>",
        "app/dash/page.html": "dash page",
        "app/dash/page.py": DYNAMIC,
    }
    files.update(extra)
    return files


async def test_page_error_is_caught_by_its_own_folders_error_html_inside_its_layout(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(make_site(dash_site(make_site, {"app/dash/page.py": FAIL})))

    reply = await server.get("/dash")

    assert reply.status == 500
    assert "<main id=root><section id=dash><p id=dash-error>dash error</p></section>" in reply.text


async def test_layout_module_error_is_caught_by_the_parent_error_html_outside_that_layout(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site = make_site(dash_site(make_site, {"app/dash/layout.py": FAIL}))
    server = await serve_site(site)

    reply = await server.get("/dash")

    assert reply.status == 500
    assert "<main id=root><p id=root-error>root error: Internal Server Error</p></main>" in (
        reply.text
    )
    assert "id=dash" not in reply.text


async def test_layout_template_error_is_caught_by_the_parent_error_html(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    broken = "<section id=dash>{{ 1 // 0 }}{{ children }}</section>"
    server = await serve_site(make_site(dash_site(make_site, {"app/dash/layout.html": broken})))

    reply = await server.get("/dash")

    assert reply.status == 500
    assert "<main id=root><p id=root-error>" in reply.text
    assert "dash-error" not in reply.text and "id=dash>" not in reply.text


async def test_root_layout_error_without_global_error_is_a_complete_built_in_page(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site = make_site(dash_site(make_site, {"app/layout.py": FAIL}))
    server = await serve_site(site)

    reply = await server.get("/dash")

    assert reply.status == 500
    assert reply.text.startswith("<!doctype html><html")
    assert "<body>" in reply.text and reply.text.endswith("</body></html>")
    # app/error.html sits inside the root layout, so it cannot catch the root layout's error.
    assert "root-error" not in reply.text and "id=root" not in reply.text


async def test_root_layout_error_renders_global_error_html_instead_of_the_root_layout(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    global_error = (
        "<html><body><h2 id=global>Something broke ({{ error.digest }})</h2></body></html>"
    )
    site = make_site(
        dash_site(make_site, {"app/layout.py": FAIL, "app/global-error.html": global_error})
    )
    server = await serve_site(site)

    reply = await server.get("/dash")

    assert reply.status == 500
    assert "<body><h2 id=global>Something broke (" in reply.text
    assert "id=root" not in reply.text


async def test_global_error_html_is_not_used_when_only_a_page_fails(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    global_error = "<html><body><h2 id=global>global</h2></body></html>"
    site = make_site(
        dash_site(make_site, {"app/dash/page.py": FAIL, "app/global-error.html": global_error})
    )
    server = await serve_site(site)

    reply = await server.get("/dash")

    assert "id=global" not in reply.text and "id=dash-error" in reply.text


async def test_not_found_in_a_layout_renders_the_parent_not_found_outside_that_layout(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    layout_py = (
        "import ssg\n\ndynamic = 'force-dynamic'\n\ndef load(params):\n    ssg.not_found()\n"
    )
    server = await serve_site(make_site(dash_site(make_site, {"app/dash/layout.py": layout_py})))

    reply = await server.get("/dash")

    assert reply.status == 404
    assert "<main id=root><p id=root-404>root not found</p></main>" in reply.text
    assert "dash-404" not in reply.text and "id=dash>" not in reply.text


async def test_not_found_in_a_page_renders_its_own_folders_not_found_inside_its_layout(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    page_py = "import ssg\n\ndynamic = 'force-dynamic'\n\ndef load(params):\n    ssg.not_found()\n"
    server = await serve_site(make_site(dash_site(make_site, {"app/dash/page.py": page_py})))

    reply = await server.get("/dash")

    assert reply.status == 404
    assert "<section id=dash><p id=dash-404>dash not found</p></section>" in reply.text


async def test_not_found_in_the_root_layout_is_a_complete_page(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    layout_py = (
        "import ssg\n\ndynamic = 'force-dynamic'\n\ndef load(params):\n    ssg.not_found()\n"
    )
    server = await serve_site(make_site(dash_site(make_site, {"app/layout.py": layout_py})))

    reply = await server.get("/dash")

    assert reply.status == 404
    assert "<html" in reply.text and reply.text.rstrip().endswith("</html>")
    assert "<main id=root>" not in reply.text and "root-404" not in reply.text


async def test_not_found_in_a_static_layout_writes_no_page_and_serves_the_parent_not_found(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    layout_py = "import ssg\n\ndef load(params):\n    ssg.not_found()\n"
    files = dash_site(make_site, {"app/dash/layout.py": layout_py})
    files["app/dash/page.py"] = "revalidate = 60\n"
    site = make_site(files)
    server = await serve_site(site)

    reply = await server.get("/dash")

    assert not (site / "out/dash.html").exists()
    assert reply.status == 404
    assert "<main id=root><p id=root-404>root not found</p></main>" in reply.text
    assert "dash-404" not in reply.text
