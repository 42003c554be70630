"""The seam between the ISR engine and the state server instances share.

Render locks, ISR entries, revalidation marks, render counters and the data
cache sit behind `CacheBackend` (one per server) and `BuildState` (one per
served build). Two implementations: the local disk (`ssg.isr.disk`, the
default, shared by the `--workers` of one machine) and Redis
(`ssg.isr.redis_backend`, shared by instances on any number of machines),
chosen by the `cache_url` setting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from ssg.config import SiteConfig
from ssg.scope import Clock

if TYPE_CHECKING:
    from ssg.data.cached_value import DataCache
    from ssg.isr.cache import CachedPage
    from ssg.isr.entries import EntryStore, StoredEntry
    from ssg.records import PageRecord


class RenderLease(Protocol):
    """A held render lock of one URL; `release` frees it (idempotent)."""

    async def release(self) -> None: ...


class Counter(Protocol):
    """A count of events shared by every process using the backend."""

    def add(self) -> None: ...

    def value(self) -> int: ...


@dataclass(frozen=True)
class RenderStart:
    """Where a render began, taken just before it runs.

    Attributes:
        started_at: the render's position among revalidation marks, stored with
            its entry: a mark at or after it makes the entry stale. Epoch seconds
            on disk; a point on the shared revalidation sequence with Redis.
        seq: this process's mark sequence number at the start (a mark made here
            during the render is seen even when the clock did not move).
        version: the entry's fencing version (Redis; 0 on disk): a write carrying
            a lower version than the stored entry's is refused.
    """

    started_at: float
    seq: int
    version: int = 0


@dataclass(frozen=True)
class BackendStatus:
    """What `/_ssg/status` shows about the shared state.

    Attributes:
        backend: "disk" or "redis".
        connected: False while Redis is unreachable (always True on disk).
        instances: server processes seen alive recently (Redis heartbeats; 1 on disk).
        stream_lag_ms: how far this instance's reading of the invalidation stream
            trails its newest event, in milliseconds (None on disk).
        detail: backend-specific extras (the Redis URL without its password, the key prefix).
    """

    backend: str
    connected: bool
    instances: int
    stream_lag_ms: float | None = None
    detail: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The status as JSON-ready values."""
        return {
            "backend": self.backend,
            "connected": self.connected,
            "instances": self.instances,
            "stream_lag_ms": self.stream_lag_ms,
            **(self.detail or {}),
        }


class Marks(Protocol):
    """Revalidation marks as a process knows them (RevalidationMarks, SequenceMarks).

    Attributes:
        seq: marks made in this process so far.
    """

    seq: int

    def mark(self, tags: Iterable[str], now: float) -> int:
        """Record `tags` revalidated here now; return the new `seq`."""

    def marked_since(self, tags: Iterable[str], seq: int) -> bool:
        """True when one of `tags` was marked here after `seq`."""

    def marked_at_or_after(self, tags: Iterable[str], since: float) -> bool:
        """True when one of `tags` has a mark at or after position `since`."""


class BuildState(Protocol):
    """The shared ISR state of one build: entries, locks, marks, counters.

    Attributes:
        store: this process's copy of the build's ISR entries (bodies are
            served from it, never from a network store).
        marks: the revalidation marks this process knows.
        regenerations_rendered: background regenerations that ran, in every process.
        on_demand_rendered: on-demand renders that ran, in every process.
    """

    store: EntryStore
    marks: Marks
    regenerations_rendered: Counter
    on_demand_rendered: Counter

    def load(self) -> None:
        """Read what this process keeps between runs (blocking I/O)."""

    def build_page_start(self) -> float | None:
        """The `CachedPage.started_at` of a page from the build output (None: its generated_at)."""

    async def try_lock(self, url_path: str) -> RenderLease | None:
        """Take the URL's render lock if free now; None when another holder has it."""

    async def lock(self, url_path: str) -> RenderLease:
        """Wait for the URL's render lock."""

    async def begin_render(self, url_path: str, clock: Clock) -> RenderStart:
        """Where a render of `url_path` starting now stands (marks, fencing version)."""

    async def read_shared(self, url_path: str) -> tuple[StoredEntry, bytes] | None:
        """The newest entry any process wrote for `url_path`, copied into `store`; or None."""

    async def write(self, page: PageRecord, body: bytes, start: RenderStart) -> StoredEntry | None:
        """Store a rendered entry for every process; None when a newer one is there already.

        Raises:
            OSError: the local write failed.
        """

    def revalidated(self, tags: Iterable[str], page: CachedPage) -> bool:
        """True when one of `tags` was marked at or after the page's render began."""

    def revalidated_during(self, tags: Iterable[str], start: RenderStart) -> bool:
        """True when one of `tags` was marked after `start` (the render's page is stale)."""

    async def save_marks(self) -> None:
        """Make the marks made here visible to every process (and to a restart)."""

    def refresh(self) -> dict[str, float]:
        """Marks other processes made since the last call: tag -> position (see RenderStart)."""

    async def failing(self, url_path: str) -> bool:
        """True while a failed regeneration of the URL (by any process) waits for its retry."""

    async def record_failure(self, url_path: str, retry_seconds: float) -> None:
        """Make other processes wait `retry_seconds` before regenerating the URL again."""

    def start(self, on_marks: Callable[[], int] | None = None) -> None:
        """Start the build's background work on the running loop (Redis: the stream reader).

        Args:
            on_marks: called when marks made elsewhere arrived (the engine's
                `sync_marks`, which takes them with `refresh`).
        """

    async def aclose(self) -> None:
        """Stop the background work; nothing is lost (entries and marks are stored)."""


class CacheBackend(Protocol):
    """Where a server's shared state lives; one per server, opened by `open_backend`.

    Attributes:
        name: "disk" or "redis".
    """

    name: str

    def open_build(self, build_id: str, *, clock: Clock) -> BuildState:
        """The shared ISR state of one build (blocking I/O: creates folders)."""

    def open_data_cache(self, clock: Clock) -> DataCache | None:
        """The data cache every build of this server uses (None: the default on disk)."""

    def status(self) -> BackendStatus:
        """What /_ssg/status shows (no I/O)."""

    async def aclose(self) -> None:
        """Close connections and background tasks."""


def open_backend(config: SiteConfig) -> CacheBackend:
    """The backend `config.cache_url` names: "" for the local disk, `redis://...` for Redis.

    Args:
        config: the site config: `cache_url` ("", redis://, rediss:// or unix://)
            and `cache_dir` (the disk backend's home, and each instance's own
            copy of the entries with Redis).

    Raises:
        CacheBackendError: an unknown URL scheme, or redis-py is not installed
            (`pip install "ssg[redis]"`).
    """
    from ssg.errors import CacheBackendError

    cache_url = config.cache_url
    if not cache_url:
        from ssg.isr.disk import DiskBackend

        return DiskBackend(config.cache_dir)
    scheme = urlsplit(cache_url).scheme
    if scheme not in ("redis", "rediss", "unix"):
        raise CacheBackendError(
            f"cache_url {cache_url!r} has the scheme {scheme!r}, which ssg cannot use",
            fix='use "redis://host:6379/0" (or rediss:// or unix://), or leave it empty for '
            "the local disk",
            cache_url=cache_url,
        )
    try:
        from ssg.isr.redis_backend import RedisBackend
    except ImportError as exc:  # redis-py is an extra
        raise CacheBackendError(
            f"cache_url {cache_url!r} needs redis-py, which is not installed ({exc})",
            fix='pip install "ssg[redis]"',
            cache_url=cache_url,
        ) from exc
    return RedisBackend(config)
