"""ControlFlow: not errors, but what a page raises on purpose to change the response."""

from __future__ import annotations


class ControlFlow(Exception):
    """Base of the exceptions a page raises on purpose to change the response."""


class NotFound(ControlFlow):
    """Raised by ssg.not_found(): render the nearest not-found page with status 404."""


class Redirect(ControlFlow):
    """Raised by ssg.redirect() (307) and ssg.permanent_redirect() (308).

    Attributes:
        location: the target URL.
        status: 307 or 308.
    """

    def __init__(self, location: str, status: int) -> None:
        self.location = location
        self.status = status
        super().__init__(f"redirect {status} to {location}")
