"""Route handlers as Next.js's: redirect(), not_found(), cookies and headers, form bodies,
search params, catch-all params and route groups.

Written from test/e2e/app-dir/app-routes/app-custom-routes.test.ts ("hooks":
redirect -> 307 with Location and an empty body, notFound -> 404 with an empty
body; "context": params for dynamic and catch-all segments; "route groups";
"can read query parameters") and the route handlers docs (cookies, headers,
request.formData()).
"""

from __future__ import annotations

from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, ServeSite

HOOKS = """
import ssg
from aiohttp import web

def GET(request, params):
    action = request.query.get("do")
    if action == "redirect":
        ssg.redirect("https://nextjs.org/")
    if action == "not-found":
        ssg.not_found()
    response = web.json_response({
        "params": params,
        "ping": request.query.get("ping"),
        "cookie": ssg.cookies().get("session"),
        "header": ssg.headers().get("x-ping"),
        "search": dict(ssg.search_params()),
    })
    response.set_cookie("visited", "yes", httponly=True)
    response.headers["X-Custom"] = "custom"
    return response

async def POST(request, params):
    form = await request.form()
    return {"name": form.get("name"), "tags": form.getall("tag")}
"""


def hooks_site(make_site: MakeSite):
    return make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/hooks/route.py": HOOKS,
            "app/basic/[tenant]/[...resource]/route.py": HOOKS,
            "app/(group)/basic/endpoint/nested/route.py": HOOKS,
        }
    )


async def test_redirect_in_a_route_handler_is_307_with_location_and_no_body(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(hooks_site(make_site))

    reply = await server.get("/hooks?do=redirect")

    assert (reply.status, reply.headers["Location"], reply.body) == (
        307,
        "https://nextjs.org/",
        b"",
    )


async def test_not_found_in_a_route_handler_is_404_with_no_body(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(hooks_site(make_site))

    reply = await server.get("/hooks?do=not-found")

    assert (reply.status, reply.body) == (404, b"")


async def test_a_handler_reads_cookies_headers_and_search_params_and_sets_them(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(hooks_site(make_site))

    reply = await server.get(
        "/hooks?ping=pong&x=1", headers={"Cookie": "session=abc", "X-Ping": "hdr"}
    )

    assert reply.status == 200
    assert reply.json() == {
        "params": {},
        "ping": "pong",
        "cookie": "abc",
        "header": "hdr",
        "search": {"ping": "pong", "x": "1"},
    }
    assert "visited=yes" in reply.headers["Set-Cookie"]
    assert reply.headers["X-Custom"] == "custom"


async def test_request_form_reads_urlencoded_and_multipart_bodies(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    import aiohttp

    server = await serve_site(hooks_site(make_site))
    multipart = aiohttp.FormData()
    multipart.add_field("name", "ann")
    multipart.add_field("tag", "a")
    multipart.add_field("tag", "b")

    encoded = await server.request("POST", "/hooks", data={"name": "bo", "tag": "x"})
    parts = await server.request("POST", "/hooks", data=multipart)

    assert encoded.json() == {"name": "bo", "tags": ["x"]}
    assert parts.json() == {"name": "ann", "tags": ["a", "b"]}


async def test_catch_all_params_of_a_route_handler_are_decoded_parts(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(hooks_site(make_site))

    reply = await server.get("/basic/vercel/some/other%2Fone/caf%C3%A9")

    assert reply.json()["params"] == {
        "tenant": "vercel",
        "resource": ["some", "other/one", "café"],
    }


async def test_a_route_handler_in_a_route_group_answers_without_the_group_in_the_url(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    server = await serve_site(hooks_site(make_site))

    reply = await server.get("/basic/endpoint/nested?ping=pong")

    assert (reply.status, reply.json()["ping"]) == (200, "pong")
