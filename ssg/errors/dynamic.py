"""Reading the request where the route must be static: the signal raised during a static
render (dynamic = "auto"), and the errors when that is not allowed."""

from __future__ import annotations

from ssg.errors.base import SsgError
from ssg.errors.signals import ControlFlow


class DynamicUsage(ControlFlow):
    """A request API was read during a static render with dynamic = "auto".

    The renderer catches it and turns the route dynamic (at build) or fails the
    render (at runtime, as Next.js's "changed from static to dynamic").

    Attributes:
        call: the API used, e.g. "cookies()".
    """

    def __init__(self, call: str) -> None:
        self.call = call
        super().__init__(call)


class DynamicUsageError(SsgError):
    """A request API (cookies(), headers(), ...) was used where the route must be static.

    Attributes:
        route_pattern: the route, e.g. "/x".
        call: the API used, e.g. "cookies()".
        source_file: the file to change (where `dynamic` should be set).
    """

    def __init__(self, message: str, *, route_pattern: str, call: str, source_file: str) -> None:
        self.route_pattern = route_pattern
        self.call = call
        self.source_file = source_file
        super().__init__(message)


class RuntimeDynamicError(DynamicUsageError):
    """A static or ISR route read the request while the server rendered it.

    Next.js fails such a render with "Route ... changed from static to
    dynamic at runtime"; so does ssg, and the last good page keeps being served.
    (Fields as DynamicUsageError; `source_file` is where to set `dynamic`.)
    """

    def __init__(self, route_pattern: str, call: str, source_file: str) -> None:
        super().__init__(
            f"Route {route_pattern} changed from static to dynamic at runtime: it used {call}. "
            f'Set dynamic = "force-dynamic" in {source_file} to render it per request, or '
            "stop reading the request.",
            route_pattern=route_pattern,
            call=call,
            source_file=source_file,
        )
