"""The blog's posts: every page reads them from here (content/posts, newest first).

Drafts (`draft: true`) and posts dated in the future are left out by
`ssg build` and `ssg serve`, and shown by `ssg build --drafts` and `ssg dev`.
"""

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
        "tags": list(entry.tags),  # the theme links each to /tags/<tag> (app/tags/[tag])
        "html": entry.html,
        "toc": entry.toc,
    }


@ssg.cache
def tags() -> dict[str, list[Entry]]:
    """Tag -> its posts, newest first, tags sorted by name."""
    found: dict[str, list[Entry]] = {}
    for entry in posts():
        for tag in entry.tags:
            found.setdefault(tag, []).append(entry)
    return dict(sorted(found.items()))
