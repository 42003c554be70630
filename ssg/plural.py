"""How messages count things: "1 page", "2 pages", "0 pages", "2,563 pages"."""

from __future__ import annotations


def plural(number: int, noun: str, nouns: str | None = None) -> str:
    """`number` and `noun`, in the plural unless the number is 1, with thousands separators.

    | number, noun, nouns | result |
    | --- | --- |
    | 1, "page" | "1 page" |
    | 0, "page" | "0 pages" |
    | 2563, "page" | "2,563 pages" |
    | 2, "entry", "entries" | "2 entries" |

    Args:
        number: how many.
        noun: the singular ("page", "broken link").
        nouns: the plural where it is not `noun` + "s".
    """
    if number == 1:
        return f"1 {noun}"
    return f"{number:,} {nouns if nouns is not None else noun + 's'}"
