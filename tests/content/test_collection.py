"""load_collection: entries and their fields, ordering, warnings, strict mode, scope, memo."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import logging
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from ssg.content import Collection, Entry, aload_collection, load_collection
from ssg.content.memo import RESCAN_SECONDS
from ssg.errors import ContentError
from ssg.reads import collect_reads

from .conftest import FakeClock, InScope, WritePosts

UTC = dt.UTC


def post(title: str, date: str = "2020-01-01", extra: str = "", body: str = "Body.") -> str:
    """A YAML-front-matter post (the title JSON-quoted, which YAML reads as a string)."""
    return f"---\ntitle: {json.dumps(title)}\ndate: {date}\n{extra}---\n{body}\n"


def only(posts: Collection, slug: str) -> Entry:
    """The entry with `slug`, failing the test when there is none."""
    entry = posts.get(slug)
    assert entry is not None, f"no entry {slug!r} in {[e.slug for e in posts]}"
    return entry


def test_entries_are_newest_first_with_undated_last(write_posts: WritePosts) -> None:
    folder = write_posts(
        {
            "old.md": post("Old", "2010-03-18"),
            "new.md": post("New", "2026-08-19"),
            "undated.md": "---\ntitle: Undated\n---\nText\n",
            "mid.md": post("Mid", "2020-11-10T12:01:00Z"),
        }
    )

    posts = load_collection(folder)

    assert [entry.slug for entry in posts] == ["new", "mid", "old", "undated"]
    assert posts[1].date == dt.datetime(2020, 11, 10, 12, 1, tzinfo=UTC)
    assert posts[3].date is None


@pytest.mark.parametrize(
    ("relative", "text", "slug"),
    [
        pytest.param("a.md", post("A", extra="slug: chosen\n"), "chosen", id="front-matter-slug"),
        pytest.param(
            "b.md",
            '+++\npath = "inside-rust/2020/03/13/from-path"\ntitle = "B"\n+++\nBody\n',
            "from-path",
            id="zola-path",
        ),
        pytest.param("Context.md", post("C"), "Context", id="file-name-case-kept"),
        pytest.param("old.markdown", post("D"), "old", id="markdown-extension"),
        pytest.param("Rust-1.12/index.md", post("E"), "Rust-1.12", id="page-bundle"),
        pytest.param("index.md", post("F"), "index", id="top-level-index"),
    ],
)
def test_slug_rules(write_posts: WritePosts, relative: str, text: str, slug: str) -> None:
    posts = load_collection(write_posts({relative: text}))

    assert [entry.slug for entry in posts] == [slug]


def test_fields_come_from_front_matter(write_posts: WritePosts) -> None:
    extra = (
        "by:\n- Sameer Ajmani\ntags:\n- concurrency\n- type parameters\n"
        "summary: An introduction.\naliases: [2014/07/29/context.html]\n"
    )
    folder = write_posts({"context.md": post("Go: Context", "2014-07-29", extra, "## Part\n")})

    entry = load_collection(folder)[0]

    assert entry.title == "Go: Context"
    assert entry.authors == ("Sameer Ajmani",)
    assert entry.tags == ("concurrency", "type parameters")
    assert entry.summary == "An introduction."
    assert entry.aliases == ("2014/07/29/context.html",)
    assert entry.toc[0].id == "part"
    assert entry.html == '<h2 id="part">Part</h2>\n'
    assert entry.metadata["by"] == ["Sameer Ajmani"]
    assert entry.source_file == folder / "context.md"
    assert entry.redirect is None


@pytest.mark.parametrize(
    ("text", "authors", "tags"),
    [
        pytest.param(
            '+++\ntitle = "T"\nauthors = ["Ann", "Bob"]\n[taxonomies]\ntags = ["rust"]\n+++\n',
            ("Ann", "Bob"),
            ("rust",),
            id="toml-authors-zola-taxonomies",
        ),
        pytest.param(
            "Title: T\nAuthors: Ann, Bob\nTags: rust, programming\n\nBody\n",
            ("Ann", "Bob"),
            ("rust", "programming"),
            id="pelican-comma-lists",
        ),
        pytest.param(
            "---\ntitle: T\nauthor: Smith, John\ntags: a, b\n---\nBody\n",
            ("Smith, John",),
            ("a", "b"),
            id="single-author-is-not-split",
        ),
    ],
)
def test_authors_and_tags_accept_each_spelling(
    write_posts: WritePosts, text: str, authors: tuple[str, ...], tags: tuple[str, ...]
) -> None:
    entry = load_collection(write_posts({"x.md": text}))[0]

    assert (entry.authors, entry.tags) == (authors, tags)


def test_summary_falls_back_to_the_first_paragraph_truncated(write_posts: WritePosts) -> None:
    words = " ".join(f"word{i}" for i in range(100))
    folder = write_posts({"a.md": post("A", body=f"# A\n\nFirst *para* here.\n\n{words}")})
    folder = write_posts({"b.md": post("B", body=words)})

    posts = load_collection(folder)

    assert only(posts, "a").summary == "First para here."
    long_summary = only(posts, "b").summary
    assert long_summary.endswith("…")
    assert len(long_summary) <= 281
    assert words.startswith(long_summary[:-1])


def test_reading_time_is_words_over_200_and_at_least_one(write_posts: WritePosts) -> None:
    folder = write_posts(
        {"long.md": post("L", body="word " * 1000), "short.md": post("S", body="Hi.")}
    )

    posts = load_collection(folder)

    assert only(posts, "long").word_count == 1000
    assert only(posts, "long").reading_time_minutes == 5
    assert only(posts, "short").reading_time_minutes == 1


def test_redirect_stub_is_an_entry_with_its_target(write_posts: WritePosts) -> None:
    folder = write_posts({"gos.md": "---\nredirect: /blog/go-story\n---\n"})

    entry = load_collection(folder)[0]

    assert (entry.slug, entry.redirect, entry.html, entry.date) == (
        "gos",
        "/blog/go-story",
        "",
        None,
    )
    assert entry.title == "gos"


def test_readme_index_sections_and_template_stubs_are_not_posts(write_posts: WritePosts) -> None:
    folder = write_posts(
        {
            "README.md": "# About this folder\n",
            "_index.md": '+++\ntitle = "Blog"\n+++\n',
            "inside-rust/_index.md": '+++\ntitle = "Inside"\n+++\n',
            "releases/latest.md": '+++\ntemplate = "latest.html"\n+++\n',
            "notes/README.md": post("Nested readme"),
            "post.md": post("Post"),
            "image.png": "not markdown",
        }
    )

    posts = load_collection(folder)

    assert sorted(entry.title for entry in posts) == ["Nested readme", "Post"]
    assert posts.warnings == ()


def test_exclude_and_pattern_are_configurable(write_posts: WritePosts) -> None:
    folder = write_posts({"a.md": post("A"), "drafts/b.md": post("B"), "c.txt": post("C")})

    assert [e.slug for e in load_collection(folder, exclude=["drafts/*"])] == ["a"]
    assert [e.slug for e in load_collection(folder, pattern="*.txt")] == ["c"]


def test_malformed_front_matter_warns_with_file_and_line_and_keeps_the_entry(
    write_posts: WritePosts, caplog: pytest.LogCaptureFixture
) -> None:
    folder = write_posts({"bad.md": "---\ntitle: Hi\ntags: [a, b\n---\n# Still here\n"})
    caplog.set_level(logging.WARNING, logger="ssg.content")

    posts = load_collection(folder)

    assert [entry.title for entry in posts] == ["Still here"]
    assert posts[0].metadata == {}
    (problem,) = posts.warnings
    assert (problem.source_file, problem.line) == (folder / "bad.md", 4)
    assert f"{folder / 'bad.md'}:4: malformed YAML front matter" in caplog.text


def test_malformed_date_warns_and_the_entry_is_undated(
    write_posts: WritePosts, caplog: pytest.LogCaptureFixture
) -> None:
    folder = write_posts({"x.md": "Title: X\nNumber: 1\nDate: next week\n\nBody\n"})
    caplog.set_level(logging.WARNING, logger="ssg.content")

    posts = load_collection(folder)

    assert posts[0].date is None
    assert f"{folder / 'x.md'}:3: could not read date 'next week'" in caplog.text


def test_strict_mode_raises_for_the_first_problem(write_posts: WritePosts) -> None:
    folder = write_posts({"a.md": post("A", "2024-4-09"), "b.md": '+++\ntitle = "B\n+++\nBody\n'})

    with pytest.raises(ContentError, match=r"not ISO 8601.*\(and 1 more content problem") as caught:
        load_collection(folder, strict=True)

    assert caught.value.source_file == str(folder / "a.md")
    assert caught.value.line == 3


def test_missing_folder_is_an_error_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="content folder does not exist; create it") as caught:
        load_collection(tmp_path / "nope")

    assert caught.value.source_file == str(tmp_path / "nope")


def test_missing_relative_folder_names_where_it_was_looked_for(
    tmp_path: Path, in_scope: InScope
) -> None:
    with in_scope(tmp_path), pytest.raises(ContentError) as caught:
        load_collection("content/posts")

    assert caught.value.source_file == str(tmp_path / "content/posts")
    assert f"content folder ('content/posts' from {tmp_path}) does not exist" in str(caught.value)


def test_shared_slugs_are_made_unique_with_a_warning(write_posts: WritePosts) -> None:
    folder = write_posts(
        {
            "a.md": '+++\npath = "2019/01/01/meeting"\ntitle = "A"\n+++\nA\n',
            "b.md": '+++\npath = "2020/01/01/meeting"\ntitle = "B"\n+++\nB\n',
            "c.md": '+++\npath = "inside-rust/2021/01/01/meeting"\ntitle = "C"\n+++\nC\n',
            "meeting-2.md": post("Taken", "2018-01-01"),
        }
    )

    posts = load_collection(folder)

    assert {entry.title: entry.slug for entry in posts} == {
        "A": "meeting",
        "B": "meeting-3",
        "C": "meeting-4",
        "Taken": "meeting-2",
    }
    (problem,) = posts.warnings
    assert "slug 'meeting' is shared by 3 files; a.md keeps it" in problem.message
    assert "Set a unique `slug`" in problem.message


def test_collection_helpers(write_posts: WritePosts) -> None:
    folder = write_posts(
        {
            "a.md": post("A", "2020-01-03", "tags: [go, web]\nby: [Ann]\n"),
            "b.md": post("B", "2020-01-02", "tags: [go]\nby: [Ann, Bob]\n"),
            "c.md": post("C", "2020-01-01", "redirect: /blog/a\n"),
        }
    )

    posts = load_collection(folder)

    assert isinstance(posts, Collection)
    assert len(posts) == 3
    assert posts.get("b") is posts[1]
    assert posts.get("zzz") is None
    assert [e.slug for e in posts.by_tag("go")] == ["a", "b"]
    assert posts.tags() == {"go": 2, "web": 1}
    assert posts.authors() == {"Ann": 2, "Bob": 1}
    assert [e.slug for e in posts.filter(lambda e: not e.redirect)] == ["a", "b"]
    assert [e.slug for e in posts[:2]] == ["a", "b"]
    assert posts.content_dir == folder


def test_relative_folder_resolves_against_the_site_in_a_scope(
    tmp_path: Path, in_scope: InScope, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_dir = tmp_path / "site"
    (site_dir / "content/posts").mkdir(parents=True)
    (site_dir / "content/posts/hello.md").write_text(post("Hello"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # somewhere else: the cwd must not matter

    with in_scope(site_dir):
        posts = load_collection("content/posts")

    assert [entry.slug for entry in posts] == ["hello"]


def test_relative_folder_resolves_against_the_cwd_outside_a_scope(
    write_posts: WritePosts, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_posts({"hello.md": post("Hello")})
    monkeypatch.chdir(folder.parent)

    assert [entry.slug for entry in load_collection("posts")] == ["hello"]


def test_second_load_in_a_scope_reuses_the_parse(
    write_posts: WritePosts, in_scope: InScope
) -> None:
    folder = write_posts({"a.md": post("Alpha"), "b.md": post("Beta")})
    clock = FakeClock()
    with in_scope(folder.parent, clock=clock):
        first = load_collection("posts")
        # Same name, size and mtime: even after a rescan the file must not be read again.
        stat = (folder / "a.md").stat()
        (folder / "a.md").write_text(post("Gamma"), encoding="utf-8")
        os.utime(folder / "a.md", ns=(stat.st_atime_ns, stat.st_mtime_ns))
        clock.now += RESCAN_SECONDS
        second = load_collection("posts")

    assert second is first
    assert only(second, "a").title == "Alpha"


def test_server_sees_an_edit_once_the_rescan_interval_passed(
    write_posts: WritePosts, in_scope: InScope
) -> None:
    folder = write_posts({"a.md": post("Alpha"), "b.md": post("Beta")})
    clock = FakeClock()
    with in_scope(folder.parent, clock=clock):
        first = load_collection("posts")
        (folder / "a.md").write_text(post("Alpha, edited"), encoding="utf-8")
        (folder / "c.md").write_text(post("Added"), encoding="utf-8")
        clock.now += RESCAN_SECONDS / 2
        within_interval = load_collection("posts")
        clock.now += RESCAN_SECONDS / 2
        after_interval = load_collection("posts")

    assert within_interval is first
    assert only(after_interval, "a").title == "Alpha, edited"
    assert only(after_interval, "c").title == "Added"


def test_changed_file_is_reparsed_alone(write_posts: WritePosts, in_scope: InScope) -> None:
    folder = write_posts({"a.md": post("Alpha"), "b.md": post("Beta")})
    clock = FakeClock()
    with in_scope(folder.parent, clock=clock):
        first = load_collection("posts")
        (folder / "a.md").write_text(post("Alpha, edited"), encoding="utf-8")
        clock.now += RESCAN_SECONDS
        second = load_collection("posts")

    assert only(second, "a") is not only(first, "a")
    assert only(second, "b") is only(first, "b")


def test_a_renamed_entry_stays_the_same_object_when_another_file_changes(
    write_posts: WritePosts, in_scope: InScope
) -> None:
    # ssg dev proves an entry unchanged by identity: a shared slug's rename must not make
    # a new object at every re-read (each would be digested field by field again).
    folder = write_posts(
        {
            "old.md": post("Old", date="2020-01-01", extra="slug: same\n"),
            "new.md": post("New", date="2021-01-01", extra="slug: same\n"),
            "b.md": post("Beta"),
        }
    )
    clock = FakeClock()
    with in_scope(folder.parent, clock=clock):
        first = load_collection("posts")
        (folder / "b.md").write_text(post("Beta, edited"), encoding="utf-8")
        clock.now += RESCAN_SECONDS
        second = load_collection("posts")
        (folder / "new.md").write_text(post("New, edited", date="2021-01-01", extra="slug: same\n"))
        clock.now += RESCAN_SECONDS
        third = load_collection("posts")

    assert only(second, "b").title == "Beta, edited"
    assert only(second, "same-2") is only(first, "same-2")
    assert only(second, "same") is only(first, "same")
    assert only(third, "same-2").title == "New, edited"  # a changed one is new, of course


def test_a_build_reads_the_folder_once(write_posts: WritePosts, in_scope: InScope) -> None:
    folder = write_posts({"a.md": post("Alpha")})
    clock = FakeClock()
    with in_scope(folder.parent, clock=clock, building=True):
        first = load_collection("posts")
        (folder / "a.md").write_text(post("Alpha, edited"), encoding="utf-8")
        clock.now += 3600
        second = load_collection("posts")

    assert second is first


def test_each_build_parses_afresh(write_posts: WritePosts, in_scope: InScope) -> None:
    folder = write_posts({"a.md": post("Alpha")})
    with in_scope(folder.parent):
        first = load_collection("posts")
    with in_scope(folder.parent):
        second = load_collection("posts")

    assert second == first
    assert second is not first


def test_options_are_part_of_the_memo_key(write_posts: WritePosts, in_scope: InScope) -> None:
    folder = write_posts({"a.md": post("A"), "b.markdown": post("B")})
    with in_scope(folder.parent):
        everything = load_collection("posts")
        only_md = load_collection("posts", pattern="**/*.md")

    assert (len(everything), len(only_md)) == (2, 1)


def test_strict_mode_raises_from_the_memo_too(write_posts: WritePosts, in_scope: InScope) -> None:
    folder = write_posts({"a.md": post("A", "2024-4-09")})
    with in_scope(folder.parent):
        assert len(load_collection("posts").warnings) == 1
        with pytest.raises(ContentError, match="not ISO 8601"):
            load_collection("posts", strict=True)


async def test_concurrent_async_loads_share_one_parse(
    write_posts: WritePosts, in_scope: InScope
) -> None:
    folder = write_posts({f"p{i}.md": post(f"P{i}") for i in range(20)})
    with in_scope(folder.parent):
        first, second = await asyncio.gather(aload_collection("posts"), aload_collection("posts"))

    assert first is second


async def test_async_variant_keeps_the_scope(write_posts: WritePosts, in_scope: InScope) -> None:
    folder = write_posts({"a.md": post("A")})
    with in_scope(folder.parent) as scope:
        posts = await aload_collection("posts")
        again = load_collection("posts")

    assert posts is again
    assert any(key.startswith("ssg.content") for key in scope.services.shared)


FILTER_MODULE = """
def shout(body):
    return body.replace("quiet", "LOUD")
"""


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "pool"])
def test_body_filter_rewrites_bodies_before_markdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    import importlib
    import sys

    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "ssg_test_filters.py").write_text(FILTER_MODULE)
    monkeypatch.syspath_prepend(str(helpers))
    module = importlib.import_module("ssg_test_filters")
    posts = tmp_path / "posts"
    posts.mkdir()
    for n in range(70):  # over the pool's threshold, so workers=2 really uses the pool
        (posts / f"p{n}.md").write_text(f"---\ntitle: P{n}\n---\nquiet *words*\n")
    collection = load_collection(posts, workers=workers, body_filter=module.shout)
    assert all("LOUD <em>words</em>" in entry.html for entry in collection)
    sys.modules.pop("ssg_test_filters", None)


def test_body_filter_must_be_importable_by_name(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\nx\n")
    with pytest.raises(ContentError, match="must be a module-level function"):
        load_collection(tmp_path, body_filter=lambda body: body)


@pytest.mark.parametrize("now", [1e9, 3e9], ids=["one-held-back", "all-published"])
def test_a_published_collection_is_freed_without_the_collector(
    write_posts: WritePosts, now: float
) -> None:
    # A collection that referred to itself would wait, with all its entries, for a full
    # pass of the collector (at the end of a large build, a pass over all its content).
    folder = write_posts(
        {
            "a.md": "---\ntitle: A\ndate: 2020-01-01\n---\nbody\n",
            "b.md": "---\ntitle: B\ndate: 2040-01-01\n---\nbody\n",
        }
    )
    collection = load_collection(folder)
    collection.published(now)
    gone = weakref.ref(collection)
    collector_was_on = gc.isenabled()
    gc.disable()
    try:
        del collection
        assert gone() is None
    finally:
        if collector_was_on:
            gc.enable()


def test_by_tag_notes_the_reads_of_a_filter_over_the_tags(write_posts: WritePosts) -> None:
    folder = write_posts(
        {
            "a.md": "---\ntitle: A\ndate: 2020-01-01\ntags: [go, go, web]\n---\nbody\n",
            "b.md": "---\ntitle: B\ndate: 2020-01-02\ntags: [rust]\n---\nbody\n",
            "c.md": "---\ntitle: C\ndate: 2020-01-03\ntags: [go]\n---\nbody\n",
        }
    )
    posts = load_collection(folder)
    with collect_reads() as expected_reads:
        expected = posts.filter(lambda entry: "go" in entry.tags)
    for _call in ("first, making the index", "second, from the index"):
        with collect_reads() as reads:
            tagged = posts.by_tag("go")
        assert [e.slug for e in tagged] == [e.slug for e in expected] == ["c", "a"]
        assert reads.flat() == expected_reads.flat()
    assert list(posts.by_tag("none")) == []


def test_a_strict_build_prints_each_content_problem_once(tmp_path: Path) -> None:
    site = tmp_path / "site"
    files = {
        "app/layout.html": "<html><body>{{ children }}</body></html>",
        "app/page.html": "{{ n }}",
        "app/page.py": "from ssg.content import load_collection\n"
        "def load(params):\n    return {'n': len(load_collection('posts'))}\n",
        "posts/a.md": post("A", "2024-13-45"),
        "posts/b.md": post("B", body="![x](gone.png)"),
    }
    for relative, text in files.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(text)

    def build(*options: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "ssg", "build", str(site), *options]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    strict, lenient = build("--strict"), build()

    assert strict.returncode == 1 and lenient.returncode == 0, strict.stderr + lenient.stderr
    for output in (strict.stderr, lenient.stderr):
        assert output.count("posts/a.md:3: could not read date") == 1, output
        assert output.count("'gone.png'") == 1, output
    assert "Error: " in strict.stderr and "Error: " not in lenient.stderr
    assert "Traceback" not in strict.stderr


def test_a_lenient_load_in_a_strict_build_warns_once(
    write_posts: WritePosts, in_scope: InScope, caplog: pytest.LogCaptureFixture
) -> None:
    folder = write_posts({"a.md": post("A", "2024-4-09")})
    with in_scope(folder.parent, building=True, strict=True), caplog.at_level(logging.WARNING):
        with pytest.raises(ContentError, match="not ISO 8601"):
            load_collection("posts")
        load_collection("posts", strict=False)
        load_collection("posts", strict=False)

    assert [r.getMessage().count("not ISO 8601") for r in caplog.records] == [1]
