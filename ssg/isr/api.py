"""`ssg.revalidate_path` and `ssg.revalidate_tag`: on-demand revalidation from route handlers."""

from __future__ import annotations

import logging

from ssg.errors import RevalidateError
from ssg.isr.tags import path_tag
from ssg.scope import RenderScope, require_scope

logger = logging.getLogger("ssg.isr")


def _scope(call: str) -> RenderScope:
    return require_scope(call, "inside a route handler (app/**/route.py) or a page's load()")


def revalidate_path(url_path: str, type: str | None = None) -> int:
    """Mark the cached pages a path names stale, as Next.js revalidatePath.

    A plain call (no `await`), usable from sync and async route handlers; it
    takes effect before it returns: the next request for such a page gets the
    stale page and starts one background regeneration, and the request after
    that gets the new page. Saving the mark for other workers and restarts
    happens in the background.

    | call                                         | pages marked                     |
    | -------------------------------------------- | -------------------------------- |
    | `revalidate_path("/blog/hello")`             | the page at that URL             |
    | `revalidate_path("/blog/[slug]", "page")`    | every page of that route         |
    | `revalidate_path("/blog", "layout")`         | every page under /blog's layout  |

    During `ssg build` there is nothing to mark: the call is a logged no-op.

    Args:
        url_path: a URL path, or a route pattern with `type`.
        type: None, "page" or "layout" (`ssg.isr.tags.PathType`).

    Returns:
        How many cached pages were marked stale (0 during a build).

    Raises:
        OutsideRenderError: called outside a render.
        RevalidateError: a bad `type`, or a `[param]` pattern without a type.
    """
    scope = _scope("revalidate_path()")
    try:
        path_tag(url_path, type)
    except ValueError as exc:
        raise RevalidateError(
            f"ssg.revalidate_path({url_path!r}): {exc}", call="revalidate_path", value=url_path
        ) from exc
    revalidator = scope.services.revalidator
    if revalidator is None:
        logger.info(
            "ssg.revalidate_path(%r) in %s during the build: nothing is cached yet, so "
            "there is nothing to revalidate.",
            url_path,
            scope.route_pattern,
        )
        return 0
    return revalidator.revalidate_path(url_path, type)


def revalidate_tag(tag: str) -> int:
    """Drop data cache entries tagged `tag` and mark pages that used it stale (as Next.js).

    A plain call (no `await`) that takes effect before it returns, like
    `revalidate_path`. During `ssg build` only the data cache entries are
    dropped (no pages are cached yet), so later fetches in the build get
    fresh data.

    Returns:
        How many cached pages were marked stale (0 during a build).

    Raises:
        OutsideRenderError: called outside a render.
        RevalidateError: `tag` is not a non-empty str.
    """
    scope = _scope("revalidate_tag()")
    if not isinstance(tag, str) or not tag:
        raise RevalidateError(
            f"ssg.revalidate_tag({tag!r}): the tag must be a non-empty str",
            call="revalidate_tag",
            value=tag,
        )
    revalidator = scope.services.revalidator
    if revalidator is None:
        if scope.services.store is not None:
            scope.services.store.revalidate_tag(tag)
        return 0
    return revalidator.revalidate_tag(tag)
