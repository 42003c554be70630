"""SiteConfig: a site's configuration once loaded, with the values derived from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class SiteConfig:
    """A site's configuration (defaults and meanings: `SETTINGS`).

    Attributes:
        site_dir: the site folder (absolute).
        base_url: absolute origin for feeds and sitemaps, no trailing slash ("" if unset).
        out_dir: the output folder (absolute).
        trailing_slash: False writes /a as a.html, True as a/index.html.
        theme: the theme name (a folder under the shipped themes) or a path.
        output: "server" (ISR) or "export" (plain files only).
        expire_seconds: how long a stale page may still be served (seconds).
        cache_dir: the data cache and ISR entries folder (absolute).
        base_path: "" or a path prefix such as "/repo" (no trailing slash).
        cache_url: "" or a Redis URL for shared ISR state.
        cdn_tag_header: "" or the header that lists a page's tags for CDN purges.
        purge_webhook: "" or a URL told of every revalidation.
        body_limit_bytes: largest request body the server accepts (bytes).
        fetch_timeout_seconds: total timeout of one upstream fetch (seconds).
        fetch_max_bytes: largest upstream response body ssg.fetch reads (bytes).
        render_timeout_seconds: longest an on-demand render or a regeneration may
            take before it fails (seconds).
        on_demand_max_entries: ISR entries of pages rendered on demand (not
            prerendered) kept at most; the least recently used are evicted.
        max_connections: open client connections kept at most (the oldest idle
            ones are closed beyond it).
        keepalive_timeout_seconds: an idle connection, or one that has not sent
            its request headers, is closed after this long (seconds).
        shutdown_grace_seconds: how long shutdown waits for requests in progress
            before answering them 503 (seconds).
        theme_values: the theme's keys (title, description, author, language,
            nav, feed_url), defaults filled in.
        params: the `[params]` table, the site's own values.
    """

    site_dir: Path
    base_url: str
    out_dir: Path
    trailing_slash: bool
    theme: str
    output: str
    expire_seconds: int
    cache_dir: Path
    base_path: str
    cache_url: str
    cdn_tag_header: str
    purge_webhook: str
    body_limit_bytes: int
    fetch_timeout_seconds: float
    fetch_max_bytes: int
    render_timeout_seconds: float
    on_demand_max_entries: int
    max_connections: int
    keepalive_timeout_seconds: float
    shutdown_grace_seconds: float
    theme_values: Mapping[str, Any]
    params: Mapping[str, Any]

    @property
    def app_dir(self) -> Path:
        """The routes folder, SITE/app."""
        return self.site_dir / "app"

    @property
    def public_dir(self) -> Path:
        """Files copied verbatim to the output root, SITE/public."""
        return self.site_dir / "public"

    @property
    def site_url(self) -> str:
        """The site's public address: base_url with base_path ("" without a base_url).

        | base_url             | base_path | site_url                  |
        | -------------------- | --------- | ------------------------- |
        | https://x.org        | ""        | https://x.org             |
        | https://x.org        | /docs     | https://x.org/docs        |
        | https://x.org/docs   | /docs     | https://x.org/docs (kept) |
        | ""                   | /docs     | ""                        |

        As Next.js `basePath`, the prefix is part of every URL of the site, so
        `site_url + url_path` is a page's absolute address. A base_url that
        already ends with the base path (actions/configure-pages' `base_url`
        output does) is not given it twice.
        """
        if not self.base_url or not self.base_path:
            return self.base_url
        if urlsplit(self.base_url).path.rstrip("/") == self.base_path:
            return self.base_url
        return self.base_url + self.base_path

    def template_values(self) -> dict[str, Any]:
        """The `site` value templates see (and ssg.site_config() returns).

        The theme's keys (`site.title`, `site.nav`...), the settings a page
        may need (`base_url`, `base_path`, `trailing_slash`, `theme`,
        `output`) and the site's own values as `site.params`. `base_url` is
        `site_url`: it includes the base path.
        """
        values: dict[str, Any] = dict(self.theme_values)
        values.update(
            base_url=self.site_url,
            base_path=self.base_path,
            trailing_slash=self.trailing_slash,
            theme=self.theme,
            output=self.output,
            params=dict(self.params),
        )
        return values
