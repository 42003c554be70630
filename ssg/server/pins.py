"""Pin the build a server serves: a hard-linked copy of out/ that no later build touches.

`ssg build` swaps its output in for out/ and deletes the previous build (or
renames its changed files over out/'s, in place), so a build that kept reading
through the out/ path would read the next build's files until the server switches. Each loaded build reads from
its own pin instead: a tree of hard links to the files of the out/ it loaded
(no bytes copied; a build never rewrites a file in place, it writes new ones),
removed when the build retires.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import stat
import tempfile
from pathlib import Path

from ssg.builder.journal import journal_file, recover_journal
from ssg.syscalls import process_running

logger = logging.getLogger("ssg.server")

PINS_FOLDER = "served"
"""Folder under cache_dir that holds the pins, one per loaded build: `<pid>-<random>`."""

PIN_ATTEMPTS = 3
"""How often a pin is retried when another build swaps out/ in while it is made."""


def pin_build(out_dir: Path, pins_dir: Path) -> Path | None:
    """Hard-link every file of the build in `out_dir` into a new folder under `pins_dir`.

    The build is the one out/ holds when the pin starts: out/ is opened once
    and walked through that handle, and when out/ names another folder by the
    end (a build swapped in meanwhile, and the pinned one is being deleted),
    the pin starts over with the new one. Pins left by processes that no
    longer run are removed first.

    Args:
        out_dir: the build output folder (`config.out_dir`).
        pins_dir: where pins live (`cache_dir / PINS_FOLDER`); created if missing.

    Returns:
        The pin's folder (read it as out/), or None when no pin could be made
        (hard links across file systems, a read-only cache folder): logged as a
        warning, and the build is then read through out/ itself.

    Side effects: creates folders and hard links under `pins_dir`; removes stale pins.
    """
    try:
        pins_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_pins(pins_dir)
        for _attempt in range(PIN_ATTEMPTS):
            recover_journal(out_dir)  # an in-place update a killed build left half done
            pin = Path(tempfile.mkdtemp(dir=pins_dir, prefix=f"{os.getpid()}-"))
            try:
                if _link_tree(out_dir, pin):
                    return pin
            except BaseException:
                remove_pin(pin)
                raise
            remove_pin(pin)
        logger.warning(
            "out/ at %s changed %d times while the server loaded it; reading the build "
            "through out/ itself.",
            out_dir,
            PIN_ATTEMPTS,
        )
    except FileNotFoundError:
        return None  # no out/ (yet): the loader reports a missing build
    except OSError as exc:
        logger.warning(
            "Could not pin the build in %s under %s (%s); the server reads it through "
            "out/ itself, so while it switches to a new build, a request may read the new "
            "build's files. Keep cache_dir on the same file system as out_dir, and writable.",
            out_dir,
            pins_dir,
            exc,
        )
    return None


def remove_pin(pin: Path) -> None:
    """Delete a pin (its links only: the files live on in out/ while a build holds them)."""
    shutil.rmtree(pin, ignore_errors=True)


def remove_stale_pins(pins_dir: Path) -> list[Path]:
    """Delete the pins of processes that no longer run (a server killed with -9); return them."""
    removed = []
    for pin in pins_dir.iterdir():
        pid = pin.name.split("-", 1)[0]
        if pid.isdigit() and not process_running(int(pid)):
            remove_pin(pin)
            removed.append(pin)
    return removed


def _link_tree(out_dir: Path, pin: Path) -> bool:
    """Link out/'s files into `pin`; False when out/ was swapped for another folder meanwhile.

    Raises:
        OSError: a link or folder could not be made (EXDEV across file systems, ...).
    """
    out_fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        # An in-place update holds this lock exclusively (ssg.builder.journal): the pin
        # waits for it, and a journal left by a killed one makes the pin start over.
        fcntl.flock(out_fd, fcntl.LOCK_SH)
        if journal_file(out_dir).exists():
            return False
        pinned = os.fstat(out_fd)
        for folder, dir_names, file_names, folder_fd in os.fwalk(".", dir_fd=out_fd):
            target = pin / folder
            for name in dir_names + file_names:
                mode = os.stat(name, dir_fd=folder_fd, follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    (target / name).mkdir()  # fwalk enters it next
                else:
                    # A symlink is linked as itself: it resolves in the pin as in out/.
                    os.link(name, target / name, src_dir_fd=folder_fd, follow_symlinks=False)
        now = os.stat(out_dir)
    finally:
        os.close(out_fd)
    return (now.st_dev, now.st_ino) == (pinned.st_dev, pinned.st_ino)
