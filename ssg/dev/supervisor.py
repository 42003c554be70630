"""The dev supervisor: holds the listening socket, watches the site's code, runs one worker at a time.

As uvicorn's `--reload` (and watchfiles' `run_process`): Python modules cannot be
reloaded in place safely, so a change to a .py file, ssg.toml, or the routes in
app/ starts a fresh worker process. The socket stays open in the supervisor
throughout, so connections made during a restart wait in its backlog instead of
being refused; the new worker is started before the old one stops. The first
worker is started before anything else (it imports the server stack while the
supervisor sets up its watch), and the next one waits as a standby, started
once the first page is out so it does not compete with it for the CPU.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType

import watchfiles

from ssg.config import CONFIG_FILE, load_config
from ssg.dev.changes import describe as describe_files
from ssg.dev.process import GO as GO_MESSAGE
from ssg.dev.process import REPLACED, WorkerProcess
from ssg.errors import SsgError, WorkerExitError
from ssg.routing.scanner import scan_routes

logger = logging.getLogger("ssg.dev")

WORKER_START_TIMEOUT_SECONDS = 60.0
STANDBY_DELAY_SECONDS = 3.0
"""A standby is started once the serving worker has sent a page, or this long after it is ready."""
POLL_SECONDS = 0.2
"""How often the watch loop wakes without changes, to notice a stop or a dead worker."""


class CodeFilter(watchfiles.DefaultFilter):
    """What the supervisor watches: .py files, ssg.toml, and anything under app/ (routes).

    The build output and the cache folder are ignored (a build next to `ssg dev`
    must not restart it).
    """

    def __init__(self, site_dir: Path, app_dir: Path, ignore_dirs: Iterable[Path]) -> None:
        super().__init__(ignore_paths=[str(d) for d in ignore_dirs])
        self.config_file = str(site_dir / CONFIG_FILE)
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
        first_worker: a worker already started on `sock` (see `ssg.commands.dev`),
            or None to start one in `start`.
        logged_file: the session's record of the content warnings logged, passed to
            every worker (see `ssg.dev.logged_once`), or None.
    """

    def __init__(
        self,
        site_dir: Path,
        sock: socket.socket,
        *,
        strict: bool = False,
        first_worker: WorkerProcess | None = None,
        logged_file: Path | None = None,
    ) -> None:
        self.site_dir = site_dir.resolve()
        self.sock = sock
        self.strict = strict
        self.logged_file = logged_file
        self.app_dir = self.site_dir / "app"  # as SiteConfig.app_dir
        self.stopping = threading.Event()
        self.worker = first_worker
        self.standby: WorkerProcess | None = None
        self._number = first_worker.number if first_worker is not None else 0
        self._ever_ready = False
        self._routes = self._scan()
        self.base_path = ""
        """The site's base path ("/docs", or ""), for the URL announced."""
        try:
            config = load_config(self.site_dir)
            ignored = [config.out_dir, config.cache_dir]
            self.base_path = config.base_path
        except SsgError:  # the worker shows the error in the browser
            ignored = [self.site_dir / "out", self.site_dir / ".ssg"]
        self.filter = CodeFilter(self.site_dir, self.app_dir, ignored)

    def start(self) -> None:
        """Start the first worker (unless one was given); it loads the site and serves at once.

        `watch` follows it: the supervisor does not wait here for the worker to
        listen (connections wait in the socket's backlog meanwhile).
        """
        if self.worker is None:
            self.worker = self._spawn(go=True)

    def watch(self, on_watching: Callable[[], None] | None = None) -> None:
        """Watch the code until `stop()` (or SIGINT/SIGTERM via `handle_signals`).

        Args:
            on_watching: called once the watch is in place (edits from then on are seen).

        Raises:
            WorkerExitError: the first worker exited before it ever listened
                (a bug: site errors are shown in the browser, never fatal).
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
            self._check_worker()
            reason = self._restart_reason(changes)
            if reason is None and self.worker is not None and not self.worker.is_alive():
                if not changes:
                    continue  # wait for an edit before trying again
                reason = "the worker had exited"
            if reason is not None:
                self.restart(reason)
            else:
                self._prepare_standby()

    def restart(self, reason: str) -> None:
        """Switch to a new worker; once it listens, stop the old one (its pages reconnect and reload).

        The new worker is the standby when there is one, which has imported ssg
        already and only loads the site now (a fresh interpreter still: nothing
        of the old site code is in it); a new standby is prepared once the new
        worker has sent a page.
        """
        started = time.perf_counter()
        logger.info("%s, reloading the site code", reason)
        worker = self.standby if self.standby is not None and self.standby.is_alive() else None
        self.standby = None
        if worker is None:
            worker = self._spawn(go=True)
        else:
            worker.send(GO_MESSAGE)
        if not worker.wait_ready(WORKER_START_TIMEOUT_SECONDS):
            logger.error(
                "The new dev worker exited before serving (exit code %s); %s",
                worker.exit_code,
                "still serving the previous code." if self._alive() else "waiting for an edit.",
            )
            worker.stop()
            return
        old, self.worker = self.worker, worker
        self._ever_ready = True
        if old is not None:
            old.send(REPLACED)  # its pages are told to reload as it stops
            old.stop()
        logger.info("Site code reloaded in %.2f s", time.perf_counter() - started)

    def stop(self) -> None:
        """Stop watching and stop the worker (it finishes its requests first)."""
        self.stopping.set()
        for worker in (self.standby, self.worker):
            if worker is not None:
                worker.stop()

    def handle_signals(self) -> None:
        """SIGINT and SIGTERM stop the watch loop (then `stop()` ends the worker)."""

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            self.stopping.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)

    def _alive(self) -> bool:
        return self.worker is not None and self.worker.is_alive()

    def _check_worker(self) -> None:
        """Take the serving worker's news; a first worker that died before listening is fatal."""
        worker = self.worker
        if worker is None:
            return
        worker.poll()
        if worker.ready_at is not None:
            self._ever_ready = True
        elif not self._ever_ready and not worker.is_alive():
            worker.poll()  # its last words
            if worker.ready_at is None:
                code = worker.exit_code
                raise WorkerExitError(
                    f"the dev worker exited before serving (exit code {code})", exit_codes=[code]
                )

    def _prepare_standby(self) -> None:
        """Start the next worker once the serving one has sent a page (or has idled a while).

        Its start (a Python interpreter importing the server stack) would
        otherwise take CPU from the first page of the serving worker.
        """
        worker = self.worker
        if self.standby is not None or worker is None or worker.ready_at is None:
            return
        if worker.served or time.monotonic() - worker.ready_at >= STANDBY_DELAY_SECONDS:
            self.standby = self._spawn(go=False)

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

    def _spawn(self, *, go: bool) -> WorkerProcess:
        """Start a worker process; it imports ssg, then loads the site once told to go."""
        self._number += 1
        return WorkerProcess.start(
            self.site_dir,
            self.sock,
            self._number,
            strict=self.strict,
            go=go,
            logged_file=self.logged_file,
        )
