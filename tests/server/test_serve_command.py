"""`ssg serve` as a process: builds when needed, logs each request, stops cleanly on signals."""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from ssg.isr.entries import EntryStore
from ssg.records import make_etag
from tests.builder.test_crash_safety import wait_exit
from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_serve(
    site_dir: Path,
    port: int,
    workers: int = 1,
    env: dict[str, str] | None = None,
    open_files: tuple[int, int] | None = None,
    own_group: bool = False,
) -> asyncio.subprocess.Process:
    """Start `ssg serve SITE --port PORT` (stderr merged into stdout, read with read_until).

    `open_files` = (soft, hard) sets the server's RLIMIT_NOFILE before it starts.
    `own_group` starts it in a session of its own, so a test can signal its whole
    process group as a terminal's Ctrl-C does (`os.killpg`).
    """

    def limit_files() -> None:
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, open_files)

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ssg",
        "serve",
        str(site_dir),
        "--port",
        str(port),
        "--workers",
        str(workers),
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        preexec_fn=limit_files if open_files is not None else None,
        start_new_session=own_group,
    )
    return process


async def stop_serve(
    process: asyncio.subprocess.Process,
    timeout: float = 15,
    follower: asyncio.Task[None] | None = None,
) -> str:
    """Stop a `start_serve` process (SIGTERM; SIGKILL after `timeout` seconds) and return
    the rest of its output, read to the end so its pipe is closed (also when it had exited).

    A `follow` task reading the output is cancelled first (the pipe has one reader).
    """
    if follower is not None:
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)
    if process.returncode is None:
        process.terminate()
    try:
        rest, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        rest, _ = await process.communicate()
    return rest.decode(errors="replace")


async def read_until(process: asyncio.subprocess.Process, marker: str, seen: list[str]) -> None:
    assert process.stdout is not None
    while True:
        line = (await process.stdout.readline()).decode()
        if not line:
            raise AssertionError("ssg serve exited early:\n" + "".join(seen))
        seen.append(line)
        if marker in line:
            return


def follow(process: asyncio.subprocess.Process, seen: list[str]) -> asyncio.Task[None]:
    """Read the rest of a `start_serve` process's output into `seen`, on, until it ends.

    Start it once `read_until` is done and the test sends many requests: the
    pipe holds 64 KiB (a few hundred access-log lines), and an unread full pipe
    blocks the server writing its log, and its event loop with it. Await the
    task for all the output once the process ends; `stop_serve` cancels it.
    """
    return asyncio.create_task(_read_to_end(process, seen))


async def _read_to_end(process: asyncio.subprocess.Process, seen: list[str]) -> None:
    assert process.stdout is not None
    async for line in process.stdout:
        seen.append(line.decode())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_serve_builds_first_serves_logs_and_stops_cleanly(
    make_site: MakeSite, signum: signal.Signals
) -> None:
    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "<h1>served</h1>"})
    port = free_port()
    process = await start_serve(site_dir, port)
    seen: list[str] = []
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=30)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/") as response,
        ):
            body = await response.text()
            cache = response.headers["X-SSG-Cache"]
        await asyncio.wait_for(read_until(process, '"GET /"', seen), timeout=10)
        process.send_signal(signum)
        rest, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        await stop_serve(process)
    output = "".join(seen) + rest.decode()

    assert "building the site first" in output
    assert (site_dir / "out" / "_ssg" / "manifest.json").is_file()
    assert ("<h1>served</h1>" in body, cache) == (True, "HIT")
    assert '127.0.0.1 "GET /" 200' in output
    assert process.returncode == 0
    assert "Traceback" not in output


@pytest.mark.parametrize("workers", [1, 2])
async def test_serve_announces_the_sites_url_with_its_base_path(
    make_site: MakeSite, workers: int
) -> None:
    # The server's root is a 404 under a base path: the URL printed must be the site's.
    site_dir = make_site(
        {
            "ssg.toml": 'base_path = "/docs"\n',
            "app/layout.html": LAYOUT,
            "app/page.html": "<h1>served</h1>",
        }
    )
    port = free_port()
    process = await start_serve(site_dir, port, workers=workers)
    seen: list[str] = []
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=60)
        found = re.search(r" on (http://[^\s,]+)", seen[-1])
        assert found is not None, seen[-1]
        assert found.group(1) == f"http://127.0.0.1:{port}/docs"
        async with aiohttp.ClientSession() as session, session.get(found.group(1)) as response:
            assert response.status == 200
            assert "<h1>served</h1>" in await response.text()
    finally:
        await stop_serve(process)


async def test_two_workers_share_the_port_and_one_regeneration_counter(make_site: MakeSite) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "<h1>served</h1>",
            "app/blog/[slug]/page.html": "{{ params.slug }}",
            "app/blog/[slug]/page.py": "revalidate = 60\n",
        }
    )
    port = free_port()
    auth = {"Authorization": "Bearer s"}
    process = await start_serve(site_dir, port, workers=2, env={"SSG_REVALIDATE_SECRET": "s"})
    seen: list[str] = []
    pids: set[int] = set()
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=60)
        base = f"http://127.0.0.1:{port}"
        for _ in range(40):  # a new connection each time: the kernel spreads them
            async with (
                aiohttp.ClientSession() as session,
                session.get(base + "/_ssg/status", headers=auth) as response,
            ):
                pids.add((await response.json())["worker"]["pid"])
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/blog/new") as response:
                first = response.headers["X-SSG-Cache"]
            for _ in range(10):
                async with (
                    aiohttp.ClientSession() as other,
                    other.get(base + "/blog/new") as response,
                ):
                    assert response.status == 200
            async with session.get(base + "/_ssg/status", headers=auth) as response:
                renders = (await response.json())["on_demand_renders"]
        process.send_signal(signal.SIGTERM)
        rest, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        await stop_serve(process)
    output = "".join(seen) + rest.decode()

    assert len(pids) == 2
    assert first == "MISS"
    assert renders == 1  # the other worker adopted the entry instead of rendering again
    assert process.returncode == 0
    assert "Traceback" not in output


@pytest.mark.parametrize("workers", [1, 2])
async def test_port_0_announces_the_port_chosen_and_every_worker_serves_on_it(
    make_site: MakeSite, workers: int
) -> None:
    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "<h1>served</h1>"})
    auth = {"Authorization": "Bearer s"}
    process = await start_serve(site_dir, 0, workers=workers, env={"SSG_REVALIDATE_SECRET": "s"})
    seen: list[str] = []
    pids: set[int] = set()
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=60)
        found = re.search(r"on (http://127\.0\.0\.1:(\d+))", seen[-1])
        assert found is not None, seen[-1]
        for _ in range(40):  # a new connection each time: the kernel spreads them
            async with (
                aiohttp.ClientSession() as session,
                session.get(found[1] + "/_ssg/status", headers=auth) as response,
            ):
                pids.add((await response.json())["worker"]["pid"])
            async with aiohttp.ClientSession() as session, session.get(found[1] + "/") as page:
                assert "<h1>served</h1>" in await page.text()
    finally:
        await stop_serve(process)

    assert int(found[2]) != 0
    assert len(pids) == workers


async def test_port_in_use_is_one_error_line_naming_it_and_exit_1(make_site: MakeSite) -> None:
    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "<h1>served</h1>"})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        process = await start_serve(site_dir, port)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    lines = output.decode().splitlines()

    assert process.returncode == 1
    assert "Traceback" not in output.decode()
    errors = [line for line in lines if "Error" in line]
    assert errors == [
        f"Error: cannot listen on 127.0.0.1:{port}: the address is already in use (another "
        f"ssg serve or server?). Stop it, or pick a free port with --port, e.g. --port {port + 1}."
    ]
    assert errors[0] == lines[-1]


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfds")
async def test_workers_stop_when_their_supervisor_is_killed(make_site: MakeSite) -> None:
    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "<h1>served</h1>"})
    port = free_port()
    process = await start_serve(site_dir, port, workers=2)
    seen: list[str] = []
    children: list[int] = []
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=60)
        children = [
            int(pid)
            for task in Path(f"/proc/{process.pid}/task").iterdir()
            for pid in (task / "children").read_text().split()
        ]
        process.send_signal(signal.SIGKILL)  # no chance to stop its workers itself
        await process.wait()
        gone = await asyncio.gather(*(wait_exit(pid, timeout=30) for pid in children))
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.get(f"http://127.0.0.1:{port}/")
    finally:
        for pid in children:
            if Path(f"/proc/{pid}").exists():
                os.kill(pid, signal.SIGKILL)

    assert len(children) >= 2  # the workers (and multiprocessing's resource tracker)
    assert gone == [True] * len(children)
    assert "Traceback" not in "".join(seen)


async def test_port_in_use_with_workers_is_reported_once(make_site: MakeSite) -> None:
    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "<h1>served</h1>"})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        process = await start_serve(site_dir, port, workers=2)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    errors = [line for line in output.decode().splitlines() if "Error" in line]

    assert process.returncode == 1
    assert len(errors) == 1
    assert f"127.0.0.1:{port}: the address is already in use" in errors[0]
    assert "--port" in errors[0]


HELD_PAGE_PY = """
import asyncio
from pathlib import Path

SITE = Path(__file__).resolve().parents[3]
revalidate = 3600

async def generate_static_params(params):
    return [{"slug": "a"}]

async def load(params):
    version = (SITE / "version.txt").read_text().strip()
    if (SITE / "hold").exists():  # a slow upstream: answers once SITE/release exists
        print(f"HOLDING {params['slug']} v={version}", flush=True)
        while not (SITE / "release").exists():
            await asyncio.sleep(0.01)
    return {"version": version}
"""


async def test_kill_9_during_a_regeneration_leaves_a_consistent_store_and_restart_serves(
    make_site: MakeSite,
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/blog/[slug]/page.html": "<p>{{ params.slug }} v={{ version }}</p>",
            "app/blog/[slug]/page.py": HELD_PAGE_PY,
            "version.txt": "1",
        }
    )
    secret = {"SSG_REVALIDATE_SECRET": "s"}
    auth = {"Authorization": "Bearer s"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = await start_serve(site_dir, port, env=secret)
    seen: list[str] = []
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=30)
        async with aiohttp.ClientSession() as session:
            # An on-demand render: its ISR entry is on disk before the reply.
            async with session.get(base + "/blog/b") as response:
                first = (response.headers["X-SSG-Cache"], await response.text())
            async with session.post(
                base + "/_ssg/revalidate", json={"path": "/blog/b"}, headers=auth
            ) as response:
                assert response.status == 200
            (site_dir / "hold").touch()
            (site_dir / "version.txt").write_text("2")
            async with session.get(base + "/blog/b") as response:
                stale = (response.headers["X-SSG-Cache"], await response.text())
        await asyncio.wait_for(read_until(process, "HOLDING b v=2", seen), timeout=30)
        process.send_signal(signal.SIGKILL)  # in the middle of the regeneration
        await process.wait()
    finally:
        await stop_serve(process)
    (site_dir / "release").touch()

    build_id = json.loads((site_dir / "out" / "_ssg" / "manifest.json").read_text())["build_id"]
    isr_dir = site_dir / ".ssg" / "isr"
    store = EntryStore(isr_dir, build_id)
    found = store.read("/blog/b")
    entries = [stored.page.url_path for stored in store.scan()]

    assert first[0] == "MISS" and "b v=1" in first[1]
    assert stale[0] == "STALE" and "b v=1" in stale[1]
    assert process.returncode == -signal.SIGKILL
    assert entries == ["/blog/b"]  # temp files, if any, are never read as entries
    assert found is not None
    stored, body = found
    assert body.decode() == first[1]  # the old page, whole: never torn
    assert (stored.page.size_bytes, stored.page.etag) == (len(body), make_etag(body))

    port = free_port()
    restarted = await start_serve(site_dir, port, env=secret)
    seen = []
    try:
        await asyncio.wait_for(read_until(restarted, "ssg serving", seen), timeout=30)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/blog/b") as response,
        ):
            after = (response.status, response.headers["X-SSG-Cache"], await response.text())
        restarted.send_signal(signal.SIGTERM)
        rest, _ = await asyncio.wait_for(restarted.communicate(), timeout=30)
    finally:
        if restarted.returncode is None:
            restarted.kill()
            await restarted.wait()

    # Still revalidated (the mark was saved before the kill): the old page, then regenerated.
    assert after == (200, "STALE", first[1])
    assert restarted.returncode == 0
    assert "Traceback" not in "".join(seen) + rest.decode()


def test_a_bad_cache_url_flag_is_named_as_the_flag(make_site: MakeSite) -> None:
    import subprocess

    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "home"})
    env = {k: v for k, v in os.environ.items() if k != "SSG_CACHE_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "ssg", "serve", str(site_dir), "--cache-url", "rediss//bad"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "Error: 1 problem in the config:",
        "  - cache_url = 'rediss//bad' is not a Redis URL (from the command line's "
        '--cache-url): write it as "redis://host:6379/0" (or rediss://, unix://)',
    ]


ISO_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARNING|ERROR) ")


async def test_serve_logs_its_backend_its_times_and_a_clean_stop(make_site: MakeSite) -> None:
    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "<h1>served</h1>"})
    port = free_port()
    process = await start_serve(site_dir, port)  # stderr is a pipe, as under docker logs
    seen: list[str] = []
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=60)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/") as response,
        ):
            await response.read()
        process.send_signal(signal.SIGTERM)
        rest = await stop_serve(process)
    finally:
        await stop_serve(process)
    logged = [line for line in "".join(seen).splitlines() + rest.splitlines() if line]
    stamped = [line for line in logged if ISO_LINE.match(line)]

    isr_state = f"ISR state: kept on this machine in {site_dir.resolve() / '.ssg' / 'isr'}"
    assert any(line.endswith(isr_state + " (no cache_url).") for line in stamped)
    assert any('"GET /"' in line for line in stamped)  # the access log too
    shutting_down = "INFO Shutting down (0 regenerations running, 0 requests in progress)."
    assert any(line.endswith(shutting_down) for line in stamped)
    assert stamped[-1].endswith(" INFO Stopped.")
    assert process.returncode == 0


async def test_serve_out_serves_the_folder_build_out_wrote(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site_dir = make_site({"app/layout.html": LAYOUT, "app/page.html": "<h1>elsewhere</h1>"})
    elsewhere = tmp_path / "custom-out"
    built = subprocess.run(
        [sys.executable, "-m", "ssg", "build", str(site_dir), "--out", str(elsewhere)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ssg",
        "serve",
        str(site_dir),
        "--port",
        str(port),
        "--out",
        str(elsewhere),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    seen: list[str] = []
    try:
        await asyncio.wait_for(read_until(process, "ssg serving", seen), timeout=60)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/") as response,
        ):
            body = await response.text()
    finally:
        rest = await stop_serve(process)

    assert "<h1>elsewhere</h1>" in body
    assert "building the site first" not in "".join(seen) + rest
    assert not (site_dir / "out").exists()
