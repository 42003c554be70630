"""`ssg dev` reloads only the open pages an edit touched (by what each page's render read).

Two or three real event-stream clients, each on its own page, as the injected
script opens them (`?path=`). That a client was *not* told to reload is shown by
the next event it gets: a later edit every page depends on (the layout), whose
reload every client receives with the same event id.
"""

from __future__ import annotations

import aiohttp

from tests.conftest import MakeSite
from tests.dev.conftest import (
    DevServer,
    EventStream,
    events_query,
    open_events,
    open_page,
    start_dev,
)

LAYOUT = "<html><head><title>t</title></head><body>{{ children }}</body></html>"
LIST_PY = """
from ssg.content import load_collection

def load(params):
    return {"posts": load_collection("posts")}
"""
POST_PY = """
import ssg
from ssg.content import load_collection

def generate_static_params():
    return [{"slug": post.slug} for post in load_collection("posts")]

def load(params):
    post = load_collection("posts").get(params["slug"])
    if post is None:
        ssg.not_found()
    return {"post": post}
"""
SITE = {
    "app/layout.html": LAYOUT,
    "app/page.py": LIST_PY,
    "app/page.html": "{% for post in posts %}<li>{{ post.title }}</li>{% endfor %}",
    "app/blog/[slug]/page.py": POST_PY,
    "app/blog/[slug]/page.html": "<h1>{{ post.title }}</h1>{{ post.html }}",
    "posts/a.md": "---\ntitle: Alpha\n---\nbody one\n",
    "posts/b.md": "---\ntitle: Beta\n---\nbody two\n",
}


async def _layout_edit_reaches_all(site_layout: str, *streams: EventStream) -> str:
    """Edit the layout (every page reads it); every stream's next event is its one reload."""
    with open(site_layout, "a", encoding="utf-8") as file:
        file.write("<!-- marker -->")
    ids = set()
    for stream in streams:
        event = await stream.next()
        assert event is not None and event.event == "reload"
        ids.add(event.id)
    assert len(ids) == 1, ids  # the same publish: none had an earlier reload queued
    return ids.pop()


async def test_a_post_body_edit_reloads_only_that_posts_page(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site(SITE)
    server = await start_dev(site)
    dev_server.append(server)
    async with (
        aiohttp.ClientSession() as session,
        open_page(session, server.url, "/blog/a") as (body_a, on_a),
        open_page(session, server.url, "/blog/b") as (_, on_b),
        open_page(session, server.url, "/") as (_, on_index),
    ):
        assert "body one" in body_a
        await server.wait_for_line("Watching posts (content the site reads)")
        mark = len(server.lines)
        (site / "posts" / "a.md").write_text("---\ntitle: Alpha\n---\nbody edited\n")
        told = await on_a.next()
        assert told is not None and told.event == "reload"
        await server.wait_for_line("posts/a.md changed, 1 page reloaded", start=mark)
        marker = await _layout_edit_reaches_all(str(site / "app/layout.html"), on_a, on_b, on_index)
        assert marker != told.id
        await server.wait_for_line("app/layout.html changed, 3 pages reloaded", start=mark)
        async with session.get(server.url + "/blog/a") as response:
            assert "body edited" in await response.text()


async def test_a_title_edit_reloads_the_post_and_the_list_showing_it(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site(SITE)
    server = await start_dev(site)
    dev_server.append(server)
    async with (
        aiohttp.ClientSession() as session,
        open_page(session, server.url, "/blog/a") as (_, on_a),
        open_page(session, server.url, "/blog/b") as (_, on_b),
        open_page(session, server.url, "/") as (_, on_index),
    ):
        await server.wait_for_line("Watching posts (content the site reads)")
        mark = len(server.lines)
        (site / "posts" / "a.md").write_text("---\ntitle: Alpha, renamed\n---\nbody one\n")
        for stream in (on_a, on_index):
            told = await stream.next()
            assert told is not None and told.event == "reload"
        await server.wait_for_line("posts/a.md changed, 2 pages reloaded", start=mark)
        # The other post's page had nothing to reload: its next event is the layout's.
        await _layout_edit_reaches_all(str(site / "app/layout.html"), on_a, on_b, on_index)
        async with session.get(server.url + "/") as response:
            assert "Alpha, renamed" in await response.text()


async def test_a_layout_edit_reloads_every_open_page(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site(SITE)
    server = await start_dev(site)
    dev_server.append(server)
    async with (
        aiohttp.ClientSession() as session,
        open_page(session, server.url, "/blog/a") as (_, on_a),
        open_page(session, server.url, "/blog/b") as (_, on_b),
    ):
        await server.wait_for_line("Watching posts (content the site reads)")
        mark = len(server.lines)
        await _layout_edit_reaches_all(str(site / "app/layout.html"), on_a, on_b)
        await server.wait_for_line("app/layout.html changed, 2 pages reloaded", start=mark)


async def test_a_page_without_a_record_reloads_on_any_change(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site(SITE)
    server = await start_dev(site)
    dev_server.append(server)
    async with (
        aiohttp.ClientSession() as session,
        open_page(session, server.url, "/blog/a") as (_, on_a),
        open_events(session, server.url) as anonymous,  # a stream that does not say its page
    ):
        await server.wait_for_line("Watching posts (content the site reads)")
        (site / "posts" / "b.md").write_text("---\ntitle: Beta\n---\nbody edited\n")
        told = await anonymous.next()
        assert told is not None and told.event == "reload"
        marker = await _layout_edit_reaches_all(str(site / "app/layout.html"), on_a, anonymous)
        assert marker != told.id


async def test_a_page_whose_stream_connects_after_an_edit_it_missed_reloads_at_once(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site(SITE)
    server = await start_dev(site)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session:
        pages = {}
        for url_path in ("/blog/a", "/blog/b"):
            async with session.get(server.url + url_path) as response:
                pages[url_path] = await response.text()
        await server.wait_for_line("Watching posts (content the site reads)")
        mark = len(server.lines)
        # Edited while the pages were on their way to the browser (no stream open yet).
        (site / "posts" / "a.md").write_text("---\ntitle: Alpha\n---\nbody edited\n")
        await server.wait_for_line("posts/a.md changed, 0 pages reloaded", start=mark)
        async with (
            open_events(
                session, server.url, query=events_query(pages["/blog/a"], "/blog/a")
            ) as on_a,
            open_events(
                session, server.url, query=events_query(pages["/blog/b"], "/blog/b")
            ) as on_b,
        ):
            told = await on_a.next()
            assert told is not None and told.event == "reload"
            marker = await _layout_edit_reaches_all(str(site / "app/layout.html"), on_b)
            assert marker != told.id


async def test_a_site_module_edit_reloads_every_open_page(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site({**SITE, "words.py": "WORD = 'one'\n"})
    server = await start_dev(site)
    dev_server.append(server)
    async with (
        aiohttp.ClientSession() as session,
        open_page(session, server.url, "/blog/a") as (_, on_a),
        open_page(session, server.url, "/blog/b") as (_, on_b),
    ):
        mark = len(server.lines)
        (site / "words.py").write_text("WORD = 'two'\n")  # code: a new worker
        for stream in (on_a, on_b):
            told = await stream.next()
            assert told is not None and told.event == "reload"
        await server.wait_for_line("2 pages reloaded for the new site code", start=mark)


async def test_pages_under_a_base_path_are_told_by_their_location(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site({**SITE, "ssg.toml": 'base_path = "/docs"\n'})
    server = await start_dev(site)
    dev_server.append(server)
    assert server.announced == server.url + "/docs"  # the server's root is a 404
    async with (
        aiohttp.ClientSession() as session,
        open_page(session, server.url, "/docs/blog/a") as (_, on_a),
        open_page(session, server.url, "/docs/blog/b") as (_, on_b),
    ):
        await server.wait_for_line("Watching posts (content the site reads)")
        mark = len(server.lines)
        (site / "posts" / "b.md").write_text("---\ntitle: Beta\n---\nbody edited\n")
        told = await on_b.next()
        assert told is not None and told.event == "reload"
        await server.wait_for_line("posts/b.md changed, 1 page reloaded", start=mark)
        marker = await _layout_edit_reaches_all(str(site / "app/layout.html"), on_a, on_b)
        assert marker != told.id


NOTE_PY = """
from pathlib import Path

NOTE = Path(__file__).with_name("note.txt")


def load(params):
    text = NOTE.read_text()
    if text == "first":  # an editor saves the note while this render runs, after it was read
        NOTE.write_text("saved while rendering")
    return {"note": text}
"""


async def test_a_file_edited_while_the_page_rendered_reloads_it(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    # The page read the note before the edit, and its record digests the note after it:
    # the digest alone would call the edit no change.
    site = make_site(
        {
            **SITE,
            "app/note/page.py": NOTE_PY,
            "app/note/page.html": "<p>{{ note }}</p>",
            "app/note/note.txt": "first",
        }
    )
    server = await start_dev(site)
    dev_server.append(server)
    async with (
        aiohttp.ClientSession() as session,
        open_page(session, server.url, "/blog/a") as (_, on_a),
    ):
        await server.wait_for_line("Watching posts (content the site reads)")
        mark = len(server.lines)
        async with open_page(session, server.url, "/note") as (body, on_note):
            assert "<p>first</p>" in body
            told = await on_note.next()
            assert told is not None and told.event == "reload"
            await server.wait_for_line("app/note/note.txt changed, 1 page reloaded", start=mark)
            async with session.get(server.url + "/note") as response:
                assert "<p>saved while rendering</p>" in await response.text()
            await _layout_edit_reaches_all(str(site / "app/layout.html"), on_a, on_note)
