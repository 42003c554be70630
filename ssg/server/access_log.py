"""One access-log line per request, handed to logging in batches so the HIT path stays cheap."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from ssg.server.responses import CACHE_HEADER

ACCESS_LOGGER = "ssg.access"
FLUSH_INTERVAL_SECONDS = 0.2
MAX_BUFFERED_LINES = 512


class AccessLogBuffer:
    """Collects access-log lines and emits them as one logging record per batch.

    A logging record costs more than the rest of a cached response (record
    creation, caller lookup, a write syscall per flush), so lines are joined
    and logged every FLUSH_INTERVAL_SECONDS or MAX_BUFFERED_LINES, whichever
    comes first (bench/serve.py shows the throughput this keeps). Lines reach the
    log at most FLUSH_INTERVAL_SECONDS late; a kill -9 loses at most that much.

    Args:
        logger: where batches go (INFO), normally "ssg.access".
    """

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self._lines: list[str] = []

    def add(self, line: str) -> None:
        """Queue one line; flush when the batch is full."""
        self._lines.append(line)
        if len(self._lines) >= MAX_BUFFERED_LINES:
            self.flush()

    def flush(self) -> None:
        """Emit the queued lines now."""
        if self._lines:
            batch = "\n".join(self._lines)
            self._lines.clear()
            self.logger.info(batch)

    async def run(self, _app: web.Application) -> AsyncIterator[None]:
        """An aiohttp cleanup context: flush periodically while the app runs, and at the end."""
        task = asyncio.create_task(self._flush_periodically())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.flush()

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_SECONDS)
            self.flush()


def access_logger_class(buffer: AccessLogBuffer) -> type[AbstractAccessLogger]:
    """An aiohttp access logger class writing into `buffer`.

    aiohttp makes one access logger per connection, so the shared buffer is
    bound into the class here rather than kept in module state.

    Each line: `127.0.0.1 "GET /blog/a" 200 5120 HIT 0.4ms` (client, method,
    raw target, status, body bytes or -1, X-SSG-Cache or -, handling time).
    """

    class BufferedAccessLogger(AbstractAccessLogger):
        @property
        def enabled(self) -> bool:
            return buffer.logger.isEnabledFor(logging.INFO)

        def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
            length = response.content_length
            buffer.add(
                f'{request.remote or "-"} "{request.method} {request.raw_path}" '
                f"{response.status} {-1 if length is None else length} "
                f"{response.headers.get(CACHE_HEADER, '-')} {time * 1000:.1f}ms"
            )

        def log_prebuilt(
            self, remote: str, method: str, target: str, status: int, length: int
        ) -> None:
            """The same line for a fresh HIT answered from prebuilt bytes (see hit_protocol)."""
            buffer.add(f'{remote} "{method} {target}" {status} {length} HIT 0.0ms')

    return BufferedAccessLogger
