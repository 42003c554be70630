"""One render per URL at a time: background regenerations, shared on-demand renders, backoff."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ssg.errors import RenderTimeoutError, SsgError, page_label
from ssg.isr.freshness import retry_delay_seconds
from ssg.plural import plural
from ssg.revalidate import Revalidate
from ssg.scope import Clock

logger = logging.getLogger("ssg.isr")

T = TypeVar("T")

FAILURES_KEPT = 1000
"""Failure records kept at most (the oldest are dropped first)."""


def make_digest() -> str:
    """A short random id for one failure, e.g. "3f9a0c1e" (as Next.js's error digest).

    The visitor's error page shows it (`error.digest`) and the server log line
    of the real exception carries it, so an operator can match the two.
    """
    return secrets.token_hex(4)


@dataclass(frozen=True)
class RegenerationFailure:
    """The last failed render of a URL (as lektor's build failures: recorded, not fatal).

    Attributes:
        url_path: the URL ("/blog/a").
        route_pattern: its route ("/blog/[slug]").
        error: the error's message.
        failed_at: epoch seconds of the failure.
        retry_at: epoch seconds before which no background retry starts.
        attempts: consecutive failures so far.
        background: True for a regeneration (the old page is still served),
            False for an on-demand render (the visitor got a 500).
        digest: the failure's id, in its log line and on the visitor's error page.
    """

    url_path: str
    route_pattern: str
    error: str
    failed_at: float
    retry_at: float
    attempts: int
    background: bool
    digest: str


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a render task ended with: a value, or the error it failed with and its digest."""

    value: T | None = None
    error: BaseException | None = None
    digest: str | None = None


class Regenerator(Generic[T]):
    """Runs `work(url_path)` at most once at a time per URL path.

    `in_flight` (a dict of URL path -> task, guarded by the event loop: it is
    only read and written between awaits) is the whole locking scheme, as
    Next.js `lock(cacheKey)`: a second request for the same URL joins the task
    already running instead of starting another.

    Args:
        work: `work(url_path, background)` renders and stores a URL; returns
            what callers need (a page) or raises. It must update the cache
            before returning, so the request after the task ends sees the new page.
        clock: epoch seconds, for failure times and backoff.
        timeout_seconds: a render running longer fails with RenderTimeoutError
            (its page keeps being served); None: no limit.
        failures_kept: failure records kept at most (the oldest go first), so
            URLs that fail by the thousand cannot grow memory without bound.
        locate: `locate(error)` -> (the site file, line) its traceback passes
            through last (a page module or template), or (None, None). A failure in
            the site's code is logged on one line naming it, as a build reports it;
            one that never reached the site's code keeps its traceback (a bug in ssg).

    Attributes:
        regenerations_started: background regenerations this process started.
        on_demand_started: on-demand renders this process started (joined
            requests not counted). Renders that ran to the end, in every worker,
            are counted by `PageRenderer.regenerations_rendered` / `on_demand_rendered`.
    """

    def __init__(
        self,
        work: Callable[[str, bool], Awaitable[T]],
        *,
        clock: Clock,
        timeout_seconds: float | None = None,
        failures_kept: int = FAILURES_KEPT,
        locate: Callable[[BaseException], tuple[str | None, int | None]] | None = None,
    ) -> None:
        self._work = work
        self._locate = locate
        self._clock = clock
        self._timeout_seconds = timeout_seconds
        self._failures_kept = failures_kept
        self.in_flight: dict[str, asyncio.Task[Outcome[T]]] = {}
        self.failures: dict[str, RegenerationFailure] = {}
        self.regenerations_started = 0
        self.on_demand_started = 0
        self.cancelled = 0  # regenerations cut short by close()
        self._idle = asyncio.Event()
        self._idle.set()

    def backing_off(self, url_path: str) -> bool:
        """True while a failed regeneration of `url_path` waits for its retry time."""
        failure = self.failures.get(url_path)
        return failure is not None and self._clock() < failure.retry_at

    def regenerate(self, url_path: str, route_pattern: str, revalidate: Revalidate) -> bool:
        """Start a background regeneration unless one runs or the URL is backing off.

        The caller has already answered (or will answer) with the stale page.
        A failure is logged with the route and retried no sooner than
        `retry_delay_seconds` later.

        Returns:
            True when a regeneration is running for the URL after the call.
        """
        if url_path in self.in_flight:
            return True
        if self.backing_off(url_path):
            return False
        self.regenerations_started += 1
        self._start(url_path, route_pattern, revalidate, background=True)
        return True

    async def render(self, url_path: str, route_pattern: str) -> Outcome[T]:
        """Render `url_path` while the caller waits, sharing a render already running.

        Concurrent first requests for one URL await the same task; a client
        that disconnects does not cancel it (the others still need it).
        """
        task = self.in_flight.get(url_path)
        if task is None:
            self.on_demand_started += 1
            task = self._start(url_path, route_pattern, Revalidate.NEVER, background=False)
        return await asyncio.shield(task)

    async def wait_idle(self) -> None:
        """Return once no render is running (tests and shutdown await this, never sleep)."""
        await self._idle.wait()

    async def close(self, *, grace_seconds: float = 0.0) -> None:
        """Let renders in flight finish for up to `grace_seconds`, then cancel the rest.

        Entry writes are atomic (temp file + rename), so a cancelled render
        leaves the old entry, never half of a new one.
        """
        tasks = list(self.in_flight.values())
        if not tasks:
            return
        if grace_seconds > 0:
            await asyncio.wait(tasks, timeout=grace_seconds)
        pending = [task for task in tasks if not task.done()]
        for task in pending:
            task.cancel()
        self.cancelled += len(pending)
        if pending:
            logger.warning(
                "Cancelled %s in flight at shutdown.", plural(len(pending), "regeneration")
            )
        await asyncio.gather(*tasks, return_exceptions=True)

    def _start(
        self, url_path: str, route_pattern: str, revalidate: Revalidate, *, background: bool
    ) -> asyncio.Task[Outcome[T]]:
        task = asyncio.create_task(
            self._run(url_path, route_pattern, revalidate, background),
            name=f"ssg-render {url_path}",
        )
        self.in_flight[url_path] = task
        self._idle.clear()
        task.add_done_callback(lambda done: self._finished(url_path, done))
        return task

    def _finished(self, url_path: str, task: asyncio.Task[Outcome[T]]) -> None:
        if self.in_flight.get(url_path) is task:
            del self.in_flight[url_path]
        if not self.in_flight:
            self._idle.set()

    async def _run(
        self, url_path: str, route_pattern: str, revalidate: Revalidate, background: bool
    ) -> Outcome[T]:
        deadline = asyncio.timeout(self._timeout_seconds)
        try:
            async with deadline:
                value = await self._work(url_path, background)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = exc
            if deadline.expired() and self._timeout_seconds is not None:
                # The render hung (a load() or an upstream that never answers): every
                # visitor waiting on it would hang too.
                error = RenderTimeoutError(
                    url_path=url_path,
                    route_pattern=route_pattern,
                    timeout_seconds=self._timeout_seconds,
                )
                error.__cause__ = exc
            digest = self._record_failure(url_path, route_pattern, revalidate, error, background)
            return Outcome(error=error, digest=digest)
        self.failures.pop(url_path, None)
        return Outcome(value=value)

    def _record_failure(
        self,
        url_path: str,
        route_pattern: str,
        revalidate: Revalidate,
        exc: Exception,
        background: bool,
    ) -> str:
        """Record and log a failure; return its digest."""
        now = self._clock()
        digest = make_digest()
        previous = self.failures.pop(url_path, None)  # re-inserted last: newest at the end
        delay = retry_delay_seconds(revalidate)
        while len(self.failures) >= self._failures_kept:
            del self.failures[next(iter(self.failures))]  # the oldest failure
        self.failures[url_path] = RegenerationFailure(
            url_path=url_path,
            route_pattern=route_pattern,
            error=str(exc) or type(exc).__name__,
            failed_at=now,
            retry_at=now + delay,
            attempts=(previous.attempts + 1) if previous else 1,
            background=background,
            digest=digest,
        )
        # An SsgError's message names the file and the fix; an error raised in the
        # site's code is named with its file and line (as the build names it); anything
        # else is a bug somewhere and keeps its traceback.
        exc_info: Exception | None = None
        shown: object = exc
        if not isinstance(exc, SsgError):
            file, line = self._locate(exc) if self._locate is not None else (None, None)
            if file is None:
                exc_info = exc
            else:
                shown = f"{type(exc).__name__}: {exc} at {file}" + (
                    f":{line}" if line is not None else ""
                )
        if background:
            logger.error(
                "Regenerating %s failed: %s [digest %s]\n  Still serving the last "
                "good page; the next try starts no sooner than %gs from now.",
                page_label(route_pattern, url_path),
                shown,
                digest,
                delay,
                exc_info=exc_info,
            )
        else:
            logger.error(
                "Rendering %s on demand failed: %s [digest %s]\n  Answered with "
                "the error page (500, showing the digest); nothing was cached.",
                page_label(route_pattern, url_path),
                shown,
                digest,
                exc_info=exc_info,
            )
        return digest
