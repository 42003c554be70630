"""Drafts and scheduled (future-dated) entries: left out, shown on request, published on time."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import ssg
from ssg.content import load_collection
from ssg.revalidate import Revalidate
from ssg.scope import DynamicMode, RenderScope, enter_scope

from .conftest import FakeClock, InScope, WritePosts

NOW = dt.datetime(2030, 6, 1, 9, 0, tzinfo=dt.UTC).timestamp()


def post(title: str, date: str, extra: str = "") -> str:
    return f"---\ntitle: {json.dumps(title)}\ndate: {date}\n{extra}---\nBody.\n"


@pytest.fixture
def folder(write_posts: WritePosts) -> Path:
    return write_posts(
        {
            "old.md": post("Old", "2030-05-01T09:00:00Z"),
            "draft.md": post("Draft", "2030-05-02T09:00:00Z", "draft: true\n"),
            "soon.md": post("Soon", "2030-06-01T09:00:30Z"),
            "later.md": post("Later", "2030-06-02T09:00:00Z"),
        }
    )


def test_drafts_and_future_entries_are_left_out_of_a_render(
    folder: Path, in_scope: InScope
) -> None:
    with in_scope(folder.parent, clock=FakeClock(NOW)):
        posts = load_collection(folder)

    assert [e.slug for e in posts] == ["old"]


def test_include_drafts_keeps_both_kinds_marked(folder: Path, in_scope: InScope) -> None:
    with in_scope(folder.parent, clock=FakeClock(NOW), include_drafts=True) as scope:
        posts = load_collection(folder)

    assert [e.slug for e in posts] == ["later", "soon", "draft", "old"]
    assert [e.slug for e in posts if e.draft] == ["draft"]
    assert [e.slug for e in posts if e.is_scheduled(NOW)] == ["later", "soon"]
    assert scope.revalidate == Revalidate.NEVER  # nothing was left out, nothing is due


def test_drafts_argument_overrides_the_services(folder: Path, in_scope: InScope) -> None:
    with in_scope(folder.parent, clock=FakeClock(NOW)):
        assert len(load_collection(folder, drafts=True)) == 4


def test_outside_a_render_drafts_and_future_entries_are_left_out(
    write_posts: WritePosts,
) -> None:
    folder = write_posts(
        {
            "a.md": post("A", "2020-01-01"),
            "b.md": post("B", "2999-01-01"),
            "c.md": "Title: C\nDate: 2020-01-02\nStatus: draft\n\nBody.\n",
        }
    )

    assert [e.slug for e in load_collection(folder)] == ["a"]


def test_a_render_that_left_out_a_future_entry_is_due_at_its_date(
    folder: Path, in_scope: InScope
) -> None:
    with in_scope(folder.parent, clock=FakeClock(NOW)) as scope:
        scope.record_revalidate(Revalidate.after(3600))
        load_collection(folder)

    assert scope.revalidate == Revalidate.after(30)  # "soon" is 30 s ahead; the lowest wins


def test_a_draft_date_schedules_nothing(write_posts: WritePosts, in_scope: InScope) -> None:
    folder = write_posts({"d.md": post("D", "2030-06-01T09:00:10Z", "draft: true\n")})
    with in_scope(folder.parent, clock=FakeClock(NOW)) as scope:
        assert len(load_collection(folder)) == 0

    assert scope.revalidate == Revalidate.NEVER


def test_a_scheduled_entry_appears_once_its_date_passed(folder: Path, in_scope: InScope) -> None:
    clock = FakeClock(NOW)
    with in_scope(folder.parent, clock=clock) as scope:
        before = [e.slug for e in load_collection(folder)]
        clock.now += 30.5
        after = [e.slug for e in load_collection(folder)]

    assert (before, after) == (["old"], ["soon", "old"])
    assert scope.revalidate == Revalidate.after(30)


def test_each_release_and_a_clock_moved_back_list_the_entries_dated_up_to_now(
    folder: Path, in_scope: InScope
) -> None:
    """The published view is kept per release: every clock reading still gets its own list."""
    clock = FakeClock(NOW)
    seen = []
    with in_scope(folder.parent, clock=clock):
        for offset in (0, 29, 31, 86_400, 86_401, 0, 31):
            clock.now = NOW + offset
            seen.append([e.slug for e in load_collection(folder)])

    soon, later = ["soon", "old"], ["later", "soon", "old"]
    assert seen == [["old"], ["old"], soon, later, later, ["old"], soon]


@ssg.cache
def _titles(folder: str) -> list[str]:
    return [e.title for e in load_collection(folder)]


def test_memo_hits_of_a_cached_function_are_due_too(folder: Path, in_scope: InScope) -> None:
    """At build, pages after the first get the result from the memo: they must be due as well."""
    with in_scope(folder.parent, clock=FakeClock(NOW), building=True) as first:
        assert _titles(str(folder)) == ["Old"]
        second = RenderScope(
            route_pattern="/",
            url_path="/",
            dynamic=DynamicMode.AUTO,
            config_file="app/page.py",
            services=first.services,
            memo=first.memo,
        )
        with enter_scope(second):
            assert _titles(str(folder)) == ["Old"]

    assert first.memo.calls == 1
    assert (first.revalidate, second.revalidate) == (Revalidate.after(30),) * 2
