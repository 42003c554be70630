"""The schema of ssg.toml: every key it may hold, with its type, default, check and meaning."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ssg.config.checks import (
    Check,
    at_least,
    check_base_path,
    check_cache_url,
    check_header_name,
    check_language,
    check_nav,
    http_url,
    one_of,
)

OUTPUTS = ("server", "export")
PARAMS_KEY = "params"
"""The table of the site's own values (read by templates as site.params), as Hugo's [params]."""


@dataclass(frozen=True)
class Setting:
    """One key of ssg.toml.

    Attributes:
        key: the key as written in ssg.toml.
        kind: the accepted TOML type(s).
        default: the value when the key is absent.
        doc: one line for users (what it does, units).
        check: extra validation beyond the type, or None.
        theme: True for the theme's keys (`title`, `nav`...), which only
            templates read.
    """

    key: str
    kind: type | tuple[type, ...]
    default: Any
    doc: str
    check: Check | None = None
    theme: bool = False

    @property
    def kind_name(self) -> str:
        """The type as users read it: "a string", "an integer", "a number", "a boolean"..."""
        names = {str: "a string", int: "an integer", bool: "a boolean", list: "an array"}
        if isinstance(self.kind, tuple):
            return "a number"
        return names.get(self.kind, self.kind.__name__)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "base_url",
        str,
        "",
        "absolute origin for feeds, sitemaps, canonical links",
        http_url("base_url"),
    ),
    Setting("out_dir", str, "out", "the output folder, relative to the site"),
    Setting(
        "trailing_slash", bool, False, "/a is written as a.html (false) or a/index.html (true)"
    ),
    Setting("theme", str, "default", "a shipped theme's name or a folder in the site"),
    Setting(
        "output",
        str,
        "server",
        '"server" (ISR) or "export" (plain files only)',
        one_of("output", OUTPUTS),
    ),
    Setting(
        "expire_seconds",
        int,
        31_536_000,
        "how long a stale page may still be served (seconds)",
        at_least("expire_seconds", 0, "seconds"),
    ),
    Setting("cache_dir", str, ".ssg", "data cache and ISR entries, relative to the site"),
    Setting(
        "base_path",
        str,
        "",
        'serve the site under a path prefix, e.g. "/repo": starts with "/", does not end with one',
        check_base_path,
    ),
    Setting(
        "cache_url",
        str,
        "",
        'share ISR state between instances, e.g. "redis://host:6379/0"',
        check_cache_url,
    ),
    Setting(
        "cdn_tag_header",
        str,
        "",
        'response header listing page tags, e.g. "Cache-Tag"',
        check_header_name,
    ),
    Setting("purge_webhook", str, "", "URL told of every revalidation", http_url("purge_webhook")),
    Setting(
        "body_limit_bytes",
        int,
        1_048_576,
        "largest request body the server accepts (bytes)",
        at_least("body_limit_bytes", 1, "bytes"),
    ),
    Setting(
        "fetch_timeout_seconds",
        (int, float),
        30,
        "total timeout of one ssg.fetch (seconds)",
        at_least("fetch_timeout_seconds", 0, "seconds"),
    ),
    Setting(
        "fetch_max_bytes",
        int,
        33_554_432,
        "largest upstream response body ssg.fetch reads (bytes)",
        at_least("fetch_max_bytes", 1, "bytes"),
    ),
    Setting(
        "render_timeout_seconds",
        (int, float),
        60,
        "longest an on-demand render or a regeneration may take (seconds)",
        at_least("render_timeout_seconds", 0, "seconds"),
    ),
    Setting(
        "on_demand_max_entries",
        int,
        10_000,
        "ISR entries of pages rendered on demand kept at most (least recently used evicted)",
        at_least("on_demand_max_entries", 1, "entries"),
    ),
    Setting(
        "max_connections",
        int,
        4096,
        "open client connections kept at most (the oldest idle ones are closed)",
        at_least("max_connections", 1, "connections"),
    ),
    Setting(
        "keepalive_timeout_seconds",
        (int, float),
        15,
        "an idle connection, or one still sending its headers, is closed after (seconds)",
        at_least("keepalive_timeout_seconds", 0, "seconds"),
    ),
    Setting(
        "shutdown_grace_seconds",
        (int, float),
        10,
        "how long shutdown waits for requests before answering them 503 (seconds)",
        at_least("shutdown_grace_seconds", 0, "seconds"),
    ),
    # The theme's keys: only templates read them, as `site.title` etc.
    Setting("title", str, "", "the site's name", theme=True),
    Setting("description", str, "", "one sentence about the site", theme=True),
    Setting("author", str, "", "shown in the footer and feeds", theme=True),
    Setting("language", str, "en", "the html lang attribute", check_language, theme=True),
    Setting("nav", list, [], "main navigation: [{ title, url }]", check_nav, theme=True),
    Setting("feed_url", str, "/feed.xml", 'the RSS link ("" turns it off)', theme=True),
)
SETTINGS_BY_KEY: Mapping[str, Setting] = MappingProxyType({s.key: s for s in SETTINGS})
