"""`ssg serve` and what it runs: no build to serve, an address it cannot listen on, a cache
backend it cannot open, renders that time out or cannot be cached, an unclean shutdown."""

from __future__ import annotations

from pathlib import Path

from ssg.errors.base import SsgError, page_label


class BuildNotFoundError(SsgError, FileNotFoundError):
    """`ssg serve` found no build (or one from another ssg version) in the output folder.

    Attributes:
        out_dir: the output folder searched.
        site_dir: the site folder (for the `ssg build` hint).
    """

    def __init__(self, out_dir: Path, site_dir: Path) -> None:
        self.out_dir = out_dir
        self.site_dir = site_dir
        super().__init__(
            f"No build found in {out_dir} (out/_ssg/manifest.json is missing or from "
            f"another ssg version): run `ssg build {site_dir}` first."
        )


class ListenError(SsgError, OSError):
    """`ssg serve` cannot listen on host:port (in use, not an address of this machine...).

    Attributes:
        host: the host asked for.
        port: the port asked for.
    """

    def __init__(self, message: str, *, host: str, port: int) -> None:
        self.host = host
        self.port = port
        super().__init__(message)


class CacheBackendError(SsgError, ValueError):
    """`cache_url` names a backend ssg cannot use (unknown scheme, redis-py missing).

    Attributes:
        cache_url: the URL as configured.
        fix: what to do about it.
    """

    def __init__(self, message: str, *, fix: str, cache_url: str) -> None:
        self.cache_url = cache_url
        self.fix = fix
        super().__init__(f"{message}: {fix}")


class RenderTimeoutError(SsgError, TimeoutError):
    """An on-demand render or a regeneration ran past `render_timeout_seconds` and was stopped.

    Attributes:
        url_path: the URL being rendered, e.g. "/blog/hello".
        route_pattern: its route, e.g. "/blog/[slug]".
        timeout_seconds: the limit it ran past (seconds).
    """

    def __init__(self, *, url_path: str, route_pattern: str, timeout_seconds: float) -> None:
        self.url_path = url_path
        self.route_pattern = route_pattern
        self.timeout_seconds = timeout_seconds
        super().__init__(
            f"rendering {page_label(route_pattern, url_path)} took longer than "
            f"render_timeout_seconds = {timeout_seconds:g} s and was stopped. Find what its "
            "load() or fetches wait for (an upstream that never answers?), or raise "
            "render_timeout_seconds in ssg.toml."
        )


class RegenerationError(SsgError):
    """A render at serve time produced nothing to cache; the last good page stays.

    Attributes:
        url_path: the URL being regenerated.
    """

    def __init__(self, message: str, *, url_path: str) -> None:
        self.url_path = url_path
        super().__init__(message)


class ShutdownError(SsgError):
    """`ssg serve` shut down before its work was done (the process exits 1).

    Attributes:
        requests: requests answered 503 after the grace period.
        regenerations: regenerations cancelled (their previous pages stay).
    """

    def __init__(self, message: str, *, requests: int, regenerations: int) -> None:
        self.requests = requests
        self.regenerations = regenerations
        super().__init__(message)
