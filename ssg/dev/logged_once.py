"""Content warnings logged once per `ssg dev` session, however many workers load the content.

Each dev worker is a fresh process that loads the content again (a restart for a
code edit), and would log every content problem again. The supervisor keeps one
small file per session; each worker reads it at start and appends what it logs, so
a warning already shown is not repeated. A warning about a file just edited is
shown again (the author is looking at that file).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

CONTENT_LOGGER = "ssg.content"


class LoggedOnce(logging.Filter):
    """A handler filter: drops a content warning already logged in this session.

    The session file holds one JSON line per event: `["+", file, message]` once a
    warning is logged, `["-", file, ""]` when the file's warnings may show again.

    Args:
        session_file: the session's file (created by the supervisor; may be empty).
    """

    def __init__(self, session_file: Path) -> None:
        super().__init__()
        self.session_file = session_file
        self._logged: dict[str, str] = {}  # message -> the content file it is about ("" if none)
        with contextlib.suppress(OSError):
            for line in session_file.read_text(encoding="utf-8").splitlines():
                with contextlib.suppress(ValueError):
                    self._replay(json.loads(line))

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a content warning already logged in this session (it is not shown)."""
        if record.levelno < logging.WARNING or not (
            record.name == CONTENT_LOGGER or record.name.startswith(CONTENT_LOGGER + ".")
        ):
            return True
        message = record.getMessage()
        if message in self._logged:
            return False
        about = _source_file(record)
        self._logged[message] = about
        self._append(["+", about, message])
        return True

    def forget(self, files: Iterable[Path]) -> None:
        """Let the warnings about these content files (just edited) be logged again."""
        names = {str(file) for file in files}
        gone = {message: about for message, about in self._logged.items() if about in names}
        for message in gone:
            del self._logged[message]
        for name in sorted(set(gone.values())):
            self._append(["-", name, ""])

    def _replay(self, event: object) -> None:
        if not isinstance(event, list) or len(event) != 3:
            return
        sign, about, message = event
        if sign == "+":
            self._logged[str(message)] = str(about)
        elif sign == "-":
            for known in [m for m, a in self._logged.items() if a == about]:
                del self._logged[known]

    def _append(self, event: list[str]) -> None:
        # One write per line with O_APPEND: two workers (one stopping) never tear a line.
        data = (json.dumps(event) + "\n").encode("utf-8")
        with contextlib.suppress(OSError):
            fd = os.open(self.session_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)


def _source_file(record: logging.LogRecord) -> str:
    """The content file a warning is about (a ContentProblem's), or ""."""
    args = record.args if isinstance(record.args, tuple) else ()
    for arg in args:
        source = getattr(arg, "source_file", None)
        if source is not None:
            return str(source)
    return ""


def install(session_file: Path) -> LoggedOnce:
    """Add the filter to every handler of the root logger (call after logging is set up)."""
    once = LoggedOnce(session_file)
    for handler in logging.getLogger().handlers:
        handler.addFilter(once)
    return once
