"""What a block of code recorded into its render's scope: due times, revalidate, cache tags
and data-cache keys (`collect_recorded`), so a memoized call's later hits record them too.

Below `ssg.scope`, whose `RenderScope.record_*` methods add to the block being collected.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ssg.revalidate import Revalidate


@dataclass(eq=False)
class Recorded:
    """What the code inside `collect_recorded()` recorded into its render's scope.

    A memoized call (`ssg.cache`) keeps it with its value, so that every page that
    gets the value from the memo records it too, not only the page that happened to
    run the call first: which page that is depends on the render order, which an
    incremental build changes. As Next.js, a page's revalidate is the lowest of
    every fetch its render used, memoized or not.

    Attributes:
        due: `record_due` times (epoch seconds).
        revalidate: the lowest `record_revalidate` value (NEVER when none).
        tags: the cache tags recorded.
        data_keys: the data-cache keys recorded.
    """

    due: list[float] = field(default_factory=list)
    revalidate: Revalidate = Revalidate.NEVER
    tags: set[str] = field(default_factory=set)
    data_keys: set[str] = field(default_factory=set)


_collector: contextvars.ContextVar[Recorded | None] = contextvars.ContextVar(
    "ssg_recorded_collector", default=None
)


@contextmanager
def collect_recorded() -> Iterator[Recorded]:
    """Collect what the code inside the block records into the scope: due times,
    revalidate, cache tags and data-cache keys (a nested block sees only its own).

    Yields:
        The `Recorded` that fills as the block runs.
    """
    found = Recorded()
    token = _collector.set(found)
    try:
        yield found
    finally:
        _collector.reset(token)


def recording() -> Recorded | None:
    """The `Recorded` of the innermost `collect_recorded()` block running, or None."""
    return _collector.get()
