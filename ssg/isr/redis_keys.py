"""The Redis keys of a site and its builds: the layout, the site key, and cache_url's own options.

Layout (one site, one build; `<b>` = build id[:12], `<h>` = sha256(url)[:32]):

    ssg:{<site>}:<b>:e:<h>     HASH    v (fencing version), meta (record JSON), body; TTL expire_seconds
    ssg:{<site>}:<b>:lk:<h>    STRING  render lock token; SET NX PX, extended while rendering
    ssg:{<site>}:<b>:fail:<h>  STRING  a failed regeneration; PX = its retry delay (shared back-off)
    ssg:{<site>}:<b>:ver       STRING  INCR per render: the fencing versions
    ssg:{<site>}:<b>:rev       STRING  INCR per revalidation: the revalidation sequence
    ssg:{<site>}:<b>:marks     HASH    tag -> sequence number of its last revalidation
    ssg:{<site>}:<b>:stats     HASH    regenerations / renders that ran
    ssg:{<site>}:<b>:events    STREAM  reval {seq, tags} and entry {url, v}; MAXLEN ~
    ssg:{<site>}:instances     ZSET    instance id -> last heartbeat (Redis's clock)
    ssg:{<site>}:d:<key>, dt:<tag>     the data cache (ssg.data.redis_store), shared by builds

The braces make `{<site>}` the Redis Cluster hash tag: a site lives in one
slot, so the Lua scripts may touch several of its keys.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ssg.config import SiteConfig

_SITE_KEY = re.compile(r"[^A-Za-z0-9._-]+")


def site_key_of(config: SiteConfig) -> str:
    """The site's name in Redis keys: its base_url host, else its title, else "site".

    Examples: "https://blog.example.com" -> "blog.example.com"; title "My Blog" -> "My-Blog".
    Instances of one site must agree on it; `?prefix=` in cache_url sets it outright.
    """
    site_url = config.site_url
    if site_url:
        parts = urlsplit(site_url)
        name = parts.netloc + parts.path
    else:
        name = str(config.theme_values.get("title") or "")
    return _SITE_KEY.sub("-", name).strip("-") or "site"


def split_cache_url(cache_url: str) -> tuple[str, dict[str, str]]:
    """(the URL redis-py opens, ssg's own options) from a cache_url.

    ssg reads `prefix` (the site key) and `lock_ttl` (seconds) from the query
    and hands the rest to `redis.asyncio.from_url`:
    "redis://r:6379/0?lock_ttl=5" -> ("redis://r:6379/0", {"lock_ttl": "5"}).
    """
    parts = urlsplit(cache_url)
    own: dict[str, str] = {}
    rest: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in ("prefix", "lock_ttl"):
            own[name] = value
        else:
            rest.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(rest))), own


class BuildKeys:
    """The Redis keys of one build (see the module docstring)."""

    def __init__(self, prefix: str, build_id: str) -> None:
        base = f"{prefix}{build_id[:12]}:"
        self.base = base
        self.ver = base + "ver"
        self.rev = base + "rev"
        self.marks = base + "marks"
        self.stats = base + "stats"
        self.events = base + "events"
        self.epoch = base + "epoch"

    @staticmethod
    def url_hash(url_path: str) -> str:
        """32 hex digits naming an URL's keys."""
        return hashlib.sha256(url_path.encode("utf-8")).hexdigest()[:32]

    def entry(self, url_path: str) -> str:
        """The URL's entry hash."""
        return f"{self.base}e:{self.url_hash(url_path)}"

    def lock(self, url_path: str) -> str:
        """The URL's render lock."""
        return f"{self.base}lk:{self.url_hash(url_path)}"

    def failure(self, url_path: str) -> str:
        """The URL's shared failure back-off."""
        return f"{self.base}fail:{self.url_hash(url_path)}"

    @property
    def long_lived(self) -> tuple[str, ...]:
        """Keys that live as long as the build is served (their TTL is renewed by heartbeats)."""
        return (self.ver, self.rev, self.marks, self.stats, self.events, self.epoch)
