"""Call a route handler and turn what it returns into a HandlerResponse."""

from __future__ import annotations

import json as jsonlib
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

from ssg.errors import HandlerReturnError
from ssg.modules import SiteModule, call_user
from ssg.route_handlers.request import Request
from ssg.route_handlers.response import Response
from ssg.routing.definitions import Params

if TYPE_CHECKING:
    from aiohttp import web


@dataclass(frozen=True)
class HandlerResponse:
    """A route handler's response, fully read.

    Attributes:
        status: the HTTP status.
        header_items: (name, value) pairs, Content-Type included.
        body: the body bytes.
    """

    status: int
    header_items: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def content_type(self) -> str:
        """The Content-Type header value ("application/octet-stream" when absent)."""
        for name, value in self.header_items:
            if name.lower() == "content-type":
                return value
        return "application/octet-stream"


def allowed_methods(module: SiteModule) -> list[str]:
    """The methods a route answers: its handlers, HEAD when GET exists, and OPTIONS."""
    methods = set(module.handlers)
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    order = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    return [m for m in order if m in methods]


def to_handler_response(value: Any) -> HandlerResponse:
    """Turn a handler's return value into a HandlerResponse.

    | returned                      | sent as                              |
    | ----------------------------- | ------------------------------------ |
    | ssg.Response                  | as is (status, headers, body)        |
    | aiohttp web.Response          | as is (status, headers, body)        |
    | dict or list                  | 200 application/json                 |
    | str                           | 200 text/plain; charset=utf-8        |
    | bytes                         | 200 application/octet-stream         |
    | None                          | 204 No Content                       |

    Raises:
        HandlerReturnError: any other value (a streaming response included).
    """
    if isinstance(value, Response):
        headers = [(k, v) for k, v in value.headers.items() if k.lower() != "content-length"]
        return HandlerResponse(value.status, tuple(headers), value.body)
    if _is_web_response(value):
        body = value.body
        if body is None:
            data = b""
        elif isinstance(body, bytes | bytearray):
            data = bytes(body)
        else:
            raise HandlerReturnError(
                "returned a web.Response with a streaming body; return bytes, str or a dict",
                value_type=type(value).__name__,
            )
        headers = list(value.headers.items())
        # set_cookie() keeps cookies apart until aiohttp prepares the response; add
        # them as aiohttp would (one Set-Cookie each), or they would be lost.
        headers.extend(
            ("Set-Cookie", morsel.output(header="")[1:]) for morsel in value.cookies.values()
        )
        if not any(k.lower() == "content-type" for k, _ in headers) and value.content_type:
            ctype = value.content_type
            if value.charset:
                ctype += f"; charset={value.charset}"
            headers.append(("Content-Type", ctype))
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        return HandlerResponse(value.status, tuple(headers), data)
    if isinstance(value, dict | list):
        data = jsonlib.dumps(value, ensure_ascii=False, default=str).encode()
        return HandlerResponse(200, (("Content-Type", "application/json; charset=utf-8"),), data)
    if isinstance(value, str):
        return HandlerResponse(
            200, (("Content-Type", "text/plain; charset=utf-8"),), value.encode("utf-8")
        )
    if isinstance(value, bytes | bytearray):
        return HandlerResponse(200, (("Content-Type", "application/octet-stream"),), bytes(value))
    if value is None:
        return HandlerResponse(204, (), b"")
    raise HandlerReturnError(
        f"returned {type(value).__name__}; return an ssg.Response (or aiohttp web.Response), "
        "a dict or list (JSON), a str (text) or bytes",
        value_type=type(value).__name__,
    )


async def call_handler(
    module: SiteModule,
    method: str,
    request: Request,
    params: Params,
    *,
    prerender: bool = False,
    file_name: str | None = None,
) -> HandlerResponse:
    """Run the handler for `method` (HEAD falls back to GET) and read its response.

    The caller answers OPTIONS and unsupported methods (405) itself.

    Args:
        prerender: the response is kept as a file (a build, a regeneration): a
            handler that returns nothing is then a mistake, as Next.js's "No
            response is returned from route handler" (a static host would
            serve the empty file as 200), not the 204 a per-request call gives.
        file_name: the module's file as messages name it (site-relative);
            its absolute path by default.

    Raises:
        HandlerReturnError: the handler returned something unsendable, or None
            when prerendered (naming the file).
        Whatever the handler raises (NotFound and Redirect included).
    """
    fn = module.handlers.get(method) or (module.handlers.get("GET") if method == "HEAD" else None)
    if fn is None:
        raise LookupError(method)
    value = await call_user(fn, request, params)
    where = file_name or str(module.source_file)
    if value is None and prerender:
        raise HandlerReturnError(
            f"{fn.__name__} returned None (a missing return?); a prerendered route handler "
            "must return its body: a dict or list (JSON), a str, bytes or an ssg.Response "
            "(ssg.Response(status=204) for an intended empty one)",
            value_type="NoneType",
            source_file=where,
        )
    try:
        response = to_handler_response(value)
    except HandlerReturnError as exc:
        raise HandlerReturnError(
            f"{fn.__name__} {exc}", value_type=exc.value_type, source_file=where
        ) from None
    if method == "HEAD":
        return HandlerResponse(response.status, response.header_items, b"")
    return response


def _is_web_response(value: object) -> TypeGuard[web.Response]:
    """True for an aiohttp web.Response, without importing aiohttp (slow to import) for builds
    whose handlers never made one: a handler that returns one has imported the module
    the class lives in (`from aiohttp.web_response import json_response` included)."""
    module = sys.modules.get("aiohttp.web_response")
    return module is not None and isinstance(value, module.Response)
