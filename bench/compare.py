"""ssg against the anchors (Hugo, Pelican) on the shared bench's corpus, in one go: cold builds.

For each corpus size, the shared bench's adapters make the same site for every tool
(`../shared/bench/adapters/`: index, one page per post, tag index, tag pages), then
cold builds run interleaved (ssg, hugo, pelican, then the reverse order, and so on),
each with its output and caches deleted first. Printed per size and tool: the median
wall seconds, CPU seconds (user + sys, children included), the peak RSS summed over
the process tree (sampled every 50 ms; memory a forked child still shares with its
parent counts in both, so for ssg's forked workers it is an upper bound), ms per page;
then ssg's ratio to each anchor as the median of the ratios of runs taken side by side,
with their spread (min-max), and the load average (1 minute) before and after each round:
on a machine other jobs load, compare CPU ratios, and wall ratios from quiet runs only.

    python bench/compare.py                        # 1,000 and 5,000 posts, 5 runs each
    python bench/compare.py --sizes 1000 --runs 3 --tools ssg,hugo
    python bench/compare.py --serve                # also bench/serve.py's HIT row

Installs the anchors first with the shared bench's install_anchors.sh (Debian's hugo,
nginx, wrk; Pelican in a venv; idempotent). Corpora, sites and outputs live under
$ANCHORS/compare (ANCHORS defaults to ~/anchors), outside the repository.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_BENCH = REPO.parent / "shared" / "bench"
ANCHORS = Path(os.environ.get("ANCHORS", Path.home() / "anchors"))
WORK = ANCHORS / "compare"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
# The warm-up build writes the .pyc files the timed builds read, as an installed package
# has them (pip compiles a wheel's modules): a PYTHONDONTWRITEBYTECODE=1 in the caller's
# environment would have every ssg (and Pelican) run compile its modules again.
TOOL_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass(frozen=True)
class Tool:
    """How one tool's site is made, cleaned and built (cwd = its site folder)."""

    name: str
    adapter: str  # the shared bench's adapter script
    output: str  # its output folder, relative to the site
    caches: tuple[str, ...]  # what else a cold build deletes

    def command(self, site: Path) -> list[str]:
        if self.name == "ssg":
            return [sys.executable, "-m", "ssg", "build", "."]
        if self.name == "hugo":
            return ["hugo", "--quiet", "--cacheDir", str(site / ".hugo-cache")]
        return [
            str(ANCHORS / "venv/bin/pelican"),
            "content",
            "-s",
            "pelicanconf.py",
            "-o",
            "output",
        ]


TOOLS = {
    "ssg": Tool("ssg", "ssg.py", "out", (".ssg",)),
    "hugo": Tool("hugo", "hugo.py", "public", ("resources", ".hugo-cache")),
    "pelican": Tool("pelican", "pelican.py", "output", ("cache", "__pycache__")),
}


@dataclass(frozen=True)
class Run:
    """One cold build: wall and CPU seconds, peak summed RSS (MB), HTML files written."""

    wall: float
    cpu: float
    peak_mb: float
    html_files: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=5, help="timed cold builds per tool and size")
    parser.add_argument("--tools", default="ssg,hugo,pelican", help="comma-separated, ssg first")
    parser.add_argument("--no-install", action="store_true", help="skip install_anchors.sh")
    parser.add_argument("--serve", action="store_true", help="also run bench/serve.py once")
    args = parser.parse_args()
    tools = [TOOLS[name] for name in args.tools.split(",")]
    if tools[0].name != "ssg":
        sys.exit("--tools must start with ssg (the ratios are ssg's)")
    if not args.no_install:
        subprocess.run(["bash", str(SHARED_BENCH / "install_anchors.sh")], check=True)
    print(f"machine: {os.cpu_count()} CPUs; {versions(tools)}")
    summary: dict[int, dict[str, list[Run]]] = {}
    for size in args.sizes:
        sites = {tool.name: prepare(tool, size) for tool in tools}
        for tool in tools:  # warm-up: page cache, .pyc files
            build(tool, sites[tool.name])
        runs: dict[str, list[Run]] = {tool.name: [] for tool in tools}
        loads = [os.getloadavg()[0]]
        for run in range(args.runs):
            order = tools if run % 2 == 0 else tools[::-1]
            for tool in order:
                runs[tool.name].append(build(tool, sites[tool.name]))
            loads.append(os.getloadavg()[0])
        summary[size] = runs
        report(size, runs, loads)
    if len(summary) > 1:
        growth(summary)
    if args.serve:
        print(
            "\nserve (bench/serve.py, ssg serve alone; nginx is in ../shared/bench/serve_bench.sh):"
        )
        subprocess.run([sys.executable, str(REPO / "bench" / "serve.py")], check=False)


def versions(tools: list[Tool]) -> str:
    found = []
    for tool in tools:
        if tool.name == "hugo":
            out = subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout
            found.append(" ".join(out.split()[:2]))
        elif tool.name == "pelican":
            command = [str(ANCHORS / "venv/bin/pelican"), "--version"]
            found.append(
                "pelican " + subprocess.run(command, capture_output=True, text=True).stdout.strip()
            )
    return ", ".join(found)


def prepare(tool: Tool, size: int) -> Path:
    """The corpus of `size` posts (generated once) and this tool's site over it."""
    corpus = WORK / "corpus" / f"N{size}"
    if not corpus.is_dir():
        subprocess.run(
            [sys.executable, str(SHARED_BENCH / "gen_corpus.py"), str(size), str(corpus)],
            check=True,
        )
    site = WORK / "sites" / f"{tool.name}-{size}"
    subprocess.run(
        [sys.executable, str(SHARED_BENCH / "adapters" / tool.adapter), str(corpus), str(site)],
        check=True,
        stderr=subprocess.DEVNULL,
    )
    return site


def build(tool: Tool, site: Path) -> Run:
    """One cold build of `site`: output and caches deleted first, then timed."""
    for name in (tool.output, *tool.caches):
        shutil.rmtree(site / name, ignore_errors=True)
    started = time.perf_counter()
    child = subprocess.Popen(
        tool.command(site),
        cwd=site,
        env=TOOL_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(child.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # wait4 reports this child's CPU, its own waited-for children included.
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    errors = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{tool.name} build of {site} failed:\n{errors[-2000:]}")
    return Run(
        wall, usage.ru_utime + usage.ru_stime, peak[0] / 2**20, count_html(site / tool.output)
    )


def tree_rss(root: int) -> int:
    """RSS in bytes summed over `root` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        with contextlib.suppress(OSError, ValueError, IndexError):  # the process ended
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
        stack.extend(children.get(pid, []))
    return total


def count_html(folder: Path) -> int:
    return sum(
        1 for _root, _dirs, names in os.walk(folder) for name in names if name.endswith(".html")
    )


def report(size: int, runs: dict[str, list[Run]], loads: list[float]) -> None:
    print(f"\n{size} posts, {len(runs['ssg'])} interleaved cold builds per tool")
    print(f"{'tool':<8} {'wall s':>7} {'CPU s':>7} {'peak MB':>8} {'ms/page':>8} {'html':>6}")
    for name, rows in runs.items():
        wall = statistics.median(r.wall for r in rows)
        pages = rows[0].html_files
        print(
            f"{name:<8} {wall:>7.2f} {statistics.median(r.cpu for r in rows):>7.2f} "
            f"{max(r.peak_mb for r in rows):>8.0f} {1000 * wall / pages:>8.2f} {pages:>6}"
        )
    for name, rows in runs.items():
        if name == "ssg":
            continue
        for label, field in (("wall", "wall"), ("CPU", "cpu"), ("peak RSS", "peak_mb")):
            ratios = [
                getattr(a, field) / getattr(b, field)
                for a, b in zip(runs["ssg"], rows, strict=True)
            ]
            print(
                f"ssg/{name} {label:<8} median {statistics.median(ratios):.2f}x "
                f"(spread {min(ratios):.2f}-{max(ratios):.2f})"
            )
    print(f"load average (1 min) during the runs: {min(loads):.1f}-{max(loads):.1f}")


def growth(summary: dict[int, dict[str, list[Run]]]) -> None:
    """Per-page wall and CPU time of each tool at the largest size against the smallest."""
    small, large = min(summary), max(summary)
    print(f"\nper-page time at {large} posts against {small} (1.00 = no worse):")
    for name in summary[small]:
        per_page = {}
        for size in (small, large):
            rows = summary[size][name]
            pages = rows[0].html_files
            per_page[size] = (
                statistics.median(r.wall for r in rows) / pages,
                statistics.median(r.cpu for r in rows) / pages,
            )
        wall = per_page[large][0] / per_page[small][0]
        cpu = per_page[large][1] / per_page[small][1]
        print(f"{name:<8} wall {wall:.2f}x  CPU {cpu:.2f}x")


if __name__ == "__main__":
    main()
