"""The site as a command is given it: its folder, and its ssg.toml (every problem at once)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ssg.errors.base import SsgError
from ssg.plural import plural


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in ssg.toml (or in an environment override of it).

    Attributes:
        key: the key involved ("" for the file as a whole, e.g. bad TOML).
        message: what is wrong, quoting the value (and naming the environment
            variable or command-line flag it came from, when not from ssg.toml).
        fix: how to fix it (a "did you mean" for a misspelt key).
        line: the line of ssg.toml that sets the key (1-based), when the value
            came from the file.
    """

    key: str
    message: str
    fix: str
    line: int | None = None

    def __str__(self) -> str:
        """ "line 3: base_path = 'docs' must start with "/": write it as "/docs" ..." """
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.message}: {self.fix}"


class ConfigError(SsgError):
    """ssg.toml could not be read, or it or an override of it (an environment variable, a
    command-line flag) holds unknown keys or bad values.

    The message names ssg.toml first unless no problem is in the file (a bad
    `--base-path` flag: the problem names the flag).

    Attributes:
        source_file: the ssg.toml path.
        problems: every ConfigProblem found, each with its fix.
        in_file: whether any problem is in ssg.toml itself.
    """

    def __init__(
        self, source_file: Path, problems: Sequence[ConfigProblem], *, in_file: bool = True
    ) -> None:
        self.source_file = source_file
        self.problems = list(problems)
        self.in_file = in_file
        lines = "\n".join(f"  - {p}" for p in self.problems)
        where = f"{source_file}: " if in_file else ""
        super().__init__(f"{where}{plural(len(self.problems), 'problem')} in the config:\n{lines}")


class SiteNotFoundError(SsgError, FileNotFoundError):
    """The site folder given to a command does not exist.

    Attributes:
        site_dir: the folder asked for.
    """

    def __init__(self, site_dir: Path) -> None:
        self.site_dir = site_dir
        super().__init__(
            f"site folder {site_dir} does not exist: pass the folder that holds app/ "
            "(e.g. ssg build examples/blog)"
        )


class NewSiteError(SsgError, FileExistsError):
    """`ssg new DIR` refused DIR: it exists and is not empty, or is a file.

    Attributes:
        target_dir: the folder given.
    """

    def __init__(self, message: str, *, target_dir: Path) -> None:
        self.target_dir = target_dir
        super().__init__(message)
