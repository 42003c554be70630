"""The link check: every internal `href` and `src` of the HTML a build wrote must answer.

Links are read with an HTML5 parser (lexbor, through selectolax) in whichever process
rendered the page, a batch of pages at a time (`LinkReader`); `find_broken_links` then
resolves them all against the build output and the routes.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

from selectolax.lexbor import LexborCSSSelector, LexborDocumentOptions, LexborHTMLParser

from ssg.plural import plural

# The elements whose attribute names a resource the browser loads or navigates to
# (HTML Living Standard, "links" and "embedded content").
_HREF_TAGS = frozenset({"a", "area", "link"})
_SRC_TAGS = frozenset({"img", "script", "iframe", "source", "video", "audio", "track", "embed"})
# Attribute selectors, the tag checked in Python: lexbor matches them in one pass over
# the tree, where a list of eleven tag[attr] selectors costs half as much again. The
# :not() parts leave the commonest links to other origins and fragment-only links in C
# (no Python object per node); what passes is still judged in Python below.
_SELECTOR = '[href]:not([href^="https://"]):not([href^="#"]), [src]:not([src^="https://"])'
# Without lexbor's DOM mutation events (such as <selectedcontent> mirroring the
# selected <option>): they add no link, and parsing is cheaper without them.
_PARSE_OPTIONS = LexborDocumentOptions.WO_EVENTS
# Non-navigating <link> relations whose href need not be a document of this site.
_SKIPPED_RELS = frozenset({"canonical", "preconnect", "dns-prefetch", "me"})
# A scheme (a colon before any "/", "?" or "#": mailto:, https:, data:, javascript:) or
# a network-path reference ("//host/x"): another origin.
_EXTERNAL = re.compile(r"//|[^/?#:]*:")
# A root-relative path whose parts need no decoding, encoding or dot-segment removal
# (unreserved characters only, no part starting with "."; RFC 3986 sections 2.3, 5.2.4).
_PLAIN_PATH = re.compile(r"(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*/?")
MAX_SHOWN = 20


def extract_links(body: bytes, selector: LexborCSSSelector | None = None) -> tuple[str, ...]:
    """The internal link targets of an HTML document, first occurrence order, no repeats.

    Internal means without a scheme or host: `/blog/a`, `../img.png`, `x?y=1`.
    Fragment-only links (`#top`) and empty values are left out; so are
    `<link rel="canonical">` and other non-navigating relations.

    | markup                                   | kept        |
    | ---------------------------------------- | ----------- |
    | `<a href="/blog/a#c">`                   | `/blog/a#c` |
    | `<img src="diagram.png">`                | `diagram.png` |
    | `<a href="https://x.org/">`, `//x.org/`  | no          |
    | `<a href="mailto:a@b.c">`, `#top`        | no          |

    Args:
        body: the page's bytes (UTF-8 or declared in the document).
        selector: lexbor's selector engine, kept across pages (`LinkReader` keeps one:
            a parser's own `css()` makes and frees one per page); None makes one.
    """
    found: dict[str, None] = {}
    root = LexborHTMLParser(body, options=_PARSE_OPTIONS).root
    if root is None:
        return ()
    for node in (selector or LexborCSSSelector()).find(_SELECTOR, root):
        tag = node.tag
        if tag in _HREF_TAGS:
            name = "href"
        elif tag in _SRC_TAGS:
            name = "src"
        else:
            continue
        attributes = node.attrs  # one attribute looked up, not all of them copied into a dict
        value = attributes.get(name)
        if not value:
            continue
        value = value.strip()
        if not value or value[0] == "#" or value in found or _EXTERNAL.match(value):
            continue
        if tag == "link" and (attributes.get("rel") or "").lower() in _SKIPPED_RELS:
            continue
        found[value] = None
    return tuple(found)


READ_BATCH_BYTES = 2 << 20
"""HTML bytes a `LinkReader` gathers before reading their links: parsing many pages in a
row keeps the parser's code and memory in the CPU caches, which parsing each page
between two template renders does not."""


class LinkReader:
    """Reads the links of the HTML pages one process writes, a batch at a time.

    `add` queues a page's body; once `due`, `read` gives every queued page's links
    and empties the queue (the bodies are then let go). A page whose ETag is in
    `known` (the previous build's links) is not parsed again.

    Args:
        known: ETag -> links, from `load_known_links`; None or {} reads every page.
    """

    def __init__(self, known: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.seconds = 0.0
        """CPU seconds of this thread spent reading links so far (the link check's share)."""
        self._known = known or {}
        self._queued: list[tuple[int, bytes | tuple[str, ...]]] = []
        self._queued_bytes = 0
        self._selector: LexborCSSSelector | None = None

    def add(self, key: int, body: bytes, etag: str) -> None:
        """Queue a page's body (its links come back from `read` under `key`)."""
        known = self._known.get(etag) if self._known else None
        if known is None:
            self._queued.append((key, body))
            self._queued_bytes += len(body)
        else:
            self._queued.append((key, known))

    @property
    def due(self) -> bool:
        """True once the queued bodies reach READ_BATCH_BYTES."""
        return self._queued_bytes >= READ_BATCH_BYTES

    def read(self) -> list[tuple[int, tuple[str, ...]]]:
        """(key, links from `extract_links`) of every queued page, in the order added."""
        queued, self._queued, self._queued_bytes = self._queued, [], 0
        started = time.thread_time()
        if self._selector is None:
            self._selector = LexborCSSSelector()
        selector = self._selector
        read = [
            (key, extract_links(body, selector) if isinstance(body, bytes) else body)
            for key, body in queued
        ]
        self.seconds += time.thread_time() - started
        return read


def is_internal(value: str) -> bool:
    """True for a link without a scheme or host (the check cannot see other origins)."""
    return _EXTERNAL.match(value) is None


@dataclass(frozen=True)
class BrokenLink:
    """A link no page, file or route answers.

    Attributes:
        page: the URL path of the page holding it ("/blog/a"; "404.html" for the 404 page).
        link: the link as written in the HTML.
        target: the URL path it resolves to, base path removed ("/blog/missing").
        reason: why it is broken, for the message.
    """

    page: str
    link: str
    target: str
    reason: str

    def __str__(self) -> str:
        return f"{self.page}: {self.link} ({self.reason})"


def find_broken_links(
    pages: Iterable[tuple[str, tuple[str, ...]]],
    *,
    answers: Callable[[str], bool],
    base_path: str = "",
    trailing_slash: bool = False,
) -> list[BrokenLink]:
    """Resolve every page's links as a browser would and keep those nothing answers.

    A link is resolved against the page's own address (`base_path` + URL path,
    with a final "/" when `trailing_slash` is on, as the page is visited), its
    query and fragment dropped, then checked once per distinct target.

    | page (base_path "/docs") | link           | target checked    |
    | ------------------------ | -------------- | ----------------- |
    | /blog/a                  | /docs/blog/b   | /blog/b           |
    | /blog/a                  | c.png          | /blog/c.png       |
    | /blog/a                  | /blog/b        | broken: outside /docs |

    Args:
        pages: (URL path of the page, its links from `extract_links`).
        answers: whether a canonical URL path (parts percent-encoded, no
            trailing slash) is answered by the build: a page, a file or a route.
        base_path: the site's base path ("" or "/docs").
        trailing_slash: the site's trailing_slash setting.

    Returns:
        The broken links, in page order.
    """
    verdicts: dict[str, bool] = {}
    # Root-relative links (most of them) resolve the same on every page: once each.
    resolved: dict[str, BrokenLink | None] = {}
    broken: list[BrokenLink] = []
    for page, links in pages:
        if not links:
            continue
        page_url = base_path + (page if page.startswith("/") else "/")
        if trailing_slash and not page_url.endswith("/") and "." not in page_url.rsplit("/", 1)[1]:
            page_url += "/"
        for link in links:
            rooted = link.startswith("/")
            if rooted and link in resolved:
                found = resolved[link]
            else:
                found = _resolve(link, page_url, base_path, answers, verdicts)
                if rooted:
                    resolved[link] = found
            if found is not None:
                broken.append(BrokenLink(page, link, found.target, found.reason))
    return broken


def _resolve(
    link: str,
    page_url: str,
    base_path: str,
    answers: Callable[[str], bool],
    verdicts: dict[str, bool],
) -> BrokenLink | None:
    """None when `link` on the page at `page_url` is answered, else why not (page left empty)."""
    # Most links are root-relative paths of plain characters: they resolve to themselves.
    path = link if _PLAIN_PATH.fullmatch(link) else urlsplit(urljoin(page_url, link)).path
    if base_path and path != base_path and not path.startswith(base_path + "/"):
        reason = f"outside the base path {base_path}: write it as {{{{ url(...) }}}}"
        return BrokenLink("", link, path, reason)
    target = canonical_url_path(path[len(base_path) :])
    verdict = verdicts.get(target)
    if verdict is None:
        verdict = verdicts[target] = answers(target)
    return None if verdict else BrokenLink("", link, target, "no page, file or route answers it")


def canonical_url_path(path: str) -> str:
    """A URL path as the server and the manifest key it: parts decoded then re-encoded once.

    | path              | canonical         |
    | ----------------- | ----------------- |
    | ``                | `/`               |
    | `/blog/`          | `/blog`           |
    | `/blog/caf%c3%a9` | `/blog/caf%C3%A9` |
    | `/a b/./c/../d`   | `/a%20b/d`        |
    """
    if _PLAIN_PATH.fullmatch(path):  # nothing to decode, encode or collapse but empty parts
        return "/" + "/".join(part for part in path.split("/") if part)
    parts: list[str] = []
    for raw in path.split("/"):
        part = unquote(raw)
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(quote(part, safe=""))
    return "/" + "/".join(parts)


def broken_links_message(broken: list[BrokenLink]) -> str:
    """The report of broken links: at most MAX_SHOWN, then how many more."""
    shown = broken[:MAX_SHOWN]
    lines = [f"{plural(len(broken), 'broken link')} in the build output:"]
    lines += [f"  - {link}" for link in shown]
    if len(broken) > len(shown):
        lines.append(f"  ... and {len(broken) - len(shown):,} more")
    return "\n".join(lines)


LINKS_FILE = "build/links.json"
"""Under the site's cache_dir: the last build's links by page ETag, so a rebuild reads
only the pages whose bytes changed."""


def load_known_links(cache_dir: Path) -> dict[str, tuple[str, ...]]:
    """The links the last build read, by page ETag; {} when missing or unreadable."""
    try:
        raw = json.loads((cache_dir / LINKS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {str(etag): tuple(links) for etag, links in raw.items() if isinstance(links, list)}


def write_known_links(cache_dir: Path, pages: Iterable[tuple[str, tuple[str, ...]]]) -> None:
    """Keep (ETag, links) of this build's HTML pages for the next one (temp file + rename).

    Raises:
        OSError: the cache folder cannot be written.
    """
    target = cache_dir / LINKS_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(dict(pages), ensure_ascii=False), encoding="utf-8")
    os.replace(temp, target)
