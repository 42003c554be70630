"""Benchmark `ssg dev` on examples/blog: start-up, then save -> reload event -> new HTML for four edits.

Copies examples/blog and a corpus's posts (rust-blog by default) to a temporary
folder, starts `ssg dev` there on an ephemeral port with SSG_CONTENT_DIR pointing
at the copy, opens the live-reload stream as a browser would, and edits in turn:
a post's body, a post's front matter (its title), the layout template
(app/layout.html) and a page module (app/blog/[slug]/page.py). For each edit it
prints the time from the write to the `reload` event, and to the first response
of the post's page that has the new HTML, the CPU ssg dev's processes used
meanwhile, and how many of the open pages (the post's, / and /blog, each with its
own events stream as a browser tab) were told to reload, from the terminal line.
Medians of `--runs` rounds. `--starts 0` skips the start-up part.

Then it times `--starts` pairs of start-ups, from launching `ssg dev` to the
first answer of "/": cold (no SITE/.ssg: every post parsed) then warm (the
content cache and compiled templates the cold one left), interleaved, with the
CPU seconds ssg dev's processes used until that answer and the load average
(this machine is shared: compare CPU as well as wall time).

    python bench/dev.py                     # rust-blog, 3 rounds, 5 start-up pairs
    python bench/dev.py --corpus go-blog --runs 5 --starts 9
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import aiohttp

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO.parent / "shared" / "corpus"
EXAMPLE = REPO / "examples" / "blog"
EVENTS_PATH = "/_ssg/dev/events"


class Dev:
    """A running `ssg dev` and its terminal output."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self.url = ""
        self.drain: asyncio.Task[None] | None = None

    async def read_url(self) -> None:
        assert self.process.stdout is not None
        while line := (await self.process.stdout.readline()).decode():
            self.lines.append(line)
            if "ssg dev serving" in line:
                self.url = line.split(" on ", 1)[1].split()[0]
                self.drain = asyncio.create_task(self._drain())
                return
        sys.exit("ssg dev exited:\n" + "".join(self.lines))

    async def _drain(self) -> None:
        assert self.process.stdout is not None
        while line := (await self.process.stdout.readline()).decode():
            self.lines.append(line)


async def next_event(response: aiohttp.ClientResponse) -> tuple[str, str] | None:
    """(event, id) of the next Server-Sent Event, or None when the stream ends."""
    name, event_id = "", ""
    while raw := await response.content.readline():
        line = raw.decode().rstrip("\n")
        if not line:
            if name:
                return name, event_id
            continue
        key, _, value = line.partition(": ")
        if key == "event":
            name = value
        elif key == "id":
            event_id = value
    return None


async def until_reload(
    session: aiohttp.ClientSession, url: str, stream: aiohttp.ClientResponse
) -> aiohttp.ClientResponse:
    """Wait for `reload`, reconnecting (with Last-Event-ID) when a worker restart ends the stream."""
    last_id = ""
    while True:
        event = await next_event(stream)
        if event is None:
            stream.close()
            stream = await session.get(
                url + EVENTS_PATH,
                headers={"Last-Event-ID": last_id},
                timeout=aiohttp.ClientTimeout(total=None),
            )
            continue
        name, event_id = event
        last_id = event_id or last_id
        if name == "reload":
            return stream


async def until_html(session: aiohttp.ClientSession, page_url: str, marker: str) -> None:
    """Ask for the page until its HTML holds `marker` (as the reloaded browser would)."""
    while True:
        async with session.get(page_url) as response:
            if marker in await response.text():
                return


async def open_page_stream(
    session: aiohttp.ClientSession, url: str, page_url: str
) -> aiohttp.ClientResponse:
    """Load the page and open its events stream as its injected script does (with its path)."""
    async with session.get(page_url) as response:
        found = re.search(r'const url = "/_ssg/dev/events(\?[^"]*)"', await response.text())
    assert found is not None
    query = found.group(1)
    if query.endswith("path="):  # the script adds the page's location.pathname
        query += quote(page_url[len(url) :] or "/", safe="")
    return await session.get(
        url + EVENTS_PATH + query,
        timeout=aiohttp.ClientTimeout(total=None),
    )


async def measure_edit(
    session: aiohttp.ClientSession, url: str, page_url: str, edit: Callable[[], object], marker: str
) -> tuple[float, float]:
    stream = await open_page_stream(session, url, page_url)
    first = await next_event(stream)
    assert first is not None and first[0] == "hello", first
    started = time.perf_counter()
    edit()
    stream = await until_reload(session, url, stream)
    reload_seconds = time.perf_counter() - started
    stream.close()
    await until_html(session, page_url, marker)
    return reload_seconds, time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="rust-blog")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--starts", type=int, default=5, help="cold + warm start-up pairs")
    parser.add_argument("--verbose", action="store_true", help="also print ssg dev's terminal")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ssg-bench-dev-") as tmp:
        site = Path(tmp) / "blog"
        shutil.copytree(EXAMPLE, site, ignore=shutil.ignore_patterns("out", ".ssg", "__pycache__"))
        posts = Path(tmp) / "posts"
        shutil.copytree(CORPUS_DIR / args.corpus / "posts", posts)
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ssg",
            "dev",
            str(site),
            "--port",
            "0",
            env={**os.environ, "SSG_CONTENT_DIR": str(posts), "PYTHONUNBUFFERED": "1"},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        dev = Dev(process)
        try:
            await dev.read_url()
            async with aiohttp.ClientSession() as session:
                async with session.get(dev.url + "/") as response:
                    assert response.status == 200, await response.text()
                first_response = time.perf_counter() - started
                async with session.get(dev.url + "/blog") as response:
                    body = await response.text()
                slug = re.search(r'href="/blog/([^"/]+)"', body)
                assert slug is not None
                page_url = f"{dev.url}/blog/{slug.group(1)}"
                async with session.get(page_url) as response:
                    assert response.status == 200
                    title = re.search(r'class="post__title"[^>]*>([^<]+)<', await response.text())
                assert title is not None
                post_file = _post_file(posts, html.unescape(title.group(1)).strip())
                print(f"editing {post_file.name}, shown at {page_url}", file=sys.stderr)
                print(
                    f"ssg dev on examples/blog + {args.corpus} ({sum(1 for _ in posts.rglob('*.md'))} posts)"
                )
                print(f"first response after start-up: {first_response * 1000:.0f} ms")
                layout = site / "app" / "layout.html"
                page_py = site / "app" / "blog" / "[slug]" / "page.py"
                original = {f: f.read_text() for f in (post_file, layout, page_py)}
                results: dict[str, list[tuple[float, float, float]]] = {}
                reloaded: dict[str, str] = {}
                # Two more open pages, as in a browser: the home page and the blog list.
                watchers = [
                    await open_page_stream(session, dev.url, dev.url + path)
                    for path in ("/", "/blog")
                ]
                for run in range(args.runs):
                    marker = f"bench{run}x{time.time_ns()}"
                    edits = {
                        "post body": (
                            lambda m=marker: post_file.write_text(
                                original[post_file] + f"\n\n{m}\n"
                            ),
                            marker,
                        ),
                        "post front matter": (
                            lambda m=marker: post_file.write_text(_retitle(original[post_file], m)),
                            marker,
                        ),
                        "layout template": (
                            lambda m=marker: layout.write_text(
                                original[layout]
                                + "{% block footer %}{{ super() }}<p>"
                                + m
                                + "</p>{% endblock %}\n"
                            ),
                            marker,
                        ),
                        "page module (restart)": (
                            lambda m=marker: page_py.write_text(
                                original[page_py] + f"\nBENCH = {m!r}\n"
                            ),
                            "",  # any page of the new worker: see below
                        ),
                    }
                    for name, (edit, wanted) in edits.items():
                        print(f"  round {run + 1}: {name}", file=sys.stderr, flush=True)
                        mark = len(dev.lines)
                        cpu_before = _tree_cpu_seconds(process.pid)
                        if not wanted:
                            # The new worker's pages carry its generation in the live-reload script.
                            async with session.get(page_url) as response:
                                old = re.search(r"generation=([\w-]+)", await response.text())
                            assert old is not None
                            reload_s, html_s = await _measure_restart(
                                session, dev.url, page_url, edit, old.group(1)
                            )
                        else:
                            reload_s, html_s = await measure_edit(
                                session, dev.url, page_url, edit, wanted
                            )
                        cpu_s = _tree_cpu_seconds(process.pid) - cpu_before
                        results.setdefault(name, []).append((reload_s, html_s, cpu_s))
                        told = [
                            line.split(" changed, ", 1)[-1].strip()
                            for line in dev.lines[mark:]
                            if " changed, " in line or "for the new site code" in line
                        ]
                        if told and run == 0:
                            reloaded[name] = told[-1]
                    mark = len(dev.lines)
                    for file, text in original.items():
                        file.write_text(text)
                    # The restored page module restarts the worker once more: the next round
                    # starts once the new one serves, and its edits' events are settled.
                    while not _restarted_after(dev.lines, mark):
                        await asyncio.sleep(0.1)
                    await asyncio.sleep(1.0)
                print(
                    f"{'edit':<24}{'save -> reload event':>22}{'save -> new HTML':>20}"
                    f"{'ssg dev CPU':>14}   (median of {args.runs})"
                )
                for name, rows in results.items():
                    reload_ms = statistics.median(r for r, _, _ in rows) * 1000
                    html_ms = statistics.median(h for _, h, _ in rows) * 1000
                    cpu_ms = statistics.median(c for _, _, c in rows) * 1000
                    told = reloaded.get(name, "")
                    print(
                        f"{name:<24}{reload_ms:>19.0f} ms{html_ms:>17.0f} ms{cpu_ms:>11.0f} ms"
                        f"   {told}"
                    )
                print(
                    f"(open pages: the edited post, / and /blog; load average {os.getloadavg()[0]:.1f})"
                )
                for watcher in watchers:
                    watcher.close()
                if args.verbose:
                    print("".join(dev.lines))
        finally:
            process.terminate()
            await process.wait()
        if not args.starts:
            return
        cold: list[tuple[float, float]] = []
        warm: list[tuple[float, float]] = []
        load_before = os.getloadavg()
        for _ in range(args.starts):
            shutil.rmtree(site / ".ssg", ignore_errors=True)
            cold.append(await _first_response(site, posts))
            warm.append(await _first_response(site, posts))
        load_after = os.getloadavg()
        print(
            f"first response after start-up, median of {args.starts} "
            f"(load average {load_before[0]:.1f} -> {load_after[0]:.1f} on {os.cpu_count()} CPUs):"
        )
        for name, rows in (("cold (no .ssg)", cold), ("warm (.ssg kept)", warm)):
            wall_ms = statistics.median(w for w, _ in rows) * 1000
            cpu_ms = statistics.median(c for _, c in rows) * 1000
            spread = ", ".join(f"{w * 1000:.0f}" for w, _ in rows)
            print(f"  {name:<18}{wall_ms:>7.0f} ms wall {cpu_ms:>7.0f} ms CPU   ({spread})")


async def _first_response(site: Path, posts: Path) -> tuple[float, float]:
    """Seconds from starting `ssg dev` to its first answer of "/", and the CPU seconds its
    processes used until then (then it is stopped)."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ssg",
        "dev",
        str(site),
        "--port",
        "0",
        env={**os.environ, "SSG_CONTENT_DIR": str(posts), "PYTHONUNBUFFERED": "1"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    dev = Dev(process)
    try:
        await dev.read_url()
        async with aiohttp.ClientSession() as session, session.get(dev.url + "/") as response:
            assert response.status == 200, await response.text()
        wall = time.perf_counter() - started
        return wall, _tree_cpu_seconds(process.pid)
    finally:
        process.terminate()
        await process.wait()


def _tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (Linux /proc)."""
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, CPU seconds)
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    tree, total = {pid}, 0.0
    for _ in range(8):  # supervisor -> worker -> fork server -> pool workers
        tree |= {child for child, (parent, _) in stats.items() if parent in tree}
    for member in tree:
        total += stats.get(member, (0, 0.0))[1]
    return total


async def _measure_restart(
    session: aiohttp.ClientSession,
    url: str,
    page_url: str,
    edit: Callable[[], object],
    old_generation: str,
) -> tuple[float, float]:
    stream = await open_page_stream(session, url, page_url)
    assert (await next_event(stream)) is not None
    started = time.perf_counter()
    edit()
    stream = await until_reload(session, url, stream)
    reload_seconds = time.perf_counter() - started
    stream.close()
    while True:
        async with session.get(page_url) as response:
            text = await response.text()
        if f"generation={old_generation}" not in text and response.status == 200:
            return reload_seconds, time.perf_counter() - started


def _restarted_after(lines: list[str], mark: int) -> bool:
    """Whether a restart begun after lines[mark] is over ("Site code reloaded" follows it)."""
    begun = next(
        (i for i in range(mark, len(lines)) if "reloading the site code" in lines[i]), None
    )
    return begun is not None and any("Site code reloaded" in line for line in lines[begun:])


def _post_file(posts: Path, title: str) -> Path:
    """The post whose front matter has this title."""
    for file in sorted(posts.rglob("*.md")):
        head = file.read_text(encoding="utf-8", errors="replace")[:800]
        if re.search(r"^title\s*[=:]\s*[\"']?" + re.escape(title), head, flags=re.M):
            return file
    sys.exit(f"no post titled {title!r} in {posts}")


def _retitle(text: str, marker: str) -> str:
    """The post with `marker` added to its title (TOML or YAML front matter)."""
    return re.sub(
        r'^(title\s*[=:]\s*"?)', lambda m: m.group(1) + marker + " ", text, count=1, flags=re.M
    )


if __name__ == "__main__":
    asyncio.run(main())
