"""The documentation pages: content/docs/*.md, ordered by their `weight` front matter."""

import ssg
from ssg.content import Entry, load_collection


@ssg.cache
def pages() -> list[Entry]:
    """Every page, lightest `weight` first (then by title)."""
    found = load_collection("content/docs")
    return sorted(found, key=lambda page: (page.metadata.get("weight", 100), page.title))


def page_url(page: Entry) -> str:
    """A page's URL path."""
    return f"/docs/{page.slug}"
