"""Benchmark a build switch under load: rebuild under a busy `ssg serve`, count what went wrong.

Builds a synthetic site (a home page and `--pages` prerendered ISR posts, each
showing the build's version) in a temp dir, starts `ssg serve` on 127.0.0.1
and drives it with aiohttp clients while `ssg build` runs `--rebuilds` times,
each with a new version. Prints the requests answered, the failed ones (an
error or a status other than 200; target 0), the mixed ones (an ETag that is
not the body's, or a body with two versions; target 0), and for each rebuild
how long after `ssg build` exited the server first answered the new version.

    python bench/switch.py                       # 200 posts, 3 rebuilds, 1 worker
    python bench/switch.py --workers 2 --rebuilds 5 --clients 32
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from ssg.records import make_etag

LAYOUT = "<html><head><title>t</title></head><body>{{ children }}</body></html>"
PAGE_PY = """from pathlib import Path

SITE = Path(__file__).resolve().parents[3]
revalidate = 3600

async def generate_static_params(params):
    return [{{"slug": str(i)}} for i in range({pages})]

async def load(params):
    return {{"version": (SITE / "content" / "version.txt").read_text().strip()}}
"""
HOME_PY = """from pathlib import Path

SITE = Path(__file__).resolve().parents[1]
revalidate = 3600

async def load(params):
    return {"version": (SITE / "content" / "version.txt").read_text().strip()}
"""
VERSION = re.compile(rb"version=(\d+);")
SWITCH_DEADLINE_SECONDS = 30.0


@dataclass
class Tally:
    answered: int = 0
    failed: int = 0
    mixed: int = 0
    problems: list[str] = field(default_factory=list)
    newest: int = 1  # the newest version any answer carried

    def fail(self, problem: str) -> None:
        self.failed += 1
        if len(self.problems) < 10:
            self.problems.append(problem)


def write_site(site_dir: Path, pages: int) -> None:
    files = {
        "app/layout.html": LAYOUT,
        "app/page.html": "<h1>home version={{ version }};</h1>",
        "app/page.py": HOME_PY,
        "app/blog/[slug]/page.html": "<p>post {{ params.slug }} version={{ version }};</p>",
        "app/blog/[slug]/page.py": PAGE_PY.format(pages=pages),
        "content/version.txt": "1",
    }
    for name, text in files.items():
        target = site_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def build(site_dir: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "ssg", "build", str(site_dir)], check=True, capture_output=True
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def client(
    session: aiohttp.ClientSession, base: str, urls: list[str], tally: Tally, stop: asyncio.Event
) -> None:
    index = 0
    while not stop.is_set():
        url = urls[index % len(urls)]
        index += 1
        try:
            async with session.get(base + url) as response:
                body = await response.read()
                status, etag = response.status, response.headers.get("ETag")
        except aiohttp.ClientError as exc:
            tally.fail(f"{url}: {type(exc).__name__}: {exc}")
            continue
        tally.answered += 1
        if status != 200:
            tally.fail(f"{url}: {status}")
            continue
        versions = set(VERSION.findall(body))
        if etag != make_etag(body) or len(versions) != 1:
            tally.mixed += 1
            continue
        tally.newest = max(tally.newest, int(versions.pop()))


async def run(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="ssg-bench-switch-"))
    site_dir = work / "site"
    write_site(site_dir, args.pages)
    build(site_dir)
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ssg", "serve", str(site_dir), "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(args.workers), "--no-access-log",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    tally = Tally()
    stop = asyncio.Event()
    switch_seconds: list[float] = []
    log = ""
    try:
        assert server.stderr is not None
        while b"ssg serving" not in await server.stderr.readline():
            if server.returncode is not None:
                raise SystemExit("ssg serve exited before listening")
        drain = asyncio.create_task(server.stderr.read())
        base = f"http://127.0.0.1:{port}"
        urls = ["/", *(f"/blog/{i}" for i in range(args.pages))]
        connector = aiohttp.TCPConnector(limit=args.clients)
        async with aiohttp.ClientSession(connector=connector) as session:
            clients = [
                asyncio.create_task(client(session, base, urls[i:] + urls[:i], tally, stop))
                for i in range(args.clients)
            ]
            started = time.monotonic()
            for version in range(2, args.rebuilds + 2):
                (site_dir / "content" / "version.txt").write_text(str(version))
                await asyncio.to_thread(build, site_dir)
                built = time.monotonic()
                async with asyncio.timeout(SWITCH_DEADLINE_SECONDS):
                    while tally.newest < version:
                        await asyncio.sleep(0.01)  # the clients' answers move `newest`
                switch_seconds.append(time.monotonic() - built)
            stop.set()
            await asyncio.gather(*clients)
            elapsed = time.monotonic() - started
        server.terminate()
        await server.wait()
        log = (await drain).decode(errors="replace")
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
        shutil.rmtree(work, ignore_errors=True)
    print(f"ssg serve --workers {args.workers}, {args.pages + 1} pages, {args.clients} clients, "
          f"{args.rebuilds} rebuilds in {elapsed:.1f} s")  # fmt: skip
    print(f"  answered          {tally.answered} ({tally.answered / elapsed:.0f} req/s)")
    print(f"  failed requests   {tally.failed} (target 0)")
    print(f"  mixed answers     {tally.mixed} (target 0)")
    print(
        "  first new answer  "
        + ", ".join(f"{s:.2f} s" for s in switch_seconds)
        + " after each `ssg build` exited (it switches before its link check ends)"
    )
    loads = re.findall(r"Switched from build \w+ to \w+ in ([\d.]+) s", log)
    print(f"  server switches   {len(loads)}, loading took " + ", ".join(f"{x} s" for x in loads))
    for problem in tally.problems:
        print(f"    {problem}")
    return 1 if tally.failed or tally.mixed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rebuilds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
