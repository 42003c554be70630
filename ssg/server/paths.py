"""Parse a request's raw path into a canonical URL path, rejecting anything that could escape out/."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from urllib.parse import quote, unquote

ENDPOINT_PREFIX = "/_ssg"
"""The server's own endpoints (/_ssg/revalidate, /_ssg/status): outside the site's URL policy."""
_ENDPOINT_PART = ENDPOINT_PREFIX.lstrip("/")


class PathVerdict(enum.Enum):
    """What to do with a request path before any lookup."""

    OK = "ok"  # look it up
    NOT_FOUND = "not-found"  # unsafe or a dotfile: answer 404 without touching the disk
    REDIRECT = "redirect"  # repeated slashes or the trailing-slash policy: 308 to `location`


@dataclass(frozen=True)
class ParsedPath:
    """A request path, checked.

    Attributes:
        verdict: what to do.
        url_path: the canonical URL path (parts decoded then re-encoded with
            `quote(part, safe="")`, no trailing slash except "/"), the key of
            the manifest's pages and of the static file index.
        location: for REDIRECT, the target (path + original query).
    """

    verdict: PathVerdict
    url_path: str = "/"
    location: str | None = None


_NOT_FOUND = ParsedPath(PathVerdict.NOT_FOUND)


def parse_request_path(raw_target: str, *, trailing_slash: bool) -> ParsedPath:
    """Check a raw request target ("/blog/a?x=1", still percent-encoded).

    Each "/"-separated part is percent-decoded once, then checked, so encoded
    tricks are caught after decoding; the canonical form is built from the
    decoded parts, so no lookup ever sees a raw client string.

    | raw_target             | trailing_slash | verdict, url_path / location    |
    | ---------------------- | -------------- | ------------------------------- |
    | `/blog/a?x=1`          | False          | OK `/blog/a`                    |
    | `/blog/caf%c3%a9`      | False          | OK `/blog/caf%C3%A9`            |
    | `/about/?x=1`          | False          | REDIRECT `/about?x=1`           |
    | `/about`               | True           | REDIRECT `/about/`              |
    | `/feed.xml`            | True           | OK `/feed.xml` (has extension)  |
    | `/_ssg/status`         | True           | OK `/_ssg/status` (endpoint)    |
    | `/_ssg/status/`        | False          | OK `/_ssg/status` (endpoint)    |
    | `//about`              | either         | REDIRECT `/about` (one slash)   |
    | `/..%2f..%2fetc/passwd`| either         | NOT_FOUND (decoded part holds ..)|
    | `/%2e%2e/`, `/a/../b`  | either         | NOT_FOUND (dot segment)         |
    | `/a\\b`, `/a%5Cb`      | either         | NOT_FOUND (backslash)           |
    | `/.env`, `/x/.git/HEAD`| either         | NOT_FOUND (dotfile)             |

    Args:
        raw_target: the request target as sent (origin form), query included.
        trailing_slash: the site's `trailing_slash` setting (ssg.toml).
    """
    raw_path, sep, query = raw_target.partition("?")
    suffix = f"?{query}" if sep else ""
    if not raw_path.startswith("/") or "\\" in raw_path:
        return _NOT_FOUND
    parts: list[str] = []
    for raw in raw_path.split("/"):
        if not raw:
            continue  # the leading or a trailing slash, or a repeated one
        try:
            part = unquote(raw, errors="strict") if "%" in raw else raw
        except UnicodeDecodeError:
            return _NOT_FOUND
        if not _safe_part(part):
            return _NOT_FOUND
        parts.append(part)
    url_path = "/" + "/".join(quote(p, safe="") for p in parts)
    has_slash = raw_path.endswith("/") and url_path != "/"
    # /_ssg/* is the server's API, not a page: a 308 there would turn a webhook's
    # POST into a redirect most HTTP clients do not follow, so both forms are OK.
    wants_slash = (
        has_slash if parts[:1] == [_ENDPOINT_PART] else _wants_slash(parts, trailing_slash)
    )
    # Repeated slashes are collapsed (as Next.js) in the same redirect that
    # applies the trailing-slash policy.
    if "//" not in raw_path and has_slash == wants_slash:
        return ParsedPath(PathVerdict.OK, url_path)
    # quote() output never starts with "//", so the Location cannot become a
    # protocol-relative URL pointing at another host.
    location = url_path + ("/" if wants_slash else "") + suffix
    return ParsedPath(PathVerdict.REDIRECT, url_path, location)


def _wants_slash(parts: list[str], trailing_slash: bool) -> bool:
    """Whether the canonical request form ends with "/": only with trailing_slash, no extension."""
    return trailing_slash and bool(parts) and "." not in parts[-1]


def _safe_part(part: str) -> bool:
    """False for dot segments, dotfiles, NUL, backslashes and decoded slashes' tricks."""
    if part.startswith("."):
        return False  # ".", "..", and every dotfile (".env", ".git")
    return not any(c in part for c in ("\x00", "\\"))


def parse_site_path(raw_target: str, *, base_path: str, trailing_slash: bool) -> ParsedPath:
    """`parse_request_path` for a site served under a base path (Next.js `basePath`).

    Only URLs under the prefix belong to the site; its `url_path` is the rest
    (what routes, pages and files are keyed by), and every redirect location
    keeps the prefix. The bare prefix is the home page: without
    `trailing_slash` it is "/docs" ("/docs/" redirects there), with it
    "/docs/" ("/docs" redirects there). `ssg serve` and `ssg dev` both answer
    through this function.

    | raw_target (base_path "/docs") | trailing_slash | verdict, url_path / location |
    | ------------------------------ | -------------- | ---------------------------- |
    | `/docs/blog/a?x=1`             | False          | OK `/blog/a`                 |
    | `/docs`                        | False          | OK `/`                       |
    | `/docs/?x=1`                   | False          | REDIRECT `/docs?x=1`         |
    | `/docs`                        | True           | REDIRECT `/docs/`            |
    | `/docs/about/`                 | False          | REDIRECT `/docs/about`       |
    | `/blog/a`, `/docsx`, `/`       | either         | NOT_FOUND (outside the prefix) |

    Args:
        raw_target: the request target as sent (origin form), query included.
        base_path: "" (every URL is the site's) or the prefix ("/docs").
        trailing_slash: the site's `trailing_slash` setting.
    """
    if not base_path:
        return parse_request_path(raw_target, trailing_slash=trailing_slash)
    raw_path, sep, query = raw_target.partition("?")
    suffix = f"?{query}" if sep else ""
    if raw_path == base_path:
        if trailing_slash:
            return ParsedPath(PathVerdict.REDIRECT, "/", f"{base_path}/{suffix}")
        return ParsedPath(PathVerdict.OK, "/")
    if not raw_path.startswith(base_path + "/"):
        return _NOT_FOUND
    rest = raw_path[len(base_path) :]
    parsed = parse_request_path(rest + suffix, trailing_slash=trailing_slash)
    if parsed.verdict is PathVerdict.REDIRECT:
        assert parsed.location is not None
        return replace(parsed, location=_under(base_path, parsed.location, trailing_slash))
    if parsed.verdict is PathVerdict.OK and parsed.url_path == "/" and not trailing_slash:
        # "/docs/" is not the canonical home page: "/docs" is (as Next.js without trailingSlash).
        return ParsedPath(PathVerdict.REDIRECT, "/", f"{base_path}{suffix}")
    return parsed


def _under(base_path: str, location: str, trailing_slash: bool) -> str:
    """A redirect location of the site ("/about?x", "/?x") with the prefix put back."""
    if location == "/" or location.startswith("/?"):
        return base_path + ("/" if trailing_slash else "") + location[1:]
    return base_path + location
