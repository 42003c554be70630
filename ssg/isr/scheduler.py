"""The server's apscheduler jobs: prewarm stale ISR pages, expire old data cache entries."""

from __future__ import annotations

import asyncio
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from ssg.isr.engine import IsrEngine
from ssg.plural import plural

logger = logging.getLogger("ssg.isr")

PREWARM_INTERVAL_SECONDS = 2.0
PREWARM_CONCURRENCY = 4
EXPIRE_INTERVAL_SECONDS = 300.0
SYNC_INTERVAL_SECONDS = 1.0


class _CancelledAtShutdown(logging.Filter):
    """Drops apscheduler's "Error running job" record for a job cancelled by shutdown.

    `AsyncIOScheduler.shutdown()` cancels a coroutine job that was about to run
    (a build switch or the server stopping); apscheduler then logs the
    CancelledError with a traceback, although nothing went wrong.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc_type = record.exc_info[0] if record.exc_info else None
        return not (exc_type is not None and issubclass(exc_type, asyncio.CancelledError))


_EXECUTOR_LOGGER = "apscheduler.executors.default"


def make_scheduler(
    engine: IsrEngine,
    *,
    prewarm: bool,
    prewarm_interval_seconds: float = PREWARM_INTERVAL_SECONDS,
    prewarm_concurrency: int = PREWARM_CONCURRENCY,
    expire_interval_seconds: float = EXPIRE_INTERVAL_SECONDS,
) -> AsyncIOScheduler:
    """An AsyncIOScheduler (not started) with the server's jobs.

    Jobs run on the server's event loop, so they share the engine's
    in-flight dict and never render a page twice at once.

    - "expire-data-cache": every `expire_interval_seconds`, remove data cache
      entries past their revalidate (`DataStore.expire`).
    - "sync-marks": every SYNC_INTERVAL_SECONDS, apply revalidations other
      workers saved (one stat when there are none).
    - "prewarm" (only with `prewarm`): every `prewarm_interval_seconds`, start
      regenerations of stale pages without waiting for a visitor, at most
      `prewarm_concurrency` renders in flight at once.

    Start it inside the running loop (`scheduler.start()`), stop it with
    `scheduler.shutdown(wait=False)`; the app's cleanup context does both.
    """
    executor_logger = logging.getLogger(_EXECUTOR_LOGGER)
    if not any(isinstance(f, _CancelledAtShutdown) for f in executor_logger.filters):
        executor_logger.addFilter(_CancelledAtShutdown())
    # A run made late by a busy loop (a long sync regeneration) still runs, once (coalesced),
    # without apscheduler's "was missed by" warning: its default grace is 1 s.
    scheduler = AsyncIOScheduler(job_defaults={"misfire_grace_time": None})

    async def expire_data_cache() -> None:
        store = engine.services.store
        if store is None:
            return
        removed = await store.aexpire()  # on the store's own thread, off the loop
        if removed:
            logger.info(
                "Removed %s.",
                plural(removed, "expired data cache entry", "expired data cache entries"),
            )

    # Jobs are coroutines although some await nothing: AsyncIOScheduler runs a
    # coroutine on the event loop, but a plain function in a thread pool, where
    # the engine (loop-only state) must not be touched.
    async def prewarm_stale_pages() -> None:
        started = engine.prewarm(prewarm_concurrency)
        if started:
            logger.info("Prewarm: regenerating %s.", plural(started, "stale page"))

    scheduler.add_job(
        expire_data_cache,
        "interval",
        seconds=expire_interval_seconds,
        id="expire-data-cache",
        coalesce=True,
        max_instances=1,
    )

    async def sync_marks() -> None:
        marked = engine.revalidations.sync_marks()
        if marked:
            logger.info("Revalidated by another worker: %s marked stale.", plural(marked, "page"))

    scheduler.add_job(
        sync_marks,
        "interval",
        seconds=SYNC_INTERVAL_SECONDS,
        id="sync-marks",
        coalesce=True,
        max_instances=1,
    )
    if prewarm:
        scheduler.add_job(
            prewarm_stale_pages,
            "interval",
            seconds=prewarm_interval_seconds,
            id="prewarm",
            coalesce=True,
            max_instances=1,
        )
    return scheduler
