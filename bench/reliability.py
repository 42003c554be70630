"""Reliability scenarios of `ssg serve` and `ssg build` under faults; each prints its figures.

Adapted from the reliability audit's scripts. Every scenario builds its own
throwaway site in a temp dir, starts ssg as a child process on 127.0.0.1 and
ends only the processes it started.

    python bench/reliability.py idle-flood        # 2,000 idle/slowloris connections, 1,024 files
    python bench/reliability.py build-kill 20     # kill -9 of `ssg build` at random moments
    python bench/reliability.py regen-kill 10     # kill -9 of `ssg serve` during regenerations
    python bench/reliability.py upstream 10       # upstream 500 / hang / refuse for 10 s each
    python bench/reliability.py growth 5000       # random on-demand URLs: RSS, disk, entries
    python bench/reliability.py loop-lag          # request latency during blocking work
    python bench/reliability.py first-regen       # examples/blog: the first regenerations
    python bench/reliability.py shutdown          # SIGTERM during a render longer than the grace
    python bench/reliability.py endpoint-fuzz 4000  # hypothesis cases at /_ssg/*: no 5xx
    python bench/reliability.py all               # every scenario with small counts

Figures are printed as JSON, one object per scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import resource
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
LAYOUT = "<html><head><title>t</title></head><body>{{ children }}</body></html>"


# ---------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_site(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def ssg(*args: str) -> list[str]:
    return [sys.executable, "-m", "ssg", *args]


def build(site: Path) -> None:
    subprocess.run(ssg("build", str(site)), check=True, capture_output=True)


class Server:
    """`ssg serve SITE` as a child process in its own session, logging to a file."""

    def __init__(
        self,
        site: Path,
        *,
        open_files: tuple[int, int] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.site = site
        self.port = free_port()
        self.log = site / "serve.log"

        def limit() -> None:
            if open_files is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, open_files)

        self.process = subprocess.Popen(
            ssg("serve", str(site), "--port", str(self.port), "--no-access-log"),
            stdout=self.log.open("wb"),  # a fresh log: wait_ready looks for its first line
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            preexec_fn=limit,
            start_new_session=True,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ssg serve exited {self.process.returncode}: {self.log}")
            if "ssg serving" in self.log.read_text(errors="replace"):
                return
            time.sleep(0.05)
        raise TimeoutError("ssg serve did not start")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
        return self.process.wait(timeout=60)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return -1.0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def probe(url: str, timeout: float = 5.0) -> tuple[int | str, float]:
    """One GET on a new connection: (status or error, seconds)."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            status: int | str = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except Exception as exc:
        status = type(exc).__name__
    return status, round(time.monotonic() - started, 3)


def folder_mb(folder: Path) -> float:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return round(total / 2**20, 2)


def print_figures(name: str, figures: dict[str, Any]) -> None:
    load = [round(x, 2) for x in os.getloadavg()]  # a busy machine inflates latencies
    print(json.dumps({"scenario": name, **figures, "load_average": load}), flush=True)


# ---------------------------------------------------------------- scenarios


def idle_flood(tmp: Path, connections: int = 2000) -> dict[str, Any]:
    """Idle and slowloris connections against a server limited to 1,024 open files."""
    site = write_site(tmp / "flood", {"app/layout.html": LAYOUT, "app/page.html": "home"})
    build(site)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, connections + 500), hard))
    server = Server(site, open_files=(1024, 1024))
    try:
        cpu_before = server.cpu_seconds()
        sockets = []
        for index in range(connections):
            try:
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=2)
            except OSError:
                break
            if index % 2:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            sockets.append(sock)
        probes = [probe(server.url("/")) for _ in range(10)]
        figures = {
            "connections_opened": len(sockets),
            "probes_ok": sum(1 for status, _ in probes if status == 200),
            "probe_max_s": max(seconds for _, seconds in probes),
            "server_cpu_s": round(server.cpu_seconds() - cpu_before, 2),
            "log_bytes": server.log.stat().st_size,
            "still_open_after_probes": sum(1 for s in sockets if _open(s)),
        }
        for sock in sockets:
            sock.close()
    finally:
        server.stop()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return figures


def _open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def build_kill(tmp: Path, trials: int = 20, pages: int = 1500) -> dict[str, Any]:
    """kill -9 of `ssg build` at random moments: is out/ always the old or the new build?"""
    site = write_site(
        tmp / "killbuild",
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "home {{ version }}",
            "app/page.py": "from pathlib import Path\n\ndef load(p):\n    return {'version': "
            "(Path(__file__).parents[1] / 'version.txt').read_text()}\n",
            "app/p/[n]/page.html": "<p>{{ params.n }} " + "x" * 2000 + "</p>",
            "app/p/[n]/page.py": f"def generate_static_params(p):\n    return [{{'n': str(i)}} "
            f"for i in range({pages})]\n",
            "version.txt": "0",
        },
    )
    build(site)
    started = time.monotonic()
    build(site)
    build_seconds = time.monotonic() - started
    outcomes = {"old": 0, "new": 0, "torn": 0, "lost": 0}
    leftovers_before_next = []
    survivors = 0
    for trial in range(1, trials + 1):
        old = _digest(site / "out")
        (site / "version.txt").write_text(str(trial))
        process = subprocess.Popen(
            ssg("build", str(site)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(random.uniform(0, build_seconds * 1.05))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        time.sleep(0.5)
        survivors += _session_processes(process.pid)
        out = site / "out"
        if not out.is_dir():
            outcomes["lost"] += 1
        elif _digest(out) == old:
            outcomes["old"] += 1
        elif f"home {trial}" in (out / "index.html").read_text() and _complete(out):
            outcomes["new"] += 1
        else:
            outcomes["torn"] += 1
        leftovers_before_next.append(len(list(site.glob(".out.*"))))
        build(site)  # the next build repairs and cleans up
    return {
        "trials": trials,
        "build_seconds": round(build_seconds, 2),
        **outcomes,
        "max_leftover_folders_after_a_kill": max(leftovers_before_next),
        "leftover_folders_after_next_build": len(list(site.glob(".out.*"))),
        "worker_processes_alive_0_5_s_after_kill": survivors,
    }


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _complete(out: Path) -> bool:
    manifest = json.loads((out / "_ssg" / "manifest.json").read_text())
    return all((out / info["output_file"]).is_file() for info in manifest["pages"].values())


def _session_processes(session_id: int) -> int:
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id and fields[0] != "Z":
            count += 1
    return count


ISR_PAGE = """import asyncio, ssg

revalidate = 1

@ssg.cache(revalidate=1)
async def payload():
    await asyncio.sleep(0.15)
    return "x" * 20000

async def load(params):
    await asyncio.sleep(0.15)
    return {"size": len(await payload())}
"""


def regen_kill(tmp: Path, kills: int = 10) -> dict[str, Any]:
    """kill -9 of `ssg serve` while pages regenerate: entries and the data cache stay whole."""
    site = write_site(
        tmp / "regen",
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/isr/page.html": "<p>isr {{ size }}</p>END-OF-PAGE",
            "app/isr/page.py": ISR_PAGE,
        },
    )
    build(site)
    corrupt = failed_checks = 0
    for _ in range(kills):
        server = Server(site)
        stop = threading.Event()

        def hammer(server: Server = server, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                probe(server.url("/isr"), timeout=2)

        thread = threading.Thread(target=hammer)
        thread.start()
        time.sleep(random.uniform(1.0, 2.5))
        server.stop(signal.SIGKILL)
        stop.set()
        thread.join()
        corrupt += _corrupt_entries(site / ".ssg" / "isr")
        database = site / ".ssg" / "data" / "cache.db"
        if database.exists():
            with sqlite3.connect(database) as check:
                corrupt += int(check.execute("PRAGMA integrity_check").fetchone()[0] != "ok")
        server = Server(site)
        status, _ = probe(server.url("/isr"))
        failed_checks += int(status != 200)
        server.stop()
    entries = len(list((site / ".ssg" / "isr").glob("*.entry")))
    return {
        "kills": kills,
        "entries_checked_last": entries,
        "corrupt": corrupt,
        "failed_page_checks_after_restart": failed_checks,
    }


def _corrupt_entries(folder: Path) -> int:
    """ISR entry files whose header (its page record) does not describe their body."""
    bad = 0
    for entry in folder.glob("*.entry"):
        head, _, body = entry.read_bytes().partition(b"\n")
        try:
            page = json.loads(head)["page"]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'  # as ssg.records.make_etag
            bad += int(len(body) != page["size_bytes"] or etag != page["etag"])
        except (ValueError, KeyError, TypeError):
            bad += 1
    return bad


UPSTREAM_PAGE = """import ssg

revalidate = 1

async def load(params):
    response = await ssg.fetch("{url}", revalidate=1)
    return {{"value": response.json()["value"]}}
"""


def upstream(tmp: Path, seconds: float = 10.0, clients: int = 32) -> dict[str, Any]:
    """The upstream fails (500), hangs or refuses under load: visitors keep the last good page."""
    mode = {"fault": "ok"}
    hang = threading.Event()

    async def handle(_request: web.Request) -> web.Response:
        if mode["fault"] == "500":
            return web.Response(status=500, text="down")
        if mode["fault"] == "hang":
            await asyncio.get_running_loop().run_in_executor(None, hang.wait, 30)
        return web.json_response({"value": "GOOD-v1"})

    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(web.Application())
    runner.app.router.add_get("/data", handle)
    loop.run_until_complete(runner.setup())
    site_server = web.TCPSite(runner, "127.0.0.1", port)
    loop.run_until_complete(site_server.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    site = write_site(
        tmp / "upstream",
        {
            "ssg.toml": "render_timeout_seconds = 5\nfetch_timeout_seconds = 3\n",
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/up/page.html": "<p>{{ value }}</p>",
            "app/up/page.py": UPSTREAM_PAGE.format(url=f"http://127.0.0.1:{port}/data"),
        },
    )
    build(site)
    server = Server(site)
    results = {}
    try:
        for fault in ("500", "hang", "refuse"):
            mode["fault"] = fault
            if fault == "refuse":
                loop.call_soon_threadsafe(lambda: asyncio.ensure_future(site_server.stop()))
            results[fault] = asyncio.run(_load(server.url("/up"), seconds, clients, "GOOD-v1"))
        hang.set()
    finally:
        server.stop()
        loop.call_soon_threadsafe(loop.stop)
    return {"seconds_per_fault": seconds, "clients": clients, **results}


async def _load(url: str, seconds: float, clients: int, marker: str) -> dict[str, Any]:
    counts = {"good": 0, "other": 0}
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def client(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                async with session.get(url) as response:
                    body = await response.text()
                    good = response.status == 200 and marker in body
            except aiohttp.ClientError:
                good = False
            latencies.append(time.monotonic() - started)
            counts["good" if good else "other"] += 1

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    total = counts["good"] + counts["other"]
    return {
        "responses": total,
        "good_percent": round(100 * counts["good"] / max(total, 1), 3),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }


def growth(tmp: Path, urls: int = 5000, budget: int = 1000) -> dict[str, Any]:
    """Random unlisted URLs on a dynamic_params route: memory and disk stay bounded."""
    site = write_site(
        tmp / "growth",
        {
            "ssg.toml": f"on_demand_max_entries = {budget}\n",
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/things/[id]/page.html": "<p>{{ params.id }}</p>" + "y" * 3000,
            "app/things/[id]/page.py": "revalidate = 3600\ndynamic_params = True\n",
        },
    )
    build(site)
    server = Server(site)
    samples = []
    try:
        rss_start = server.rss_mb()

        async def run(batch: range) -> None:
            async with aiohttp.ClientSession() as session:
                semaphore = asyncio.Semaphore(16)

                async def one(index: int) -> None:
                    async with (
                        semaphore,
                        session.get(server.url(f"/things/{index}-{random.random()}")),
                    ):
                        pass

                await asyncio.gather(*(one(i) for i in batch))

        step = max(1, urls // 4)
        for start in range(0, urls, step):
            asyncio.run(run(range(start, min(urls, start + step))))
            samples.append(
                {
                    "urls": min(urls, start + step),
                    "rss_mb": server.rss_mb(),
                    "isr_entries": len(list((site / ".ssg" / "isr").glob("*.entry"))),
                    "ssg_dir_mb": folder_mb(site / ".ssg"),
                }
            )
    finally:
        server.stop()
    return {"on_demand_max_entries": budget, "rss_start_mb": rss_start, "samples": samples}


SLOW_SYNC_PAGE = "import time\n\ndef load(params):\n    time.sleep(0.5)\n    return {}\n"
CACHED_PAGE = (
    "import ssg\n\n@ssg.cache(revalidate=60)\nasync def value(key):\n    return key\n\n"
    "async def load(params):\n    return {'v': await value(params['k'])}\n"
)
SYNC_CACHED_PAGE = (
    "import ssg\n\n@ssg.cache(revalidate=60)\ndef value(key):\n    return key\n\n"
    "async def load(params):  # a sync cached function called on the event loop\n"
    "    return {'v': value(params['k'])}\n"
)


def loop_lag(tmp: Path) -> dict[str, Any]:
    """Latency of a static file during a slow sync load() and a locked sqlite (async, sync cache)."""
    site = write_site(
        tmp / "lag",
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/slow/[k]/page.html": "slow",
            "app/slow/[k]/page.py": SLOW_SYNC_PAGE,
            "app/cached/[k]/page.html": "{{ v }}",
            "app/cached/[k]/page.py": CACHED_PAGE,
            "app/sync-cached/[k]/page.html": "{{ v }}",
            "app/sync-cached/[k]/page.py": SYNC_CACHED_PAGE,
            "public/robots.txt": "User-agent: *\n",
        },
    )
    build(site)
    server = Server(site)
    try:
        baseline = _probe_during(server, lambda: time.sleep(1.0))
        slow = _probe_during(server, lambda: probe(server.url("/slow/a"), timeout=30))
        holder = sqlite3.connect(
            site / ".ssg" / "data" / "cache.db", isolation_level=None, check_same_thread=False
        )
        holder.execute("BEGIN EXCLUSIVE")
        release = threading.Timer(2.0, holder.rollback)
        release.start()
        locked = _probe_during(server, lambda: probe(server.url("/cached/b"), timeout=30))
        release.join()
        holder.execute("BEGIN EXCLUSIVE")
        release = threading.Timer(2.0, holder.rollback)
        release.start()
        page_seconds: list[float] = []

        def sync_cached_page() -> None:  # the page, then the queued write waiting on the lock
            page_seconds.append(probe(server.url("/sync-cached/c"), timeout=30)[1])
            release.join()

        sync_locked = _probe_during(server, sync_cached_page)
        sync_locked["page_ms"] = round(page_seconds[0] * 1000, 1)
        holder.close()
    finally:
        server.stop()
    return {
        "baseline": baseline,
        "slow_sync_load_0_5_s": slow,
        "sqlite_locked_2_s": locked,
        "sync_cached_function_sqlite_locked_2_s": sync_locked,
    }


def _probe_during(server: Server, work: Callable[[], Any]) -> dict[str, float]:
    latencies: list[float] = []
    done = threading.Event()

    def probing() -> None:
        while not done.is_set():
            latencies.append(probe(server.url("/robots.txt"))[1])
            time.sleep(0.005)

    thread = threading.Thread(target=probing)
    thread.start()
    work()
    done.set()
    thread.join()
    return {
        "probes": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }


def first_regen(tmp: Path) -> dict[str, Any]:
    """examples/blog on a corpus: a static file's latency while revalidated pages regenerate.

    The first regeneration after start parses the whole content collection:
    in a worker thread for the sync load() of /blog/[slug]; the archive's async
    load() calls the sync collection helper on the loop (see README).
    Corpus: $SSG_BENCH_CORPUS, else ../shared/corpus/rust-blog/posts, else the blog's own posts.
    """
    import shutil

    site = tmp / "blog"
    shutil.copytree(REPO / "examples" / "blog", site, ignore=shutil.ignore_patterns("out", ".ssg"))
    corpus = Path(
        os.environ.get("SSG_BENCH_CORPUS", REPO.parent / "shared/corpus/rust-blog/posts")
    ).resolve()
    env = {"SSG_REVALIDATE_SECRET": "bench"}
    if corpus.is_dir():
        env["SSG_CONTENT_DIR"] = str(corpus)
    subprocess.run(
        ssg("build", str(site)), check=True, capture_output=True, env={**os.environ, **env}
    )
    manifest = json.loads((site / "out" / "_ssg" / "manifest.json").read_text())
    post = next(u for u, i in manifest["pages"].items() if i["route_pattern"] == "/blog/[slug]")
    server = Server(site, env=env)
    figures: dict[str, Any] = {"corpus": str(corpus) if corpus.is_dir() else "examples/blog"}
    started = time.monotonic()
    while "content collection(s)" not in server.log.read_text() and time.monotonic() - started < 60:
        time.sleep(0.05)  # the start-up preload (see README)
    figures["preload_seconds_after_ready"] = round(time.monotonic() - started, 2)
    try:
        for name, url_path in (("archive (async load)", "/blog"), ("post (sync load)", post)):
            request = urllib.request.Request(
                server.url("/_ssg/revalidate"),
                data=json.dumps({"path": url_path}).encode(),
                headers={"Authorization": "Bearer bench", "Content-Type": "application/json"},
            )
            urllib.request.urlopen(request, timeout=10).read()

            def regenerate(url_path: str = url_path) -> None:
                probe(server.url(url_path))  # the stale page; starts the regeneration
                time.sleep(2.0)

            figures[name] = _probe_during(server, regenerate)
    finally:
        server.stop()
    return figures


def endpoint_fuzz(tmp: Path, cases: int = 4000) -> dict[str, Any]:
    """Hypothesis-made headers and bodies at /_ssg/*: no 5xx (needs the test extra)."""
    from collections import Counter

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    site = write_site(tmp / "fuzz", {"app/layout.html": LAYOUT, "app/page.html": "home"})
    build(site)
    server = Server(site, env={"SSG_REVALIDATE_SECRET": "fuzz"})
    statuses: Counter[int] = Counter()
    raw = st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
    headers = st.one_of(raw, raw.map(lambda b: b"Bearer " + b), st.just(b"Bearer fuzz"))
    bodies = st.one_of(
        st.binary(max_size=300),
        st.integers(1, 30_000).map(lambda depth: b"[" * depth + b"]" * depth),
        st.dictionaries(st.sampled_from(["path", "tag", "type"]), st.text(max_size=40)).map(
            lambda v: json.dumps(v).encode()
        ),
    )

    @settings(max_examples=cases, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        method=st.sampled_from(["GET", "POST", "HEAD", "PUT"]),
        path=st.sampled_from(["/_ssg/revalidate", "/_ssg/status", "/_ssg/status?pages=1"]),
        authorization=headers,
        content_type=headers,
        body=bodies,
    )
    def send(
        method: str, path: str, authorization: bytes, content_type: bytes, body: bytes
    ) -> None:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".encode()
            + b"Authorization: "
            + authorization
            + b"\r\nContent-Type: "
            + content_type
            + f"\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        )
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(head + body)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        statuses[int(reply.split(b" ", 2)[1])] += 1

    started = time.monotonic()
    try:
        send()
    finally:
        server.stop()
    return {
        "cases": sum(statuses.values()),
        "seconds": round(time.monotonic() - started, 1),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": sum(n for status, n in statuses.items() if status >= 500),
        "tracebacks_logged": server.log.read_text(errors="replace").count("Traceback"),
    }


HANGING_PAGE = (
    "import asyncio\n\nasync def load(params):\n    await asyncio.sleep(60)\n    return {}\n"
)


def shutdown(tmp: Path, grace: float = 2.0) -> dict[str, Any]:
    """SIGTERM while a render outlasts the grace period: the client gets 503, exit is 1."""
    site = write_site(
        tmp / "shutdown",
        {
            "ssg.toml": f"shutdown_grace_seconds = {grace}\n",
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/slow/[k]/page.html": "slow",
            "app/slow/[k]/page.py": HANGING_PAGE,
        },
    )
    build(site)
    server = Server(site)
    box: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.update(reply=probe(server.url("/slow/x"), 60)))
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    os.kill(server.process.pid, signal.SIGTERM)
    thread.join()
    answered = time.monotonic() - started
    code = server.process.wait(timeout=60)
    return {
        "grace_seconds": grace,
        "client_got": box["reply"][0],
        "answered_after_s": round(answered, 2),
        "exited_after_s": round(time.monotonic() - started, 2),
        "exit_code": code,
    }


SCENARIOS: dict[str, Callable[..., dict[str, Any]]] = {
    "idle-flood": idle_flood,
    "build-kill": build_kill,
    "regen-kill": regen_kill,
    "upstream": upstream,
    "growth": growth,
    "loop-lag": loop_lag,
    "first-regen": first_regen,
    "shutdown": shutdown,
    "endpoint-fuzz": endpoint_fuzz,
}
SMALL: dict[str, tuple[Any, ...]] = {
    "build-kill": (5,),
    "regen-kill": (3,),
    "upstream": (5.0,),
    "growth": (2000, 500),
    "endpoint-fuzz": (1000,),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", choices=[*SCENARIOS, "all"])
    parser.add_argument("count", nargs="?", type=float, help="trials, seconds or URLs")
    args = parser.parse_args()
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"ssg-{name}-") as tmp:
            extra: tuple[Any, ...] = SMALL.get(name, ()) if args.scenario == "all" else ()
            if args.count is not None:
                count = args.count if name == "upstream" else int(args.count)
                extra = (count,)
            print_figures(name, SCENARIOS[name](Path(tmp), *extra))


if __name__ == "__main__":
    main()
