"""Connection hygiene of `ssg serve`: the open-file limit, a connection cap, accept failures.

aiohttp accepts every connection it is offered and leaves limits to the
application (aiohttp issue #675); idle and slow-header connections are closed
by aiohttp's own keep-alive timeout, which starts when a connection opens.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

logger = logging.getLogger("ssg.server")

RESERVED_FILES = 64
"""Open files kept free of connections: ISR entries, the data cache, logs, workers."""

ACCEPT_FAILURE_MESSAGE = "socket.accept() out of system resource"


def raise_open_file_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit.

    The common soft limit is 1,024 open files while the hard limit is often far
    higher; every connection holds one file descriptor.

    Returns:
        The soft limit now in force (open files).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            logger.warning("Could not raise the open-file limit from %d to %d: %s", soft, hard, exc)
    return soft


def connection_cap(max_connections: int, open_file_limit: int) -> int:
    """The number of connections kept open at most.

    | max_connections | open files | cap    |
    | --------------- | ---------- | ------ |
    | 4096            | 20000      | 4096   |
    | 4096            | 1024       | 960    |
    | 4096            | 100        | 36     |

    Args:
        max_connections: the configured cap (connections).
        open_file_limit: the soft RLIMIT_NOFILE (open files).

    Returns:
        The cap, leaving RESERVED_FILES descriptors (or a third of a tiny limit) free.
    """
    reserve = min(RESERVED_FILES, open_file_limit // 3)
    return max(1, min(max_connections, open_file_limit - reserve))


class ConnectionCap:
    """Keep at most `cap` connections: a new one beyond it closes the oldest idle one.

    Closing an idle connection (waiting for its first or next request) instead
    of refusing the new one means a flood of idle or slowloris connections
    cannot lock visitors out; a connection whose request is being answered is
    never closed.

    Args:
        cap: connections kept at most.
        busy: the connections with a request in progress (their RequestHandler).
    """

    def __init__(self, cap: int, busy: Callable[[], Iterable[Any]]) -> None:
        self.cap = cap
        self._busy = busy
        self._warned = False

    def install(self, server: web.Server) -> None:
        """Watch `server`'s connections (wraps its connection_made, the one seam aiohttp has)."""
        original = server.connection_made

        def connection_made(handler: RequestHandler, transport: asyncio.Transport) -> None:
            original(handler, transport)
            self._enforce(server)

        setattr(server, "connection_made", connection_made)  # noqa: B010

    def _enforce(self, server: web.Server) -> None:
        connections = server.connections  # oldest first
        excess = len(connections) - self.cap
        if excess <= 0:
            return
        busy = set(self._busy())
        for handler in connections[:-1]:
            if excess <= 0:
                break
            if handler in busy:
                continue
            handler.force_close()
            excess -= 1
        if not self._warned:
            self._warned = True
            logger.warning(
                "More than %d connections open: closing the oldest idle ones (logged once). "
                "Raise max_connections in ssg.toml or the open-file limit (ulimit -n) if "
                "these are real visitors.",
                self.cap,
            )


class MalformedRequestFilter(logging.Filter):
    """Drop aiohttp's traceback for a request it could not parse (answered 400).

    aiohttp logs "Error handling request" with a traceback for every malformed
    request line or header, ~0.5 KB each: anyone could fill the disk with it.
    The access log keeps one line per such request.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, HttpProcessingError)


class AcceptFailureLog:
    """A loop exception handler that logs `accept()` running out of files once, not per attempt.

    asyncio logs a traceback for every failed accept of the backlog and retries
    each second; under a descriptor flood that is megabytes of log per second.
    It schedules one retry per failed accept (CPython issue #151615), and a
    retry that comes after the server closed its socket fails with "Invalid
    file descriptor: -1": nothing is wrong then, so that is not logged either.
    Other errors go to the loop's default handler.
    """

    def __init__(self) -> None:
        self.failures = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if _is_retry_on_a_closed_socket(context):
            return
        if context.get("message") != ACCEPT_FAILURE_MESSAGE:
            loop.default_exception_handler(context)
            return
        self.failures += 1
        if self.failures == 1:
            logger.error(
                "Cannot accept connections: %s. New visitors wait until connections close "
                "(logged once). Raise the open-file limit (ulimit -n) or lower "
                "max_connections in ssg.toml.",
                context.get("exception"),
            )


def _is_retry_on_a_closed_socket(context: dict[str, Any]) -> bool:
    """True for asyncio's accept retry (`_start_serving`) failing on a closed listening socket."""
    callback = getattr(context.get("handle"), "_callback", None)
    return (
        getattr(callback, "__name__", None) == "_start_serving"
        and isinstance(context.get("exception"), ValueError)
        and any(getattr(arg, "fileno", lambda: 0)() == -1 for arg in context["handle"]._args)
    )
