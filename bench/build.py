"""Benchmark `ssg build` on examples/blog: a cold build of each corpus, then a warm rebuild with nothing changed.

Prints one row per (corpus, run): posts, pages written, wall seconds, pages/s and the
peak RSS of the build process (MB). Each build runs in a fresh `ssg build` process, as
a user would run it, with Python's bytecode cache on (as an installed ssg has it, even
when PYTHONDONTWRITEBYTECODE is set here). The runs (cold, rebuild, cold-rm) are
explained under the table.

    python bench/build.py                       # the three corpora in ../shared/corpus + the example's own posts
    python bench/build.py --corpus rust-blog     # one corpus
    python bench/build.py --runs 3               # median of 3 cold and 3 warm builds per corpus
    python bench/build.py --after-delete         # also a cold build right after rm -rf out/
    python bench/build.py --edit --runs 3        # incremental: edit a post's body, a title, a layout
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO.parent / "shared" / "corpus"
EXAMPLE = REPO / "examples" / "blog"
BENCH_OUT = REPO / "bench" / ".out"
CORPORA = ("rust-blog", "go-blog", "twir")


def build_once(
    content_dir: Path | None, out_dir: Path, site_dir: Path = EXAMPLE
) -> dict[str, float]:
    """Run one `ssg build` in a child process; return seconds, pages and its peak RSS (MB)."""
    env = dict(os.environ)
    env.pop("SSG_CONTENT_DIR", None)
    # An installed ssg has its bytecode compiled (pip does it); without it every build
    # would compile ssg's modules again, which no user's build does.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if content_dir is not None:
        env["SSG_CONTENT_DIR"] = str(content_dir)
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "ssg", "build", str(site_dir), "--out", str(out_dir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = child.stdout.read() if child.stdout else ""
    # wait4 gives this child's own rusage (RUSAGE_CHILDREN would be a running maximum).
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"build failed:\n{output}")
    manifest = json.loads((out_dir / "_ssg" / "manifest.json").read_text())
    found = re.search(r"Link check: ([0-9.]+) s of CPU", output)
    counts = re.search(r"Rendered ([\d,]+) pages?, reused ([\d,]+)", output)
    return {
        "seconds": seconds,
        "cpu": usage.ru_utime + usage.ru_stime,
        "pages": len(manifest["pages"]),
        "peak_mb": usage.ru_maxrss / 1024,
        "links": float(found.group(1)) if found else 0.0,
        "rendered": float(counts.group(1).replace(",", "")) if counts else -1.0,
        "reused": float(counts.group(2).replace(",", "")) if counts else -1.0,
    }


def count_posts(content_dir: Path | None) -> int:
    folder = content_dir or EXAMPLE / "content" / "posts"
    return sum(1 for p in folder.rglob("*") if p.suffix in (".md", ".markdown"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", choices=[*CORPORA, "example"])
    parser.add_argument(
        "--runs", type=int, default=1, help="cold and warm builds per corpus (median)"
    )
    parser.add_argument(
        "--after-delete", action="store_true", help="add a cold build right after rm -rf out/"
    )
    parser.add_argument(
        "--edit",
        action="store_true",
        help="incremental rebuilds after one edit each, on a copy of the site and corpus",
    )
    args = parser.parse_args()
    if args.edit:
        edit_scenario((args.corpus or ["rust-blog"])[0], args.runs)
        return
    names = args.corpus or [*CORPORA, "example"]
    print(
        f"{'corpus':<10} {'run':<8} {'files':>6} {'pages':>6} {'seconds':>8} {'pages/s':>8} "
        f"{'peak MB':>8} {'CPU s':>7} {'links s':>8} {'links %':>8} {'% CPU':>6}"
    )
    # Outputs go to the repository's disk, as a user's out/ would, and are deleted only at
    # the very end (see RUNS for why deleting between builds would skew the next one).
    BENCH_OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="run-", dir=BENCH_OUT) as tmp:
        for name in names:
            content_dir = None if name == "example" else CORPUS_DIR / name / "posts"
            if content_dir is not None and not content_dir.is_dir():
                print(f"{name:<10} skipped: {content_dir} not found")
                continue
            rows = {}
            cold = []
            for run in range(args.runs):
                shutil.rmtree(EXAMPLE / ".ssg", ignore_errors=True)  # the data cache
                cold.append(build_once(content_dir, Path(tmp) / f"{name}-cold-{run}"))
            rows["cold"] = _median(cold)
            out_dir = Path(tmp) / f"{name}-cold-{args.runs - 1}"
            rows["warm"] = _median([build_once(content_dir, out_dir) for _ in range(args.runs)])
            if args.after_delete:
                shutil.rmtree(out_dir)
                shutil.rmtree(EXAMPLE / ".ssg", ignore_errors=True)
                rows["cold-rm"] = build_once(content_dir, out_dir)
            for label, row in rows.items():
                rate = row["pages"] / row["seconds"]
                print(
                    f"{name:<10} {label:<8} {count_posts(content_dir):>6} {int(row['pages']):>6} "
                    f"{row['seconds']:>8.2f} {rate:>8.0f} {row['peak_mb']:>8.0f} {row['cpu']:>7.2f} "
                    f"{row['links']:>8.2f} {100 * row['links'] / row['seconds']:>7.1f}% "
                    f"{100 * row['links'] / row['cpu']:>5.1f}%"
                )
    print(RUNS)


RUNS = """
cold: no output folder, no data cache, no parsed content kept (a fresh checkout, CI).
warm: nothing changed, over the previous output: every page is reused from it (hard-linked;
see --edit for rebuilds after an edit), the parsed posts kept in .ssg/content.
cold-rm (--after-delete): a cold build right after deleting the previous output. On an
ext4 without a journal (as on this machine) the kernel skips inodes freed in the last
minutes when it allocates new ones: creating 2,000 files in a folder where thousands were
just deleted took 0.9-2.2 s here instead of 0.1 s. Any rm -rf of many files in the
minutes before (another benchmark, a test run) slows every row the same way.
links s: CPU seconds of the link check (reading every page's links, in both render
processes, then resolving them), as the build reports it; links %: that against the
build's wall seconds (the pages are read on two cores, so the wall cost is about half);
CPU s: the build's CPU seconds (its worker processes included); % CPU: the link check's
share of them, steadier than the wall share on a machine others use.
"""


EDITS = """
Each row is one `ssg build` after the edit it names, on copies of examples/blog and the
corpus (the shared corpus is never edited): body = a paragraph appended to one post,
title = that post's title changed, no change = nothing edited, layout = a comment added
to app/layout.html (every page uses it). wall and CPU (user + system) seconds include the
interpreter's start-up; rendered / reused are the build summary's counts. Medians of
--runs; the load average is printed because the machine is shared.
"""


def edit_scenario(corpus: str, runs: int) -> None:
    """Cold build, then rebuilds after one post's body, its title, nothing, and a layout."""
    source = None if corpus == "example" else CORPUS_DIR / corpus / "posts"
    BENCH_OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="edit-", dir=BENCH_OUT) as tmp:
        site = Path(tmp) / "blog"
        shutil.copytree(EXAMPLE, site, ignore=shutil.ignore_patterns("out", ".ssg", "__pycache__"))
        content = Path(tmp) / "posts"
        shutil.copytree(source or EXAMPLE / "content" / "posts", content)
        out_dir = site / "out"
        post = sorted(content.glob("*.md"))[len(list(content.glob("*.md"))) // 2]
        print(f"{corpus}: {count_posts(content)} posts; edited post: {post.name}")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        cold = build_once(content, out_dir, site)
        rows: dict[str, list[dict[str, float]]] = {"body": [], "title": [], "no change": []}
        for run in range(runs):
            post.write_text(post.read_text() + f"\nOne more paragraph ({run}).\n")
            rows["body"].append(build_once(content, out_dir, site))
            text = post.read_text()
            post.write_text(re.sub(r'(?m)^title = ".*"$', f'title = "Edited {run}"', text, count=1))
            rows["title"].append(build_once(content, out_dir, site))
            rows["no change"].append(build_once(content, out_dir, site))
        layout = site / "app" / "layout.html"
        layout.write_text(layout.read_text() + "\n{# edited #}\n")
        layout_row = build_once(content, out_dir, site)
        print(
            f"{'build':<10} {'pages':>6} {'rendered':>9} {'reused':>7} {'wall s':>7} {'CPU s':>6}"
        )
        table = {"cold": cold, **{k: _median(v) for k, v in rows.items()}, "layout": layout_row}
        for label, row in table.items():
            print(
                f"{label:<10} {int(row['pages']):>6} {int(row['rendered']):>9} "
                f"{int(row['reused']):>7} {row['seconds']:>7.2f} {row['cpu']:>6.2f}"
            )
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(EDITS)


def _median(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in rows) for key in rows[0]}


if __name__ == "__main__":
    main()
