"""The connections of `ssg serve`: aiohttp's, with fresh HITs written from prebuilt bytes.

aiohttp parses every request (its C parser) and queues it for a task that
builds a request object, runs the handler in a task of its own, and
serialises a response object. For a page that is a fresh HIT the answer is
already known bytes (see PageResponses.prebuilt), so `HitRequestHandler`
writes them as soon as the parser hands the request over, and leaves every
other request to aiohttp untouched, in arrival order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from aiohttp import web
from aiohttp.http import HttpVersion11
from aiohttp.http_parser import RawRequestMessage
from aiohttp.streams import EMPTY_PAYLOAD
from aiohttp.web_protocol import RequestHandler

if TYPE_CHECKING:
    from ssg.server.page_responses import PrebuiltResponse

logger = logging.getLogger("ssg.server")

PrebuiltAnswers = Callable[[str], "PrebuiltResponse | None"]
"""Raw request target -> its prebuilt response, or None to let aiohttp answer."""

PREBUILT_METHODS = frozenset({"GET", "HEAD"})
HANDLER_HEADERS = (
    "If-Modified-Since",
    "If-Match",
    "If-Unmodified-Since",
    "If-Range",
    "Range",
    "Expect",
)
"""Request headers that may change the answer (304, 412, 206, 100): the handler decides.
If-None-Match is answered here when it is exactly the page's ETag (a 304), else there."""

_AIOHTTP_STATE = (
    "_messages",
    "_waiter",
    "_parser",
    "_force_close",
    "_close",
    "_buffer_paused",
    "_upgraded",
    "_keepalive_timeout",
    "_next_keepalive_close_time",
    "_keepalive_handle",
    "_process_keepalive",
    "_logging_enabled",
    "access_logger",
)
"""The RequestHandler state the prebuilt path reads and keeps as aiohttp's request loop does."""


@runtime_checkable
class PrebuiltLog(Protocol):
    """An access logger that can log an answer made without request or response objects."""

    def log_prebuilt(self, remote: str, method: str, target: str, status: int, length: int) -> None:
        """Log one prebuilt HIT: 200 (`length`: the body's bytes, also for HEAD, as aiohttp) or 304."""
        ...


def prebuilt_supported() -> bool:
    """True when the installed aiohttp keeps the connection state the prebuilt path relies on."""
    names = {
        name
        for cls in RequestHandler.__mro__
        for name in (*getattr(cls, "__slots__", ()), *vars(cls))
    }
    return all(name in names for name in _AIOHTTP_STATE)


class HitRequestHandler(RequestHandler):
    """aiohttp's connection protocol, answering fresh HITs from prebuilt bytes.

    A request is answered here only when the connection is idle (aiohttp's
    request loop waits for its next request, nothing queued), it is an
    HTTP/1.1 GET or HEAD without a body, `Connection: close`, upgrade or any
    header in HANDLER_HEADERS, and `answers` has bytes for its target; a GET
    whose If-None-Match is exactly the page's ETag gets the 304. The
    keep-alive timer moves on as aiohttp's loop moves it; the access log gets
    the same line. While the transport's buffer is over its high-water mark
    (a client that does not read), nothing is answered here. Anything else,
    and everything after it in a pipelined batch, goes to aiohttp's loop as usual.
    """

    __slots__ = ("_answers", "_hit_server", "_prebuilt_log", "_remote")

    def __init__(self, manager: HitServer, *, answers: PrebuiltAnswers, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._hit_server = manager
        self._answers = answers
        logger_ = self.access_logger
        self._prebuilt_log = logger_ if isinstance(logger_, PrebuiltLog) else None
        self._remote: str | None = None

    def data_received(self, data: bytes) -> None:
        waiter = self._waiter
        if (
            waiter is None
            or waiter.done()
            or self._messages
            or self.writing_paused
            or (self._logging_enabled and self._prebuilt_log is None)
        ):
            super().data_received(data)
            return
        # aiohttp's loop waits for a request: parse with its wake-up held back,
        # answer what has prebuilt bytes, then wake it for the rest.
        self._waiter = None
        try:
            super().data_received(data)
        finally:
            self._waiter = waiter
        messages, parser = self._messages, self._parser
        # Once the client reads slower than it asks (the transport paused writing),
        # the rest waits in aiohttp's loop, which drains before each answer.
        while (
            messages and parser is not None and not self._buffer_paused and not self.writing_paused
        ):
            message, payload = messages[0]
            if not isinstance(message, RawRequestMessage):
                break  # a parse error: aiohttp answers 400
            answer = self._prebuilt(message, payload)
            if answer is None:
                break
            messages.popleft()
            parser.message_consumed()
            self._answered(answer)
            self._hit_server.prebuilt_answers += 1
        if messages and not waiter.done():
            waiter.set_result(None)

    def _prebuilt(self, message: RawRequestMessage, payload: Any) -> bytes | None:
        """The bytes answering `message`, or None to let aiohttp's loop answer it."""
        if (
            self._force_close
            or self._close
            or payload is not EMPTY_PAYLOAD
            or message.method not in PREBUILT_METHODS
            or message.version != HttpVersion11
            or message.should_close
            or message.upgrade
        ):
            return None
        headers = message.headers
        for name in HANDLER_HEADERS:
            if name in headers:
                return None
        answer = self._answers(message.path)
        if answer is None:
            return None
        if "If-None-Match" in headers:
            # Only the plain case: one header naming exactly this ETag on a GET (RFC 9110
            # 13.1.2: weak comparison, so W/ matches too); lists, "*" and HEAD go to the handler.
            candidates = headers.getall("If-None-Match")
            etag = answer.etag
            if (
                message.method != "GET"
                or len(candidates) != 1
                or candidates[0] not in (etag, "W/" + etag)
            ):
                return None
            self._log(message, 304, 0)
            return answer.not_modified
        self._log(message, 200, len(answer.body))
        if message.method == "GET":
            return answer.head + answer.body
        return answer.head

    def _answered(self, answer: bytes) -> None:
        transport = self.transport
        assert transport is not None  # data arrived on it
        transport.write(answer)
        if self._keepalive_timeout > 0:  # as aiohttp's loop after each response
            self._next_keepalive_close_time = self._loop.time() + self._keepalive_timeout
            if self._keepalive_handle is None:
                self._keepalive_handle = self._loop.call_at(
                    self._next_keepalive_close_time, self._process_keepalive
                )

    def _log(self, message: RawRequestMessage, status: int, length: int) -> None:
        """The access-log line of a prebuilt answer (its handling time rounds to 0.0 ms)."""
        if not self._logging_enabled or self._prebuilt_log is None:
            return
        if self._remote is None:
            transport = self.transport
            peer = transport.get_extra_info("peername") if transport is not None else None
            self._remote = str(peer[0]) if isinstance(peer, tuple | list) else "-"
        self._prebuilt_log.log_prebuilt(self._remote, message.method, message.path, status, length)


class HitServer(web.Server):
    """aiohttp's low-level server making HitRequestHandler connections.

    `prebuilt_answers` counts the requests its connections answered from prebuilt bytes.

    Args:
        answers: the prebuilt answers (see PrebuiltAnswers).
        kwargs: web.Server's arguments.
    """

    def __init__(self, *args: Any, answers: PrebuiltAnswers, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._answers = answers
        self._handler_kwargs = kwargs
        self.prebuilt_answers = 0  # requests answered from prebuilt bytes

    def __call__(self) -> RequestHandler:
        kwargs = {k: v for k, v in self._handler_kwargs.items() if k not in _SERVER_ONLY}
        return HitRequestHandler(self, loop=self._loop, answers=self._answers, **kwargs)


_SERVER_ONLY = ("request_factory", "handler_cancellation", "loop")


class HitAppRunner(web.AppRunner):
    """An AppRunner whose connections answer fresh HITs from `answers` (see HitRequestHandler).

    Falls back to aiohttp's own connections, with a debug log line, when the
    installed aiohttp lacks the state the prebuilt path relies on
    (`prebuilt_supported`).

    Args:
        app: the application.
        answers: the prebuilt answers.
        kwargs: web.AppRunner's arguments.
    """

    def __init__(self, app: web.Application, *, answers: PrebuiltAnswers, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._answers = answers

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        if not prebuilt_supported():
            logger.debug("aiohttp's connection state changed: fresh HITs go through the app.")
            return server
        loop = asyncio.get_running_loop()
        return HitServer(
            server.request_handler,
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            loop=loop,
            answers=self._answers,
            **self._kwargs,
        )
