"""ssg: a Python static site generator with Next.js App Router semantics and ISR.

The public API, for page, layout and route modules::

    import ssg

    async def load(params):
        posts = (await ssg.fetch("/api/posts", revalidate=60)).json()
        return {"posts": posts}

The exceptions a page may catch: `FetchError` (ssg.fetch failed),
`RevalidateError` (a bad revalidate_path/revalidate_tag argument), and their
base `SsgError`; `ControlFlow` (`NotFound`, `Redirect`) is what not_found() and
redirect() raise, so a broad `except Exception` should re-raise it::

    try:
        post = (await ssg.fetch(url)).json()
    except ssg.ControlFlow:
        raise
    except ssg.FetchError:
        post = None
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ssg import content
    from ssg.data.decorator import cache
    from ssg.data.fetch import fetch
    from ssg.data.response import FetchResponse
    from ssg.errors import (
        ControlFlow,
        FetchError,
        NotFound,
        Redirect,
        RevalidateError,
        SsgError,
    )
    from ssg.isr.api import revalidate_path, revalidate_tag
    from ssg.isr.cdn_tags import cdn_purge_tags, cdn_tag
    from ssg.render.api import (
        cookies,
        headers,
        not_found,
        permanent_redirect,
        redirect,
        search_params,
        site_config,
    )
    from ssg.route_handlers.feeds import feed, sitemap
    from ssg.route_handlers.request import Request
    from ssg.route_handlers.response import Response

__version__ = "0.1.0"

__all__ = [
    "ControlFlow",
    "FetchError",
    "FetchResponse",
    "NotFound",
    "Redirect",
    "Request",
    "Response",
    "RevalidateError",
    "SsgError",
    "__version__",
    "cache",
    "cdn_purge_tags",
    "cdn_tag",
    "content",
    "cookies",
    "feed",
    "fetch",
    "headers",
    "not_found",
    "permanent_redirect",
    "redirect",
    "revalidate_path",
    "revalidate_tag",
    "search_params",
    "site_config",
    "sitemap",
]

_HOMES = {
    "content": "ssg.content",
    "cache": "ssg.data.decorator",
    "fetch": "ssg.data.fetch",
    "FetchResponse": "ssg.data.response",
    **dict.fromkeys(
        ("ControlFlow", "FetchError", "NotFound", "Redirect", "RevalidateError", "SsgError"),
        "ssg.errors",
    ),
    "revalidate_path": "ssg.isr.api",
    "revalidate_tag": "ssg.isr.api",
    "cdn_purge_tags": "ssg.isr.cdn_tags",
    "cdn_tag": "ssg.isr.cdn_tags",
    **dict.fromkeys(
        (
            "cookies",
            "headers",
            "not_found",
            "permanent_redirect",
            "redirect",
            "search_params",
            "site_config",
        ),
        "ssg.render.api",
    ),
    "feed": "ssg.route_handlers.feeds",
    "sitemap": "ssg.route_handlers.feeds",
    "Request": "ssg.route_handlers.request",
    "Response": "ssg.route_handlers.response",
}
"""Where each public name lives: imported on first use (PEP 562), so `ssg dev`'s
supervisor and the CLI do not import the renderer, the data layer and ISR at start-up."""


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access (PEP 562 module `__getattr__`).

    Raises:
        AttributeError: `name` is not part of the public API.
    """
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'ssg' has no attribute {name!r}")
    module = importlib.import_module(home)
    value = module if home == f"ssg.{name}" else getattr(module, name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
