"""The three real corpora load with the counts their READMEs state (skipped when absent)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ssg.content import Collection, ContentProblem, load_collection

CORPUS_DIR = (Path(__file__).resolve().parents[2] / "../shared/corpus").resolve()

pytestmark = pytest.mark.skipif(not CORPUS_DIR.is_dir(), reason=f"no corpus at {CORPUS_DIR}")


@pytest.fixture(scope="module")
def go_blog() -> Collection:
    return load_collection(CORPUS_DIR / "go-blog/posts")


@pytest.fixture(scope="module")
def rust_blog() -> Collection:
    return load_collection(CORPUS_DIR / "rust-blog/posts")


@pytest.fixture(scope="module")
def twir() -> Collection:
    return load_collection(CORPUS_DIR / "twir/posts")


def test_go_blog_counts(go_blog: Collection) -> None:
    # 274 posts + 60 redirect stubs + index.md + all.md; README.md is not a post.
    assert len(go_blog) == 336
    assert sum(entry.date is not None for entry in go_blog) == 274
    assert sum(entry.redirect is not None for entry in go_blog) == 60
    assert {e.slug for e in go_blog if e.date is None and not e.redirect} == {"index", "all"}
    assert go_blog[0].date is not None and go_blog[0].date.date().isoformat() == "2026-08-19"
    dated = [entry for entry in go_blog if entry.date is not None]
    assert dated[-1].date is not None and dated[-1].date.date().isoformat() == "2010-03-18"


def missing_files(posts: Collection) -> list[ContentProblem]:
    """The corpora were copied without their images (and some posts link pages that are
    not in them): each reference to a missing file is a warning."""
    return [
        p for p in posts.warnings if "which is not in" in p.message or "does not exist" in p.message
    ]


def test_go_blog_only_warns_about_the_malformed_date_and_missing_images(
    go_blog: Collection,
) -> None:
    missing = missing_files(go_blog)
    (problem,) = [p for p in go_blog.warnings if p not in missing]
    assert len(missing) > 100 and all(p.line is not None for p in missing)
    assert (problem.source_file.name, problem.line) == ("survey2024-h1-results.md", 3)
    entry = go_blog.get("survey2024-h1-results")
    assert entry is not None and entry.date is not None
    assert entry.date.date().isoformat() == "2024-04-09"


def test_go_blog_fields(go_blog: Collection) -> None:
    context = go_blog.get("context")
    assert context is not None
    assert context.title == "Go Concurrency Patterns: Context"
    assert context.authors == ("Sameer Ajmani",)
    assert context.summary == "An introduction to the Go context package."
    assert sum(1 for entry in go_blog if entry.tags) == 171
    assert sum("{{image" in entry.html for entry in go_blog) > 0


def test_rust_blog_has_750_posts_dated_from_their_path(rust_blog: Collection) -> None:
    assert len(rust_blog) == 750
    assert all(entry.date is not None for entry in rust_blog)
    years = Counter(entry.date.year for entry in rust_blog if entry.date is not None)
    assert years == {
        2014: 5, 2015: 15, 2016: 20, 2017: 21, 2018: 35, 2019: 68, 2020: 103,
        2021: 60, 2022: 72, 2023: 85, 2024: 82, 2025: 108, 2026: 76,
    }  # fmt: skip
    assert sum("aliases" in entry.metadata for entry in rust_blog) == 623
    assert all(entry.authors for entry in rust_blog)


def test_rust_blog_slugs_are_unique_and_only_shared_slugs_warn(rust_blog: Collection) -> None:
    assert len({entry.slug for entry in rust_blog}) == 750
    missing = missing_files(rust_blog)
    assert rust_blog.warnings
    assert all("is shared by" in p.message for p in rust_blog.warnings if p not in missing)


def test_rust_blog_keeps_template_braces_and_highlights_rust(rust_blog: Collection) -> None:
    assert any("{{closure}}" in entry.html for entry in rust_blog)
    assert sum('<div class="highlight">' in entry.html for entry in rust_blog) > 200


def test_twir_counts_and_malformed_dates(twir: Collection) -> None:
    assert len(twir) == 668
    assert all(entry.date is not None for entry in twir)
    assert sum(entry.source_file.suffix == ".markdown" for entry in twir) == 58
    assert sorted((p.source_file.name, p.line) for p in twir.warnings) == [
        ("2020-12-2-this-week-in-rust.md", 3),
        ("2020-12-9-this-week-in-rust.md", 3),
    ]
    entry = twir.get("2020-12-2-this-week-in-rust")
    assert entry is not None and entry.date is not None
    assert entry.date.date().isoformat() == "2020-12-02"
    assert entry.title == "This Week in Rust 367"
    assert entry.metadata["number"] == "367"
    assert sum(1 for entry in twir if entry.tags) == 4
    privacy = twir.get("privacy-policy")
    assert privacy is not None and privacy.title == "Privacy Policy"
