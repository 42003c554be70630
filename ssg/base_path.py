"""The base path: a site's URL prefix (Next.js `basePath`) in its one form, and put on the
root-relative URLs it makes."""

from __future__ import annotations


def normalise_base_path(value: str) -> str:
    """Return `value` as "" or "/a/b": one leading slash, none trailing.

    "" -> "", "/" -> "", "repo" -> "/repo", "/repo/" -> "/repo", "/a/b" -> "/a/b".
    (Next.js's `basePath` has the same shape: "" or a path starting with "/"
    and not ending in "/".)
    """
    stripped = value.strip().strip("/")
    return f"/{stripped}" if stripped else ""


def with_base_path(url: str, base_path: str, *, trailing_slash: bool = False) -> str:
    """`url` under the site's base path when it is root-relative; any other URL as it is.

    As Next.js `basePath` does for `<Link>`, `redirect()` and assets: the
    prefix goes in front of every URL that starts with one "/". The home page
    is the bare prefix ("/docs"), or "/docs/" with `trailing_slash`.

    | url                 | base_path | trailing_slash | result            |
    | ------------------- | --------- | -------------- | ----------------- |
    | `/blog/a?x=1#c`     | `/docs`   | either         | `/docs/blog/a?x=1#c` |
    | `/`                 | `/docs`   | False          | `/docs`           |
    | `/`, `/#top`        | `/docs`   | True           | `/docs/`, `/docs/#top` |
    | `/blog/a`           | ``        | either         | `/blog/a`         |
    | `https://x.org/a`, `//x.org/a`, `a.png`, `#top` | `/docs` | either | unchanged |

    Args:
        url: a URL as a template, Markdown body or redirect() wrote it.
        base_path: "" or the site's prefix ("/docs": one leading "/", none trailing).
        trailing_slash: the site's trailing_slash setting (the home page's form).
    """
    if not base_path or not url.startswith("/") or url.startswith("//"):
        return url
    if url == "/" or url[1] in "?#":
        return base_path + ("/" if trailing_slash else "") + url[1:]
    return base_path + url
