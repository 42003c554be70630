"""Linux system calls the standard library lacks: exchange two paths, die with the parent, syncfs.

Each one is a no-op or reports "unsupported" elsewhere (other systems, old
kernels, file systems without the feature); callers keep a fallback.
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def exchange_paths(first: str | os.PathLike[str], second: str | os.PathLike[str]) -> bool:
    """Swap two existing paths in one atomic step (renameat2 with RENAME_EXCHANGE, Linux 3.15+).

    Returns:
        True when swapped; False when the system or the file system cannot
        (the caller then falls back to two renames).

    Raises:
        OSError: the swap failed for another reason (a path is missing, permissions).
    """
    libc = _libc()
    function = getattr(libc, "renameat2", None) if libc is not None else None
    if function is None:
        return False
    result = function(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def die_with_parent(parent_pid: int | None = None, sig: int = signal.SIGKILL) -> None:
    """End this worker process when `parent_pid` exits, even by SIGKILL.

    A direct child asks Linux for `sig` when its parent exits (prctl
    PR_SET_PDEATHSIG; Linux ties it to the parent *thread* that forked, so
    fork from a thread that lives as long as the child). A worker started by
    another process (a multiprocessing fork server) instead watches
    `parent_pid` from a daemon thread (a pidfd) and leaves with os._exit.
    Elsewhere than Linux this does nothing.

    Args:
        parent_pid: the process whose death ends this one; None: the parent.
        sig: the signal a direct child receives.
    """
    libc = _libc()
    if libc is None:
        return
    libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if parent_pid is None or os.getppid() == parent_pid:
        return
    try:
        pidfd = os.pidfd_open(parent_pid)
    except ProcessLookupError:
        os._exit(1)  # the parent died before the call: nobody would end this process
    except (AttributeError, OSError):  # no pidfds (Linux < 5.3)
        return

    def watch() -> None:
        select.select([pidfd], [], [])  # readable once the process has exited
        os._exit(1)

    threading.Thread(target=watch, name="ssg-parent-watch", daemon=True).start()


def sync_file_system(path: str | os.PathLike[str]) -> None:
    """Flush the file system holding `path` to disk (syncfs; os.sync elsewhere)."""
    libc = _libc()
    function = getattr(libc, "syncfs", None) if libc is not None else None
    if function is None:
        os.sync()
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        function(fd)
    finally:
        os.close(fd)


def fsync_directory(path: str | os.PathLike[str]) -> None:
    """Make a rename or a new file in folder `path` durable (fsync of the folder)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def process_running(pid: int) -> bool:
    """True while a process with this pid exists (this one, or another user's, included).

    Signal 0 checks without sending anything (kill(2)): ESRCH means gone, EPERM
    means it exists but belongs to someone else. Used to tell leftovers of killed
    builds and servers (folders named after their pid) from those still in use.
    """
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


@contextmanager
def sigint_blocked() -> Iterator[None]:
    """Hold SIGINT back in this thread for the block; one that arrives meanwhile comes after it.

    A process started in the block begins with SIGINT blocked too (the signal mask
    survives fork and exec: multiprocessing's fork, spawn and fork server). The
    terminal's Ctrl-C reaches the whole process group; a child started this way
    leaves it to its parent, which stops it, instead of raising KeyboardInterrupt
    where it stands (a traceback printed from its imports, or sent back from a pool
    worker as its task's exception and raised again in the parent).
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
