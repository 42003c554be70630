"""`ssg.feed()` and `ssg.sitemap()`: an RSS 2.0 / Atom feed and a sitemap, one line in a route handler.

    # app/feed.xml/route.py
    def GET(request, params):
        return ssg.feed(blog.posts(), url=blog.post_url)

    # app/sitemap.xml/route.py
    def GET(request, params):
        return ssg.sitemap(blog.posts(), url=blog.post_url)

Feeds are written by feedgen; sitemaps follow the sitemap protocol
(https://www.sitemaps.org/protocol.html). Both make absolute URLs from the
site's `base_url` and `base_path`, and leave drafts and scheduled entries out.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import unquote

from ssg.base_path import absolute_url
from ssg.content.dates import parse_date
from ssg.content.entry import Entry
from ssg.errors import ArgumentError
from ssg.reads import ReadKind, note_read
from ssg.route_handlers.response import Response
from ssg.scope import RenderScope, require_scope

logger = logging.getLogger("ssg.feeds")

FEED_ITEMS = 20
"""Entries in a feed unless `limit` says otherwise (newest first)."""

FeedFormat = Literal["rss", "atom"]
CONTENT_TYPES: dict[str, str] = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
}
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def feed(
    entries: Iterable[Entry],
    *,
    url: Callable[[Entry], str],
    format: FeedFormat = "rss",
    limit: int | None = FEED_ITEMS,
    title: str | None = None,
    description: str | None = None,
    feed_url_path: str | None = None,
    full_content: bool = False,
) -> Response:
    """An RSS 2.0 or Atom 1.0 feed of `entries` (newest first), as a route handler's response.

    Channel title, description, author and language come from the site's
    ssg.toml (`title`, `description`, `author`, `language`); links are
    `base_url` + `base_path` + `url(entry)`, percent-encoded (RFC 3986).
    Drafts, entries dated after now (recording when the first of them falls
    due, so the feed is regenerated then) and redirect stubs are left out,
    also under `ssg build --drafts`. The feed's dates come from the entries,
    never from the clock, so the same posts give the same bytes.

    Args:
        entries: the posts (e.g. a `Collection`), in the order to publish.
        url: an entry's URL path, e.g. `lambda e: f"/blog/{e.slug}"`.
        format: "rss" (RSS 2.0) or "atom" (RFC 4287).
        limit: how many entries at most; None for all.
        title: the feed's title; default the site's `title`.
        description: default the site's `description` (else the title).
        feed_url_path: the feed's own URL path (Atom `rel="self"`); default
            the URL being rendered.
        full_content: also carry each entry's HTML body (`content:encoded` /
            Atom `content`), not only its summary.

    Returns:
        An `ssg.Response` with `application/rss+xml` or `application/atom+xml`.

    Raises:
        SsgError: called outside a render (a route handler or page module).
        ArgumentError: an unknown `format`.
    """
    from feedgen.feed import FeedGenerator

    if format not in CONTENT_TYPES:
        raise ArgumentError(f'format={format!r} is not "rss" or "atom"', call="ssg.feed")
    scope = require_scope("feed()", "in a route handler, e.g. GET of app/feed.xml/route.py")
    site = scope.services.site_values
    origin = site_origin(site)
    kept = [e for e in published(entries, scope) if e.redirect is None]
    if limit is not None:
        kept = kept[:limit]
    name = title or str(site.get("title") or "Feed")
    generator = FeedGenerator()
    generator.id(origin + "/")
    generator.title(name)
    generator.description(description or str(site.get("description") or "") or name)
    self_path = feed_url_path if feed_url_path is not None else scope.url_path
    generator.link(href=absolute_url(self_path, origin), rel="self")
    # RSS's channel <link> is the last link added: the site, not the feed.
    generator.link(href=origin + "/", rel="alternate")
    if site.get("language"):
        generator.language(str(site["language"]))
    if site.get("author"):
        generator.author({"name": str(site["author"])})
    generator.generator("ssg")
    dates = [d for d in (_updated(e) for e in kept) if d is not None]
    newest = max(dates, default=datetime(1970, 1, 1, tzinfo=UTC))
    generator.updated(newest)
    generator.lastBuildDate(newest)
    for entry in kept:
        link = absolute_url(url(entry), origin, trailing_slash=bool(site.get("trailing_slash")))
        item = generator.add_entry(order="append")
        item.id(link)
        item.guid(link, permalink=True)
        item.title(entry.title)
        item.link(href=link)
        item.description(entry.summary or entry.title)
        if full_content:
            item.content(str(entry.html), type="CDATA" if format == "rss" else "html")
        if entry.date is not None:
            item.published(entry.date)
        item.updated(_updated(entry) or newest)
        for author in entry.authors:
            item.author({"name": author})
        for tag in entry.tags:
            item.category({"term": tag})
    body = generator.rss_str(pretty=True) if format == "rss" else generator.atom_str(pretty=True)
    return Response(body=body, content_type=CONTENT_TYPES[format])


def sitemap(
    entries: Iterable[Entry] = (),
    *,
    url: Callable[[Entry], str] | None = None,
    exclude: Iterable[str] = (),
) -> Response:
    """A sitemap (sitemaps.org protocol) of the build's pages, as a route handler's response.

    The URLs are the pages this build prerendered, minus redirects, 404s,
    route handler files (feeds, APIs) and pages whose metadata says
    `robots: noindex`: no hand-kept list. `entries` (with `url`) add
    `<lastmod>` from each entry's `updated` or `date`, add posts rendered on
    demand (a scheduled post once it is out), and remove drafts and entries
    dated after now (recording when the first falls due, so the sitemap is
    regenerated then). URLs are `base_url` + `base_path` + the URL path.

    Args:
        entries: the posts (e.g. a `Collection`).
        url: an entry's URL path; required with `entries`.
        exclude: URL paths to leave out as well, e.g. ("/search",).

    Returns:
        An `ssg.Response` with `application/xml`, URLs sorted by path.

    Raises:
        SsgError: called outside a render.
        ArgumentError: `entries` given without `url`.
    """
    scope = require_scope("sitemap()", "in a route handler, e.g. GET of app/sitemap.xml/route.py")
    site = scope.services.site_values
    origin = site_origin(site)
    trailing_slash = bool(site.get("trailing_slash"))
    pages = scope.services.page_index.url_paths
    note_read((ReadKind.PAGE_INDEX,))
    if pages is None:
        logger.debug("sitemap(): no build page list here (ssg dev); listing the entries only")
    # Keyed by decoded path: the build's URL paths may be percent-encoded, url() may not be.
    lastmod: dict[str, datetime | None] = dict.fromkeys(unquote(p) for p in pages or ())
    entries = list(entries)
    if entries and url is None:
        raise ArgumentError(
            "sitemap(entries, url=...) needs `url`: a function giving an entry's URL path",
            call="ssg.sitemap",
        )
    if url is not None:
        listed = published(entries, scope)
        listed_ids = {id(e) for e in listed}
        for entry in entries:
            if id(entry) not in listed_ids or entry.redirect is not None:
                lastmod.pop(unquote(url(entry)), None)  # a draft built by --drafts, a redirect
        for entry in listed:
            if entry.redirect is None:
                lastmod[unquote(url(entry))] = _updated(entry)
    for url_path in exclude:
        lastmod.pop(unquote(url_path), None)
    root = ET.Element("urlset", xmlns=SITEMAP_NS)
    for url_path in sorted(lastmod):
        node = ET.SubElement(root, "url")
        ET.SubElement(node, "loc").text = absolute_url(
            url_path, origin, trailing_slash=trailing_slash
        )
        modified = lastmod[url_path]
        if modified is not None:
            ET.SubElement(node, "lastmod").text = modified.strftime("%Y-%m-%dT%H:%M:%SZ")
    ET.indent(root)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
    return Response(body=body, content_type="application/xml")


def published(entries: Iterable[Entry], scope: RenderScope) -> list[Entry]:
    """The entries a feed or sitemap may show: no drafts, none dated after now.

    Records the earliest date left out into `scope`, so the feed or sitemap is
    due when that post is out (also under `ssg build --drafts`).
    """
    now = scope.services.clock()
    kept = []
    for entry in entries:
        if entry.draft:
            continue
        if entry.is_scheduled(now):
            assert entry.date is not None  # is_scheduled() checked it
            scope.record_due(entry.date.timestamp())
            continue
        kept.append(entry)
    return kept


def site_origin(site: dict[str, Any]) -> str:
    """`base_url` + `base_path` without a trailing slash: what URL paths are appended to.

    | base_url                  | base_path | origin                        |
    | ------------------------- | --------- | ----------------------------- |
    | https://example.org/      | ""        | https://example.org           |
    | https://example.org       | "/docs"   | https://example.org/docs      |
    | https://example.org/docs  | "/docs"   | https://example.org/docs      |
    """
    origin = str(site.get("base_url") or "").rstrip("/")
    base_path = str(site.get("base_path") or "").rstrip("/")
    if base_path and not origin.endswith(base_path):
        origin += base_path
    return origin


def _updated(entry: Entry) -> datetime | None:
    """The entry's last change: front-matter `updated` (or `lastmod`, `modified`), else its date."""
    for key in ("updated", "lastmod", "modified"):
        value = entry.metadata.get(key)
        if value is not None:
            parsed = parse_date(value)
            if parsed is not None:
                return parsed
    return entry.date
