"""Write the build output into a staging folder that replaces out/ only when the build succeeded:
swapped in whole (a full render), or its few changed files moved in under a journal
(an incremental build, `ssg.builder.journal`)."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path
from urllib.parse import unquote

from ssg.builder.journal import commit_in_place, journal_file, output_identity, output_lock
from ssg.builder.out_folder import recover_output, remove_in_background
from ssg.errors import OutputDirError, PublicLinkError
from ssg.records import MANIFEST_FILE
from ssg.syscalls import exchange_paths, fsync_directory, sync_file_system
from ssg.theme import ASSETS_URL_PREFIX, Theme


def page_output_file(url_path: str, *, trailing_slash: bool) -> str:
    """The file a page is written to, relative to the output folder (decoded, as hosts look up).

    | url_path        | trailing_slash=False | trailing_slash=True    |
    | --------------- | -------------------- | ---------------------- |
    | /               | index.html           | index.html             |
    | /about          | about.html           | about/index.html       |
    | /blog/caf%C3%A9 | blog/café.html       | blog/café/index.html   |
    | /old/post.html  | old/post.html        | old/post.html          |

    A URL that already ends in ".html" (an old URL kept as an alias) is
    written as that file, so static hosts answer it as it was.
    """
    decoded = unquote(url_path).strip("/")
    if not decoded:
        return "index.html"
    if decoded.endswith(".html"):
        return decoded
    return f"{decoded}/index.html" if trailing_slash else f"{decoded}.html"


def handler_output_file(url_path: str) -> str:
    """The file a prerendered route handler is written to: its URL path ("/feed.xml" -> feed.xml)."""
    decoded = unquote(url_path).strip("/")
    return decoded or "index"


class OutputWriter:
    """Writes files under a staging folder, then puts them in out/ (`commit`).

    A failed build calls `discard` and the previous out/ is untouched, so a
    broken build never takes a deployed site down (as lektor's artifacts).

    Two ways to commit, both all or nothing:
    - swap (a full render): the staging folder holds the whole new build and
      replaces out/ in one rename. A file whose bytes equal the previous
      build's file is hard-linked to it instead of written again: no new
      inode, the old modification time kept (rsync and deploy tools see it
      unchanged), and nothing freed when the old out/ goes. With
      `remove_old_in_background` (the CLI's builds) the swapped-out previous
      build is deleted by a detached process.
    - in place (`in_place`, an incremental build over a previous build): a page
      the build reuses stays in out/ as it is (`reuse`); the staging folder
      holds only what the build wrote, and `commit` moves the files that
      changed into out/ and deletes those the build no longer has, under a
      journal (`ssg.builder.journal`). A page edit then costs a few renames,
      not a link per page of the site.
    File systems without hard links get every written file written (and moved).
    """

    def __init__(
        self, out_dir: Path, *, remove_old_in_background: bool = False, in_place: bool = False
    ) -> None:
        self.out_dir = out_dir
        self._remove_old_in_background = remove_old_in_background
        self.staging_dir = out_dir.parent / f".{out_dir.name}.staging-{os.getpid()}"
        recover_output(out_dir)
        if self.staging_dir.exists():
            shutil.rmtree(self.staging_dir)
        self.staging_dir.mkdir(parents=True)
        # Only a previous build is a source of links (check_out_dir refuses other folders).
        self._link_previous = (out_dir / MANIFEST_FILE).is_file()
        # In place: the files of out/ now, and those of them this build keeps as they are.
        self.in_place = in_place and self._link_previous
        self._existing: set[str] = _files_below(str(out_dir)) if self.in_place else set()
        self._identity = output_identity(out_dir)  # the build `_existing` lists
        self._reused: set[str] = set()
        self._committing = False
        # Folders known to exist: one mkdir per folder, not per file.
        self._made_dir_strs: set[str] = {str(self.staging_dir)}
        self._out_str = str(out_dir)
        self._staging_str = str(self.staging_dir)

    def write(self, relative: str, data: bytes) -> None:
        """Write `data` to `relative` (a "/"-separated path) inside the staging folder,
        or link the previous build's file when it holds the same bytes.

        Raises:
            ValueError: `relative` is absolute or climbs out with "..".
            OSError: the file cannot be written (disk full, permissions).
        """
        if relative.startswith("/") or any(p in ("", ".", "..") for p in relative.split("/")):
            raise ValueError(f"output file {relative!r} would be outside the output folder")
        target = self._target(relative)
        if not (self._link_previous and self._link_if(relative, target, partial(_holds, data))):
            _write_new(target, data)

    def copy_tree(self, source_dir: Path, relative: str = "", *, inside: Path | None = None) -> int:
        """Copy a folder's files verbatim (dotfiles too: .nojekyll, .well-known/) into the
        staging folder; returns the count. A file the previous build copied with the same
        bytes is linked.

        Symbolic links are followed only when they resolve inside `inside` (the
        site folder); nothing is copied when one does not.

        Raises:
            PublicLinkError: links that resolve outside `inside`, all of them.
        """
        count = 0
        if not source_dir.is_dir():
            return count
        sources = sorted(source_dir.rglob("*"))
        if inside is not None:
            _check_links(sources, inside.resolve())
        prefix = [part for part in relative.split("/") if part]
        for source_file in sources:
            if not source_file.is_file():
                continue
            name = "/".join([*prefix, *source_file.relative_to(source_dir).parts])
            target = self._target(name)
            if not self._link_if(name, target, partial(_same_bytes, source_file)):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(target)  # never write through a link to the old build
                shutil.copy2(source_file, target)
            count += 1
        return count

    def reuse(self, relative: str) -> bool:
        """Keep the previous build's `relative` file as it is.

        For a page an incremental build proved unchanged: left in out/ (in place),
        or put into the staging folder: hard-linked, or copied where the file
        system has no hard links. Plain strings, not Paths: an incremental build
        calls it for thousands of pages.

        Returns:
            False when the previous build has no such file (the page must be rendered).
        """
        if self.in_place:
            if relative not in self._existing:
                return False
            self._reused.add(relative)
            return True
        previous = os.path.join(self._out_str, relative)
        target = self._target(relative)
        if self._link_previous:
            try:
                os.link(previous, target)
                return True
            except FileExistsError:  # written before by this build (two URLs, one file)
                os.unlink(target)
                os.link(previous, target)
                return True
            except (FileNotFoundError, NotADirectoryError):
                return False
            except OSError:  # no hard links here (EPERM, EXDEV, EMLINK...): copy from now on
                self._link_previous = False
        try:
            data = Path(previous).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return False
        _write_new(target, data)
        return True

    def _target(self, relative: str) -> str:
        """The staging file for `relative`, its folder made (once per folder)."""
        target = os.path.join(self._staging_str, relative)
        folder = os.path.dirname(target)
        if folder not in self._made_dir_strs:
            os.makedirs(folder, exist_ok=True)
            self._made_dir_strs.add(folder)
        return target

    def _link_if(self, relative: str, target: str, unchanged: Callable[[str], bool]) -> bool:
        """Hard-link the previous build's `relative` file to `target` if `unchanged` says so."""
        if not self._link_previous:
            return False
        previous = os.path.join(self._out_str, relative)
        try:
            if not unchanged(previous):
                return False
            try:
                os.link(previous, target)
            except FileExistsError:  # written before by this build (two URLs, one file)
                os.unlink(target)
                os.link(previous, target)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return False  # no such file in the previous build
        except OSError:  # no hard links here (EPERM, EXDEV, EMLINK...): write from now on
            self._link_previous = False
            return False
        return True

    def copy_assets(self, theme: Theme) -> None:
        """Copy the theme's static files to /_assets/ under their fingerprinted names."""
        prefix = ASSETS_URL_PREFIX.strip("/")
        for name, hashed in theme.assets.items():
            data = (theme.static_dir / name).read_bytes()
            self.write(f"{prefix}/{hashed}", data)

    def output_files(self) -> set[str]:
        """Every file of the new build, as "/"-separated paths relative to out/."""
        return _files_below(self._staging_str) | self._reused

    def commit(self) -> None:
        """Put the new build in out/, all or nothing: in place (`ssg.builder.journal`), or
        by replacing out/ with the staging folder in one step, then removing the old build.

        The staging folder is flushed to disk first (syncfs), so after a power
        loss out/ holds either the old build or the complete new one. The swap
        is one renameat2(RENAME_EXCHANGE); where the system lacks it, two
        renames, and a kill between them is repaired by `recover_output` on the
        next build or serve.
        """
        if self.in_place:
            self._commit_in_place()
            return
        sync_file_system(self.staging_dir)
        with output_lock(self.out_dir):  # a server pinning the old out/ finishes first
            try:
                swapped = self.out_dir.exists() and exchange_paths(self.staging_dir, self.out_dir)
            except OSError as exc:
                raise _unswappable(self.out_dir, exc) from exc
            if swapped:
                old = self.staging_dir  # now holds the previous build
            else:
                old = self.out_dir.parent / f".{self.out_dir.name}.old-{os.getpid()}"
                if self.out_dir.exists():
                    try:
                        os.replace(self.out_dir, old)
                    except OSError as exc:
                        raise _unswappable(self.out_dir, exc) from exc
                os.replace(self.staging_dir, self.out_dir)
            fsync_directory(self.out_dir.parent)
        if old.exists():
            if self._remove_old_in_background:
                remove_in_background(old)
            else:
                shutil.rmtree(old, ignore_errors=True)

    def _commit_in_place(self) -> None:
        """Move the staged files that differ from out/'s into it; delete what the build lacks.

        A staged file that is a link to out/'s file (the same bytes, `_link_if`)
        needs no move.
        """
        staged = _files_below(self._staging_str)
        moves = []
        for relative in staged:
            try:
                same = os.path.samestat(
                    os.lstat(os.path.join(self._staging_str, relative)),
                    os.lstat(os.path.join(self._out_str, relative)),
                )
            except FileNotFoundError:
                same = False
            if not same:
                moves.append(relative)
        deletions = self._existing - staged - self._reused
        self._committing = True
        commit_in_place(self.out_dir, self.staging_dir, moves, deletions, expected=self._identity)

    def discard(self) -> None:
        """Remove the staging folder; out/ is left as it was.

        After an in-place commit failed past its journal, the staging folder is
        kept: the journal's files are still to be moved from it (by the next build).
        """
        if self._committing and journal_file(self.out_dir).exists():
            return
        shutil.rmtree(self.staging_dir, ignore_errors=True)


def _files_below(folder: str) -> set[str]:
    """Every file (and symbolic link) below `folder`, as "/"-separated relative paths."""
    files: set[str] = set()
    pending = [(folder, "")]
    while pending:
        path, prefix = pending.pop()
        try:
            entries = list(os.scandir(path))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append((entry.path, f"{prefix}{entry.name}/"))
            else:
                files.add(prefix + entry.name)
    return files


def _check_links(sources: list[Path], inside: Path) -> None:
    """Raise PublicLinkError for every symbolic link among `sources` resolving outside `inside`."""
    outside = []
    for source in sources:
        if source.is_symlink():
            target = source.resolve()
            if not target.is_relative_to(inside):
                outside.append((source, target))
    if outside:
        raise PublicLinkError(outside)


_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


def _write_new(target: str, data: bytes) -> None:
    """Write `data` to a new file at `target`; an existing one (a link to the previous
    build's file, made earlier in this build) is replaced, never written through.

    Three system calls for a page (open, write, close): a buffered file object adds a
    stat, a terminal check and a seek to each.
    """
    try:
        fd = os.open(target, _NEW_FILE_FLAGS, 0o666)
    except FileExistsError:
        os.unlink(target)
        fd = os.open(target, _NEW_FILE_FLAGS, 0o666)
    try:
        written = os.write(fd, data)
        if written < len(data):  # a short write (a signal, a full disk soon raising)
            view = memoryview(data)
            while written < len(data):
                written += os.write(fd, view[written:])
    finally:
        os.close(fd)


def _holds(data: bytes, path: str) -> bool:
    """True when the file at `path` holds exactly `data`."""
    with open(path, "rb") as file:
        return os.fstat(file.fileno()).st_size == len(data) and file.read() == data


def _same_bytes(source: Path, path: str) -> bool:
    """True when the files hold the same bytes (sizes first; a copy can keep a changed
    file's size and modification time: tar, rsync -t, cp -p, whole-second file systems)."""
    if source.stat().st_size != os.stat(path).st_size:
        return False
    with open(source, "rb") as one, open(path, "rb") as other:
        while True:
            block = one.read(1 << 20)
            if block != other.read(1 << 20):
                return False
            if not block:
                return True


def _unswappable(out_dir: Path, exc: OSError) -> OSError | OutputDirError:
    """The error of a swap of out/ that failed: a clear one where out/ is a mount point (a
    container volume: EBUSY) or on another file system than its parent (EXDEV)."""
    if exc.errno not in (errno.EBUSY, errno.EXDEV):
        return exc
    inside = out_dir / "site"
    return OutputDirError(
        f"{out_dir} is a mount point (or on another file system than its folder), so a "
        f"build cannot replace it whole; nothing was written there. Mount its parent folder "
        f'instead, or build into a folder inside it (out_dir = "{inside}" in ssg.toml, or '
        f"--out {inside})",
        out_dir=out_dir,
    )
