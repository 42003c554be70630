"""Content benchmark: Markdown engines, Pygments, cold load_collection per corpus and mode.

Run `.venv/bin/python bench/markdown.py [--repeat 3]`; each load runs in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]
CORPUS_DIR = (REPO_DIR / "../shared/corpus").resolve()
CORPORA = ("go-blog", "rust-blog", "twir")
MODES = ("single", "fork", "forkserver")


def _best(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_engines(corpus: str, repeat: int) -> None:
    """Print raw Markdown -> HTML time of cmarkgfm vs pyromark, and Pygments' share."""
    import cmarkgfm

    from ssg.content import markdown, parse_front_matter
    from ssg.content.highlight import render_code_block

    files = sorted((CORPUS_DIR / corpus / "posts").rglob("*.md"))
    bodies = [parse_front_matter(f.read_text("utf-8"), f).body for f in files]
    extensions = list(markdown._EXTENSIONS)
    cmark = _best(
        lambda: [
            cmarkgfm.markdown_to_html_with_extensions(b, markdown._OPTIONS, extensions)
            for b in bodies
        ],
        repeat,
    )
    line = f"  engines  {corpus:9s} {len(files)} files: cmarkgfm {cmark:.3f}s"
    try:
        import pyromark

        options = (
            pyromark.Options.ENABLE_TABLES
            | pyromark.Options.ENABLE_FOOTNOTES
            | pyromark.Options.ENABLE_STRIKETHROUGH
            | pyromark.Options.ENABLE_TASKLISTS
        )
        pyro = _best(lambda: [pyromark.html(b, options=options) for b in bodies], repeat)
        line += f", pyromark {pyro:.3f}s (no GFM autolink literals)"
    except ImportError:
        pass
    htmls = [
        cmarkgfm.markdown_to_html_with_extensions(b, markdown._OPTIONS, extensions) for b in bodies
    ]
    blocks = [m.group("code", "lang") for h in htmls for m in markdown._BLOCKS.finditer(h)]
    blocks = [(code, lang) for code, lang in blocks if lang is not None]
    pyg = _best(lambda: [render_code_block(code, lang) for code, lang in blocks], repeat)
    per_block = pyg / len(blocks) * 1000 if blocks else 0.0
    line += f"; Pygments {len(blocks)} fenced blocks {pyg:.3f}s ({per_block:.2f} ms/block)"
    print(line, flush=True)


def run_one(corpus: str, mode: str) -> None:
    """In a fresh interpreter: load one corpus cold and print the timing as JSON."""
    start = time.perf_counter()
    from ssg.content.memo import reload_collection
    from ssg.content.scan import DEFAULT_EXCLUDE, DEFAULT_PATTERNS, scan_content

    content_dir = CORPUS_DIR / corpus / "posts"
    imported = time.perf_counter()
    if mode == "forkserver":
        # A live extra thread is what makes load_files choose the fork server.
        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
    stamps = scan_content(content_dir, DEFAULT_PATTERNS, DEFAULT_EXCLUDE)
    workers = 1 if mode == "single" else None
    memo = reload_collection(content_dir, stamps, None, workers)
    done = time.perf_counter()
    print(
        json.dumps(
            {"entries": len(memo.collection), "load": done - imported, "total": done - start}
        )
    )


def bench_loads(corpus: str, repeat: int) -> None:
    """Print cold load_collection times for one corpus in each mode."""
    for mode in MODES:
        runs = []
        for _ in range(repeat):
            out = subprocess.run(
                [sys.executable, __file__, "--one", corpus, mode],
                capture_output=True,
                text=True,
                check=True,
                cwd=REPO_DIR,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        loads = [run["load"] for run in runs]
        print(
            f"  load     {corpus:9s} {mode:10s} {runs[0]['entries']} entries: "
            f"min {min(loads):.3f}s  median {statistics.median(loads):.3f}s "
            f"(with imports: min {min(run['total'] for run in runs):.3f}s)",
            flush=True,
        )


def main() -> None:
    """Parse arguments and print every figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", nargs=2, metavar=("CORPUS", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(*args.one)
        return
    if not CORPUS_DIR.is_dir():
        sys.exit(f"no corpus folder at {CORPUS_DIR}")
    sys.path.insert(0, str(REPO_DIR))
    for corpus in CORPORA:
        if (CORPUS_DIR / corpus / "posts").is_dir():
            bench_engines(corpus, args.repeat)
            bench_loads(corpus, args.repeat)


if __name__ == "__main__":
    main()
