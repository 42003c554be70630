"""The purge webhook: batched `{"paths": [...], "tags": [...]}` POSTs after revalidations, retried."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import aiohttp

from ssg.isr.cdn_tags import cdn_purge_tags
from ssg.plural import plural

logger = logging.getLogger("ssg.server")

Sleep = Callable[[float], Awaitable[None]]

BATCH_SECONDS = 0.5
MAX_ATTEMPTS = 5
FIRST_RETRY_SECONDS = 1.0
TIMEOUT_SECONDS = 10.0


class PurgeWebhook:
    """Tells `purge_webhook` what each revalidation made stale, so it can purge a CDN.

    Revalidations are collected for `batch_seconds`, then sent as one POST of
    JSON `{"paths": [...], "tags": [...]}`: `paths` are the URL paths
    `revalidate_path` named (with the base path; none for a `type="page"` or
    `"layout"` pattern), `tags` every tag to purge by, spelled as the
    `cdn_tag_header` spells them (`ssg.cdn_purge_tags` of each revalidated tag,
    path tags such as `/blog/[slug]/page` included). Both are sorted, without
    duplicates. Revalidations made while a POST is under way go in the next one.

    A POST that fails (connection error, timeout, a status other than 2xx) is
    retried up to `max_attempts` times in all, waiting `first_retry_seconds`,
    then twice as long each time; then the batch is dropped and logged. No
    request ever waits for any of it (`notify` only records and schedules).

    Args:
        url: the webhook (http or https).
        base_path: the site's base path ("" or "/docs"), put before each path.
        batch_seconds: how long revalidations are collected before a POST (seconds).
        max_attempts: POSTs of one batch at most.
        first_retry_seconds: the wait before the first retry (seconds), doubled each time.
        timeout_seconds: the limit of one POST (seconds).
        sleep: waits for the batch window and back-off (tests pass one they control).
    """

    def __init__(
        self,
        url: str,
        *,
        base_path: str = "",
        batch_seconds: float = BATCH_SECONDS,
        max_attempts: int = MAX_ATTEMPTS,
        first_retry_seconds: float = FIRST_RETRY_SECONDS,
        timeout_seconds: float = TIMEOUT_SECONDS,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.url = url
        self.base_path = base_path
        self.batch_seconds = batch_seconds
        self.max_attempts = max_attempts
        self.first_retry_seconds = first_retry_seconds
        self.timeout_seconds = timeout_seconds
        self._sleep = sleep
        self._paths: set[str] = set()
        self._tags: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._waiting = False  # the task is in its batch window (nothing sent yet)
        self._session: aiohttp.ClientSession | None = None
        self.batches_sent = 0
        self.batches_dropped = 0

    def notify(self, url_paths: Iterable[str], tags: Iterable[str]) -> None:
        """Record a revalidation and make sure a POST is on its way (runs on the event loop).

        Args:
            url_paths: canonical URL paths revalidated (without the base path).
            tags: tags revalidated, as revalidate_tag / revalidate_path name them.
        """
        self._paths.update(self.base_path + url_path for url_path in url_paths)
        for tag in tags:
            self._tags.update(cdn_purge_tags(tag))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="ssg-purge-webhook")

    async def wait_idle(self) -> None:
        """Wait until everything notified so far is sent or dropped (batch window included)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def close(self, grace_seconds: float) -> None:
        """Send what is collected now (no batch wait), for up to `grace_seconds`, then stop.

        Whatever is still unsent after the grace is logged and dropped.
        """
        task = self._task
        if task is not None and not task.done():
            if self._waiting:  # cut the batch window short: the server is going away
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                task = asyncio.create_task(self._drain(), name="ssg-purge-webhook")
            done, _ = await asyncio.wait({task}, timeout=grace_seconds)
            if not done:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                logger.warning(
                    "Shutdown: the purge webhook %s was not told of every revalidation "
                    "(gave up after %g s); purge the CDN by hand if needed.",
                    self.url,
                    grace_seconds,
                )
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        self._waiting = True
        try:
            await self._sleep(self.batch_seconds)
        finally:
            self._waiting = False
        await self._drain()

    async def _drain(self) -> None:
        while self._paths or self._tags:
            body = {"paths": sorted(self._paths), "tags": sorted(self._tags)}
            self._paths.clear()
            self._tags.clear()
            await self._post(body)

    async def _post(self, body: dict[str, Any]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_seconds)
            )
        delay = self.first_retry_seconds
        error = ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with self._session.post(self.url, json=body) as response:
                    if 200 <= response.status < 300:
                        self.batches_sent += 1
                        return
                    error = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = str(exc) or type(exc).__name__
            if attempt < self.max_attempts:
                logger.info(
                    "Purge webhook %s failed (%s); retry %d in %g s.",
                    self.url,
                    error,
                    attempt,
                    delay,
                )
                await self._sleep(delay)
                delay *= 2
        self.batches_dropped += 1
        logger.error(
            "Purge webhook %s failed %s (last: %s); dropped %s and %s: "
            "the CDN may keep those pages until their s-maxage runs out.",
            self.url,
            "once" if self.max_attempts == 1 else f"{self.max_attempts} times",
            error,
            plural(len(body["paths"]), "path"),
            plural(len(body["tags"]), "tag"),
        )
