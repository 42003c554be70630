"""The data layer: ssg.fetch, @ssg.cache, request memoization and the persistent data cache.

`fetch` is not re-exported here: the name would shadow the `ssg.data.fetch` module
(`import ssg.data.fetch as f` would bind the function). Use `ssg.fetch` or
`from ssg.data.fetch import fetch`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ssg.data.cached_value import CachedValue
from ssg.data.decorator import cache
from ssg.data.memo import RequestMemo
from ssg.data.response import FetchResponse

if TYPE_CHECKING:
    from ssg.data.store import DataStore

__all__ = ["CachedValue", "DataStore", "FetchResponse", "RequestMemo", "cache"]


def __getattr__(name: str) -> Any:
    """`DataStore` on first use (PEP 562): diskcache and sqlite3 load only for a build or
    server that opens the data cache on disk."""
    if name == "DataStore":
        from ssg.data.store import DataStore

        return DataStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
