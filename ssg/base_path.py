"""The base path: a site's URL prefix (Next.js `basePath`) in its one form, and put on the
root-relative URLs it makes."""

from __future__ import annotations

from urllib.parse import quote

_PATH_SAFE = "/%:@!$&'()*+,;=~"
"""What a URL path holds as it is: RFC 3986 pchar (unreserved, sub-delims, ":" and "@"),
"/", and "%" (an escape already made)."""


def normalise_base_path(value: str) -> str:
    """Return `value` as "" or "/a/b": one leading slash, none trailing.

    "" -> "", "/" -> "", "repo" -> "/repo", "/repo/" -> "/repo", "/a/b" -> "/a/b".
    (Next.js's `basePath` has the same shape: "" or a path starting with "/"
    and not ending in "/".)
    """
    stripped = value.strip().strip("/")
    return f"/{stripped}" if stripped else ""


def with_base_path(url: str, base_path: str, *, trailing_slash: bool = False) -> str:
    """`url` under the site's base path and in its trailing-slash form when it is
    root-relative; any other URL as it is.

    As Next.js does for `<Link>`, `redirect()` and assets: the prefix goes in front
    of every URL that starts with one "/" (`basePath`), and the path takes the
    site's form (`normalizePathTrailingSlash`, packages/next/src/client/
    normalize-trailing-slash.ts): with `trailing_slash` a page's path ends in "/"
    and a file's (a last segment with an extension: "/feed.xml") does not; without
    it no path but the root ends in "/". A link in the site's own form costs no
    redirect (ssg serve and static hosts redirect the other form). The home page is
    the bare prefix ("/docs"), or "/docs/" with `trailing_slash`. Characters a path
    may not hold (RFC 3986 pchar: a space, "é") are percent-encoded as UTF-8, as a
    browser would send them; "%" escapes already there are kept.

    | url                 | base_path | trailing_slash | result            |
    | ------------------- | --------- | -------------- | ----------------- |
    | `/blog/a?x=1#c`     | `/docs`   | False          | `/docs/blog/a?x=1#c` |
    | `/blog/a?x=1#c`     | `/docs`   | True           | `/docs/blog/a/?x=1#c` |
    | `/blog/a/`          | ``        | False          | `/blog/a`         |
    | `/feed.xml`, `/feed.xml/` | ``  | True           | `/feed.xml`       |
    | `/`                 | `/docs`   | False          | `/docs`           |
    | `/`, `/#top`        | `/docs`   | True           | `/docs/`, `/docs/#top` |
    | `/blog/a`           | ``        | False          | `/blog/a`         |
    | `/tags/machine learning`, `/tags/café` | `` | False | `/tags/machine%20learning`, `/tags/caf%C3%A9` |
    | `https://x.org/a`, `//x.org/a`, `a.png`, `#top` | `/docs` | either | unchanged |

    Args:
        url: a URL as a template, Markdown body or redirect() wrote it.
        base_path: "" or the site's prefix ("/docs": one leading "/", none trailing).
        trailing_slash: the site's trailing_slash setting.
    """
    if not url.startswith("/") or url.startswith("//"):
        return url
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    path, rest = quote(url[:cut], safe=_PATH_SAFE), url[cut:]
    if path != "/":
        bare = path.rstrip("/") or "/"
        is_file = "." in bare.rpartition("/")[2]
        path = bare + "/" if trailing_slash and not is_file and bare != "/" else bare
    if not base_path:
        return path + rest
    if path == "/":
        return base_path + ("/" if trailing_slash else "") + rest
    return base_path + path + rest
