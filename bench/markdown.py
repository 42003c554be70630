"""Content benchmark: Markdown engines, Pygments, cold load_collection per corpus and mode.

Run `.venv/bin/python bench/markdown.py [--repeat 3]`; each load runs in a fresh interpreter.
`--stages DIR` (repeatable) prints instead where one post's parse goes, in CPU ms per post,
in this process (best of --repeat; the load average beside it): reading and digesting
the bytes, front matter, cmark-gfm, Pygments, the rest of the Markdown pass (headings,
TOC, word count, first paragraph), the rest of the entry (derived fields, file checks),
and pickling the results as a pool worker hands them back. E.g. the shared bench's
corpus: `--stages ~/anchors/compare/corpus/N1000`.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import pickle
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


def _best_cpu(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return min(times)


def _cmark_options() -> int:
    from cmarkgfm.cmark import Options

    return int(
        Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES | Options.CMARK_OPT_GITHUB_PRE_LANG
    )


def bench_stages(folder: Path, repeat: int) -> None:
    """Print one post's parse cost by stage (CPU ms per post, this process) over a folder."""
    import cmarkgfm

    from ssg.content import markdown
    from ssg.content.frontmatter import parse_front_matter_tolerant
    from ssg.content.highlight import render_code_block
    from ssg.content.parsing import file_digest, load_entries
    from ssg.content.pool import import_parsers

    import_parsers()
    files = sorted(folder.rglob("*.md"))
    names = [str(file) for file in files]
    texts = [file.read_text("utf-8") for file in files]
    bodies = [parse_front_matter_tolerant(t, f)[0].body for t, f in zip(texts, files, strict=True)]
    options, extensions = _cmark_options(), list(markdown._EXTENSIONS)
    raws = [cmarkgfm.markdown_to_html_with_extensions(b, options, extensions) for b in bodies]
    blocks = []
    for raw in raws:
        for match in markdown._BLOCKS.finditer(raw):
            if match.group("level") is None:
                info = html.unescape(match.group("lang"))
                language = markdown._LANGUAGE_END.split(info, maxsplit=1)[0]
                blocks.append((html.unescape(match.group("code")), language))
    load_entries(names[:5], str(folder))  # first-use costs (lexers, the YAML loader)
    loaded = load_entries(names, str(folder))
    blob = pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL)
    cost = {
        "read + digest": _best_cpu(lambda: [file_digest(f.read_bytes()) for f in files], repeat),
        "front matter": _best_cpu(
            lambda: [parse_front_matter_tolerant(t, f) for t, f in zip(texts, files, strict=True)],
            repeat,
        ),
        "cmark-gfm": _best_cpu(
            lambda: [
                cmarkgfm.markdown_to_html_with_extensions(b, options, extensions) for b in bodies
            ],
            repeat,
        ),
        "Pygments": _best_cpu(lambda: [render_code_block(c, lang) for c, lang in blocks], repeat),
        "render_markdown": _best_cpu(lambda: [markdown.render_markdown(b) for b in bodies], repeat),
        "load_entries": _best_cpu(lambda: load_entries(names, str(folder)), repeat),
        "pickle + unpickle": _best_cpu(
            lambda: pickle.loads(pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL)), repeat
        ),
    }
    count = len(files)
    rows = [
        ("read + digest", cost["read + digest"]),
        ("front matter", cost["front matter"]),
        ("cmark-gfm", cost["cmark-gfm"]),
        ("Pygments", cost["Pygments"]),
        ("rest of Markdown", cost["render_markdown"] - cost["cmark-gfm"] - cost["Pygments"]),
        (
            "rest of entry",
            cost["load_entries"]
            - cost["render_markdown"]
            - cost["front matter"]
            - cost["read + digest"],
        ),
        ("= load_entries", cost["load_entries"]),
        ("pickle + unpickle", cost["pickle + unpickle"]),
    ]
    print(
        f"  stages   {folder}: {count} posts, {len(blocks)} highlighted blocks, "
        f"{len(blob) / count / 1024:.1f} KiB pickled per post, load average "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )
    for label, seconds in rows:
        print(f"    {label:<18} {seconds / count * 1000:6.3f} ms/post", flush=True)


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
            cmarkgfm.markdown_to_html_with_extensions(b, _cmark_options(), extensions)
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
        cmarkgfm.markdown_to_html_with_extensions(b, _cmark_options(), extensions) for b in bodies
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
    parser.add_argument(
        "--stages",
        type=Path,
        action="append",
        metavar="DIR",
        help="print one post's parse cost by stage over the Markdown files under DIR",
    )
    parser.add_argument("--one", nargs=2, metavar=("CORPUS", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(*args.one)
        return
    if args.stages:
        sys.path.insert(0, str(REPO_DIR))
        for folder in args.stages:
            bench_stages(folder.expanduser().resolve(), args.repeat)
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
