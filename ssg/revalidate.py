"""`Revalidate`: how long a page or a data-cache entry stays fresh (never, every request, N s).

The one encoding of `revalidate` from a module's variable to Cache-Control and the
manifest; nothing else compares `False` with `0`. Imports nothing from ssg.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar


class RevalidateKind(enum.Enum):
    """The three meanings of `revalidate` (Next.js route segment config `revalidate`)."""

    NEVER = "never"
    """`revalidate = False`: fresh until revalidated on demand (revalidate_path / _tag)."""
    EVERY_REQUEST = "every_request"
    """`revalidate = 0`: rendered per request, never cached."""
    SECONDS = "seconds"
    """`revalidate = N`: fresh for N seconds after it was generated, then stale."""


@dataclass(frozen=True, slots=True)
class Revalidate:
    """A parsed `revalidate` value; `Revalidate.NEVER`, `Revalidate.EVERY_REQUEST` or `after(N)`.

    Values order by how soon they go stale, and `lowest` picks the soonest, as
    Next.js does for a page: the lowest of its own, its layouts' and every
    cached fetch's revalidate wins.

    | user value | Revalidate            | JSON  | Cache-Control (ssg serve)           |
    | ---------- | --------------------- | ----- | ----------------------------------- |
    | False      | Revalidate.NEVER      | false | s-maxage=31536000                   |
    | 0          | EVERY_REQUEST         | 0     | private, no-cache, ... (dynamic)    |
    | 60         | Revalidate.after(60)  | 60    | s-maxage=60, stale-while-revalidate |

    Attributes:
        kind: what it means.
        seconds: for SECONDS, how long it stays fresh (seconds, > 0); 0.0 otherwise.
    """

    kind: RevalidateKind
    seconds: float = 0.0

    NEVER: ClassVar[Revalidate]
    EVERY_REQUEST: ClassVar[Revalidate]

    def __post_init__(self) -> None:
        if self.kind is RevalidateKind.SECONDS:
            if not (math.isfinite(self.seconds) and self.seconds > 0):
                raise ValueError(f"Revalidate seconds must be finite and > 0, not {self.seconds!r}")
        elif self.seconds != 0.0:
            raise ValueError(f"Revalidate {self.kind.value} takes no seconds")

    @classmethod
    def after(cls, seconds: float) -> Revalidate:
        """Stale `seconds` (> 0) after generation; 0 means every request.

        Raises:
            ValueError: negative, NaN or infinite seconds.
        """
        if seconds == 0:
            return cls.EVERY_REQUEST
        return cls(RevalidateKind.SECONDS, float(seconds))

    @classmethod
    def parse(cls, value: object) -> Revalidate:
        """Parse what a user writes (`revalidate = ...` in a module, `revalidate=` of ssg.fetch).

        | value      | result                                              |
        | ---------- | --------------------------------------------------- |
        | False, inf | NEVER (Next.js: false is "semantically Infinity")   |
        | 0, 0.0     | EVERY_REQUEST                                       |
        | 60, 1.5    | after(60), after(1.5)                               |

        Raises:
            ValueError: True, a non-number (e.g. "60"), a negative number or NaN.
                The message quotes the value; callers add the file and the fix.
        """
        if value is False or value == math.inf:
            return cls.NEVER
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"revalidate = {value!r} is not a number of seconds or False")
        if math.isnan(value) or value < 0:
            raise ValueError(f"revalidate = {value!r} must be a number of seconds >= 0")
        return cls.after(value)

    @classmethod
    def from_json(cls, value: object) -> Revalidate:
        """The inverse of `to_json` (false, 0 or seconds).

        Raises:
            ValueError: anything else.
        """
        return cls.parse(value)

    def to_json(self) -> bool | int | float:
        """False (never), 0 (every request) or the seconds; whole seconds as an int."""
        if self.kind is RevalidateKind.NEVER:
            return False
        return int(self.seconds) if self.seconds.is_integer() else self.seconds

    @property
    def is_never(self) -> bool:
        """True for NEVER (fresh until revalidated on demand)."""
        return self.kind is RevalidateKind.NEVER

    @property
    def is_every_request(self) -> bool:
        """True for EVERY_REQUEST (rendered per request, never cached)."""
        return self.kind is RevalidateKind.EVERY_REQUEST

    @property
    def is_timed(self) -> bool:
        """True for N seconds (incremental static regeneration)."""
        return self.kind is RevalidateKind.SECONDS

    def fresh_until(self, generated_at: float) -> float:
        """Epoch seconds up to which something generated at `generated_at` is fresh.

        `generated_at + N` for N seconds, infinity for NEVER, `generated_at` itself
        for EVERY_REQUEST (fresh is `now <= fresh_until`, as Next.js).
        """
        if self.kind is RevalidateKind.NEVER:
            return math.inf
        return generated_at + self.seconds

    def lowest(self, *others: Revalidate) -> Revalidate:
        """The soonest stale of this value and `others` (EVERY_REQUEST < N s < NEVER)."""
        return min((self, *others), key=_order)

    @classmethod
    def lowest_of(cls, values: Iterable[Revalidate]) -> Revalidate:
        """The soonest stale of `values`; NEVER when there are none."""
        return min(values, key=_order, default=cls.NEVER)

    def __str__(self) -> str:
        """ "never", "every request" or "60s" (as the build's route table shows it)."""
        if self.kind is RevalidateKind.NEVER:
            return "never"
        if self.kind is RevalidateKind.EVERY_REQUEST:
            return "every request"
        return f"{self.to_json()}s"


def _order(value: Revalidate) -> float:
    return math.inf if value.kind is RevalidateKind.NEVER else value.seconds


Revalidate.NEVER = Revalidate(RevalidateKind.NEVER)
Revalidate.EVERY_REQUEST = Revalidate(RevalidateKind.EVERY_REQUEST)
