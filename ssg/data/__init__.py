"""The data layer: ssg.fetch, @ssg.cache, request memoization and the persistent data cache.

`fetch` is not re-exported here: the name would shadow the `ssg.data.fetch` module
(`import ssg.data.fetch as f` would bind the function). Use `ssg.fetch` or
`from ssg.data.fetch import fetch`.
"""

from ssg.data.cached_value import CachedValue
from ssg.data.decorator import cache
from ssg.data.memo import RequestMemo
from ssg.data.response import FetchResponse
from ssg.data.store import DataStore

__all__ = ["CachedValue", "DataStore", "FetchResponse", "RequestMemo", "cache"]
