"""The caching policy of one ssg.fetch / ssg.cache call, and its path through both layers.

Request memo first (one build, or one render at serve), then the data cache on
disk, then the producer (the upstream request or the decorated function).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from ssg.data.keys import sorted_tags
from ssg.data.threaded import LOOP_WAIT_SECONDS
from ssg.errors import ArgumentError
from ssg.reads import Read, ReadKind, collect_reads, note_group, note_read
from ssg.recorded import Recorded, collect_recorded
from ssg.revalidate import Revalidate

if TYPE_CHECKING:
    from ssg.data.cached_value import CachedValue
    from ssg.scope import RenderScope

logger = logging.getLogger("ssg.data")

CACHE_MODES: tuple[str, ...] = ("force-cache", "no-store")
"""Values of ssg.fetch's `cache=` (None, the default, is Next.js 15's "auto no cache")."""

RevalidateOption = float | Literal[False] | None
"""What ssg.fetch / ssg.cache take as `revalidate=`: N > 0 seconds; False = cached until
tag-revalidated; 0 = never cached (dynamic); None = unset. Parsed into a `Revalidate`."""


@dataclass(frozen=True)
class CachePolicy:
    """What one call asked of the caches.

    Attributes:
        stored: the data cache is used (revalidate=N>0, revalidate=False or
            cache="force-cache").
        revalidate: how long a stored entry stays fresh (N seconds or NEVER);
            EVERY_REQUEST when the call opted out (cache="no-store" or
            revalidate=0), which makes the route dynamic; NEVER when not stored.
        tags: sorted, deduplicated cache tags.
    """

    stored: bool
    revalidate: Revalidate
    tags: tuple[str, ...]

    @property
    def no_store(self) -> bool:
        """True when the call opted out of caching (the route becomes dynamic)."""
        return self.revalidate.is_every_request

    @property
    def memo_options(self) -> tuple[object, ...]:
        """The options part of a memo key."""
        return (self.stored, self.revalidate, self.tags)


def make_policy(
    *, revalidate: RevalidateOption, cache: str | None, tags: Iterable[str]
) -> CachePolicy:
    """Validate the caching options of one call (as Next.js fetch `cache` + `next.revalidate`).

    | revalidate | cache         | result                                     |
    |------------|---------------|--------------------------------------------|
    | None       | None          | memoized only, not stored                  |
    | N > 0      | (any but no-store) | stored, stale after N seconds         |
    | False      | (any but no-store) | stored until revalidate_tag           |
    | None       | "force-cache" | stored until revalidate_tag                |
    | 0          | (any but force-cache) | not stored; the route becomes dynamic |
    | None       | "no-store"    | not stored; the route becomes dynamic      |

    Raises:
        ArgumentError: a negative or non-number revalidate, an unknown cache mode,
            a conflicting pair (no-store with revalidate N, force-cache with 0),
            or tags that are not a list of strings. The message names the fix.
    """
    parsed = _parse_revalidate(revalidate)
    if cache is not None and cache not in CACHE_MODES:
        import difflib  # for this mistake only

        close = difflib.get_close_matches(str(cache), CACHE_MODES, n=1)
        hint = f' Did you mean cache="{close[0]}"?' if close else ""
        modes = ", ".join(f'"{m}"' for m in CACHE_MODES)
        raise ArgumentError(
            f"cache={cache!r} is not one of {modes} (or None).{hint}",
            call="ssg.cache / ssg.fetch options",
        )
    tag_tuple = _parse_tags(tags)

    every_request = parsed is not None and parsed.is_every_request
    if cache == "no-store" and parsed is not None and not every_request:
        raise ArgumentError(
            f'cache="no-store" and revalidate={revalidate!r} contradict each other; keep one',
            call="ssg.cache / ssg.fetch options",
        )
    if cache == "force-cache" and every_request:
        raise ArgumentError(
            'cache="force-cache" and revalidate=0 contradict each other; keep one',
            call="ssg.cache / ssg.fetch options",
        )
    if cache == "no-store" or every_request:
        return CachePolicy(stored=False, revalidate=Revalidate.EVERY_REQUEST, tags=tag_tuple)
    stored = cache == "force-cache" or parsed is not None
    return CachePolicy(stored=stored, revalidate=parsed or Revalidate.NEVER, tags=tag_tuple)


def _parse_revalidate(revalidate: object) -> Revalidate | None:
    """Return `revalidate=` parsed; None when unset.

    Raises:
        ArgumentError: not a finite number >= 0, None or False.
    """
    if revalidate is None:
        return None
    if (isinstance(revalidate, bool) and revalidate) or not isinstance(revalidate, int | float):
        raise ArgumentError(
            f"revalidate={revalidate!r} is not a number of seconds; use revalidate=N (seconds), "
            "revalidate=False (until revalidate_tag) or revalidate=0 (never cache)",
            call="ssg.cache / ssg.fetch options",
        )
    if not math.isfinite(revalidate) or revalidate < 0:
        raise ArgumentError(
            f"revalidate={revalidate!r} must be 0 or more seconds; use revalidate=False to "
            "cache until revalidate_tag",
            call="ssg.cache / ssg.fetch options",
        )
    return Revalidate.parse(revalidate)


def _parse_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Return tags sorted and deduplicated.

    Raises:
        ArgumentError: a bare string (which would iterate as characters) or a
            non-string / empty tag.
    """
    if isinstance(tags, str):
        raise ArgumentError(
            f'tags={tags!r} must be a list of strings, e.g. tags=["{tags}"]',
            call="ssg.cache / ssg.fetch options",
        )
    tag_list = list(tags)
    bad = [t for t in tag_list if not isinstance(t, str) or not t]
    if bad:
        raise ArgumentError(
            f"tags must be non-empty strings; got {bad!r}", call="ssg.cache / ssg.fetch options"
        )
    return sorted_tags(tag_list)


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class _Outcome:
    """What the memo holds: what every caller records (memo hits too) beside the value.

    `due_at` is the earliest time (epoch seconds) the producer said its result
    changes (a scheduled post it left out), or None.
    """

    value: Any
    tags: frozenset[str]
    due_at: float | None = None
    reads: frozenset[Read] = frozenset()
    """What the producer read (templates, content): a memo hit's page depends on it too."""
    revalidate: Revalidate = Revalidate.NEVER
    """The lowest revalidate the producer's own fetches and cached calls recorded."""
    inner_tags: frozenset[str] = frozenset()
    """The cache tags the producer's own fetches and cached calls recorded."""
    data_keys: frozenset[str] = frozenset()
    """The data-cache keys the producer's own fetches and cached calls recorded."""


def _with_recorded(outcome: _Outcome, recorded: Recorded, reads: frozenset[Read]) -> _Outcome:
    """`outcome` keeping what its producer read and recorded, for the memo's later hits."""
    return replace(
        outcome,
        reads=reads,
        revalidate=recorded.revalidate,
        inner_tags=frozenset(recorded.tags),
        data_keys=frozenset(recorded.data_keys),
    )


async def run_cached(
    scope: RenderScope,
    *,
    memo_key: Hashable | None,
    data_key: str,
    policy: CachePolicy,
    produce: Callable[[], Awaitable[Any]],
    should_store: Callable[[Any], bool],
    describe: str,
) -> Any:
    """Return the value of one call through the request memo and the data cache.

    Args:
        scope: the current render scope (its memo, store and clock are used).
        memo_key: the request-memo key, or None to skip memoization (e.g. a POST).
        data_key: the data-cache key.
        policy: the call's caching policy.
        produce: makes the value on a miss.
        should_store: False to keep a produced value out of the data cache.
        describe: names the call in log lines, e.g. 'ssg.fetch("https://api/x")'.

    Side effects: records the policy's revalidate and the entry's tags into
    `scope` (as Next.js: a page's revalidate is the lowest of its fetches').
    """

    store = scope.services.store

    async def load() -> _Outcome:
        # The store's async methods keep sqlite (and a lock another process holds
        # on it) off a server's event loop.
        entry = await store.aget(data_key) if policy.stored and store is not None else None
        hit, previous_tags = _usable(scope, policy, entry)
        if hit is not None:
            return hit
        with collect_recorded() as recorded, collect_reads() as reads:
            value = await produce()
        outcome, to_store = _to_store(scope, policy, value, previous_tags, should_store, recorded)
        outcome = _with_recorded(outcome, recorded, reads.flat())
        if to_store is not None and store is not None:
            revalidate = policy.revalidate.lowest(recorded.revalidate)
            try:
                await store.aset(data_key, value, revalidate=revalidate, tags=to_store)
            except TypeError as exc:
                _not_stored(describe, exc)
        return outcome

    if memo_key is None:
        outcome = await load()
    else:
        outcome = await scope.memo.get_or_run(memo_key, load)
    _record(scope, policy, outcome, data_key, describe)
    return outcome.value


def run_cached_sync(
    scope: RenderScope,
    *,
    memo_key: Hashable,
    data_key: str,
    policy: CachePolicy,
    produce: Callable[[], Any],
    describe: str,
) -> Any:
    """The synchronous twin of `run_cached`, for sync functions under @ssg.cache.

    Called on a server's event loop (a sync function called from an async
    `load()`), the data-cache read waits at most `LOOP_WAIT_SECONDS` for the
    store's thread (busy, or waiting on a lock another process holds); past
    that the call counts as a miss and the function runs. In a worker thread
    the read waits as long as it takes. The write is queued (`set_soon`): the
    store's thread runs in order, so any later read sees it. A build's store
    has no thread and does both inline.
    """

    def load() -> _Outcome:
        hit, previous_tags = _read(scope, data_key, policy, on_loop=_on_event_loop())
        if hit is not None:
            return hit
        with collect_recorded() as recorded, collect_reads() as reads:
            value = produce()
        outcome = _write(scope, data_key, policy, value, previous_tags, describe, recorded)
        return _with_recorded(outcome, recorded, reads.flat())

    outcome: _Outcome = scope.memo.get_or_call(memo_key, load)
    _record(scope, policy, outcome, data_key, describe)
    return outcome.value


def _on_event_loop() -> bool:
    """True when called from code running on an event loop's thread (a coroutine)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _read(
    scope: RenderScope, data_key: str, policy: CachePolicy, *, on_loop: bool
) -> tuple[_Outcome | None, frozenset[str]]:
    """Return (a usable data-cache hit or None, tags of any entry found).

    `on_loop`: the caller is on the event loop, so the read waits at most
    LOOP_WAIT_SECONDS for the store (a build's store answers inline anyway).
    """
    store = scope.services.store
    if not policy.stored or store is None:
        return None, frozenset()
    wait_seconds = LOOP_WAIT_SECONDS if on_loop else None
    return _usable(scope, policy, store.get(data_key, wait_seconds=wait_seconds))


def _usable(
    scope: RenderScope, policy: CachePolicy, entry: CachedValue | None
) -> tuple[_Outcome | None, frozenset[str]]:
    """Return (`entry` as a hit if still usable for this call, else None; its tags)."""
    if entry is None:
        return None, frozenset()
    # Freshness follows the caller's revalidate, as Next.js checks an entry's age
    # against the reading fetch's own revalidate. An entry stored without one of
    # this call's tags is refetched, or revalidate_tag(that tag) would miss it.
    too_old = scope.services.clock() > policy.revalidate.fresh_until(entry.stored_at)
    if too_old or not set(policy.tags) <= entry.tags:
        return None, entry.tags
    # The entry keeps the tags and the lowest revalidate its producer's own fetches
    # recorded: a hit records them as the run that stored it did.
    return _Outcome(entry.value, entry.tags, revalidate=entry.revalidate), entry.tags


def _write(
    scope: RenderScope,
    data_key: str,
    policy: CachePolicy,
    value: Any,
    previous_tags: frozenset[str],
    describe: str,
    recorded: Recorded,
) -> _Outcome:
    """Store a produced value when the policy asks for it; return what the memo keeps.

    A value that changes at a due time its producer recorded (it left out a scheduled
    post) is only memoized: a stored copy would outlive that time. The stored entry
    keeps the tags and the lowest revalidate the producer's own fetches recorded.
    """
    outcome, to_store = _to_store(scope, policy, value, previous_tags, lambda _: True, recorded)
    store = scope.services.store
    if to_store is not None and store is not None:
        revalidate = policy.revalidate.lowest(recorded.revalidate)
        try:
            store.set_soon(data_key, value, revalidate=revalidate, tags=to_store)
        except TypeError as exc:
            _not_stored(describe, exc)
    return outcome


def _to_store(
    scope: RenderScope,
    policy: CachePolicy,
    value: Any,
    previous_tags: frozenset[str],
    should_store: Callable[[Any], bool],
    recorded: Recorded,
) -> tuple[_Outcome, list[str] | None]:
    """`_write`'s decision without the write: (what the memo keeps, tags to store with or None).

    The tags stored are the call's, an earlier entry's (another call of the same
    request may have tagged it differently) and those its producer's own fetches
    recorded, so `revalidate_tag` of an inner fetch's tag drops this entry too (as
    Next.js's nested "use cache" entries carry their inner tags).
    """
    tags = previous_tags | frozenset(policy.tags)
    due_at = min(recorded.due, default=None)
    store = scope.services.store
    keep = policy.stored and store is not None and due_at is None and should_store(value)
    return _Outcome(value, tags, due_at), sorted(tags | recorded.tags) if keep else None


def _not_stored(describe: str, exc: TypeError) -> None:
    logger.warning(
        "%s: the result is not stored in the data cache (%s); it is still memoized "
        "in memory for this build or render.",
        describe,
        exc,
    )


def _record(
    scope: RenderScope, policy: CachePolicy, outcome: _Outcome, data_key: str, describe: str
) -> None:
    """Record revalidate, tags and the data-cache key into the scope (memo hits record too,
    with what the producer's own fetches recorded when it ran for another page).
    `describe` names the call in the build summary ('ssg.fetch("https://api/x")')."""
    if policy.stored:
        scope.record_revalidate(policy.revalidate)
        scope.record_data_key(data_key)
        # A data-cache entry may be refreshed between builds: no record proves it unchanged.
        # Named by the call, not by its key (a digest): the build summary lists these.
        note_read((ReadKind.VOLATILE, f"the data cache ({describe})"))
    note_group(outcome.reads)
    scope.record_tags(outcome.tags | outcome.inner_tags)
    scope.record_revalidate(outcome.revalidate)
    for key in outcome.data_keys:
        scope.record_data_key(key)
    if outcome.due_at is not None:
        scope.record_due(outcome.due_at)
