"""The requests a server is answering: for the connection cap and for shutdown's 503s."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ssg.plural import plural
from ssg.server.responses import DYNAMIC_CACHE_CONTROL

logger = logging.getLogger("ssg.server")


class InFlight:
    """Requests being answered (their task -> the connection).

    The connection cap never closes a busy connection; at the end of
    shutdown's grace period the stragglers are answered 503 (see `abandon`).
    Requests answered from prebuilt bytes never appear here: they are
    answered without awaiting anything.
    """

    def __init__(self) -> None:
        self._tasks: dict[asyncio.Task[Any], Any] = {}
        self._abandoning: set[asyncio.Task[Any]] = set()
        self.abandoned = 0

    def busy_connections(self) -> list[Any]:
        """The connections (aiohttp protocols) with a request being answered."""
        return list(self._tasks.values())

    async def answer(
        self,
        request: web.Request,
        handle: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """`handle(request)`, tracked; a 503 instead when `abandon` cancels it."""
        task = asyncio.current_task()  # aiohttp runs each handler in a task of its own
        assert task is not None
        self._tasks[task] = request.protocol
        try:
            return await handle(request)
        except asyncio.CancelledError:
            if task not in self._abandoning:
                raise
            self._abandoning.discard(task)
            task.uncancel()  # the cancellation was ours and is answered here
            self.abandoned += 1
            return web.Response(
                status=503,
                text="503 Service Unavailable: the server is shutting down; retry shortly.\n",
                headers={
                    "Retry-After": "5",
                    "Connection": "close",
                    "Cache-Control": DYNAMIC_CACHE_CONTROL,
                },
            )
        finally:
            self._tasks.pop(task, None)

    def abandon(self) -> int:
        """Answer every request still being answered with 503 (shutdown's grace is over).

        The render behind a request is not waited for; the client gets a 503
        with `Retry-After` and `Connection: close` instead of a dropped connection.

        Returns:
            The number of requests abandoned.
        """
        tasks = [task for task in self._tasks if not task.done()]
        for task in tasks:
            self._abandoning.add(task)
            task.cancel()
        if tasks:
            logger.warning(
                "Shutdown: answered %s still in progress with 503.", plural(len(tasks), "request")
            )
        return len(tasks)
