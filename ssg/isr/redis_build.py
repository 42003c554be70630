"""One build's ISR state in Redis: render locks, entries (set-if-newer, with this instance's
copy in ssg.isr.redis_local), revalidation marks, and the event stream every instance reads."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from redis.asyncio.lock import Lock

from ssg.data.redis_store import DATA_TAGS, DATA_VALUES
from ssg.isr import redis_scripts
from ssg.isr.backend import Counter, Marks, RenderStart
from ssg.isr.cache import CachedPage
from ssg.isr.disk import DiskLease
from ssg.isr.entries import StoredEntry
from ssg.isr.locks import RenderLocks
from ssg.isr.redis_calls import REDIS_ERRORS, cancelled, report_failure, text
from ssg.isr.redis_counter import RedisCounter
from ssg.isr.redis_keys import BuildKeys
from ssg.isr.redis_lease import RedisLease
from ssg.isr.redis_local import LocalEntries
from ssg.isr.sequence_marks import SequenceMarks
from ssg.records import PageRecord
from ssg.scope import Clock

if TYPE_CHECKING:
    from ssg.isr.redis_backend import RedisBackend

logger = logging.getLogger("ssg.isr")

LOCAL_FOLDER = "isr-shared"
"""This instance's copy of the shared entries, under cache_dir."""

STREAM_BLOCK_MILLISECONDS = 1000
STREAM_MAX_LENGTH = 10_000
RESYNC_SECONDS = 5.0
"""Besides the stream, every instance reloads all marks this often (the fallback)."""
RECONNECT_MAX_SECONDS = 5.0
WAIT_POLL_MAX_SECONDS = 0.2
"""An on-demand render waiting for another instance's lock looks again at most this late."""


class RedisBuild:
    """One build's ISR state in Redis, with this instance's copy of its entries.

    Args:
        backend: the server's Redis backend (clients, health, settings).
        build_id: the build.
        clock: epoch seconds (freshness; the marks never use it).
    """

    def __init__(
        self,
        backend: RedisBackend,
        build_id: str,
        *,
        clock: Clock,
    ) -> None:
        self.backend = backend
        self.build_id = build_id
        self.clock = clock
        self.client = backend.client
        self.health = backend.health
        self.keys = BuildKeys(backend.prefix, build_id)
        directory = backend.cache_dir / LOCAL_FOLDER
        self.local = LocalEntries(directory, build_id)
        self.store = self.local.store
        self.local_locks = RenderLocks(directory / "locks")
        self.sequence = SequenceMarks()
        self.marks: Marks = self.sequence
        self.regenerations_rendered: Counter = RedisCounter(self, "regenerations")
        self.on_demand_rendered: Counter = RedisCounter(self, "renders")
        self.expire_ms = max(1000, int(backend.expire_seconds * 1000))
        self.stream_last_id = "0-0"
        self.stream_lag_ms: float | None = None
        self._reader: asyncio.Task[None] | None = None
        self._on_marks: Callable[[], int] | None = None
        self._written: dict[str, asyncio.Event] = {}  # url -> set on its entry event
        self._write_entry = self.client.register_script(redis_scripts.WRITE_ENTRY)
        self._commit_marks = self.client.register_script(redis_scripts.COMMIT_MARKS)
        self._raise_counter = self.client.register_script(redis_scripts.RAISE_COUNTER)
        self._epoch: str | None = None  # the build's epoch key as last read
        self._resync_lock = asyncio.Lock()
        self.resets = 0  # times Redis was found to have lost the build's state

    def load(self) -> None:
        """Nothing to read up front: the marks come from Redis once the reader starts."""

    def build_page_start(self) -> float:
        """0: a built page sits before every mark of the build's sequence."""
        return 0.0

    # -- locks ---------------------------------------------------------------

    async def try_lock(self, url_path: str) -> RedisLease | DiskLease | None:
        """SET NX PX the URL's lock; with Redis unreachable, this machine's flock instead."""
        if not self.health.down:
            lock = Lock(
                self.client,
                self.keys.lock(url_path),
                timeout=self.backend.lock_ttl_seconds,
                blocking=False,
                thread_local=False,
            )
            try:
                acquired = await lock.acquire(blocking=False)
            except REDIS_ERRORS as exc:
                self.health.failed("taking a render lock", exc)
            else:
                if not acquired:
                    return None
                return RedisLease(lock, self.backend.lock_ttl_seconds, self.health, url_path)
        local = self.local_locks.try_acquire(f"{self.build_id} {url_path}")
        return None if local is None else DiskLease(local)

    async def lock(self, url_path: str) -> RedisLease | DiskLease:
        """Wait for the URL's lock: woken by the holder's entry event, else polling with back-off."""
        delay = 0.01
        while True:
            lease = await self.try_lock(url_path)
            if lease is not None:
                return lease
            written = self._written.setdefault(url_path, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(written.wait(), timeout=delay)
            delay = min(delay * 2, WAIT_POLL_MAX_SECONDS)

    # -- entries ---------------------------------------------------------------

    async def begin_render(
        self, url_path: str, clock: Clock, *, restarted: bool = False
    ) -> RenderStart:
        """A fencing version (INCR ver) and the revalidation sequence now (GET rev).

        A counter lower than one seen before means Redis lost the build's state:
        the marks are read again from scratch first (see `resync`).
        """
        if not self.health.down:
            try:
                async with self.client.pipeline(transaction=False) as pipe:
                    pipe.incr(self.keys.ver)
                    pipe.get(self.keys.rev)
                    version, rev = await pipe.execute()
            except REDIS_ERRORS as exc:
                self.health.failed("starting a render", exc)
            else:
                seq = int(rev or 0)
                if seq < self.sequence.known and not restarted:
                    # The counter went back: Redis lost its state. Start over, then again.
                    await self._resync_reporting("starting a render")
                    return await self.begin_render(url_path, clock, restarted=True)
                self.sequence.known = max(self.sequence.known, seq)
                return RenderStart(started_at=seq + 0.5, seq=self.marks.seq, version=int(version))
        return RenderStart(started_at=self.sequence.known + 0.5, seq=self.marks.seq, version=0)

    async def write(self, page: PageRecord, body: bytes, start: RenderStart) -> StoredEntry | None:
        """Store the entry in Redis if no newer one is there (Lua set-if-newer), then locally.

        The local copy is written in a batch with the entries rendered meanwhile
        (see LocalEntries). With Redis unreachable (or a render begun while it
        was), the entry is only kept in this instance's copy.

        Raises:
            OSError: the local write failed.
        """
        if start.version > 0 and not self.health.down:
            meta = self.local.shared_meta(page, start.started_at)
            try:
                stored = await self._write_entry(
                    keys=[self.keys.entry(page.url_path), self.keys.events],
                    args=[
                        start.version,
                        meta,
                        body,
                        self.expire_ms,
                        page.url_path,
                        STREAM_MAX_LENGTH,
                    ],
                )
            except REDIS_ERRORS as exc:
                self.health.failed("storing an entry", exc)
            else:
                if not stored:
                    return None
        return await self.local.write(page, body, started_at=start.started_at)

    async def read_shared(self, url_path: str) -> tuple[StoredEntry, bytes] | None:
        """The URL's entry in Redis, copied into this instance's store; else the local copy.

        Raises:
            OSError: the local copy could not be written.
        """
        if not self.health.down:
            try:
                found: list[Any] = await self.client.hmget(
                    self.keys.entry(url_path), ["meta", "body"]
                )
                meta, body = found
            except REDIS_ERRORS as exc:
                self.health.failed("reading an entry", exc)
            else:
                if meta is not None and body is not None:
                    copied = await self.local.adopt(url_path, meta, body)
                    if copied is not None:
                        return copied
        return await self.local.read(url_path)

    async def failing(self, url_path: str) -> bool:
        """True while another instance's failed regeneration of the URL is backing off."""
        if self.health.down:
            return False
        try:
            return bool(await self.client.exists(self.keys.failure(url_path)))
        except REDIS_ERRORS as exc:
            self.health.failed("reading a failure", exc)
            return False

    async def record_failure(self, url_path: str, retry_seconds: float) -> None:
        """Make every instance wait `retry_seconds` before regenerating the URL again."""
        if self.health.down or retry_seconds <= 0:
            return
        try:
            await self.client.set(
                self.keys.failure(url_path), b"1", px=max(1, int(retry_seconds * 1000))
            )
        except REDIS_ERRORS as exc:
            self.health.failed("recording a failure", exc)

    # -- marks -----------------------------------------------------------------

    def revalidated(self, tags: Iterable[str], page: CachedPage) -> bool:
        """A mark of one of `tags` at or after the page's position."""
        return self.marks.marked_at_or_after(tags, page.render_started_at)

    def revalidated_during(self, tags: Iterable[str], start: RenderStart) -> bool:
        """A mark made here during the render, or one elsewhere after it began."""
        return self.marks.marked_since(tags, start.seq) or self.marks.marked_at_or_after(
            tags, start.started_at
        )

    async def save_marks(self) -> None:
        """Commit the marks made here (one Lua call: INCR rev, HSET marks, XADD events,
        and the data cache's values under those tags dropped).

        Returns once Redis has them, so a revalidation answered 200 is seen by
        every instance. With Redis unreachable they wait and are committed on
        reconnection.
        """
        tags = self.sequence.take_pending()
        if not tags:
            return
        if self.health.down:
            self.sequence.give_back(tags)
            return
        try:
            seq = await self._commit_marks(
                keys=[self.keys.rev, self.keys.marks, self.keys.events],
                args=[
                    STREAM_MAX_LENGTH,
                    json.dumps(tags),
                    self.backend.prefix + DATA_VALUES,
                    self.backend.prefix + DATA_TAGS,
                    *tags,
                ],
            )
        except REDIS_ERRORS as exc:
            self.sequence.give_back(tags)
            self.health.failed("saving a revalidation", exc)
            return
        if seq <= self.sequence.known:
            # A new number no higher than one seen before: Redis lost the build's state.
            await self._resync_reporting("saving a revalidation")
        # The pages here were marked when the mark was made: nothing to notify.
        self.sequence.merge(dict.fromkeys(tags, float(seq)), notify=False)

    def refresh(self) -> dict[str, float]:
        """Marks read from Redis since the last call (tag -> sequence number)."""
        return self.sequence.take_newer()

    # -- background ------------------------------------------------------------

    def start(self, on_marks: Callable[[], int] | None = None) -> None:
        """Start reading the build's event stream (and the backend's heartbeat)."""
        self._on_marks = on_marks
        self.backend.attach(self)
        if self._reader is None:
            self._reader = asyncio.create_task(
                self._read_events(), name=f"ssg-redis-events {self.build_id[:8]}"
            )

    async def aclose(self) -> None:
        """Stop the stream reader; commit marks still waiting; wait for the local entry writes."""
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        await self.local.aclose()
        await self.save_marks()
        for counter in (self.regenerations_rendered, self.on_demand_rendered):
            if isinstance(counter, RedisCounter):
                await counter.settle()
        self.backend.detach(self)

    async def resync(self) -> None:
        """Reload every mark and the stream position (start, reconnection, and every RESYNC_SECONDS).

        Also finds out whether Redis lost the build's state since the last look
        (restarted empty, FLUSHALL, restored from an older snapshot, an evicted
        key): the build's epoch key (a random value set with SET NX) changed, or
        the revalidation counter is lower than a number seen before. Marks kept
        here are then replaced by Redis's (see SequenceMarks.restart), the
        counter is raised to the highest number seen here (so new marks come
        after every page rendered before), and a counter that went back gets a
        new epoch so the other instances start over too.

        Raises:
            RedisError, OSError: Redis failed (the stream reader reports it).
        """
        async with self._resync_lock:
            await self._resync()
        if self.sequence.has_pending:
            await self.save_marks()
        self._apply()

    async def _resync(self) -> None:
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.epoch, uuid.uuid4().hex, nx=True)
            pipe.get(self.keys.epoch)
            pipe.get(self.keys.rev)
            pipe.xrevrange(self.keys.events, count=1)
            pipe.hgetall(self.keys.marks)
            pipe.hgetall(self.keys.stats)
            _set, epoch_value, rev, newest, marks, stats = await pipe.execute()
        epoch = text(epoch_value) if epoch_value is not None else None
        rev_now = int(rev or 0)
        current = {text(tag): float(seq) for tag, seq in marks.items()}
        if self.stream_last_id == "0-0" and newest:
            self.stream_last_id = text(newest[0][0])
        if rev_now < self.sequence.known:
            why = f"its revalidation counter went back from {self.sequence.known} to {rev_now}"
            epoch = uuid.uuid4().hex  # tell the other instances, whose counters may not say
            await self.client.set(self.keys.epoch, epoch)
            await self._start_over(current, why)
        elif self._epoch is not None and epoch != self._epoch:
            await self._start_over(current, "it was emptied or restored")
        else:
            self.sequence.merge(current)
        self._epoch = epoch
        for counter in (self.regenerations_rendered, self.on_demand_rendered):
            if isinstance(counter, RedisCounter):
                counter.known = max(counter.known, int(stats.get(counter.field.encode(), 0)))

    async def _start_over(self, marks: dict[str, float], why: str) -> None:
        """Take Redis's marks from scratch and raise its counter past every number seen here."""
        highest = self.sequence.known
        raised = int(await self._raise_counter(keys=[self.keys.rev], args=[highest]))
        self.sequence.restart(marks, known=max(raised, highest))
        self.resets += 1
        logger.warning(
            "Redis lost the ISR state of build %s (%s): revalidation marks read again "
            "from scratch; pages revalidated since are regenerated once.",
            self.build_id[:8],
            why,
        )

    async def _resync_reporting(self, doing: str) -> None:
        """`resync` now; a Redis failure is reported (the reader resyncs again later)."""
        try:
            await self.resync()
        except REDIS_ERRORS as exc:
            self.health.failed(doing, exc)

    def _apply(self) -> None:
        if self._on_marks is not None:
            self._on_marks()

    async def _read_events(self) -> None:
        """XREAD BLOCK from the last id seen; resync on start, reconnection and every few seconds."""
        reader = self.backend.reader
        delay = 0.1
        next_resync = 0.0
        while not cancelled():
            try:
                if time.monotonic() >= next_resync:
                    await self.resync()
                    next_resync = time.monotonic() + RESYNC_SECONDS
                    self.health.ok()
                reply: Any = await reader.xread(
                    {self.keys.events: self.stream_last_id},
                    block=STREAM_BLOCK_MILLISECONDS,
                    count=500,
                )
            except asyncio.CancelledError:
                raise
            except REDIS_ERRORS as exc:
                report_failure(self.health, "reading the invalidation stream", exc)
                next_resync = 0.0  # catch up on what was missed once it answers
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)
                continue
            delay = 0.1
            self.health.ok()
            marked = False
            for _stream, events in reply or ():
                for event_id, fields in events:
                    self.stream_last_id = text(event_id)
                    marked |= self._handle(fields)
            if marked:
                self._apply()

    def _handle(self, fields: dict[bytes, bytes]) -> bool:
        """Apply one stream event; True when it holds marks."""
        kind = fields.get(b"t")
        if kind == b"reval":
            seq = float(fields[b"seq"])
            tags = json.loads(fields[b"tags"])
            self.sequence.merge(dict.fromkeys(tags, seq))
            return True
        if kind == b"entry":
            waiting = self._written.pop(text(fields[b"url"]), None)
            if waiting is not None:
                waiting.set()
        return False

    async def measure_lag(self) -> None:
        """How far this instance's stream reading trails the newest event (ms, Redis's clock)."""
        newest: Any = await self.client.xrevrange(self.keys.events, count=1)
        if not newest:
            self.stream_lag_ms = 0.0
            return
        newest_ms = int(text(newest[0][0]).split("-")[0])
        read_ms = int(self.stream_last_id.split("-")[0])
        self.stream_lag_ms = float(max(0, newest_ms - read_ms))
