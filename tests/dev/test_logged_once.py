"""Content warnings once per `ssg dev` session: the filter every worker installs."""

from __future__ import annotations

import logging
from pathlib import Path

from ssg.content.problems import ContentProblem
from ssg.dev.logged_once import LoggedOnce


def _warning(problem: object, name: str = "ssg.content") -> logging.LogRecord:
    return logging.LogRecord(name, logging.WARNING, __file__, 1, "%s", (problem,), None)


def test_a_warning_a_previous_worker_logged_is_not_logged_again(tmp_path: Path) -> None:
    session = tmp_path / "session.logged"
    problem = ContentProblem(tmp_path / "bad.md", 4, "malformed YAML front matter")
    first = LoggedOnce(session)
    assert first.filter(_warning(problem))
    assert not first.filter(_warning(problem))
    second = LoggedOnce(session)  # the next worker of the same session
    assert not second.filter(_warning(problem))
    other = ContentProblem(tmp_path / "other.md", 2, "date unreadable")
    assert second.filter(_warning(other))


def test_an_edited_files_warnings_are_logged_again(tmp_path: Path) -> None:
    session = tmp_path / "session.logged"
    problem = ContentProblem(tmp_path / "bad.md", 4, "malformed YAML front matter")
    first = LoggedOnce(session)
    assert first.filter(_warning(problem))
    first.forget([tmp_path / "bad.md"])
    assert first.filter(_warning(problem))
    first.forget([tmp_path / "bad.md"])
    assert LoggedOnce(session).filter(_warning(problem))  # the next worker replays the forget


def test_other_records_pass(tmp_path: Path) -> None:
    once = LoggedOnce(tmp_path / "session.logged")
    for record in (_warning("x", name="ssg.dev"), _warning("x", name="ssg.dev")):
        assert once.filter(record)
    info = logging.LogRecord("ssg.content", logging.INFO, __file__, 1, "loaded", (), None)
    assert once.filter(info) and once.filter(info)
