"""The base path: a site's URL prefix (Next.js `basePath`) in its one form, put on the
root-relative URLs it makes, and the absolute URLs of its pages."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

_PATH_SAFE = "/%:@!$&'()*+,;=~"
"""What a URL path holds as it is: RFC 3986 pchar (unreserved, sub-delims, ":" and "@"),
"/", and "%" (an escape already made)."""


def normalise_base_path(value: str) -> str:
    """Return `value` in the base path's one form, "" or "/a/b": one leading slash, none
    trailing, no empty segment (the fix a config check suggests for another form).

    "" -> "", "/" -> "", "repo" -> "/repo", "/repo/" -> "/repo", "/a//b" -> "/a/b".
    (Next.js's `basePath` has the same shape: "" or a path starting with "/"
    and not ending in "/".)
    """
    segments = [segment for segment in value.strip().split("/") if segment]
    return "/" + "/".join(segments) if segments else ""


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


def absolute_url(url: str, origin: str, *, trailing_slash: bool = False) -> str:
    """`url` as an absolute URL of the site at `origin`: the address a page answers at
    without a redirect, as a sitemap's <loc>, a feed's links and a canonical link must be.

    A URL path is put under `origin` in the site's trailing-slash form and percent-encoded
    once (`with_base_path`): "café" and "caf%C3%A9" give the same URL. A path without a
    leading "/" is taken from the site's root too. A URL with a scheme ("https:",
    "mailto:") is kept; a network-path reference ("//cdn.x.org/a") takes the origin's
    scheme (RFC 3986 section 5.2).

    | url                  | origin          | trailing_slash | result                       |
    | -------------------- | --------------- | -------------- | ---------------------------- |
    | `/blog/café`         | https://x.org   | False          | https://x.org/blog/caf%C3%A9 |
    | `/blog/caf%C3%A9`    | https://x.org   | False          | https://x.org/blog/caf%C3%A9 |
    | `about`              | https://x.org/d | False          | https://x.org/d/about        |
    | `/about`, `/about/`  | https://x.org/d | True           | https://x.org/d/about/       |
    | `/feed.xml`          | https://x.org   | True           | https://x.org/feed.xml       |
    | `/`                  | https://x.org/d | either         | https://x.org/d/             |
    | `/blog/a?x=1#c`      | https://x.org   | True           | https://x.org/blog/a/?x=1#c  |
    | `https://y.org/a`    | https://x.org   | either         | https://y.org/a              |

    Args:
        url: a URL path ("/blog/a"), or an absolute URL.
        origin: the site's address, its base path included, without a trailing slash
            (`SiteConfig.site_url`: "https://x.org/docs"); the base path is not added
            here. "" gives root-relative URLs.
        trailing_slash: the site's trailing_slash setting.

    Returns:
        The absolute URL.
    """
    if url.startswith("//") or (":" in url and urlsplit(url).scheme):
        return urljoin(origin + "/", url)
    if not url.startswith("/"):
        url = "/" + url
    return origin + with_base_path(url, "", trailing_slash=trailing_slash)
