"""Content helpers: Markdown folders with YAML, TOML or Pelican front matter -> entries."""

from __future__ import annotations

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
