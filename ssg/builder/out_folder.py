"""The out/ folder itself, outside any one build's writing: which folder may be one, and
repairing and removing what builds left beside it (a killed build's staging folder or
journal, the previous build swapped out)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

from ssg.builder.journal import recover_journal
from ssg.errors import OutputDirError
from ssg.records import MANIFEST_FILE
from ssg.syscalls import process_running

logger = logging.getLogger("ssg.builder")


def check_out_dir(out_dir: Path, *, site_dir: Path, guarded: tuple[Path, ...]) -> None:
    """Refuse an output folder whose replacement would destroy something else.

    A build replaces the whole output folder, so it must not be the site, hold
    the site, sit inside app/ or public/, or be a folder that is not a previous
    build (no _ssg/manifest.json) and not empty.

    Raises:
        OutputDirError: naming the folder and the fix (choose another --out / out_dir).
    """
    out_dir = out_dir.resolve()
    site_dir = site_dir.resolve()
    fix = "choose another folder with --out or out_dir in ssg.toml"
    if site_dir.is_relative_to(out_dir):
        raise OutputDirError(
            f"the output folder {out_dir} is or contains the site {site_dir}; {fix}",
            out_dir=out_dir,
        )
    for folder in guarded:
        if out_dir.is_relative_to(folder.resolve()):
            raise OutputDirError(
                f"the output folder {out_dir} is inside {folder}; {fix}", out_dir=out_dir
            )
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputDirError(f"the output folder {out_dir} is a file; {fix}", out_dir=out_dir)
    if out_dir.is_dir() and not (out_dir / MANIFEST_FILE).is_file() and any(out_dir.iterdir()):
        raise OutputDirError(
            f"the output folder {out_dir} holds files that are not an ssg build, and a build "
            f"replaces the whole folder; empty it or {fix}",
            out_dir=out_dir,
        )


def remove_in_background(folder: Path) -> None:
    """Delete `folder` (the previous build, swapped out) without waiting for it.

    Deleting a few thousand files and folders can take seconds on a busy disk
    (more with `discard`), longer than an incremental build itself; a detached
    `rm -rf` does it after the build returns. Where that cannot start, the
    folder is deleted here; `recover_output` removes what a killed one left.
    """
    try:
        # The shell starts rm in the background and exits at once: nothing to reap later.
        subprocess.run(
            ["sh", "-c", 'rm -rf -- "$1" &', "sh", str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C of the terminal does not stop it halfway
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        shutil.rmtree(folder, ignore_errors=True)


def recover_output(out_dir: Path) -> list[Path]:
    """Repair what a killed build left next to `out_dir`; return the folders removed.

    A build killed between the two renames of a commit leaves no out/ and the
    previous build in `.out.old-PID`: it is renamed back. Every
    `.out.staging-PID` / `.out.old-PID` of a process that no longer runs is
    removed (a build still running keeps its own).

    A build killed while it updated out/ in place left its journal: it is
    finished first (`ssg.builder.journal.recover_journal`).

    Side effects: renames and deletes folders next to `out_dir`, and files in it.
    """
    removed: list[Path] = []
    if not out_dir.parent.is_dir():
        return removed
    recover_journal(out_dir)
    leftovers = []
    for prefix in (f".{out_dir.name}.staging-", f".{out_dir.name}.old-"):
        for folder in out_dir.parent.glob(prefix + "*"):
            pid = folder.name[len(prefix) :]
            if pid.isdigit() and not process_running(int(pid)):
                leftovers.append(folder)
    if not out_dir.exists():
        old_builds = [f for f in leftovers if ".old-" in f.name and (f / "_ssg").is_dir()]
        if old_builds:
            newest = max(old_builds, key=lambda f: f.stat().st_mtime)
            os.replace(newest, out_dir)
            leftovers.remove(newest)
            logger.warning(
                "%s was missing (a build was killed while switching it): restored the "
                "previous build from %s.",
                out_dir,
                newest.name,
            )
    for folder in leftovers:
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed
