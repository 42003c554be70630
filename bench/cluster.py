"""Benchmark several `ssg serve` instances sharing one Redis, against the same on the local disk.

Builds a synthetic site once (`--pages` ISR posts, revalidate 3600) and gives
each instance its own copy of the site and of that build (one build id), so
only Redis connects them. Starts a real `redis-server` on a free port, then
`--instances` servers with `cache_url` = that Redis and as many with the local
disk backend (each its own `.ssg/`), all on 127.0.0.1. Prints:

- HIT req/s on one instance, Redis backend vs local disk, interleaved rounds
  (wrk when installed, else an aiohttp client), with the requests answered
  per CPU second of the server and the Redis commands run during the Redis
  runs (a HIT should need none); target: within 5 %.
- STALE storm: one page revalidated, then concurrent requests spread over all
  instances while its data is slow; regenerations counted (target 1 with
  Redis; the local disk gives one per instance).
- Revalidation propagation: `POST /_ssg/revalidate` of a page on one
  instance, then the time until the others answer it STALE; p50/p99 ms.
- `revalidate_tag` with `--data-keys` data-cache entries under other tags:
  the time to drop one tag's entries (target under 50 ms with Redis).

    python bench/cluster.py                        # 3 instances, 100,000 data keys
    python bench/cluster.py --seconds 5 --rounds 3 --trials 200
    python bench/cluster.py --backends disk        # the harness without Redis

Needs `pip install "ssg[redis]"` and Debian's redis-server for the Redis
columns; wrk (`apt-get install -y wrk`) for the HIT runs (else aiohttp).
The machine is shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

SECRET = "bench-secret"
AUTH = {"Authorization": f"Bearer {SECRET}"}
LAYOUT = "<!doctype html><html><head><title>bench</title></head><body>{{ children }}</body></html>"
PAGE_HTML = """<article><h1>Post {{ params.slug }}</h1>
{% for i in range(12) %}<p>Paragraph {{ i }} of {{ params.slug }}: lorem ipsum dolor sit amet,
consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna.</p>
{% endfor %}<footer>rendered {{ rendered_at }}</footer></article>"""
PAGE_PY = """import asyncio, time
from pathlib import Path

SITE = Path(__file__).resolve().parents[3]
revalidate = 3600

async def generate_static_params(params):
    return [{{"slug": f"post-{{i}}"}} for i in range({pages})]

async def load(params):
    # Simulated upstream latency (ms) while the storm runs, read at render time.
    delay = SITE / "upstream_ms.txt"
    if delay.exists():
        await asyncio.sleep(float(delay.read_text()) / 1000)
    return {{"rendered_at": time.time()}}
"""
READY_SECONDS = 120.0
SETTLE_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, seconds (from /proc; Linux only)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# -- the site and its copies ---------------------------------------------------------


def make_site(site_dir: Path, pages: int) -> None:
    files = {
        "app/layout.html": LAYOUT,
        "app/page.html": "<h1>bench</h1>",
        "app/blog/[slug]/page.html": PAGE_HTML,
        "app/blog/[slug]/page.py": PAGE_PY.format(pages=pages),
    }
    for relative, text in files.items():
        target = site_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "ssg", "build", str(site_dir)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def copy_site(built: Path, target: Path) -> Path:
    """An instance's own copy of the site and its build output (same build id), no caches."""
    shutil.copytree(built, target, ignore=shutil.ignore_patterns(".ssg", "__pycache__"))
    return target


# -- processes -----------------------------------------------------------------------


@dataclass
class Instance:
    """One `ssg serve` process with its own site copy."""

    site_dir: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    """Instances sharing one backend ("disk": each its own; "redis": one Redis)."""

    backend: str
    instances: list[Instance] = field(default_factory=list)
    cache_url: str = ""


def start_redis(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Debian's redis-server on a free port, without persistence."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(root)],
        stdout=(root / "redis.log").open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"redis-server did not answer on port {port}; see {root / 'redis.log'}")


def start_instance(site_dir: Path, cache_url: str) -> Instance:
    port = free_port()
    env = {**os.environ, "SSG_REVALIDATE_SECRET": SECRET, "SSG_CACHE_URL": cache_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "ssg", "serve", str(site_dir), "--port", str(port),
         "--no-access-log"],
        stdout=(site_dir / "serve.log").open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
    )  # fmt: skip
    return Instance(site_dir, port, process)


async def wait_ready(session: aiohttp.ClientSession, instance: Instance) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise SystemExit(f"ssg serve exited; see {instance.site_dir / 'serve.log'}")
        try:
            async with session.get(instance.base + "/_ssg/health") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit(f"ssg serve did not answer within {READY_SECONDS:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process we started (by its pid), then SIGKILL if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running(processes: list[subprocess.Popen[bytes]]) -> Iterator[None]:
    try:
        yield
    finally:
        for process in processes:
            stop(process)


# -- HTTP helpers ----------------------------------------------------------------------


async def status(session: aiohttp.ClientSession, instance: Instance, **query: str) -> Any:
    async with session.get(instance.base + "/_ssg/status", headers=AUTH, params=query) as reply:
        reply.raise_for_status()
        return await reply.json()


async def revalidate(
    session: aiohttp.ClientSession, instance: Instance, payload: dict[str, str]
) -> Any:
    async with session.post(instance.base + "/_ssg/revalidate", json=payload, headers=AUTH) as r:
        r.raise_for_status()
        return await r.json()


async def cache_state(session: aiohttp.ClientSession, instance: Instance, url: str) -> str:
    async with session.get(instance.base + url) as response:
        await response.read()
        return response.headers.get("X-SSG-Cache", str(response.status))


def shared(cluster: Cluster) -> bool:
    return cluster.backend == "redis"


async def regenerations(session: aiohttp.ClientSession, cluster: Cluster) -> int:
    """Regenerations run by the cluster.

    Disk: each instance counts its own (summed). Redis: one shared counter, which
    each instance knows as of its own last increment; the highest is the total.
    """
    counts = [(await status(session, i))["regenerations"] for i in cluster.instances]
    return max(counts) if shared(cluster) else sum(counts)


async def settle(session: aiohttp.ClientSession, cluster: Cluster) -> None:
    """Wait until no instance has a regeneration in flight."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        busy = [(await status(session, i))["worker"]["in_flight"] for i in cluster.instances]
        if not any(busy):
            return
        await asyncio.sleep(0.05)
    raise SystemExit("regenerations still running after 30 s")


# -- HIT throughput --------------------------------------------------------------------


def wrk_rps(url: str, seconds: float, connections: int) -> tuple[float, int, int]:
    """(req/s, requests, non-2xx) from wrk -t2."""
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rps, total, int(errors.group(1)) if errors else 0


async def aiohttp_rps(url: str, seconds: float, connections: int) -> tuple[float, int, int]:
    """(req/s, requests, non-2xx) from `connections` aiohttp clients (when wrk is missing)."""
    done = 0
    bad = 0
    deadline = time.monotonic() + seconds

    async def one(session: aiohttp.ClientSession) -> None:
        nonlocal done, bad
        while time.monotonic() < deadline:
            async with session.get(url) as response:
                await response.read()
                done += 1
                bad += response.status >= 300

    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(one(session) for _ in range(connections)))
    return done / (time.monotonic() - started), done, bad


async def redis_calls(cache_url: str) -> int:
    """Commands Redis has run so far (INFO commandstats, summed), minus this INFO call."""
    import redis.asyncio as redis

    client = redis.Redis.from_url(cache_url)
    try:
        stats = await client.info("commandstats")
    finally:
        await client.aclose()
    return sum(int(entry["calls"]) for entry in stats.values())


async def hit_runs(clusters: list[Cluster], url: str, args: argparse.Namespace) -> None:
    use_wrk = shutil.which("wrk") is not None
    tool = f"wrk -t2 -c{args.connections}" if use_wrk else f"aiohttp, {args.connections} clients"
    print(
        f"\nHIT {url} on one instance, {args.rounds} interleaved rounds of {args.seconds:g} s ({tool})"
    )
    results: dict[str, list[tuple[float, float]]] = {c.backend: [] for c in clusters}
    redis_delta: list[tuple[int, int]] = []
    for round_number in range(args.rounds):
        for cluster in clusters if round_number % 2 == 0 else clusters[::-1]:
            instance = cluster.instances[0]
            calls = await redis_calls(cluster.cache_url) if shared(cluster) else 0
            cpu = cpu_seconds(instance.process.pid)
            if use_wrk:
                rps, total, bad = await asyncio.to_thread(
                    wrk_rps, instance.base + url, args.seconds, args.connections
                )
            else:
                rps, total, bad = await aiohttp_rps(
                    instance.base + url, args.seconds, args.connections
                )
            used = cpu_seconds(instance.process.pid) - cpu
            if shared(cluster):
                redis_delta.append((await redis_calls(cluster.cache_url) - calls - 1, total))
            if bad:
                print(f"  {cluster.backend}: {bad} of {total} answers were not 2xx")
            results[cluster.backend].append((rps, total / used if used else float("nan")))
    for backend, runs in results.items():
        rps = statistics.median(r for r, _ in runs)
        per_cpu = statistics.median(c for _, c in runs)
        print(
            f"  {backend:5}  median {rps:8,.0f} req/s  (runs: "
            + ", ".join(f"{r:,.0f}" for r, _ in runs)
            + f")  {per_cpu:8,.0f} requests per server CPU second"
        )
    if len(results) == 2 and results["disk"] and results["redis"]:
        disk = statistics.median(r for r, _ in results["disk"])
        redis = statistics.median(r for r, _ in results["redis"])
        print(f"  redis / disk: {redis / disk:.3f} (target within 5 %: 0.95 or more)")
    if redis_delta:
        print(
            "  Redis commands during each Redis run, all instances' heartbeats and stream "
            "reads included: " + ", ".join(f"{c} for {t:,} requests" for c, t in redis_delta)
        )


# -- STALE storm -------------------------------------------------------------------------


async def storm(
    session: aiohttp.ClientSession, cluster: Cluster, url: str, args: argparse.Namespace
) -> None:
    """Revalidate `url`, slow its data down, then `args.storm` requests over all instances."""
    for instance in cluster.instances:
        (instance.site_dir / "upstream_ms.txt").write_text(str(args.upstream_ms))
    await settle(session, cluster)
    before = await regenerations(session, cluster)
    if shared(cluster):
        await revalidate(session, cluster.instances[0], {"path": url})
        await until_marked(session, cluster, url)
    else:  # nothing is shared: each instance learns of it on its own
        for instance in cluster.instances:
            await revalidate(session, instance, {"path": url})
    states: dict[str, int] = {}
    failed = 0
    queue = list(range(args.storm))
    connector = aiohttp.TCPConnector(limit=args.connections)

    async def one(client: aiohttp.ClientSession) -> None:
        nonlocal failed
        while queue:
            number = queue.pop()
            instance = cluster.instances[number % len(cluster.instances)]
            async with client.get(instance.base + url) as response:
                await response.read()
                state = response.headers.get("X-SSG-Cache", str(response.status))
                states[state] = states.get(state, 0) + 1
                failed += response.status >= 500

    started = time.monotonic()
    async with aiohttp.ClientSession(connector=connector) as client:
        await asyncio.gather(*(one(client) for _ in range(args.connections)))
    elapsed = time.monotonic() - started
    await settle(session, cluster)
    after = await regenerations(session, cluster)
    for instance in cluster.instances:
        (instance.site_dir / "upstream_ms.txt").unlink()
    print(
        f"  {cluster.backend:5}  {args.storm} requests in {elapsed:.2f} s over "
        f"{len(cluster.instances)} instances ({args.upstream_ms:g} ms upstream): "
        + ", ".join(f"{k} {v}" for k, v in sorted(states.items()))
        + f"; 5xx {failed}; regenerations {after - before}"
        + (" (target 1)" if shared(cluster) else " (one per instance expected)")
    )


async def until_marked(session: aiohttp.ClientSession, cluster: Cluster, url: str) -> None:
    """Wait until every instance's status lists `url` as marked stale (without requesting it)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        seen = 0
        for instance in cluster.instances:
            pages = (await status(session, instance, pages="1"))["pages"]
            seen += bool(pages.get(url, {}).get("marked_stale"))
        if seen == len(cluster.instances):
            return
        await asyncio.sleep(0.02)
    raise SystemExit(f"{url} was not marked stale on every instance within 10 s")


# -- propagation -----------------------------------------------------------------------


async def propagation(
    session: aiohttp.ClientSession, cluster: Cluster, pages: list[str], trials: int
) -> None:
    """Revalidate a page on one instance; time until each other instance answers it STALE."""
    seen_ms: list[float] = []
    post_ms: list[float] = []
    late = 0
    for trial in range(trials):
        url = pages[trial % len(pages)]
        origin = cluster.instances[trial % len(cluster.instances)]
        others = [i for i in cluster.instances if i is not origin]
        post, times = await one_trial(session, origin, others, url)
        post_ms.append(post)
        seen_ms += [t for t in times if t != float("inf")]
        late += sum(t == float("inf") for t in times)
        await settle(session, cluster)
    print(
        f"  {cluster.backend:5}  {len(seen_ms)} observations on {len(cluster.instances) - 1} "
        f"other instances: p50 {percentile(seen_ms, 0.5):.1f} ms, "
        f"p99 {percentile(seen_ms, 0.99):.1f} ms, max {max(seen_ms):.1f} ms "
        f"(from sending the POST, which took p50 {percentile(post_ms, 0.5):.1f} ms; "
        f"target p99 under 100 ms); never seen within 5 s: {late}"
        if seen_ms
        else f"  {cluster.backend:5}  not seen by any other instance within 5 s ({late} tries)"
    )


async def one_trial(
    session: aiohttp.ClientSession, origin: Instance, others: list[Instance], url: str
) -> tuple[float, list[float]]:
    """(POST ms, ms until each of `others` answered `url` STALE; inf past 5 s)."""
    started = time.perf_counter()

    async def timed_post() -> float:
        await revalidate(session, origin, {"path": url})
        return (time.perf_counter() - started) * 1000

    async def first_stale(instance: Instance) -> float:
        while time.perf_counter() - started < 5:
            if await cache_state(session, instance, url) == "STALE":
                return (time.perf_counter() - started) * 1000
        return float("inf")

    posted = asyncio.create_task(timed_post())
    times = await asyncio.gather(*(first_stale(i) for i in others))
    return await posted, list(times)


# -- revalidate_tag with many data keys ------------------------------------------------------


async def tag_drop(cluster: Cluster, keys: int) -> None:
    """Fill the cluster's data cache with `keys` entries under other tags, time revalidate_tag."""
    from ssg.config import load_config
    from ssg.isr.backend import open_backend
    from ssg.revalidate import Revalidate

    # The first instance's view: its site copy, the cluster's cache_url.
    config = load_config(
        cluster.instances[0].site_dir, environ={"SSG_CACHE_URL": cluster.cache_url}
    )
    backend = open_backend(config)
    store = backend.open_data_cache(time.time)
    if store is None:  # the disk backend's default: the data cache under .ssg/data
        from ssg.data.store import DataStore

        store = DataStore(config.cache_dir / "data", clock=time.time)
    try:
        started = time.perf_counter()
        revalidate_for = Revalidate.after(3600)
        for number in range(keys):
            tags = [f"other-{number % 1000}"] if number >= 10 else ["target"]
            await store.aset(f"bench-{number}", number, revalidate=revalidate_for, tags=tags)
        filled = time.perf_counter() - started
        started = time.perf_counter()
        dropped = store.revalidate_tag("target")
        took_ms = (time.perf_counter() - started) * 1000
        print(
            f"  {cluster.backend:5}  revalidate_tag dropped {dropped} of {keys:,} entries in "
            f"{took_ms:.1f} ms"
            + (" (target under 50 ms)" if shared(cluster) else "")
            + f"; filling took {filled:.1f} s"
        )
    finally:
        store.close()
        await backend.aclose()


# -- main ---------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="ssg-bench-cluster-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        built = root / "built"
        make_site(built, args.pages)
        clusters: list[Cluster] = []
        if "redis" in args.backends:
            redis_process, cache_url = start_redis(root)
            processes.append(redis_process)
            clusters.append(Cluster("redis", cache_url=cache_url))
        if "disk" in args.backends:
            clusters.append(Cluster("disk"))
        for cluster in clusters:
            for number in range(args.instances):
                site = copy_site(built, root / f"{cluster.backend}-{number}")
                cluster.instances.append(start_instance(site, cluster.cache_url))
                processes.append(cluster.instances[-1].process)
        with running(processes[::-1]):
            async with aiohttp.ClientSession() as session:
                for cluster in clusters:
                    for instance in cluster.instances:
                        await wait_ready(session, instance)
                pages = [f"/blog/post-{i}" for i in range(args.pages)]
                print(
                    f"{args.instances} instances per backend ({', '.join(c.backend for c in clusters)}), "
                    f"{args.pages} ISR pages, one build copied to each; load average {load_average()}"
                )
                await hit_runs(clusters, pages[0], args)
                print(f"\nSTALE storm on {pages[1]}")
                for cluster in clusters:
                    await storm(session, cluster, pages[1], args)
                print(f"\nRevalidation propagation, {args.trials} trials over {pages[2]}..")
                for cluster in clusters:
                    if shared(cluster):
                        await propagation(session, cluster, pages[2:], args.trials)
                    else:
                        print(f"  {cluster.backend:5}  not shared between instances: never seen")
                print(
                    f"\nrevalidate_tag with {args.data_keys:,} data-cache entries under other tags"
                )
                for cluster in clusters:
                    await tag_drop(cluster, args.data_keys)
                print(f"\nload average at the end {load_average()}")
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument(
        "--backends", nargs="+", choices=["redis", "disk"], default=["redis", "disk"]
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one HIT run")
    parser.add_argument("--rounds", type=int, default=5, help="HIT runs per backend, interleaved")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--storm", type=int, default=900, help="requests of the STALE storm")
    parser.add_argument("--upstream-ms", type=float, default=200.0)
    parser.add_argument("--trials", type=int, default=200, help="revalidations timed")
    parser.add_argument("--data-keys", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="leave the temp folder")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
