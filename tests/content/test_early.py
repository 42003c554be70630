"""The early parse of a cold `ssg build`: the entries the pool gives, or none and no process left."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ssg.content.early import EarlyParse, current_early_parse, early_parse
from ssg.content.parsing import load_entries
from ssg.content.pool import PARALLEL_MIN_FILES, default_workers, load_files
from ssg.content.scan import DEFAULT_EXCLUDE, DEFAULT_PATTERNS, scan_content

from .test_pool import many_posts

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or default_workers() < 2, reason="parses ahead with two CPUs or more"
)


def site_with_posts(tmp_path: Path, count: int = PARALLEL_MIN_FILES + 6) -> Path:
    for relative, text in many_posts(count).items():
        target = tmp_path / "site" / "content" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return tmp_path / "site"


def scanned(content_dir: Path) -> tuple[list[str], list[int]]:
    """The files and sizes `load_collection` asks the pool for in a cold build."""
    stamps = scan_content(content_dir, DEFAULT_PATTERNS, DEFAULT_EXCLUDE)
    return [str(content_dir / s.relative_name) for s in stamps], [s.size_bytes for s in stamps]


def assert_ended(early: EarlyParse, pid: int) -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: not a child any more
    assert early._pid is None


def test_the_early_parse_gives_the_entries_of_a_parse_here(tmp_path: Path) -> None:
    content_dir = site_with_posts(tmp_path) / "content"
    names, sizes = scanned(content_dir)
    early = EarlyParse.start(content_dir)
    assert early is not None
    pid = early._pid
    assert pid is not None

    taken = early.take(names, content_dir, sizes)

    assert taken == load_entries(names, str(content_dir))
    assert_ended(early, pid)


def test_other_files_take_nothing_and_stop_the_parsers(tmp_path: Path) -> None:
    content_dir = site_with_posts(tmp_path) / "content"
    names, sizes = scanned(content_dir)
    early = EarlyParse.start(content_dir)
    assert early is not None
    pid = early._pid
    assert pid is not None

    assert early.take(names[1:], content_dir, sizes[1:]) is None
    assert_ended(early, pid)


def test_a_file_whose_size_changed_since_takes_nothing(tmp_path: Path) -> None:
    content_dir = site_with_posts(tmp_path) / "content"
    names, sizes = scanned(content_dir)
    early = EarlyParse.start(content_dir)
    assert early is not None

    assert early.take(names, content_dir, [*sizes[:-1], sizes[-1] + 1]) is None


def test_parsers_killed_midway_leave_their_chunks_to_this_process(tmp_path: Path) -> None:
    content_dir = site_with_posts(tmp_path, 400) / "content"
    names, sizes = scanned(content_dir)
    early = EarlyParse.start(content_dir)
    assert early is not None
    assert early._wait_for_manifest() is not None  # the files are known; parsing goes on
    assert early._pid is not None
    os.kill(early._pid, signal.SIGKILL)  # the others die with it (and leave their chunks)

    taken = early.take(names, content_dir, sizes)

    assert taken == load_entries(names, str(content_dir))


def test_the_first_load_files_of_a_cold_build_takes_the_early_parse(tmp_path: Path) -> None:
    site_dir = site_with_posts(tmp_path)
    content_dir = (site_dir / "content").resolve()
    names, sizes = scanned(content_dir)

    with early_parse(site_dir, site_dir / ".ssg"):
        early = current_early_parse()
        assert early is not None
        pid = early._pid
        loaded = load_files([Path(name) for name in names], content_dir, sizes=sizes)
        assert early._pid is None  # taken: its parsers are gone
        assert pid is not None
        assert_ended(early, pid)

    assert loaded == load_entries(names, str(content_dir))
    assert current_early_parse() is None


def test_a_build_with_parses_kept_starts_no_early_parse(tmp_path: Path) -> None:
    site_dir = site_with_posts(tmp_path)
    kept = site_dir / ".ssg" / "content"
    kept.mkdir(parents=True)
    (kept / "0123.pickle").write_bytes(b"kept")

    with early_parse(site_dir, site_dir / ".ssg"):
        assert current_early_parse() is None
    with early_parse(site_dir, site_dir / ".ssg", force=True):  # --force parses again
        assert current_early_parse() is not None


def test_a_site_without_content_folder_starts_no_early_parse(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()

    with early_parse(tmp_path, tmp_path / ".ssg"):
        assert current_early_parse() is None


def test_the_early_parse_ends_with_its_block_when_nothing_takes_it(tmp_path: Path) -> None:
    site_dir = site_with_posts(tmp_path)

    with early_parse(site_dir, site_dir / ".ssg"):
        early = current_early_parse()
        assert early is not None
        pid = early._pid
    assert pid is not None
    assert_ended(early, pid)


POSTS_SITE = {
    "app/layout.html": "<html><body>{{ children }}</body></html>",
    "app/page.py": "import ssg.content\n\ndef load(params):\n"
    "    return {'posts': list(ssg.content.load_collection('content'))}\n",
    "app/page.html": "{% for p in posts %}<a href='/posts/{{ p.slug }}'>{{ p.title }}</a>\n"
    "{% endfor %}",
    "app/posts/[slug]/page.py": "import ssg, ssg.content\n\n"
    "def generate_static_params(params):\n"
    "    return [{'slug': p.slug} for p in ssg.content.load_collection('content')]\n\n"
    "def load(params):\n"
    "    return {'post': ssg.content.load_collection('content').get(params['slug'])}\n",
    "app/posts/[slug]/page.html": "<h1>{{ post.title }}</h1>{{ post.html }}",
}


def test_a_cold_ssg_build_and_the_next_one_show_every_post_and_the_edit(
    tmp_path: Path,
) -> None:
    site_dir = site_with_posts(tmp_path)
    for relative, text in POSTS_SITE.items():
        (site_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (site_dir / relative).write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "ssg", "build", str(site_dir)]

    cold = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    assert cold.returncode == 0, cold.stderr
    index = (site_dir / "out/index.html").read_text("utf-8")
    assert index.count("<a href='/posts/") == PARALLEL_MIN_FILES + 6
    post = (site_dir / "out/posts/post-007.html").read_text("utf-8")
    assert "<h1>Post 7</h1>" in post
    assert '<span class="nb">print</span><span class="p">(</span><span class="mi">7</span>' in post

    edited = site_dir / "content/post-007.md"
    edited.write_text(edited.read_text("utf-8").replace("title: Post 7", "title: Seven"), "utf-8")
    again = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    assert again.returncode == 0, again.stderr
    assert "<h1>Seven</h1>" in (site_dir / "out/posts/post-007.html").read_text("utf-8")
    assert "Post 8" in (site_dir / "out/posts/post-008.html").read_text("utf-8")


def test_closing_the_early_parse_ends_every_parser(tmp_path: Path) -> None:
    # Posts slow to highlight: a parser left running would still be at them long after.
    code = "```python\n" + "total = sum(value * 2 for value in range(10))  # x\n" * 4000 + "```\n"
    content = tmp_path / "content"
    content.mkdir()
    for number in range(PARALLEL_MIN_FILES):
        (content / f"post-{number:03}.md").write_text(f"# Post {number}\n\n{code}")
    early = EarlyParse.start(content.resolve(), workers=2)
    assert early is not None and early._pid is not None
    first = early._pid
    assert early._wait_for_manifest() is not None  # sent once the others are forked
    others = [int(n) for n in Path(f"/proc/{first}/task/{first}/children").read_text().split()]
    assert others
    watches = [os.pidfd_open(pid) for pid in others]  # readable once the process ends
    early.close()
    try:
        ended, _, _ = select.select(watches, [], [], 30)  # a parse of them all takes minutes
    finally:
        for watch in watches:
            os.close(watch)
    assert len(ended) == len(watches)
