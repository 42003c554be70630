"""File stamps (mtime and ctime in ns, size, inode), as Git's index and Make compare them:
the stamps of every file below some folders, of single files, of the imported modules, and
the file system's own time now (for stamps too recent to trust)."""

from __future__ import annotations

import os
import re
import stat
import sys
import tempfile
from collections.abc import Collection, Iterable
from pathlib import Path

from ssg.records import MANIFEST_FILE

Stamp = tuple[int, int, int, int]
"""(mtime_ns, ctime_ns, size in bytes, inode) of a file or folder."""

_FOLDER: Stamp = (0, 0, 0, 0)
"""A folder below a root: there (an empty new folder is a change a listing sees)."""

_SKIPPED_NAMES = frozenset(
    {
        *("__pycache__", ".git", ".hg", ".svn"),
        # Tools' own folders: their files are no site input (the modules a build imports
        # from them are stamped one by one, as every imported module is).
        *("node_modules", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache"),
    }
)
_ENVIRONMENT_MARK = "pyvenv.cfg"
"""The file every virtual environment holds at its top (PEP 405): a `.venv` kept in the site
folder is skipped like the tools' folders, whatever its name."""
_TRANSIENT = re.compile(r"\..+\.((staging|old)-\d+|journal(\.\d+\.tmp)?)$")
"""A build's own staging and swapped-out folders (`.out.staging-PID`) and
in-place journal (`.out.journal`), which come and go."""


def start_marker(folder: Path) -> int | None:
    """The file system's time now (ns): the ctime of a file created and removed in `folder`.

    Stamps are compared with it, not with `time.time()`: the file system's clock
    is coarse (a kernel tick, or whole seconds on some file systems).
    Returns None when `folder` cannot be written.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".build-start-") as marker:
            found = os.fstat(marker.fileno())
    except OSError:
        return None
    return min(found.st_ctime_ns, found.st_mtime_ns)


def stamp_of(found: os.stat_result) -> Stamp:
    """The Stamp of a stat result."""
    return (found.st_mtime_ns, found.st_ctime_ns, found.st_size, found.st_ino)


def _walk(root: str, skipped: frozenset[str], stamps: dict[str, Stamp | None]) -> bool:
    """Stamp every file below `root` (not the `skipped` paths, version control's and tools'
    folders, virtual environments); False on a symlinked folder (its files could change
    unseen) or an unreadable one."""
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        stamps[root] = None
        return True
    except OSError:
        return False
    for entry in entries:
        if entry.name in _SKIPPED_NAMES or entry.path in skipped or _TRANSIENT.match(entry.name):
            continue
        try:
            found = entry.stat()
        except OSError:
            continue  # a dangling link: what reads it fails the same way
        if stat.S_ISDIR(found.st_mode):
            if os.path.isfile(os.path.join(entry.path, _ENVIRONMENT_MARK)):
                continue
            stamps[entry.path] = _FOLDER  # its files are stamped; its own times change with them
            if entry.is_symlink() or not _walk(entry.path, skipped, stamps):
                return False
        else:
            stamps[entry.path] = stamp_of(found)
    return True


def take_stamps(
    roots: Iterable[str], files: Iterable[str], skipped: frozenset[str]
) -> dict[str, Stamp | None] | None:
    """Every file below `roots` and each of `files`, stamped; None when a root cannot be walked."""
    stamps: dict[str, Stamp | None] = {}
    for root in roots:
        if not _walk(root, skipped, stamps):
            return None
    for name in files:
        if name in stamps:
            continue
        try:
            stamps[name] = stamp_of(os.stat(name))
        except OSError:
            stamps[name] = None
    return stamps


def module_files() -> set[str]:
    """The files of every module this process imported (ssg, the renderers, the site's modules)."""
    found = set()
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        if isinstance(name, str):
            found.add(os.path.abspath(name))
    return found


def output_names(files: Iterable[str], page_files: Collection[str]) -> list[str]:
    """What shows that out/ is as a build left it: each of its folders (its own, "",
    included), and each file but the pages and the manifest; "/"-separated, relative.

    A file added, removed or renamed in a folder changes the folder's mtime; a file
    edited in place changes its own. The pages are left out: a page file edited in
    place (not replaced) is kept by the next build as it is, reused or not, so only
    its presence matters, which its folder shows. Every other file (public/ copies,
    assets, 404.html, bundles) is written again by a build that finds it changed.

    Args:
        files: every file of out/ after the build, as `OutputWriter.output_files` lists them.
        page_files: the pages' output files among them.
    """
    names: list[str] = []
    folders: set[str] = {""}
    for name in files:
        if name not in page_files and name != MANIFEST_FILE:
            names.append(name)
        cut = name.rfind("/")
        while cut > 0:
            folder = name[:cut]
            if folder in folders:
                break
            folders.add(folder)
            cut = folder.rfind("/")
    names.extend(folders)
    return sorted(names)


def output_stamps(out_dir: Path, names: Iterable[str]) -> dict[str, Stamp | None]:
    """The stamps of `names` (`output_names`) below `out_dir`, by name (None: gone).

    Without ctime: a reused page is a hard link to the previous build's file, whose
    removal after the build (in the background) changes the link count, so the ctime,
    of every file it shares. A replaced file is another inode; an edited one has
    another mtime. A folder's size (its entries' space) is left out too: its mtime
    moves whenever an entry comes, goes or is renamed.
    """
    stamps: dict[str, Stamp | None] = {}
    root = str(out_dir)
    for name in names:
        try:
            found = os.stat(os.path.join(root, name) if name else root, follow_symlinks=False)
        except OSError:
            stamps[name] = None
            continue
        size = 0 if stat.S_ISDIR(found.st_mode) else found.st_size
        stamps[name] = (found.st_mtime_ns, 0, size, found.st_ino)
    return stamps
