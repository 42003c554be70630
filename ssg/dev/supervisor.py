"""The dev supervisor: holds the listening socket, watches the site's code, runs one worker at a time.

As uvicorn's `--reload` (and watchfiles' `run_process`): Python modules cannot be
reloaded in place safely, so a change to a .py file, ssg.toml, or the routes in
app/ starts a fresh worker process. The socket stays open in the supervisor
throughout, so connections made during a restart wait in its backlog instead of
being refused; the new worker is started before the old one stops.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from types import FrameType

import watchfiles

from ssg.config import load_config
from ssg.dev.changes import CONFIG_FILE_NAME
from ssg.dev.changes import describe as describe_files
from ssg.dev.entry import run_worker
from ssg.errors import SsgError, WorkerExitError
from ssg.routing.scanner import scan_routes

logger = logging.getLogger("ssg.dev")

WORKER_START_TIMEOUT_SECONDS = 60.0
WORKER_STOP_TIMEOUT_SECONDS = 5.0
POLL_SECONDS = 0.2
"""How often the watch loop wakes without changes, to notice a stop or a dead worker."""


class CodeFilter(watchfiles.DefaultFilter):
    """What the supervisor watches: .py files, ssg.toml, and anything under app/ (routes).

    The build output and the cache folder are ignored (a build next to `ssg dev`
    must not restart it).
    """

    def __init__(self, site_dir: Path, app_dir: Path, ignore_dirs: Iterable[Path]) -> None:
        super().__init__(ignore_paths=[str(d) for d in ignore_dirs])
        self.config_file = str(site_dir / CONFIG_FILE_NAME)
        self.app_dir = str(app_dir) + os.sep

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        wanted = path.endswith(".py") or path == self.config_file or path.startswith(self.app_dir)
        return wanted and super().__call__(change, path)


class Supervisor:
    """Runs dev workers on one socket and replaces them when the site's code changes.

    Args:
        site_dir: the site folder.
        sock: the bound, listening socket (kept open until `close`).
        strict: passed to workers (content problems are errors).
    """

    def __init__(self, site_dir: Path, sock: socket.socket, *, strict: bool = False) -> None:
        self.site_dir = site_dir.resolve()
        self.sock = sock
        self.strict = strict
        self.app_dir = self.site_dir / "app"  # as SiteConfig.app_dir
        self.stopping = threading.Event()
        self.worker: _Worker | None = None
        self.standby: _Worker | None = None
        self._context = multiprocessing.get_context("spawn")  # a clean interpreter each time
        self._generation = 0
        self._routes = self._scan()
        try:
            config = load_config(self.site_dir)
            ignored = [config.out_dir, config.cache_dir]
        except SsgError:
            ignored = [self.site_dir / "out", self.site_dir / ".ssg"]
        self.filter = CodeFilter(self.site_dir, self.app_dir, ignored)

    def start(self) -> None:
        """Start the first worker, wait until it listens, and prepare a standby.

        Raises:
            WorkerExitError: the worker exited before listening (a bug: site errors
                are shown in the browser, never fatal).
        """
        worker = self._spawn()
        worker.go.set()
        if not self._wait_ready(worker):
            code = worker.process.exitcode
            raise WorkerExitError(
                f"the dev worker exited before serving (exit code {code})", exit_codes=[code]
            )
        self.worker = worker
        self.standby = self._spawn()

    def watch(self, on_watching: Callable[[], None] | None = None) -> None:
        """Watch the code until `stop()` (or SIGINT/SIGTERM via `handle_signals`).

        Args:
            on_watching: called once the watch is in place (edits from then on are seen).
        """
        for changes in watchfiles.watch(
            self.site_dir,
            watch_filter=self.filter,
            stop_event=self.stopping,
            yield_on_timeout=True,
            rust_timeout=int(POLL_SECONDS * 1000),
            step=50,
            raise_interrupt=False,
        ):
            if on_watching is not None:
                on_watching()
                on_watching = None
            if self.stopping.is_set():
                break
            reason = self._restart_reason(changes)
            if reason is None and self.worker is not None and not self.worker.process.is_alive():
                if not changes:
                    continue  # wait for an edit before trying again
                reason = "the worker had exited"
            if reason is not None:
                self.restart(reason)

    def restart(self, reason: str) -> None:
        """Switch to a new worker; once it listens, stop the old one (its pages reconnect and reload).

        The new worker is the standby, which has imported ssg already and
        only loads the site now (a fresh interpreter still: nothing of the old
        site code is in it); a new standby is prepared afterwards.
        """
        started = time.perf_counter()
        logger.info("%s: reloading the site code", reason)
        worker = (
            self.standby if self.standby is not None and self.standby.process.is_alive() else None
        )
        self.standby = None
        if worker is None:
            worker = self._spawn()
        worker.go.set()
        if not self._wait_ready(worker):
            logger.error(
                "The new dev worker exited before serving (exit code %s); %s",
                worker.process.exitcode,
                "still serving the previous code." if self._alive() else "waiting for an edit.",
            )
        else:
            old, self.worker = self.worker, worker
            if old is not None:
                old.replaced.set()  # its pages are told to reload as it stops
                _stop_process(old.process)
            logger.info("Site code reloaded in %.2f s", time.perf_counter() - started)
        self.standby = self._spawn()

    def stop(self) -> None:
        """Stop watching and stop the worker (it finishes its requests first)."""
        self.stopping.set()
        for worker in (self.standby, self.worker):
            if worker is not None:
                _stop_process(worker.process)

    def handle_signals(self) -> None:
        """SIGINT and SIGTERM stop the watch loop (then `stop()` ends the worker)."""

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            self.stopping.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)

    def _alive(self) -> bool:
        return self.worker is not None and self.worker.process.is_alive()

    def _restart_reason(self, changes: set[tuple[watchfiles.Change, str]]) -> str | None:
        """Why the changes need a new worker, or None: code, config, or different routes."""
        code = {Path(p) for _c, p in changes if p.endswith(".py") or p == self.filter.config_file}
        if code:
            return describe_files(code, self.site_dir) + " changed"
        # A file or folder added or removed under app/ may add, remove or move a route.
        structural = {Path(p) for c, p in changes if c is not watchfiles.Change.modified}
        if structural:
            routes = self._scan()
            if routes != self._routes:
                self._routes = routes
                return describe_files(structural, self.site_dir) + " changed the routes"
        return None

    def _scan(self) -> object:
        """The routes of app/ (or the scan's error message), to compare before and after a change."""
        try:
            return scan_routes(self.app_dir)
        except SsgError as exc:
            return str(exc)
        except OSError as exc:
            return f"cannot scan {self.app_dir}: {exc}"

    def _spawn(self) -> _Worker:
        """Start a worker process; it imports ssg, then waits for `go` before loading the site."""
        self._generation += 1
        generation = f"{os.getpid()}-{self._generation}"
        ready, go, replaced = (self._context.Event() for _ in range(3))
        process = self._context.Process(
            target=run_worker,
            args=(self.site_dir, self.sock, generation, self.strict, ready, go, replaced),
            name=f"ssg-dev-{self._generation}",
        )
        process.start()
        return _Worker(process, ready, go, replaced)

    def _wait_ready(self, worker: _Worker) -> bool:
        """Wait until the worker listens (True) or exits (False)."""
        deadline = time.monotonic() + WORKER_START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if worker.ready.wait(0.01):
                return True
            if not worker.process.is_alive():
                return worker.ready.is_set()
        return False


@dataclass(frozen=True)
class _Worker:
    """A worker process and its signals: `go` (load the site and serve), `ready` (serving),
    `replaced` (a newer worker serves: tell the pages to reload when stopping)."""

    process: SpawnProcess
    ready: EventType
    go: EventType
    replaced: EventType


def _stop_process(process: SpawnProcess) -> None:
    """SIGTERM, wait, then SIGKILL if it does not stop."""
    if process.is_alive() and process.pid is not None:
        os.kill(process.pid, signal.SIGTERM)
    process.join(WORKER_STOP_TIMEOUT_SECONDS)
    if process.is_alive():
        process.kill()
        process.join()
