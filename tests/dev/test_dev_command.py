"""`ssg dev` as a process: renders from sources, watches edits, restarts on code, stops on Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

import aiohttp
import pytest

from ssg.builder.builder import build_site
from ssg.config import load_config
from tests.conftest import MakeSite
from tests.dev.conftest import LAYOUT, DevServer, open_events, start_dev, stop_dev

POSTS_PAGE_PY = """
from ssg.content import load_collection

def load(params):
    return {"posts": load_collection("posts")}
"""
POSTS_PAGE_HTML = "{% for post in posts %}<h2>{{ post.title }}</h2>{{ post.html }}{% endfor %}"

POSTS_SITE = {
    "app/layout.html": LAYOUT,
    "app/page.py": POSTS_PAGE_PY,
    "app/page.html": POSTS_PAGE_HTML,
    "posts/a.md": "---\ntitle: First title\n---\nbody one\n",
}


async def test_pages_render_from_sources_without_a_build(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site({"app/layout.html": LAYOUT, "app/page.html": "<h1>from source</h1>"})
    server = await start_dev(site)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session, session.get(server.url + "/") as response:
        body = await response.text()
        assert response.status == 200
        assert response.headers["X-Robots-Tag"] == "noindex"
        assert response.headers["Cache-Control"] == "no-store"
    assert "<h1>from source</h1>" in body
    assert body.index("/_ssg/dev/events") < body.index("</body>")
    assert not (site / "out").exists()
    line = await server.wait_for_line("GET / 200")
    assert line.rstrip().endswith("ms")


async def test_a_folder_named_ssg_in_the_current_folder_does_not_hide_ssg(
    make_site: MakeSite, dev_server: list[DevServer], tmp_path: Path
) -> None:
    # A clone of ssg beside the site (`~/ssg`, `~/mysite`), run from their parent folder.
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "<h1>{{ word }}</h1>",
            "app/page.py": "import ssg\n@ssg.cache\ndef word():\n    return 'home'\n"
            "def load(params):\n    return {'word': word()}\n",
        }
    )
    (tmp_path / "ssg").mkdir()
    server = await start_dev(site, cwd=tmp_path)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session, session.get(server.url + "/") as response:
        status, body = response.status, await response.text()
    assert (status, "<h1>home</h1>" in body) == (200, True)


async def test_template_edit_reloads_pages_and_the_next_request_has_it(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site({"app/layout.html": LAYOUT, "app/page.html": "<h1>before</h1>"})
    server = await start_dev(site)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session:
        async with open_events(session, server.url) as stream:
            (site / "app" / "page.html").write_text("<h1>after</h1>", encoding="utf-8")
            await stream.next_named("reload")
        async with session.get(server.url + "/") as response:
            assert "<h1>after</h1>" in await response.text()
    await server.wait_for_line("app/page.html changed, 1 page reloaded")


async def test_content_edit_is_seen_by_the_next_request(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site(POSTS_SITE)
    server = await start_dev(site)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url + "/") as response:
            assert "First title" in await response.text()
        await server.wait_for_line("Watching posts (content the site reads)")
        async with open_events(session, server.url) as stream:
            (site / "posts" / "a.md").write_text("---\ntitle: Second title\n---\nbody two\n")
            await stream.next_named("reload")
        async with session.get(server.url + "/") as response:
            body = await response.text()
    assert "Second title" in body and "body two" in body


async def test_an_edit_made_while_a_newly_read_folder_gets_watched_is_not_lost(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site(POSTS_SITE)
    server = await start_dev(site)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url + "/") as response:
            assert "First title" in await response.text()
        # posts/ was read for the first time: the watch starts again to take it in, and
        # this edit lands before it runs.
        (site / "posts" / "a.md").write_text("---\ntitle: Second title\n---\nbody two\n")
        await server.wait_for_line("posts/a.md changed")
        async with session.get(server.url + "/") as response:
            body = await response.text()
    assert "Second title" in body and "body two" in body


async def test_stylesheet_edit_swaps_stylesheets_without_a_reload(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site(
        {"app/layout.html": LAYOUT, "app/page.html": "x", "public/site.css": "a { color: red }"}
    )
    server = await start_dev(site)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session:
        async with open_events(session, server.url) as stream:
            (site / "public" / "site.css").write_text("a { color: blue }")
            event = await stream.next()
        assert event is not None and event.event == "css"
        async with session.get(server.url + "/site.css") as response:
            assert await response.text() == "a { color: blue }"


async def test_python_edit_restarts_the_worker_without_refusing_connections(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.py": 'def load(params):\n    return {"word": "old"}\n',
            "app/page.html": "<p>{{ word }}</p>",
        }
    )
    server = await start_dev(site)
    dev_server.append(server)
    statuses: list[int] = []
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url + "/") as response:
            assert "<p>old</p>" in await response.text()
        async with open_events(session, server.url) as stream:
            mark = len(server.lines)
            (site / "app" / "page.py").write_text('def load(params):\n    return {"word": "new"}\n')
            restarting = asyncio.create_task(server.wait_for_line("Site code reloaded", start=mark))
            # New connections keep being answered (by the old worker, then the new) during
            # the restart. (A browser retries a request that meets a closing keep-alive
            # connection, so each request here opens its own connection.)
            connector = aiohttp.TCPConnector(force_close=True)
            async with aiohttp.ClientSession(connector=connector) as fresh:
                while not restarting.done():
                    async with fresh.get(server.url + "/") as response:
                        statuses.append(response.status)
            await restarting
            # The old worker, no longer accepting connections, tells its pages to reload
            # as it stops, so they come back to the new one.
            told = await stream.next()
            assert told is not None and told.event == "reload"
            assert await stream.next() is None
            last_id = stream.last_id
            assert last_id
        async with open_events(session, server.url, last_event_id=last_id) as stream:
            # A page of the previous worker that reconnects by itself reloads too.
            await stream.next_named("reload")
        async with session.get(server.url + "/") as response:
            assert "<p>new</p>" in await response.text()
    assert statuses and set(statuses) == {200}
    await server.wait_for_line("app/page.py changed, reloading the site code", start=mark)


async def test_new_and_removed_route_folders_are_picked_up(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site({"app/layout.html": LAYOUT, "app/page.html": "home"})
    server = await start_dev(site)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url + "/about") as response:
            assert response.status == 404
        mark = len(server.lines)
        (site / "app" / "about").mkdir()
        (site / "app" / "about" / "page.html").write_text("<h1>About us</h1>")
        await server.wait_for_line("Site code reloaded", start=mark)
        async with session.get(server.url + "/about") as response:
            assert response.status == 200
            assert "About us" in await response.text()
        mark = len(server.lines)
        (site / "app" / "about" / "page.html").unlink()
        (site / "app" / "about").rmdir()
        await server.wait_for_line("Site code reloaded", start=mark)
        async with session.get(server.url + "/about") as response:
            assert response.status == 404


async def test_broken_module_shows_the_overlay_and_the_fix_recovers(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.py": 'def load(params):\n    return {"word": "fine"}\n',
            "app/page.html": "<p>{{ word }}</p>",
        }
    )
    server = await start_dev(site)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session:
        mark = len(server.lines)
        (site / "app" / "page.py").write_text("def load(params)\n    return {}\n")
        await server.wait_for_line("Site code reloaded", start=mark)
        async with session.get(server.url + "/") as response:
            body = await response.text()
            assert response.status == 500
        assert "app/page.py:1" in body and "SyntaxError" in body
        assert "def load(params)" in body  # the source line is quoted
        mark = len(server.lines)
        (site / "app" / "page.py").write_text('def load(params):\n    return {"word": "fixed"}\n')
        await server.wait_for_line("Site code reloaded", start=mark)
        async with session.get(server.url + "/") as response:
            assert response.status == 200
            assert "<p>fixed</p>" in await response.text()


async def test_a_layout_edited_to_drop_its_children_is_warned_of_at_once(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site({"app/layout.html": LAYOUT, "app/page.html": "<h1>Home</h1>"})
    server = await start_dev(site)
    dev_server.append(server)
    mark = len(server.lines)
    (site / "app/layout.html").write_text("<html><body>Header only</body></html>")
    line = await server.wait_for_line("app/layout.html never renders {{ children }}", start=mark)
    assert "Add {{ children }} where the page belongs" in line
    assert not any("never renders" in line for line in server.lines[:mark])


async def test_ctrl_c_stops_the_dev_server_cleanly(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site({"app/layout.html": LAYOUT, "app/page.html": "x"})
    server = await start_dev(site)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session, open_events(session, server.url) as stream:
        server.process.send_signal(signal.SIGINT)
        assert await stream.next() is None
    assert await asyncio.wait_for(server.process.wait(), 30) == 0
    await server.wait_for_line("ssg dev stopped")
    assert not any("Traceback" in line for line in server.lines), "".join(server.lines)


CACHED_POSTS_SITE = {
    "app/layout.html": LAYOUT,
    "app/page.py": POSTS_PAGE_PY,
    "app/page.html": POSTS_PAGE_HTML,
    "posts/a.md": "---\ntitle: Alpha\n---\nbody one\n",
    "posts/b.md": "---\ntitle: Beta\n---\nbody two\n",
}


async def test_a_dev_start_after_a_build_takes_the_parsed_content_from_its_cache(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site(CACHED_POSTS_SITE)
    await build_site(load_config(site))
    (site / "posts" / "b.md").write_text("---\ntitle: Beta, edited\n---\nbody two\n")
    server = await start_dev(site)
    dev_server.append(server)
    # Loaded while the worker starts, before any request: what the build read.
    line = await server.wait_for_line("unchanged since parsed")
    assert "1 file unchanged" in line and "1 parsed" in line
    async with aiohttp.ClientSession() as session, session.get(server.url + "/") as response:
        body = await response.text()
    assert "Alpha" in body and "Beta, edited" in body


async def test_a_build_after_ssg_dev_takes_the_parsed_content_from_its_cache(
    make_site: MakeSite, dev_server: list[DevServer], caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(CACHED_POSTS_SITE)
    server = await start_dev(site)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url + "/") as response:
            assert "Alpha" in await response.text()
        await server.wait_for_line("Watching posts (content the site reads)")
        async with open_events(session, server.url) as stream:
            (site / "posts" / "b.md").write_text("---\ntitle: Beta, edited\n---\nbody two\n")
            await stream.next_named("reload")
        async with session.get(server.url + "/") as response:
            assert "Beta, edited" in await response.text()
    # The edited post's parse is written after the response, and before ssg dev exits.
    await stop_dev(server)
    with caplog.at_level(logging.INFO, logger="ssg.content"):
        await build_site(load_config(site))
    assert "2 files unchanged since parsed" in caplog.text
    assert "0 parsed" in caplog.text
    assert not (site / ".ssg" / "dev").exists()  # one cache: no copy of its own for dev


async def test_ssg_dev_lists_what_its_pages_read_for_its_next_start(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site(CACHED_POSTS_SITE)
    server = await start_dev(site)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session, session.get(server.url + "/") as response:
        assert response.status == 200
    await stop_dev(server)
    again = await start_dev(site)
    dev_server.append(again)
    line = await again.wait_for_line("unchanged since parsed")
    assert "2 files unchanged" in line and "0 parsed" in line
    await again.wait_for_line("Watching posts (content the site reads)")


async def test_the_workers_stop_when_the_supervisor_is_killed(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site({"app/layout.html": LAYOUT, "app/page.html": "x"})
    server = await start_dev(site)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url + "/") as response:
            assert response.status == 200  # served: a standby worker is started now
        server.process.kill()
        # Every worker writes to the terminal's pipe: it ends once the last one has exited.
        assert server._reader is not None
        await asyncio.wait_for(server._reader, 30)
        with pytest.raises(aiohttp.ClientConnectionError):
            async with session.get(server.url + "/"):
                pass


async def test_a_content_warning_is_logged_once_per_session_and_again_when_its_file_is_edited(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    bad = "---\ntitle: Hi\ntags: [a, b\n---\n# Still here\n"
    site = make_site(
        {
            **CACHED_POSTS_SITE,
            "posts/bad.md": bad,
            "blog.py": "WORD = 'one'\n",
        }
    )
    warning = "bad.md:4: malformed YAML front matter"
    server = await start_dev(site)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url + "/") as response:
            assert "Still here" in await response.text()
        await server.wait_for_line(warning)
        await server.wait_for_line("Watching posts (content the site reads)")
        # A restart: the new worker loads the same content (its start-up preload).
        mark = len(server.lines)
        (site / "blog.py").write_text("WORD = 'two'\n")
        await server.wait_for_line("Site code reloaded", start=mark)
        async with session.get(server.url + "/") as response:
            assert "Still here" in await response.text()
        await server.wait_for_line("Watching posts (content the site reads)", start=mark)
        # The file is edited, still broken: its warning shows again.
        edited = len(server.lines)
        async with open_events(session, server.url) as stream:
            (site / "posts" / "bad.md").write_text(bad + "more\n")
            await stream.next_named("reload")
        async with session.get(server.url + "/") as response:
            assert "more" in await response.text()
    await server.wait_for_line(warning, start=edited)
    assert sum(warning in line for line in server.lines[:mark]) == 1
    assert not any(warning in line for line in server.lines[mark:edited])


async def test_an_editors_vanished_temporary_files_are_not_named_a_removed_post_is(
    make_site: MakeSite, dev_server: list[DevServer]
) -> None:
    site = make_site({**POSTS_SITE, "posts/b.md": "---\ntitle: Beta\n---\nbody b\n"})
    posts = site / "posts"
    server = await start_dev(site)
    dev_server.append(server)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url + "/") as response:
            assert "First title" in await response.text()
        await server.wait_for_line("Watching posts (content the site reads)")
        async with open_events(session, server.url) as stream:
            # vim's save: a probe file, the old file kept aside, the new one written.
            (posts / "4913").write_text("")
            (posts / "4913").unlink()
            (posts / "a.md").rename(posts / "a.md~")
            (posts / "a.md").write_text("---\ntitle: Second title\n---\nbody two\n")
            (posts / "a.md~").unlink()
            await stream.next_named("reload")
            edited = await server.wait_for_line(" changed, ")
            mark = len(server.lines)
            (posts / "b.md").unlink()
            await stream.next_named("reload")
            removed = await server.wait_for_line(" changed, ", start=mark)

    assert edited.startswith("posts/a.md changed, "), edited
    assert removed.startswith("posts/b.md changed, "), removed
    assert "4913" not in "".join(server.lines)
