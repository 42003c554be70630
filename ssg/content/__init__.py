"""Content helpers: Markdown folders with YAML, TOML or Pelican front matter -> entries.

Each name is imported from its module on first use (PEP 562), so importing
`ssg.content` (every site module does, through `ssg`) costs nothing until a
helper is called: a `ssg dev` worker that finds its content already parsed
never imports the Markdown, YAML and Pygments stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ssg.content.collection import Collection
    from ssg.content.dates import ParsedDate, parse_date, parse_date_detailed
    from ssg.content.entry import Entry
    from ssg.content.frontmatter import FrontMatter, parse_front_matter
    from ssg.content.highlight import pygments_css
    from ssg.content.loading import aload_collection, load_collection
    from ssg.content.markdown import Heading, RenderedMarkdown, render_markdown
    from ssg.content.problems import ContentProblem

__all__ = [
    "Collection",
    "ContentProblem",
    "Entry",
    "FrontMatter",
    "Heading",
    "ParsedDate",
    "RenderedMarkdown",
    "aload_collection",
    "load_collection",
    "parse_date",
    "parse_date_detailed",
    "parse_front_matter",
    "pygments_css",
    "render_markdown",
]

_HOMES = {
    "Collection": "collection",
    "ContentProblem": "problems",
    "Entry": "entry",
    "FrontMatter": "frontmatter",
    "Heading": "markdown",
    "ParsedDate": "dates",
    "RenderedMarkdown": "markdown",
    "aload_collection": "loading",
    "load_collection": "loading",
    "parse_date": "dates",
    "parse_date_detailed": "dates",
    "parse_front_matter": "frontmatter",
    "pygments_css": "highlight",
    "render_markdown": "markdown",
}
"""Public name -> the module of this package that defines it."""


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access (PEP 562 module `__getattr__`).

    Raises:
        AttributeError: `name` is not a content helper.
    """
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'ssg.content' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
