"""A new build reaches a running server without a restart: one switch, no failed or mixed answer."""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ssg.builder.builder import build_site
from ssg.records import MANIFEST_FILE, make_etag
from ssg.server.app import SWITCH_KEY
from ssg.server.builds import BuildSwitch
from ssg.syscalls import exchange_paths
from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, Hold, Server, ServeSite
from tests.server.test_serve_command import (
    follow,
    free_port,
    read_until,
    start_serve,
    stop_serve,
)

SWITCH_DEADLINE_SECONDS = 10.0
"""A bound on waits for a switch (the contract is 2 s; a loaded CI machine gets slack)."""

# An on-demand page whose load() reads content/version.txt, then waits for HOLD.
SLOW_PAGE_PY = """
from pathlib import Path

SITE = Path(__file__).resolve().parents[3]
HOLD = None

async def generate_static_params(params):
    return [{"slug": "a"}]

async def load(params):
    version = (SITE / "content" / "version.txt").read_text(encoding="utf-8").strip()
    if HOLD is not None:
        HOLD.started.set()
        await HOLD.gate.wait()
    return {"version": version}
"""


def switch_of(server: Server) -> BuildSwitch:
    return server.app[SWITCH_KEY]


async def reloads_reach(switch: BuildSwitch, *, switches: int = 0, failed: int = 0) -> None:
    """Wait until the server has switched `switches` times and failed `failed` reloads."""
    async with asyncio.timeout(SWITCH_DEADLINE_SECONDS), switch.reloaded:
        await switch.reloaded.wait_for(
            lambda: switch.switches >= switches and switch.failed_reloads >= failed
        )


async def test_a_new_build_in_out_is_served_with_its_own_etag_without_a_restart(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "<p>v1</p>"})
    server = await serve_site(site_dir, watch_builds=True)
    switch = switch_of(server)
    await switch.watching.wait()
    before = await server.get("/")
    first_build = switch.current.build_id

    (site_dir / "app/page.html").write_text("<p>v2</p>")
    await build_site(server.config, clock=server.clock)
    await reloads_reach(switch, switches=1)
    after = await server.get("/")

    assert "v1" in before.text
    assert "v2" in after.text
    assert after.headers["ETag"] == make_etag(after.body) != before.headers["ETag"]
    assert switch.current.build_id != first_build


async def test_a_request_in_flight_on_the_old_build_finishes_with_its_content(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/blog/[slug]/page.html": "<p>{{ params.slug }} v={{ version }}</p>",
            "app/blog/[slug]/page.py": SLOW_PAGE_PY,
            "content/version.txt": "1",
        }
    )
    server = await serve_site(site_dir, watch_builds=True)
    switch = switch_of(server)
    await switch.watching.wait()
    old_build = switch.current
    hold = Hold()
    old_build.engine.site.modules[site_dir / "app/blog/[slug]/page.py"].module.HOLD = hold
    in_flight = asyncio.create_task(server.get("/blog/late"))  # not prerendered: on demand
    await hold.started.wait()

    (site_dir / "content/version.txt").write_text("2")
    await build_site(server.config, clock=server.clock)
    await reloads_reach(switch, switches=1)
    new_page = await server.get("/blog/late")  # the new build renders its own entry
    open_while_in_flight = (old_build in switch.live, old_build.scheduler.running)
    hold.gate.set()
    old_page = await in_flight
    async with asyncio.timeout(SWITCH_DEADLINE_SECONDS):
        await switch.wait_retired(old_build)

    assert (old_page.status, "late v=1" in old_page.text) == (200, True)
    assert old_page.headers["ETag"] == make_etag(old_page.body)
    assert (new_page.status, "late v=2" in new_page.text) == (200, True)
    assert new_page.headers["ETag"] == make_etag(new_page.body)
    assert open_while_in_flight == (True, True)
    assert (old_build in switch.live, old_build.scheduler.running) == (False, False)


async def test_until_the_switch_the_served_build_answers_from_its_own_files_only(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "<p>home v={{ version }};</p>",
            "app/page.py": VERSIONED_PAGE_PY.format(depth=1, settings=""),
            "public/asset.txt": "v=1;",
            "public/gone.txt": "only in build 1",
            "content/version.txt": "1",
        }
    )
    server = await serve_site(site_dir)  # no watch: the switch waits for reload()
    switch = switch_of(server)
    old_build = switch.current
    urls = ["/", "/asset.txt", "/gone.txt"]
    before = [await server.get(url) for url in urls]

    (site_dir / "content/version.txt").write_text("2")
    (site_dir / "public/asset.txt").write_text("v=2;")
    (site_dir / "public/gone.txt").unlink()
    await build_site(server.config, clock=server.clock)  # out/ now holds build 2
    with caplog.at_level(logging.WARNING, logger="ssg"):
        between = [await server.get(url) for url in urls]
    await switch.reload()
    after = [await server.get(url) for url in urls]
    async with asyncio.timeout(SWITCH_DEADLINE_SECONDS):
        await switch.wait_retired(old_build)

    def answers(replies: list[Any]) -> list[tuple[int, str]]:
        return [(reply.status, reply.text) for reply in replies]

    assert answers(between) == answers(before)
    assert [r.headers.get("ETag") for r in between] == [r.headers.get("ETag") for r in before]
    assert "home v=1;" in before[0].text
    assert answers(before[1:]) == [(200, "v=1;"), (200, "only in build 1")]
    assert [(r.status, "v=2;" in r.text) for r in after[:2]] == [(200, True), (200, True)]
    assert after[2].status == 404
    # Nothing read from the other build, nothing rendered again.
    warned = [
        r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("ssg")
    ]
    assert [r.getMessage() for r in warned] == []
    assert old_build.pin is not None and not old_build.pin.exists()


async def test_a_corrupt_new_manifest_keeps_the_old_build_serving(
    make_site: MakeSite, serve_site: ServeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "<p>v1</p>"})
    server = await serve_site(site_dir, watch_builds=True)
    switch = switch_of(server)
    await switch.watching.wait()
    out_dir = server.config.out_dir
    broken = out_dir.parent / "broken-build"
    shutil.copytree(out_dir, broken)
    (broken / MANIFEST_FILE).write_text("{not json", encoding="utf-8")

    with caplog.at_level(logging.ERROR, logger="ssg.server"):
        assert exchange_paths(broken, out_dir)
        await reloads_reach(switch, failed=1)
    reply = await server.get("/")

    assert (reply.status, "v1" in reply.text) == (200, True)
    assert reply.headers["ETag"] == make_etag(reply.body)
    assert switch.switches == 0
    assert "Could not load the new build" in caplog.text
    assert "still serving build" in caplog.text


async def statuses(port: int) -> dict[int, str]:
    """worker pid -> build id, from 20 fresh connections to /_ssg/status."""
    seen: dict[int, str] = {}
    for _ in range(20):  # a new connection each time: the kernel spreads them over workers
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"http://127.0.0.1:{port}/_ssg/status", headers={"Authorization": "Bearer s"}
            ) as response,
        ):
            status = await response.json()
            seen[status["worker"]["pid"]] = status["build_id"]
    return seen


async def test_sighup_to_ssg_serve_switches_every_worker_to_the_build_copied_into_out(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "<p>v1</p>"})
    port = free_port()
    process = await start_serve(site_dir, port, workers=2, env={"SSG_REVALIDATE_SECRET": "s"})
    seen: list[str] = []
    follower = None
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=60)
        first = await statuses(port)
        # A build made elsewhere and copied into out/ in place (as rsync does): the
        # watch does not see it, SIGHUP tells the server.
        (site_dir / "app/page.html").write_text("<p>v2</p>")
        elsewhere = tmp_path / "elsewhere"
        subprocess.run(
            [sys.executable, "-m", "ssg", "build", str(site_dir), "--out", str(elsewhere)],
            check=True,
            capture_output=True,
        )
        shutil.copytree(elsewhere, site_dir / "out", dirs_exist_ok=True)
        process.send_signal(signal.SIGHUP)
        async with asyncio.timeout(SWITCH_DEADLINE_SECONDS * 3):
            for _worker in range(2):  # each logs its switch once it answers with the new build
                await read_until(process, "Switched from build", seen)
        follower = follow(process, seen)  # read on: an unread pipe blocks the server's log
        now = await statuses(port)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/") as response,
        ):
            body = await response.read()
            etag = response.headers["ETag"]
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(asyncio.gather(follower, process.wait()), timeout=30)
    finally:
        await stop_serve(process, follower=follower)
    output = "".join(seen)

    assert len(set(first.values())) == 1
    assert len(set(now.values())) == 1 and not set(now.values()) & set(first.values())
    assert b"v2" in body and etag == make_etag(body)
    assert output.count("Switched from build") == 2  # each worker, once
    assert process.returncode == 0
    assert "Traceback" not in output


async def test_sighup_while_ssg_serve_starts_does_not_end_it(make_site: MakeSite) -> None:
    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "<p>v1</p>"})
    port = free_port()
    process = await start_serve(site_dir, port)
    seen: list[str] = []
    try:
        await asyncio.wait_for(read_until(process, "building the site first", seen), timeout=30)
        process.send_signal(signal.SIGHUP)  # before it listens: no build to switch to yet
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=60)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/") as response,
        ):
            status = response.status
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        await stop_serve(process)

    assert status == 200
    assert process.returncode == 0


SWITCHED_SITE = {
    "ssg.toml": 'title = "Old title"\n',
    "switch_helpers.py": "def label():\n    return 'helper-v1'\n",
    "app/layout.html": "<html><body>{{ site.title }}|{{ children }}</body></html>",
    "app/tagged/page.py": "import switch_helpers\nrevalidate = 3600\n"
    "def load(params):\n    return {'label': switch_helpers.label()}\n",
    "app/tagged/page.html": "{{ label }}",
    "app/blog/[slug]/page.py": "import switch_helpers\n"
    "def generate_static_params(params):\n    return []\n"
    "def load(params):\n    return {'label': switch_helpers.label()}\n",
    "app/blog/[slug]/page.html": "{{ params.slug }} {{ label }}",
}


async def _get(port: int, target: str) -> tuple[str, dict[str, str]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{target}") as response,
    ):
        return (await response.read()).decode(), dict(response.headers)


async def test_after_a_switch_renders_use_the_new_builds_ssg_toml_and_site_modules(
    make_site: MakeSite,
) -> None:
    # A regeneration or an on-demand render after the switch must give what the new
    # build gave, not revert to the ssg.toml and the helper modules the server started with.
    site_dir = make_site(SWITCHED_SITE)
    port = free_port()
    process = await start_serve(site_dir, port, env={"SSG_REVALIDATE_SECRET": "s"})
    seen: list[str] = []
    follower = None
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=60)
        before, _ = await _get(port, "/tagged")
        (site_dir / "ssg.toml").write_text(
            'title = "New title"\ncdn_tag_header = "Cache-Tag"\nmax_connections = 77\n'
        )
        (site_dir / "switch_helpers.py").write_text("def label():\n    return 'helper-v2'\n")
        subprocess.run(
            [sys.executable, "-m", "ssg", "build", str(site_dir)], check=True, capture_output=True
        )
        await asyncio.wait_for(read_until(process, "Switched from build", seen), timeout=30)
        follower = follow(process, seen)
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://127.0.0.1:{port}/_ssg/revalidate",
                json={"path": "/tagged"},
                headers={"Authorization": "Bearer s"},
            ) as response,
        ):
            assert response.status == 200
        stale, _ = await _get(port, "/tagged")  # served stale; one regeneration starts
        async with asyncio.timeout(SWITCH_DEADLINE_SECONDS):
            while True:  # the regeneration runs in the server process: poll its answer
                regenerated, headers = await _get(port, "/tagged")
                if headers.get("X-SSG-Cache") == "HIT":
                    break
                await asyncio.sleep(0.05)
        on_demand, _ = await _get(port, "/blog/fresh")
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(asyncio.gather(follower, process.wait()), timeout=30)
    finally:
        await stop_serve(process, follower=follower)
    output = "".join(seen)

    assert "Old title|helper-v1" in before
    assert "New title|helper-v2" in stale
    assert "New title|helper-v2" in regenerated
    assert "/tagged" in headers.get("Cache-Tag", "")  # cdn_tag_header applies at once
    assert "New title|fresh helper-v2" in on_demand
    assert "ssg.toml changed max_connections since ssg serve started: restart it" in output
    assert "Site modules changed (switch_helpers.py): importing them afresh." in output
    assert "Traceback" not in output


VERSIONED_PAGE_PY = """
from pathlib import Path

SITE = Path(__file__).resolve().parents[{depth}]
{settings}

async def load(params):
    return {{"version": (SITE / "content" / "version.txt").read_text(encoding="utf-8").strip()}}
"""
VERSION_MARK = re.compile(r"v=(\d+);")
LOAD_CLIENTS = 8


async def test_a_build_switch_under_load_fails_no_request_and_no_answer_mixes_builds(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "<p>home v={{ version }};</p>",
            "app/page.py": VERSIONED_PAGE_PY.format(depth=1, settings=""),
            "app/blog/[slug]/page.html": "<p>{{ params.slug }} v={{ version }};</p>",
            "app/blog/[slug]/page.py": VERSIONED_PAGE_PY.format(
                depth=3,
                settings="revalidate = 3600\n\nasync def generate_static_params(params):\n"
                '    return [{"slug": "a"}, {"slug": "b"}]\n',
            ),
            "public/asset.txt": "v=1;",
            "content/version.txt": "1",
        }
    )
    server = await serve_site(site_dir, watch_builds=True)
    switch = switch_of(server)
    await switch.watching.wait()
    # Prerendered pages, a public file, and an on-demand page (rendered by each build
    # with the data of the moment, so its version tells the time, not the build).
    urls = ["/", "/blog/a", "/blog/b", "/asset.txt", "/blog/late"]
    on_demand = "/blog/late"
    stop = asyncio.Event()
    problems: list[str] = []
    versions_seen: list[list[int]] = [[] for _ in range(LOAD_CLIENTS)]
    bodies: dict[str, bytes] = {}  # ETag -> the one body it stands for
    answered = asyncio.Condition()

    async def client(number: int) -> None:
        async with aiohttp.ClientSession() as session:
            turn = 0
            while not stop.is_set():
                url = urls[(number + turn) % len(urls)]
                turn += 1
                try:
                    async with session.get(server.base_url + url) as response:
                        body = await response.read()
                        status, etag = response.status, response.headers.get("ETag")
                except aiohttp.ClientError as exc:
                    problems.append(f"{url}: {exc!r}")
                    continue
                found = set(VERSION_MARK.findall(body.decode()))
                if status != 200 or etag is None or len(found) != 1:
                    problems.append(f"{url}: {status}, ETag {etag}, versions {found}")
                    continue
                if bodies.setdefault(etag, body) != body:
                    problems.append(f"{url}: ETag {etag} sent with two bodies")
                if url != on_demand:
                    async with answered:
                        versions_seen[number].append(int(found.pop()))
                        answered.notify_all()

    async def every_client_answered_twice_more() -> None:
        start = [len(seen) for seen in versions_seen]
        async with asyncio.timeout(SWITCH_DEADLINE_SECONDS), answered:
            await answered.wait_for(
                lambda: all(
                    len(seen) >= n + 2 for seen, n in zip(versions_seen, start, strict=True)
                )
            )

    clients = [asyncio.create_task(client(n)) for n in range(LOAD_CLIENTS)]
    try:
        await every_client_answered_twice_more()  # the first build under load
        for version in (2, 3):
            (site_dir / "content/version.txt").write_text(str(version))
            (site_dir / "public/asset.txt").write_text(f"v={version};")
            await build_site(server.config, clock=server.clock)
            await reloads_reach(switch, switches=version - 1)
        await every_client_answered_twice_more()  # now from the last build
    finally:
        stop.set()
        await asyncio.gather(*clients)

    assert problems == []
    assert {seen[-1] for seen in versions_seen} == {3}
    assert set().union(*versions_seen) == {1, 2, 3}
