"""Update out/ in place under a journal: the few files an incremental build changed, never a mix.

An incremental build writes only its new or changed files, into a staging folder beside
out/ (`.out.staging-PID`). Its commit (`commit_in_place`) then:

1. flushes the file system (syncfs): the staged files are on disk;
2. writes the journal `.out.journal` beside out/ (temp file, fsync, rename, fsync of
   the folder): the staging folder, the files to move from it into out/, and the files
   of out/ to delete. Its rename is the commit point: from here on the build only
   rolls forward;
3. applies the journal: deletes, then renames each staged file over its name in out/
   (the manifest last), creating and pruning folders;
4. flushes again, then removes the journal and the staging folder.

Crash safety (a kill or a power loss): before the journal's rename, out/ is untouched,
and the staging folder goes as any leftover of a dead process: the old build. After it,
the journal and every file it names are on disk, and each of its steps can be done again
(a rename whose source is gone was done; a deletion of a missing file was done), so
`recover_journal`, run at the start of the next build and whenever a server pins out/,
finishes it: the new build. A journal that does not parse is not ours to follow (it
cannot be torn: it appears whole by rename): it is removed. Whoever reads out/ while a
commit runs waits on a lock (flock of the out/ folder: exclusive to commit or recover,
shared to pin), so no reader sees the mix of step 3 either. Each file is replaced by a
rename, never rewritten: a server's pin (hard links) keeps the old file's inode.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ssg.errors import OutputDirError
from ssg.plural import plural
from ssg.records import MANIFEST_FILE
from ssg.syscalls import fsync_directory, process_running, sync_file_system

logger = logging.getLogger("ssg.builder")

JOURNAL_FORMAT = 1
"""Bump when the journal's fields change."""


def journal_file(out_dir: Path) -> Path:
    """The journal of an in-place commit into `out_dir`: `.out.journal` beside it."""
    return out_dir.parent / f".{out_dir.name}.journal"


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class Journal:
    """The steps of one in-place commit.

    Attributes:
        staging: the staging folder's name (beside out/), holding the files to move.
        moves: "/"-separated paths, relative to both folders, moved from staging into out/.
        deletions: "/"-separated paths of out/ to delete.
    """

    staging: str
    moves: tuple[str, ...]
    deletions: tuple[str, ...]

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": JOURNAL_FORMAT,
                "staging": self.staging,
                "moves": list(self.moves),
                "deletions": list(self.deletions),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Journal | None:
        """The journal in `text`, or None when it does not parse (a journal never flushed)."""
        try:
            raw = json.loads(text)
            if raw["format"] != JOURNAL_FORMAT:
                return None
            staging = raw["staging"]
            moves = tuple(str(name) for name in raw["moves"])
            deletions = tuple(str(name) for name in raw["deletions"])
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(staging, str) or "/" in staging or staging in ("", ".", ".."):
            return None
        if not all(_is_relative(name) for name in (*moves, *deletions)):
            return None
        return cls(staging, moves, deletions)


def _is_relative(name: str) -> bool:
    parts = name.split("/")
    return not name.startswith("/") and all(p not in ("", ".", "..") for p in parts)


@contextmanager
def output_lock(out_dir: Path, *, shared: bool = False) -> Iterator[bool]:
    """Hold a lock on `out_dir` (flock of the folder): exclusive to change it, shared to read it.

    Yields:
        False when there is no out/ to lock (nothing then is held).
    """
    try:
        fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        yield False
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield True
    finally:
        os.close(fd)  # releases the lock


def commit_in_place(
    out_dir: Path,
    staging_dir: Path,
    moves: Iterable[str],
    deletions: Iterable[str],
    *,
    expected: object = None,
) -> None:
    """Move the staged files into out/ and delete the others, all or nothing (see the module).

    Args:
        out_dir: the output folder, holding the previous build.
        staging_dir: the folder beside it holding the new and changed files.
        moves: paths relative to both folders to move into out/.
        deletions: paths of out/ that the new build does not have.

    `expected` is `output_identity(out_dir)` when the build started, if given.

    Raises:
        OutputDirError: out/ is not the build `expected` names (another build
            committed meanwhile): out/ is untouched.
        OSError: a step failed before the journal was in place: out/ is untouched.
        OutputDirError: a step failed after it: the journal is left for the next
            build (or server) to finish.

    Side effects: writes and removes the journal beside out/; renames and deletes files
    and folders under out/; removes the staging folder; sets out/'s times (a change a
    watcher of out/'s parent folder sees, as it sees a swap).
    """
    journal = Journal(
        staging_dir.name,
        # The manifest moves last: a reader that sees the new manifest sees every new file.
        tuple(sorted(moves, key=lambda name: (name == MANIFEST_FILE, name))),
        tuple(sorted(deletions)),
    )
    target = journal_file(out_dir)
    temp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    with output_lock(out_dir):
        if expected is not None and output_identity(out_dir) != expected:
            # Another build committed meanwhile: this one's moves and deletions were
            # computed against an out/ that is gone, and would mix the two.
            raise OutputDirError(
                f"{out_dir} changed while this build ran (another ssg build into it?); "
                "nothing was written there: run the build again",
                out_dir=out_dir,
            )
        sync_file_system(staging_dir)  # the staged files on disk before a journal names them
        with open(temp, "w", encoding="utf-8") as stream:
            stream.write(journal.to_json())
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)  # the commit point (see the module)
        try:
            fsync_directory(target.parent)
            _apply(out_dir, journal)
            sync_file_system(out_dir)
        except OSError as exc:
            raise _unfinished(out_dir, exc) from exc
        target.unlink()
    _remove_folder(staging_dir)
    os.utime(out_dir)


def output_identity(out_dir: Path) -> tuple[int, int, int] | None:
    """Which build out/ holds: its manifest's (inode, size, mtime in ns), or None without one.

    Every commit replaces the manifest with a new file (a new inode).
    """
    try:
        found = (out_dir / MANIFEST_FILE).stat()
    except OSError:
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns)


def recover_journal(out_dir: Path) -> bool:
    """Finish the in-place commit a killed build left (its journal), if any; True when one was.

    Safe to call at any time: a commit still running holds the lock, and this
    waits for it (and then finds no journal).

    Raises:
        OutputDirError: out/ cannot be changed (permissions, disk space); the
            journal is kept.
    """
    target = journal_file(out_dir)
    for temp in out_dir.parent.glob(f"{target.name}.*.tmp"):  # a journal being written
        pid = temp.name[len(target.name) + 1 : -len(".tmp")]
        if pid.isdigit() and not process_running(int(pid)):
            temp.unlink(missing_ok=True)
    if not target.exists():
        return False
    with output_lock(out_dir) as locked:
        try:
            text = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False  # the commit we waited for finished
        journal = Journal.from_json(text)
        if journal is None or not locked:
            logger.warning(
                "Removed %s, left by a build killed before it changed %s.", target, out_dir
            )
        else:
            try:
                _apply(out_dir, journal)
                sync_file_system(out_dir)
            except OSError as exc:
                raise _unfinished(out_dir, exc) from exc
            logger.warning(
                "A build stopped while updating %s (killed, or a disk error): finished its update "
                "(%s).",
                out_dir,
                plural(len(journal.moves) + len(journal.deletions), "file"),
            )
        target.unlink()
    if journal is not None:
        _remove_folder(out_dir.parent / journal.staging)
    return True


def _unfinished(out_dir: Path, exc: OSError) -> OutputDirError:
    return OutputDirError(
        f"could not finish updating {out_dir} with the new build ({exc}); its journal "
        f"{journal_file(out_dir).name} is kept, and the next build (or ssg serve) finishes "
        "the update once the cause (disk space, permissions) is fixed",
        out_dir=out_dir,
    )


def _apply(out_dir: Path, journal: Journal) -> None:
    """Do the journal's steps; each one again is harmless (see the module)."""
    out = str(out_dir)
    staging = str(out_dir.parent / journal.staging)
    emptied: set[str] = set()
    for name in journal.deletions:
        path = os.path.join(out, name)
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        except IsADirectoryError:  # a folder where the old build had a file: not ours
            continue
        emptied.add(os.path.dirname(path))
    # Deepest first, so a folder emptied by its subfolders' removal goes too.
    for folder in sorted(emptied, key=len, reverse=True):
        while folder != out and len(folder) > len(out):
            try:
                os.rmdir(folder)
            except OSError:  # not empty (or gone): the folders above are kept too
                break
            folder = os.path.dirname(folder)
    made: set[str] = {out}
    for name in journal.moves:
        source = os.path.join(staging, name)
        target = os.path.join(out, name)
        folder = os.path.dirname(target)
        if folder not in made:
            _make_folder(folder, out)
            made.add(folder)
        try:
            os.replace(source, target)
        except FileNotFoundError:
            if not os.path.lexists(source):
                continue  # moved before the kill
            raise


def _make_folder(folder: str, out: str) -> None:
    """Create `folder` below out/, replacing a file the old build had in its place."""
    try:
        os.makedirs(folder, exist_ok=True)
        return
    except (FileExistsError, NotADirectoryError):
        pass
    # A file of the old build where the new one has a folder (public/a -> public/a/b):
    # the journal's deletions removed it unless it is a file of ours no more.
    parent = folder
    while parent != out and not os.path.isdir(parent):
        if os.path.lexists(parent):
            os.unlink(parent)
            break
        parent = os.path.dirname(parent)
    os.makedirs(folder, exist_ok=True)


def _remove_folder(folder: Path) -> None:
    """Remove what is left of a staging folder (its folders, and the unchanged files'
    links, after the moves)."""
    shutil.rmtree(folder, ignore_errors=True)
