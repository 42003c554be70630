"""Benchmark `ssg serve`: HIT throughput, a STALE storm on one page, and on-demand MISS renders.

`--nginx` instead runs nginx (one worker, the shared bench's settings) and
`ssg serve --workers N` side by side on the same built page, interleaved
(`--rounds` of nginx then each ssg), and prints per round req/s, p99, the
servers' CPU per request and the load average, then the median of the
per-round ssg/nginx ratios and their spread (`--json` for bench/compare.py).

By default builds a synthetic site with 10,000 ISR posts in a temp dir
(`app/blog/[slug]`, revalidate = 60: the site the RSS budget is set for);
`--site DIR` copies a real site (e.g. examples/blog) there instead and builds it.
Starts `ssg serve` in its own process and drives it with wrk from another (wrk
shares the machine's cores with the server, as in the reference figures).
Prints req/s, p50/p99 latency and the server's RSS.

    python bench/serve.py                 # 10,000 pages, 10 s HIT run, 1 then 2 workers
    python bench/serve.py --pages 2000 --seconds 5 --workers 2
    python bench/serve.py --site examples/blog --workers 1
    python bench/serve.py --keep          # leave the temp site for inspection
    python bench/serve.py --nginx --bench-posts 1000 --seconds 8   # vs nginx, shared bench site
    python bench/serve.py --miss --against /work/main --rounds 5   # MISS, A/B vs a checkout

With `--site`, the HIT run and the STALE storm use two posts (pages of the
site's `[slug]` ISR route, see `pick_pages`; `--url` picks the HIT page); the storm has no
simulated upstream delay and the MISS phase is skipped (a real site's unknown
URLs are 404s, not renders worth caching).

`--bench-posts N` builds the shared bench's ssg adapter site over its generated
corpus of N posts (../shared/bench: gen_corpus.py, adapters/ssg.py) and uses
post #42, as its serve_bench.sh does.

`--miss` runs only on-demand MISS renders (every request a param no build listed,
so each is rendered, stored and answered as MISS), in rounds on a fresh copy of the
synthetic site each; with `--against DIR` it interleaves a second server running
the ssg package of another checkout (e.g. main) on its own copy, and prints per
round req/s, p99, the server's CPU per MISS (its CPU seconds / requests), the load
average and the medians. `--cache-url redis://HOST:PORT/DB` serves both from that
Redis (a key prefix of their own per run, so no run adopts another's entries):

    redis-server --port 6390 --save "" &
    python bench/serve.py --miss --against /work/main --cache-url redis://127.0.0.1:6390/0

Needs wrk (`apt-get install -y wrk`), and nginx for `--nginx`. Reference, same machine, wrk -t2 -c64 -d10s on
one post: nginx 57,800 req/s p99 3.3 ms; python -m http.server 1,084 req/s;
next start ISR HIT 844 req/s p99 1.1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssg.builder.manifest import load_manifest

REPO = Path(__file__).resolve().parents[1]
SHARED_BENCH = REPO.parent / "shared" / "bench"
BENCH_POST_INDEX = 42  # the shared bench's serve_bench.sh serves post #42

NGINX_CONF = """daemon off;
master_process on;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    open_file_cache max=10000 inactive=60s;
    client_body_temp_path {root}/nginx-tmp/body;
    proxy_temp_path {root}/nginx-tmp/proxy;
    fastcgi_temp_path {root}/nginx-tmp/fastcgi;
    uwsgi_temp_path {root}/nginx-tmp/uwsgi;
    scgi_temp_path {root}/nginx-tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {out};
        location / {{ try_files $uri $uri.html $uri/index.html =404; }}
    }}
}}
"""
SECRET = "bench-secret"

PAGE_HTML = """<article><h1>Post {{ params.slug }}</h1>
{% for i in range(12) %}<p>Paragraph {{ i }} of {{ params.slug }}: lorem ipsum dolor sit amet,
consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna
aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris.</p>
{% endfor %}<footer>rendered {{ rendered_at }}</footer></article>"""

PAGE_PY = """import asyncio, time
from pathlib import Path

SITE = Path(__file__).resolve().parents[3]
revalidate = 60

async def generate_static_params(params):
    return [{{"slug": f"post-{{i}}"}} for i in range({pages})]

async def load(params):
    # Simulated upstream latency (ms) while the storm runs, read at render time.
    delay = SITE / "upstream_ms.txt"
    if delay.exists():
        await asyncio.sleep(float(delay.read_text()) / 1000)
    return {{"rendered_at": time.time()}}
"""

STORM_LUA = """
local threads = {}
local limit = tonumber(os.getenv("STORM_PER_THREAD") or "500")
function setup(thread) table.insert(threads, thread) end
function init(args) count = 0; stale = 0; hit = 0; miss = 0 end
function response(status, headers, body)
  count = count + 1
  local state = headers["X-SSG-Cache"]
  if state == "STALE" then stale = stale + 1 elseif state == "HIT" then hit = hit + 1
  elseif state == "MISS" then miss = miss + 1 end
  if count >= limit then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local s, h, m = 0, 0, 0
  for _, t in ipairs(threads) do s = s + t:get("stale"); h = h + t:get("hit"); m = m + t:get("miss") end
  io.write(string.format("STATES stale=%d hit=%d miss=%d\\n", s, h, m))
end
"""

MISS_LUA = """
local counter = 0
id = 0
function setup(thread) id = id + 1; thread:set("id", id) end
function request()
  counter = counter + 1
  return wrk.format(nil, "/blog/new-" .. id .. "-" .. counter)
end
"""


@dataclass(frozen=True)
class Target:
    """What to benchmark: a built site and the URLs each phase uses.

    Attributes:
        site: the site folder (a temp copy).
        hit_url: the page of the HIT run.
        storm_url: the page revalidated on demand for the STALE storm.
        synthetic: the generated site (slow upstream in the storm, MISS phase).
    """

    site: Path
    hit_url: str
    storm_url: str
    synthetic: bool


def make_site(root: Path, pages: int) -> Path:
    site = root / "site"
    files = {
        "app/layout.html": "<!doctype html><html><head><title>bench</title></head>"
        "<body>{{ children }}</body></html>",
        "app/blog/[slug]/page.html": PAGE_HTML,
        "app/blog/[slug]/page.py": PAGE_PY.format(pages=pages),
    }
    for relative, text in files.items():
        target = site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return site


def copy_site(source: Path, root: Path) -> Path:
    """Copy a site into the temp dir without its build output and caches."""
    site = root / "site"
    shutil.copytree(
        source, site, ignore=shutil.ignore_patterns("out", ".ssg", "__pycache__", "renders.log")
    )
    return site


def pick_pages(site: Path, url: str | None) -> tuple[str, str]:
    """(HIT page, STALE storm page): two pages of the site's post route.

    The post route is the prerendered ISR route ending in `[slug]` with the most
    pages (`/blog/[slug]` in examples/blog), else the ISR route with the most pages.

    Raises:
        SystemExit: the build has no ISR route with two pages, or `url` is not one of its pages.
    """
    manifest = load_manifest(site / "out")
    if manifest is None:
        raise SystemExit(f"{site}: no build found (out/_ssg/manifest.json)")
    pages = {
        url_path: page
        for url_path, page in manifest.pages.items()
        if page.status == 200
        and page.revalidate.is_timed
        and page.content_type.startswith("text/html")
    }
    routes = Counter(page.route_pattern for page in pages.values())
    candidates = [r for r, count in routes.most_common() if count >= 2]
    if not candidates:
        raise SystemExit(f"{site}: no ISR route with two prerendered pages to benchmark")
    route = next((r for r in candidates if r.endswith("/[slug]")), candidates[0])
    urls = sorted(u for u, page in pages.items() if page.route_pattern == route)
    if url is not None and url not in pages:
        raise SystemExit(f"--url {url} is not a prerendered ISR page of the build")
    hit = url or urls[0]
    return hit, next(u for u in urls if u != hit)


def bench_site(root: Path, posts: int) -> Path:
    """The shared bench's ssg adapter site over its corpus of `posts` posts (in `root`)."""
    if not (SHARED_BENCH / "adapters" / "ssg.py").exists():
        raise SystemExit(f"--bench-posts needs the shared bench in {SHARED_BENCH}")
    corpus, site = root / "corpus", root / "site"
    for command in (
        [sys.executable, str(SHARED_BENCH / "gen_corpus.py"), str(posts), str(corpus)],
        [sys.executable, str(SHARED_BENCH / "adapters" / "ssg.py"), str(corpus), str(site)],
    ):
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return site


def pick_post(site: Path, url: str | None) -> str:
    """The page both servers answer: `url`, else post #42 of the route with the most pages."""
    manifest = load_manifest(site / "out")
    if manifest is None:
        raise SystemExit(f"{site}: no build found (out/_ssg/manifest.json)")
    if url is not None:
        return url
    pages = {
        url_path: page
        for url_path, page in manifest.pages.items()
        if page.status == 200 and page.content_type.startswith("text/html")
    }
    route, _ = Counter(page.route_pattern for page in pages.values()).most_common(1)[0]
    urls = sorted(u for u, page in pages.items() if page.route_pattern == route)
    return urls[min(BENCH_POST_INDEX, len(urls) - 1)]


def build(site: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ssg", "build", str(site)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> Any:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read()) if "json" in response.headers["Content-Type"] else None


def wait_ready(base: str, url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("ssg serve exited; see its log")
        try:
            urllib.request.urlopen(base + url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("ssg serve did not answer within 120 s")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wrk(
    url: str,
    seconds: int,
    *,
    script: str | None = None,
    env: dict[str, str] | None = None,
    connections: int = 64,
) -> dict[str, Any]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", script]
    output = subprocess.run(
        [*command, url],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    latency = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", output)) for p in ("50", "99")}
    states = re.search(r"STATES stale=(\d+) hit=(\d+) miss=(\d+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": rps,
        "requests": total,
        "p50_ms": latency["50"],
        "p99_ms": latency["99"],
        "states": tuple(int(x) for x in states.groups()) if states else None,
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def _ms(found: re.Match[str] | None) -> float:
    if found is None:
        return float("nan")
    value = found.group(1)
    number = float(re.match(r"[\d.]+", value).group(0))  # type: ignore[union-attr]
    unit = value[len(str(re.match(r"[\d.]+", value).group(0))) :]  # type: ignore[union-attr]
    return number * {"us": 0.001, "ms": 1.0, "s": 1000.0}.get(unit, 1.0)


def run_server(target: Target, root: Path, workers: int, args: argparse.Namespace) -> None:
    """Start `ssg serve --workers N`, drive the three phases with wrk, print, stop it."""
    site = target.site
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(root / f"serve-{workers}.log", "wb")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ssg",
            "serve",
            str(site),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "SSG_REVALIDATE_SECRET": SECRET},
    )
    auth = {"Authorization": f"Bearer {SECRET}"}
    print(f"\n== ssg serve --workers {workers}")
    try:
        wait_ready(base, target.hit_url, server)
        print(f"RSS after start: {rss_mb_tree(server.pid):.0f} MB (all processes)")

        hit = wrk(base + target.hit_url, args.seconds)
        print(
            f"HIT   {target.hit_url}: {hit['rps']:,.0f} req/s  p50 {hit['p50_ms']:.2f} ms  "
            f"p99 {hit['p99_ms']:.2f} ms  ({hit['requests']:,} requests, non-2xx {hit['non_2xx']})"
        )
        print(f"RSS after HIT run: {rss_mb_tree(server.pid):.0f} MB")

        # STALE storm: mark one page stale on demand, slow its data down (synthetic
        # site), then 1,000 requests at 64 connections; the regeneration counter
        # must move by exactly 1.
        upstream_ms = args.upstream_ms if target.synthetic else 0.0
        if target.synthetic:
            (site / "upstream_ms.txt").write_text(str(upstream_ms))
        before = get(base + "/_ssg/status", auth)["regenerations"]
        get(
            base + "/_ssg/revalidate",
            {**auth, "Content-Type": "application/json"},
            json.dumps({"path": target.storm_url}).encode(),
        )
        time.sleep(1.5)  # the other workers apply the mark within a second ("sync-marks")
        script = root / "storm.lua"
        script.write_text(STORM_LUA)
        storm = wrk(base + target.storm_url, 5, script=str(script), env={"STORM_PER_THREAD": "500"})
        time.sleep(upstream_ms / 1000 + 1.0)  # let the one regeneration finish
        after = get(base + "/_ssg/status", auth)["regenerations"]
        stale, hits, misses = storm["states"] or (0, 0, 0)
        print(
            f"STALE storm {target.storm_url}: {storm['requests']:,} requests at 64 connections, "
            f"p50 {storm['p50_ms']:.2f} ms  p99 {storm['p99_ms']:.2f} ms; "
            f"STALE {stale} HIT {hits} MISS {misses}; regenerations: {after - before}"
        )
        if not target.synthetic:
            print(f"RSS at the end: {rss_mb_tree(server.pid):.0f} MB")
            return
        (site / "upstream_ms.txt").unlink()

        script = root / "miss.lua"
        script.write_text(MISS_LUA.replace("new-", f"new{workers}-"))
        miss = wrk(base, max(3, args.seconds // 2), script=str(script))
        print(
            f"MISS  on-demand /blog/new-*: {miss['rps']:,.0f} req/s  p50 {miss['p50_ms']:.2f} ms  "
            f"p99 {miss['p99_ms']:.2f} ms  ({miss['requests']:,} pages rendered and stored)"
        )
        print(f"RSS at the end: {rss_mb_tree(server.pid):.0f} MB")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def cpu_seconds_tree(pid: int) -> float:
    """User + system CPU seconds of a process and its children (live ones)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += cpu_seconds_tree(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


def start_ssg(
    site: Path, root: Path, workers: int, *, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """`ssg serve SITE --workers N` on a free port (its log in root; `env` replaces os.environ)."""
    port = free_port()
    log = open(root / f"serve-{workers}.log", "ab")  # noqa: SIM115 - the child keeps it
    command = [sys.executable, "-m", "ssg", "serve", str(site), "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", str(workers)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**(os.environ if env is None else env), "SSG_REVALIDATE_SECRET": SECRET},
    )
    return server, port


def start_nginx(site: Path, root: Path) -> tuple[subprocess.Popen[bytes], int]:
    """nginx with one worker over SITE/out (clean URLs: /posts/a -> posts/a.html)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("nginx is not installed: apt-get install -y nginx")
    port = free_port()
    (root / "nginx-tmp").mkdir(exist_ok=True)
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root, port=port, out=(site / "out").resolve()))
    root.chmod(0o755)  # nginx's worker may run as another user: it reads out/ through root
    log = open(root / "nginx.log", "ab")  # noqa: SIM115 - the child keeps it
    return subprocess.Popen([nginx, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT), port


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process we started (then SIGKILL after 30 s)."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def versus_nginx(site: Path, root: Path, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Interleaved wrk rounds of nginx and each `ssg serve --workers N` on one page.

    Returns:
        {"url", "rounds": [{name: {rps, p99_ms, cpu_us, load}}], "summary": {name: ...}}
        where the summary of each ssg has the median ratio to nginx and its spread.
    """
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        servers["nginx"] = start_nginx(site, root)
        for workers in args.workers:
            servers[f"ssg --workers {workers}"] = start_ssg(site, root, workers)
        for process, port in servers.values():
            wait_ready(f"http://127.0.0.1:{port}", url, process)
            wrk(f"http://127.0.0.1:{port}{url}", 2)  # warm-up: first HIT, caches, pages
        rss = {name: round(rss_mb_tree(process.pid)) for name, (process, _) in servers.items()}
        rounds: list[dict[str, dict[str, float]]] = []
        print(f"page {url}, wrk -t2 -c64 -d{args.seconds}s, {args.rounds} interleaved rounds")
        for number in range(1, args.rounds + 1):
            row: dict[str, dict[str, float]] = {}
            for name, (process, port) in servers.items():
                before = cpu_seconds_tree(process.pid)
                result = wrk(f"http://127.0.0.1:{port}{url}", args.seconds)
                cpu_us = (cpu_seconds_tree(process.pid) - before) / result["requests"] * 1e6
                row[name] = {
                    "rps": result["rps"],
                    "p99_ms": result["p99_ms"],
                    "cpu_us": cpu_us,
                    "load": os.getloadavg()[0],
                    "non_2xx": result["non_2xx"],
                }
                print(
                    f"  round {number} {name:24s} {result['rps']:9,.0f} req/s  "
                    f"p99 {result['p99_ms']:6.2f} ms  {cpu_us:5.1f} us CPU/request  "
                    f"load {row[name]['load']:.2f}"
                    + (f"  non-2xx {result['non_2xx']}" if result["non_2xx"] else "")
                )
            rounds.append(row)
    finally:
        for process, _ in servers.values():
            stop(process)
    summary: dict[str, dict[str, float]] = {}
    for name in servers:
        ratios = sorted(r[name]["rps"] / r["nginx"]["rps"] for r in rounds)
        summary[name] = {
            "rps": _median([r[name]["rps"] for r in rounds]),
            "p99_ms": _median([r[name]["p99_ms"] for r in rounds]),
            "cpu_us": _median([r[name]["cpu_us"] for r in rounds]),
            "ratio": _median(ratios),
            "ratio_min": ratios[0],
            "ratio_max": ratios[-1],
            "rss_mb": rss[name],
        }
    loads = [r[name]["load"] for r in rounds for name in r]
    print(f"load average (1 min) during the rounds: {min(loads):.2f}-{max(loads):.2f}")
    for name, row in summary.items():
        ratio = (
            ""
            if name == "nginx"
            else f"  x{row['ratio']:.2f} nginx (spread {row['ratio_min']:.2f}-{row['ratio_max']:.2f})"
        )
        print(
            f"{name:24s} median {row['rps']:9,.0f} req/s  p99 {row['p99_ms']:.2f} ms  "
            f"{row['cpu_us']:.1f} us CPU/request  RSS {row['rss_mb']} MB{ratio}"
        )
    return {"url": url, "rounds": rounds, "summary": summary, "load": [min(loads), max(loads)]}


def miss_rounds(site: Path, root: Path, args: argparse.Namespace) -> None:
    """Interleaved rounds of on-demand MISS renders: this checkout, then `--against`'s.

    Each round starts each server on a fresh copy of the built site (so no round
    meets entries or evictions of another), waits for it, then drives wrk with
    distinct unlisted params for `--seconds`.
    """
    checkouts = {"this": REPO}
    if args.against is not None:
        checkouts["against"] = args.against.resolve()
    script = root / "miss.lua"
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in checkouts}
    print(
        f"MISS: wrk -t2 -c64 -d{args.seconds}s, distinct /blog/new-* URLs, "
        f"--workers {args.workers[0]}, {args.rounds} interleaved rounds, "
        f"ISR state {'in ' + args.cache_url if args.cache_url else 'on the local disk'}"
    )
    for number in range(1, args.rounds + 1):
        for name, checkout in checkouts.items():
            copy = root / f"site-{name}-{number}"
            shutil.copytree(site, copy, ignore=shutil.ignore_patterns(".ssg"))
            env = {**os.environ, "PYTHONPATH": str(checkout)}
            if args.cache_url is not None:
                env["SSG_CACHE_URL"] = f"{args.cache_url}?prefix=bench-miss-{name}-{number}"
            server, port = start_ssg(copy, root, args.workers[0], env=env)
            try:
                wait_ready(f"http://127.0.0.1:{port}", "/blog/post-1", server)
                script.write_text(MISS_LUA.replace("new-", f"new-{number}-"))
                before = cpu_seconds_tree(server.pid)
                result = wrk(f"http://127.0.0.1:{port}", args.seconds, script=str(script))
                cpu_us = (cpu_seconds_tree(server.pid) - before) / result["requests"] * 1e6
            finally:
                stop(server)
                shutil.rmtree(copy, ignore_errors=True)
            row = {**result, "cpu_us": cpu_us, "load": os.getloadavg()[0]}
            rows[name].append(row)
            print(
                f"  round {number} {name:8s} {result['rps']:7,.0f} req/s  "
                f"p99 {result['p99_ms']:7.2f} ms  {cpu_us:6.0f} us CPU/MISS  "
                f"load {row['load']:.2f}"
                + (f"  non-2xx {result['non_2xx']}" if result["non_2xx"] else "")
            )
    loads = [row["load"] for name in rows for row in rows[name]]
    print(f"load average (1 min) during the rounds: {min(loads):.2f}-{max(loads):.2f}")
    for name, checkout in checkouts.items():
        print(
            f"{name:8s} ({checkout}) median {_median([r['rps'] for r in rows[name]]):7,.0f} "
            f"req/s  p99 {_median([r['p99_ms'] for r in rows[name]]):.2f} ms  "
            f"{_median([r['cpu_us'] for r in rows[name]]):.0f} us CPU/MISS"
        )
    if "against" in rows:
        ratios = sorted(
            a["cpu_us"] / b["cpu_us"] for a, b in zip(rows["this"], rows["against"], strict=True)
        )
        print(
            f"CPU per MISS, this / against: median {_median(ratios):.2f} "
            f"(spread {ratios[0]:.2f}-{ratios[-1]:.2f})"
        )


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def rss_mb_tree(pid: int) -> float:
    """RSS of a process and its children (the supervisor and its workers), MB."""
    total = rss_mb(pid)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        for child in children.read_text().split():
            total += rss_mb_tree(int(child))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--site",
        type=Path,
        help="benchmark this site (copied and built, e.g. examples/blog) instead of the "
        "synthetic one",
    )
    parser.add_argument("--url", help="with --site: the page of the HIT run")
    parser.add_argument("--pages", type=int, default=10_000, help="pages of the synthetic site")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--upstream-ms",
        type=float,
        default=200.0,
        help="simulated data latency of the storm's regeneration",
    )
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--nginx", action="store_true", help="HIT req/s against nginx, interleaved (see above)"
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="with --nginx or --miss: interleaved rounds"
    )
    parser.add_argument(
        "--bench-posts",
        type=int,
        help="serve the shared bench's ssg adapter site over N generated posts",
    )
    parser.add_argument("--json", type=Path, help="with --nginx: write the figures here")
    parser.add_argument(
        "--miss", action="store_true", help="on-demand MISS renders only, in rounds (see above)"
    )
    parser.add_argument(
        "--against",
        type=Path,
        help="with --miss: a checkout of ssg (e.g. /work/main) whose server runs interleaved",
    )
    parser.add_argument(
        "--cache-url",
        help="with --miss: share ISR state through this Redis (redis://HOST:PORT/DB)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    root = Path(tempfile.mkdtemp(prefix="ssg-bench-serve-"))
    try:
        if args.nginx:
            if args.bench_posts:
                site = bench_site(root, args.bench_posts)
            elif args.site is not None:
                site = copy_site(args.site, root)
            else:
                site = make_site(root, args.pages)
            print(f"site: {site}")
            print(f"build: {build(site):.1f} s")
            figures = versus_nginx(site, root, pick_post(site, args.url), args)
            if args.json is not None:
                args.json.write_text(json.dumps(figures, indent=2))
            return
        if args.miss:
            site = make_site(root, args.pages)
            print(f"site: {site} ({args.pages} pages), build: {build(site):.1f} s")
            miss_rounds(site, root, args)
            return
        if args.site is None:
            site = make_site(root, args.pages)
            print(f"site: {site} ({args.pages} pages)")
            print(f"build: {build(site):.1f} s")
            target = Target(site, "/blog/post-1", "/blog/post-2", synthetic=True)
        else:
            site = copy_site(args.site, root)
            print(f"site: {site} (a copy of {args.site})")
            print(f"build: {build(site):.1f} s")
            hit_url, storm_url = pick_pages(site, args.url)
            target = Target(site, hit_url, storm_url, synthetic=False)
        for workers in args.workers:
            run_server(target, root, workers, args)
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
