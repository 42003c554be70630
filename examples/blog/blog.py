"""The example blog's data: its posts, their URLs, and the listing helpers every route shares.

Posts come from `SSG_CONTENT_DIR` (relative to the current directory) or from this
site's own content/posts/. `ssg.content.load_collection` memoizes the parse for the
whole build, and `@ssg.cache` memoizes the derived lists for the build (or for one
render at serve time), so every route below can call them freely.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import ssg
from ssg.content import Collection, Entry, load_collection

SITE_DIR = Path(__file__).resolve().parent
PAGE_SIZE = 5
# Files in the corpora that are not posts: section indexes (Zola), static pages (Pelican).
EXCLUDE = ("/README.md", "_index.md", "pages/**")
_RAW = re.compile(r"\{\{raw `(.*?)`\}\}", re.DOTALL)
_ACTION = re.compile(r'\{\{(image|code|play|video) +"([^"]+)"[^}]*\}\}')


def content_dir() -> Path:
    """The posts folder: $SSG_CONTENT_DIR (relative to the cwd) or content/posts."""
    configured = os.environ.get("SSG_CONTENT_DIR")
    return Path(configured).resolve() if configured else SITE_DIR / "content" / "posts"


def go_actions(body: str) -> str:
    """Translate the Go blog's template actions, which Markdown would show as text.

    | action in the body                | becomes                          |
    | --------------------------------- | -------------------------------- |
    | {{raw `<div>...</div>`}}          | <div>...</div> (kept as HTML)    |
    | {{image "x/diagram.png"}}         | *[image: x/diagram.png]*         |
    | {{code "x/main.go" /re/}}         | *[code sample: x/main.go]*       |
    | {{video "https://..."}}           | [video](https://...)             |

    Bodies are never run as templates; this only rewrites these known forms.
    """
    body = _RAW.sub(lambda m: m.group(1), body)

    def action(match: re.Match[str]) -> str:
        kind, target = match.group(1), match.group(2)
        if kind == "video":
            return f"[video]({target})"
        label = "image" if kind == "image" else "code sample"
        return f"*[{label}: {target}]*"

    return _ACTION.sub(action, body)


@ssg.cache
def collection() -> Collection:
    """Every entry, newest first (redirect stubs and undated pages included)."""
    return load_collection(content_dir(), exclude=EXCLUDE, body_filter=go_actions)


@ssg.cache
def posts() -> list[Entry]:
    """The listed posts: dated posts (not redirect stubs or undated pages), newest first."""
    return [e for e in collection() if e.redirect is None and e.date is not None]


@ssg.cache
def post_positions() -> dict[str, int]:
    """Slug -> position in `posts()` (0 = newest), made once per build (or render)
    so each post page finds its neighbours without scanning the list."""
    return {entry.slug: number for number, entry in enumerate(posts())}


@ssg.cache
def published() -> list[Entry]:
    """What gets a /blog/[slug] URL: the listed posts and the redirect stubs."""
    return [e for e in collection() if e.redirect is not None or e.date is not None]


def post_url(entry: Entry) -> str:
    """A post's URL path."""
    return f"/blog/{entry.slug}"


def archive_url(number: int) -> str:
    """The URL path of archive page `number`: page 1 is /blog itself."""
    return "/blog" if number == 1 else f"/blog/page/{number}"


def slugify(text: str) -> str:
    """A URL-friendly slug: "The Rust Release Team" -> "the-rust-release-team"."""
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return slug or "x"


def tag_url(tag: str) -> str:
    """A tag page's URL path."""
    return f"/tags/{slugify(tag)}"


@ssg.cache
def tags() -> dict[str, tuple[str, list[Entry]]]:
    """Tag slug -> (display name, posts), most used first."""
    found: dict[str, tuple[str, list[Entry]]] = {}
    for entry in posts():
        for tag in entry.tags:
            found.setdefault(slugify(tag), (tag, []))[1].append(entry)
    return dict(sorted(found.items(), key=lambda item: (-len(item[1][1]), item[0])))


@ssg.cache
def authors() -> dict[str, tuple[str, list[Entry]]]:
    """Author slug -> (display name, posts)."""
    found: dict[str, tuple[str, list[Entry]]] = {}
    for entry in posts():
        for author in entry.authors:
            found.setdefault(slugify(author), (author, []))[1].append(entry)
    return dict(sorted(found.items()))


def group_page(groups: dict[str, tuple[str, list[Entry]]], slug: str) -> tuple[str, list]:
    """(display name, post cards) of one tag or author slug, or a 404 when unknown."""
    found = groups.get(slug)
    if found is None:
        ssg.not_found()
    name, entries = found
    return name, [card(e) for e in entries]


def page_count(total: int) -> int:
    """How many archive pages `total` posts fill (at least 1)."""
    return max(1, -(-total // PAGE_SIZE))


def tag_links(entry: Entry) -> list[dict[str, str]]:
    """A post's tags as {name, url} for the theme's tag_list."""
    return [{"name": tag, "url": tag_url(tag)} for tag in entry.tags]


def summary(entry: Entry) -> dict[str, Any]:
    """A post as the JSON API returns it (and the theme's post_list reads it)."""
    return {
        "slug": entry.slug,
        "title": entry.title,
        "url": post_url(entry),
        "date": entry.date.isoformat() if entry.date else None,
        "summary": entry.summary,
        "tags": tag_links(entry),
        "authors": list(entry.authors),
        "reading_time_minutes": entry.reading_time_minutes,
        **status(entry),
    }


def status(entry: Entry) -> dict[str, bool]:
    """{"draft": True} or {"scheduled": True} for posts that only `ssg dev` and
    `ssg build --drafts` show (the theme marks them in the byline); {} otherwise."""
    if entry.draft:
        return {"draft": True}
    if entry.is_scheduled(time.time()):
        return {"scheduled": True}
    return {}


def card(entry: Entry) -> dict[str, Any]:
    """A post for templates: the entry's fields plus its URL and tag links."""
    return {
        "slug": entry.slug,
        "title": entry.title,
        "url": post_url(entry),
        "date": entry.date,
        "summary": entry.summary,
        "tags": tag_links(entry),
        "authors": list(entry.authors),
        "reading_time_minutes": entry.reading_time_minutes,
        "html": entry.html,
        "toc": entry.toc,
        **status(entry),
    }
