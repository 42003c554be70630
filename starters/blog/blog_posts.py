"""The blog's posts: every page reads them from here (content/posts, newest first).

Drafts (`draft: true`) and posts dated in the future are left out by
`ssg build` and `ssg serve`, and shown by `ssg build --drafts` and `ssg dev`.
"""

from urllib.parse import quote

import ssg
from ssg.content import Collection, Entry, load_collection


@ssg.cache
def posts() -> Collection:
    """Every published post, newest first (parsed once per build)."""
    return load_collection("content/posts")


def post_url(entry: Entry) -> str:
    """A post's URL path."""
    return f"/blog/{entry.slug}"


def card(entry: Entry) -> dict:
    """A post as the theme's post_list and article macros read it."""
    return {
        "title": entry.title,
        "url": post_url(entry),
        "date": entry.date,
        "summary": entry.summary,
        "authors": list(entry.authors),
        "reading_time_minutes": entry.reading_time_minutes,
        "draft": entry.draft,
        # The theme links each tag to its url: app/tags/[tag] (one segment, so "CI/CD"
        # becomes ci-cd's page).
        "tags": [{"name": tag, "url": tag_url(tag)} for tag in entry.tags],
        "html": entry.html,
        "toc": entry.toc,
    }


def tag_slug(tag: str) -> str:
    """A tag as one URL segment, which cannot hold "/": "CI/CD" -> "CI-CD", "C++" -> "C++"."""
    return tag.replace("/", "-").strip() or "-"


def tag_url(tag: str) -> str:
    """A tag's page: "/tags/CI-CD" (percent-encoded, as links must be: "C++" -> "C%2B%2B")."""
    return "/tags/" + quote(tag_slug(tag), safe="")


@ssg.cache
def tags() -> dict[str, tuple[str, list[Entry]]]:
    """Tag slug (`tag_slug`) -> (the tag as first written, its posts newest first), by slug."""
    found: dict[str, tuple[str, list[Entry]]] = {}
    for entry in posts():
        for tag in entry.tags:
            found.setdefault(tag_slug(tag), (tag, []))[1].append(entry)
    return dict(sorted(found.items()))
