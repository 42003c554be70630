"""Find a collection's Markdown files and stamp each with (mtime, size) for memoization."""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEFAULT_PATTERNS: tuple[str, ...] = ("**/*.md", "**/*.markdown")
# "/README.md" only at the top (a repository's readme); "_index.md" anywhere (Zola sections).
DEFAULT_EXCLUDE: tuple[str, ...] = ("/README.md", "_index.md")


@dataclass(frozen=True)
class FileStamp:
    """One content file as found on disk.

    Attributes:
        relative_name: path relative to the collection folder, with `/`.
        mtime_ns: modification time in nanoseconds.
        size_bytes: file size in bytes.
        ctime_ns: status change time in nanoseconds (any write changes it).
        inode: the file's inode number (a file replaced by a rename changes it).

    Two stamps are equal when the name, mtime and size are (what a memoized
    collection compares); the content cache compares all four (`stat_stamp`).
    """

    relative_name: str
    mtime_ns: int
    size_bytes: int
    ctime_ns: int = field(default=0, compare=False)
    inode: int = field(default=0, compare=False)

    @property
    def stat_stamp(self) -> tuple[int, int, int, int]:
        """(mtime_ns, ctime_ns, size in bytes, inode): what the content cache compares."""
        return (self.mtime_ns, self.ctime_ns, self.size_bytes, self.inode)


def scan_content(
    content_dir: Path, patterns: Sequence[str], exclude: Sequence[str]
) -> tuple[FileStamp, ...]:
    """List the files of a collection with their stamps, sorted by name.

    A change to any file's name, mtime or size changes the result, which is
    how a memoized collection notices edits without reading files.

    Args:
        content_dir: the collection folder (absolute).
        patterns: glob patterns relative to it; `**` spans folders
            ("**/*.md" also matches "a.md"). Hidden files are skipped.
        exclude: patterns matched from the right like `PurePath.match`
            ("_index.md" excludes it in every folder); a leading "/" anchors
            the pattern at the collection folder ("/README.md": top only);
            `*` and `?` stay within a folder name, `**` spans folders.

    Returns:
        One `FileStamp` per regular file, sorted by `relative_name`.

    Examples:
        | file                        | exclude            | kept |
        | --------------------------- | ------------------ | ---- |
        | README.md                   | ("/README.md",)    | no   |
        | notes/README.md             | ("/README.md",)    | yes  |
        | inside-rust/_index.md       | ("_index.md",)     | no   |
        | drafts/2024/a.md            | ("drafts/**",)     | no   |
    """
    names = _matching_names(content_dir, patterns)
    excluded = [_exclude_regex(rule) for rule in exclude]
    folder = str(content_dir)
    stamps = []
    for name in sorted(names):
        relative_name = name.replace(os.sep, "/")
        if any(rule.search(relative_name) for rule in excluded):
            continue
        try:
            info = os.stat(os.path.join(folder, name))  # no Path per file: one per post
        except FileNotFoundError:  # deleted between glob and stat
            continue
        if stat.S_ISREG(info.st_mode):
            stamps.append(
                FileStamp(
                    relative_name, info.st_mtime_ns, info.st_size, info.st_ctime_ns, info.st_ino
                )
            )
    return tuple(stamps)


def _matching_names(content_dir: Path, patterns: Sequence[str]) -> set[str]:
    """The names `patterns` match below `content_dir` (relative, with the OS separator).

    Patterns that all span folders to a file name ("**/*.md", "**/*.markdown") share
    one walk: `glob("**/*")` lists what each of them would list, and each name is then
    matched as glob matches its last part (hidden names were skipped by the walk).
    """
    tails = [pattern[3:] for pattern in patterns if pattern.startswith("**/")]
    if (
        len(tails) < 2
        or len(tails) != len(patterns)
        or any(
            "/" in tail or "**" in tail or tail.startswith(".") or not glob.has_magic(tail)
            for tail in tails
        )
    ):
        names: set[str] = set()
        for pattern in patterns:
            names.update(glob.glob(pattern, root_dir=content_dir, recursive=True))
        return names
    matches = re.compile("|".join(fnmatch.translate(tail) for tail in tails)).match
    return {
        name
        for name in glob.glob("**/*", root_dir=content_dir, recursive=True)
        if matches(os.path.basename(name))
    }


@lru_cache(maxsize=64)
def _exclude_regex(rule: str) -> re.Pattern[str]:
    """Compile an exclude rule: `*` and `?` stay within one folder, `**` spans folders.

    PurePath.match would do, but parses the pattern on every call: too slow for a check that
    runs on every memoized load.
    """
    anchored = rule.startswith("/")
    parts = re.split(r"(\*\*|\*|\?)", rule.lstrip("/"))
    wildcards = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    body = "".join(wildcards.get(part, re.escape(part)) for part in parts)
    return re.compile(("^" if anchored else "(?:^|/)") + body + "$")
