"""Parallel loading: a pool gives the same entries as one process, with either start method."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ssg.content import load_collection
from ssg.content.highlight import find_lexer, preload_lexers, render_code_block
from ssg.content.pool import (
    PARALLEL_MIN_FILES,
    _context,
    fence_languages,
    graded_chunks,
    load_files,
)

from .conftest import WritePosts


def many_posts(count: int) -> dict[str, str]:
    return {
        f"post-{i:03}.md": (
            f"---\ntitle: Post {i}\ndate: 2020-01-{i % 28 + 1:02}\n---\n"
            f"## Part {i}\n\n```python\nprint({i})\n```\n"
        )
        for i in range(count)
    }


def test_pool_and_single_process_give_the_same_collection(write_posts: WritePosts) -> None:
    folder = write_posts(many_posts(PARALLEL_MIN_FILES + 6))

    pooled = load_collection(folder, workers=2)
    single = load_collection(folder, workers=1)

    assert pooled == single
    assert len(pooled) == PARALLEL_MIN_FILES + 6
    assert '<span class="nb">print</span>' in pooled[0].html


@pytest.mark.parametrize("start_method", ["fork", "forkserver"])
def test_each_start_method_returns_files_in_order(
    write_posts: WritePosts, start_method: str
) -> None:
    folder = write_posts(many_posts(PARALLEL_MIN_FILES))
    files = sorted(folder.glob("*.md"))

    loaded = load_files(files, folder, workers=2, start_method=start_method)

    assert [item.source_file for item in loaded] == files
    assert all(item.entry is not None for item in loaded)


def test_unreadable_file_becomes_a_problem_not_a_crash(tmp_path: Path) -> None:
    loaded = load_files([tmp_path / "gone.md"], tmp_path, workers=1)

    (item,) = loaded
    assert item.entry is None
    assert "could not be read" in item.problems[0].message


def test_fork_server_is_chosen_while_other_threads_run() -> None:
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        context = _context(None)
    finally:
        release.set()
        other.join()

    assert context.get_start_method() == "forkserver"


def test_the_pool_alone_loads_every_file_when_the_caller_does_not_help(
    write_posts: WritePosts,
) -> None:
    folder = write_posts(many_posts(PARALLEL_MIN_FILES))
    files = sorted(folder.glob("*.md"))

    loaded = load_files(files, folder, workers=2, start_method="fork", help_in_caller=False)

    assert [item.source_file for item in loaded] == files
    assert all(item.entry is not None for item in loaded)


def test_the_caller_parses_while_the_pool_starts_even_when_it_does_not_help(
    write_posts: WritePosts, tmp_path: Path
) -> None:
    folder = write_posts(many_posts(PARALLEL_MIN_FILES))
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "parsed_by.py").write_text(
        'import os\n\ndef mark(body):\n    return body + f"\\n\\nparsed-by-{os.getpid()}\\n"\n'
    )
    files = sorted(folder.glob("*.md"))

    loaded = load_files(
        files,
        folder,
        workers=2,
        start_method="forkserver",
        body_filter=("parsed_by", "mark", str(helpers)),
        help_in_caller=False,
    )

    assert [item.source_file for item in loaded] == files
    by_caller = [item for item in loaded if f"parsed-by-{os.getpid()}<" in str(item.entry.html)]
    assert 0 < len(by_caller) < len(files)


def test_an_error_in_a_pool_worker_is_raised_by_the_caller(
    write_posts: WritePosts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_posts(many_posts(PARALLEL_MIN_FILES))
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "fails_in_workers.py").write_text(
        "import os\n\ndef check(body):\n"
        "    if os.getpid() != int(os.environ['SSG_TEST_CALLER']):\n"
        "        raise ValueError('broken in a worker')\n"
        "    return body\n"
    )
    monkeypatch.setenv("SSG_TEST_CALLER", str(os.getpid()))

    with pytest.raises(ValueError, match="broken in a worker"):
        load_files(
            sorted(folder.glob("*.md")),
            folder,
            workers=2,
            start_method="fork",
            body_filter=("fails_in_workers", "check", str(helpers)),
        )


@pytest.mark.parametrize(
    ("markdown", "languages"),
    [
        ("```rust\nfn main() {}\n```\n", {"rust"}),
        ("```` rust,ignore\nx\n````\n", {"rust"}),
        ("~~~python {.numbered}\nx\n~~~\n", {"python"}),
        ("```\nplain\n```\n", set()),
        ("```Go\nx\n```\n\n```toml\nx\n```\n", {"Go", "toml"}),
    ],
    ids=["backticks", "longer-fence-and-options", "tildes-and-attributes", "no-language", "two"],
)
def test_fence_languages_are_read_from_the_files(
    tmp_path: Path, markdown: str, languages: set[str]
) -> None:
    post = tmp_path / "post.md"
    post.write_text(f"---\ntitle: T\n---\n{markdown}")

    assert fence_languages([str(post), str(tmp_path / "gone.md")]) == languages


def test_lexers_made_ahead_are_the_ones_code_blocks_use() -> None:
    find_lexer.cache_clear()

    made = preload_lexers(["rust", "Python", "no-such-language"])
    before = find_lexer.cache_info()
    render_code_block("fn main() {}\n", "rust")
    after = find_lexer.cache_info()

    assert made == 2
    assert before.currsize == 2  # the unknown name was never looked up
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


@pytest.mark.parametrize("count", [1, PARALLEL_MIN_FILES, 1000])
@pytest.mark.parametrize("parsers", [2, 3])
@pytest.mark.parametrize("two_ended", [True, False])
def test_graded_chunks_cover_every_file_once(count: int, parsers: int, two_ended: bool) -> None:
    weights = [1000 + (index * 7919) % 9000 for index in range(count)]

    chunks = graded_chunks(count, weights, parsers, two_ended=two_ended)

    assert all(chunks)
    assert sorted(index for chunk in chunks for index in chunk) == list(range(count))


def test_graded_chunks_are_smallest_where_the_two_ends_of_the_queue_meet() -> None:
    weights = [1000 + (index * 7919) % 9000 for index in range(1000)]

    chunks = graded_chunks(1000, weights, 3, two_ended=True)

    weighed = [sum(weights[index] for index in chunk) for chunk in chunks]
    assert weighed[0] == max(weighed)
    assert weighed[:5] == sorted(weighed[:5], reverse=True)  # the pool's first
    assert weighed[-5:] == sorted(weighed[-5:])  # the caller's first, from the back
    lightest = weighed.index(min(weighed))
    assert 5 <= lightest < len(chunks) - 5
    assert weighed[-1] > 10 * min(weighed)


def test_graded_chunks_shrink_in_taking_order_for_the_pool_alone() -> None:
    weights = [1000 + (index * 7919) % 9000 for index in range(1000)]

    chunks = graded_chunks(1000, weights, 2, two_ended=False)

    weighed = [sum(weights[index] for index in chunk) for chunk in chunks]
    assert weighed[:-1] == sorted(weighed[:-1], reverse=True)
    assert weighed[0] > 10 * min(weighed)
