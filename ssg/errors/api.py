"""What ssg's public API raises to the site code calling it: a failed fetch, a bad
argument (reported at the calling line), a call outside a render, a bad handler return."""

from __future__ import annotations

import sys
from types import FrameType

from ssg.errors.base import SsgError


class FetchError(SsgError):
    """ssg.fetch could not get a response.

    Attributes:
        url: the URL as given to ssg.fetch.
        route_pattern: the route being rendered when it failed, if any.
        closest_route: for a relative URL with no matching route, the nearest one.
        source_file: the site file that called ssg.fetch (relative to the site), where known.
        line: the line of that call, where known.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        route_pattern: str | None = None,
        closest_route: str | None = None,
        source_file: str | None = None,
        line: int | None = None,
    ) -> None:
        self.url = url
        self.route_pattern = route_pattern
        self.closest_route = closest_route
        self.source_file = source_file
        self.line = line
        super().__init__(message)


class HandlerReturnError(SsgError, TypeError):
    """A route handler returned a value ssg cannot send (a set, a streaming response...).

    Attributes:
        value_type: the returned value's type name, e.g. "set".
        source_file: the route.py that returned it, where known.
    """

    def __init__(self, message: str, *, value_type: str, source_file: str | None = None) -> None:
        self.value_type = value_type
        self.source_file = source_file
        super().__init__(f"{source_file}: {message}" if source_file else message)


class OutsideRenderError(SsgError, RuntimeError):
    """An API that needs a render (or the server's event loop) was called elsewhere.

    Attributes:
        call: the API as users write it, e.g. "cookies()".
    """

    def __init__(self, message: str, *, call: str) -> None:
        self.call = call
        super().__init__(message)


class ArgumentError(SsgError, TypeError, ValueError):
    """A public function or class of ssg got an argument it cannot use.

    Both a TypeError and a ValueError, so code that catches either keeps
    working (as numpy's `AxisError(ValueError, IndexError)`). The message
    starts with the file and line that made the call: the first frame on the
    stack outside ssg, the standard library and installed packages.

    Attributes:
        call: the API as users write it, e.g. "ssg.Response".
        source_file: the calling file (absolute), or None when not found.
        line: the calling line, or None.
    """

    def __init__(self, message: str, *, call: str) -> None:
        self.call = call
        self.source_file, self.line = _calling_line()
        where = f"{self.source_file}:{self.line}: " if self.source_file else ""
        super().__init__(f"{where}{message}")


class RevalidateError(ArgumentError):
    """ssg.revalidate_path or ssg.revalidate_tag got an argument it cannot use.

    Attributes:
        call: "revalidate_path" or "revalidate_tag".
        value: the argument as given.
        (source_file, line: as ArgumentError.)
    """

    def __init__(self, message: str, *, call: str, value: object) -> None:
        self.value = value
        super().__init__(message, call=call)


_PACKAGE_DIR = __file__.rsplit("/", 2)[0] + "/"
"""The ssg package (this file is ssg/errors/api.py): frames in it are not the caller."""

_LIBRARY_DIRS = tuple({sys.prefix + "/", sys.base_prefix + "/", sys.exec_prefix + "/"})


def _calling_line() -> tuple[str | None, int | None]:
    """The innermost frame outside ssg, the standard library and installed packages."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        file = frame.f_code.co_filename
        if not file.startswith((_PACKAGE_DIR, "<", *_LIBRARY_DIRS)):
            return file, frame.f_lineno
        frame = frame.f_back
    return None, None
