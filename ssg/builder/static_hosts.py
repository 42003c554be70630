"""The files static hosts read beside the pages: out/_redirects and out/_headers.

Netlify and Cloudflare Pages both read `_redirects` (`/old /new 308`, one rule a
line) and `_headers` (a path pattern, then indented `Name: value` lines) from the
published folder. Hosts that read neither (GitHub Pages, S3) still get the
meta-refresh page the build writes at each redirect's URL.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import quote

from ssg.records import PageRecord
from ssg.theme import ASSETS_URL_PREFIX

logger = logging.getLogger("ssg.builder")
_TYPES = mimetypes.MimeTypes()
"""Python's own extension table, not this machine's /etc/mime.types: the same output on
every machine."""

REDIRECTS_FILE = "_redirects"
HEADERS_FILE = "_headers"
IMMUTABLE = "public, max-age=31536000, immutable"
# What a URL may hold as it is (RFC 3986 reserved and unreserved characters, and
# "%"): only whitespace and other unsafe characters get percent-encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
_PLAIN_URL = re.compile(r"[A-Za-z0-9_.~:/?#\[\]@!$&'()*+,;=%-]*")
"""A URL `quote(url, safe=_URL_SAFE)` leaves as it is (ASCII letters, digits, "_.-~" and
the safe characters)."""
NETLIFY_ENV = "NETLIFY"
"""Set to "true" by Netlify in its builds (Netlify's build environment variables)."""


def render_redirects(
    redirects: Mapping[str, PageRecord],
    *,
    base_path: str = "",
    trailing_slash: bool = False,
    force: bool | None = None,
) -> str:
    """The `_redirects` rules of a build's redirects, one per line, sorted by source.

    The source is the URL a visitor requests (base path included, a final "/"
    with `trailing_slash` on); the target is the redirect's location as the
    page gave it.

    | redirect (base_path "/docs")       | line                          |
    | ---------------------------------- | ----------------------------- |
    | /old -> /docs/new, 308             | `/docs/old /docs/new 308`     |
    | /old -> https://x.org/, 307        | `/docs/old https://x.org/ 307` |
    | same, force=True (Netlify)         | `/docs/old /docs/new 308!`    |

    Netlify skips a rule whose source is a file that exists ("shadowing"), and
    the meta-refresh page is such a file, so on Netlify the rules are forced
    with "!". Cloudflare Pages always applies rules and rejects a status with
    "!" (its `parseRedirects` reads the status with `Number`), so elsewhere
    the status stays plain.

    Args:
        redirects: url_path -> the page record of each redirect (`Manifest.redirects`).
        base_path: the site's base path ("" or "/docs").
        trailing_slash: the site's trailing_slash setting.
        force: add "!" to each status; None reads $NETLIFY == "true".

    Returns:
        The file's text ("" when there are no redirects).
    """
    if force is None:
        force = os.environ.get(NETLIFY_ENV, "").lower() == "true"
    lines = []
    for url_path in sorted(redirects):
        page = redirects[url_path]
        source = base_path + url_path
        if trailing_slash and url_path != "/" and "." not in url_path.rsplit("/", 1)[1]:
            source += "/"
        status = f"{page.status}{'!' if force else ''}"
        # A rule is whitespace-separated: a space in a target would split it.
        location = str(page.location)
        target = location if _PLAIN_URL.fullmatch(location) else quote(location, safe=_URL_SAFE)
        lines.append(f"{source or '/'} {target} {status}\n")
    return "".join(lines)


def render_headers(
    mistyped: Iterable[PageRecord] = (), *, base_path: str = "", assets: bool = True
) -> str:
    """The `_headers` rules: fingerprinted theme assets are cached for a year, immutable;
    a page whose file name does not tell a host its type keeps its Content-Type.

    A changed asset gets a new name (its hash), so a browser never needs to ask
    again (RFC 8246 `immutable`). A static host types a file by its extension
    (`mime_type_mismatches` lists the pages it would get wrong: a JSON route handler
    at /api/posts/[slug] is written as out/api/posts/first); Netlify and Cloudflare
    Pages take the type from `_headers` instead.

    Args:
        mistyped: `mime_type_mismatches` of the pages written.
        base_path: "" or the site's base path ("/docs").
        assets: whether the theme has fingerprinted assets.

    Returns:
        The rules, or "" when there are none.
    """
    rules = [f"{base_path}{ASSETS_URL_PREFIX}*\n  Cache-Control: {IMMUTABLE}\n"] if assets else []
    for page in mistyped:
        url = quote(base_path + page.url_path, safe=_URL_SAFE)
        rules.append(f"{url}\n  Content-Type: {page.content_type}\n")
    return "".join(rules)


def guessed_type(output_file: str) -> str | None:
    """The MIME type a static host gives a file by its name's extensions, or None.

    Args:
        output_file: the file's path under out/ ("blog/first/index.html").

    Only the name's extensions decide (".html", ".json.gz"), so the guess is looked up
    once per distinct extension, not once per page of a large build.
    """
    name = output_file.rpartition("/")[2].lstrip(".")
    dot = name.find(".")
    return _guess_by_extensions(name[dot:] if dot >= 0 else "")


@functools.cache
def _guess_by_extensions(extensions: str) -> str | None:
    return _TYPES.guess_type("file" + extensions, strict=False)[0]


def mime_type_mismatches(pages: Iterable[PageRecord]) -> list[PageRecord]:
    """The written pages a static host would send with another type than their own.

    A host guesses from the file's extension (as Python's `mimetypes`, from the
    same IANA registrations); an HTML page's ".html" always matches. Sorted by URL.
    """
    found = []
    for page in pages:
        if page.status != 200 or page.location is not None:
            continue
        guessed = guessed_type(page.output_file)
        own = page.content_type.partition(";")[0].strip().lower()
        if guessed != own:
            found.append(page)
    return sorted(found, key=lambda page: page.url_path)


def warn_mime_types(pages: Iterable[PageRecord]) -> None:
    """Log, once per route, that static hosts reading no `_headers` would send its files
    as application/octet-stream (their names have no extension a host knows).

    Args:
        pages: `mime_type_mismatches` of an export build.
    """
    by_route: dict[str, list[PageRecord]] = {}
    for page in pages:
        if guessed_type(page.output_file) is None:
            by_route.setdefault(page.route_pattern, []).append(page)
    for route, found in by_route.items():
        first = found[0]
        more = f" (and {len(found) - 1:,} more)" if len(found) > 1 else ""
        logger.warning(
            "Route %s writes out/%s%s as %s, but static hosts that type files by their "
            "extension (GitHub Pages, S3) will send it as application/octet-stream; "
            "Netlify and Cloudflare Pages read the type from out/_headers. To serve it "
            "right everywhere, give its URLs the type's extension (a folder named "
            'data.json, or params such as {"slug": "first.json"}).',
            route,
            first.output_file,
            more,
            first.content_type.partition(";")[0],
        )


def merged(own_file: Path, generated: str) -> str:
    """The site's own public/ file (if any) first, then the generated rules.

    Netlify applies the first matching redirect rule, so a site's own rules win.
    """
    try:
        own = own_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return generated
    if own and not own.endswith("\n"):
        own += "\n"
    return own + generated
