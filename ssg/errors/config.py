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
        message: what is wrong, quoting the value.
        fix: how to fix it (a "did you mean" for a misspelt key).
    """

    key: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.message}: {self.fix}"


class ConfigError(SsgError):
    """ssg.toml could not be read, or holds unknown keys or bad values.

    Attributes:
        source_file: the ssg.toml path.
        problems: every ConfigProblem found, each with its fix.
    """

    def __init__(self, source_file: Path, problems: Sequence[ConfigProblem]) -> None:
        self.source_file = source_file
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"{source_file}: {plural(len(self.problems), 'problem')} in the config:\n{lines}"
        )


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
