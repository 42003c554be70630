"""The route table after a build reads as rich's borderless table, whatever fits the console;
the summary's figures read as English."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ssg.builder.report import _route_table, page_rate

ROWS = [
    ("○", "/", "page", "1", ""),
    ("ISR 3600s", "/authors/[author]", "page", "165", "/authors/a, /authors/b, +163 more"),
    ("●", "/日本/[slug]", "handler", "123456", "rendered on demand"),
    ("ƒ", "/api/é", "page", "0", "dynamic: used cookies(); " + "x" * 70),
]


def _rich_table(rows: list[tuple[str, str, str, str, str]]) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column(Text(""), no_wrap=True)
    table.add_column(Text("Route"))
    table.add_column(Text("Kind"))
    table.add_column(Text("Pages"), justify="right")
    table.add_column(Text("Notes"))
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def _printed(renderable: object, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable, highlight=False, emoji=False)
    return console.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", [40, 80, 120, 200])
@pytest.mark.parametrize("count", [0, 1, 2, 4])
def test_the_route_table_is_laid_out_as_a_borderless_rich_table(width: int, count: int) -> None:
    rows = ROWS[:count]
    assert _printed(_route_table(rows, width), width) == _printed(_rich_table(rows), width)


@pytest.mark.parametrize(
    ("pages", "seconds", "shown"),
    [
        (2563, 2.12, " (1,209 pages/s)"),
        (1, 0.19, " (5.3 pages/s)"),
        (1, 1.0, " (1 page/s)"),
        (1, 25.0, " (0.04 pages/s)"),
        (0, 0.05, ""),
        (3, 0.0, ""),
    ],
    ids=["many", "under-ten", "one", "under-one", "no-pages", "no-time"],
)
def test_the_page_rate_reads_as_english(pages: int, seconds: float, shown: str) -> None:
    assert page_rate(pages, seconds) == shown
