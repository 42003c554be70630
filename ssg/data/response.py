"""FetchResponse: the already-read response ssg.fetch returns (and the data cache stores)."""

from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy


@dataclass(frozen=True)
class FetchResponse:
    """A fully read HTTP response; picklable so the data cache can store it.

    Attributes:
        status: the HTTP status code.
        header_items: the response headers as (name, value) pairs, in order.
        body: the body bytes.
        url: the URL that was fetched.
    """

    status: int
    header_items: tuple[tuple[str, str], ...]
    body: bytes
    url: str

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """Case-insensitive read-only headers."""
        return CIMultiDictProxy(CIMultiDict(self.header_items))

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status < 300

    def text(self, encoding: str = "utf-8") -> str:
        """The body decoded (invalid bytes replaced)."""
        return self.body.decode(encoding, errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON.

        Raises:
            ValueError: the body is not JSON.
        """
        return jsonlib.loads(self.body)
