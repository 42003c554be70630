"""Relative references in a rendered body: find them, check the files exist, point them at a URL.

A page bundle (`posts/hello/index.md` with `diagram.png` beside it, as Hugo's
leaf bundles and Zola's colocated assets) refers to its files relatively
(`![](diagram.png)`); once the post's URL is known they become root-relative.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote

# src="..." / href="..." as cmark writes them (double quotes; raw HTML usually agrees).
# Two patterns with a literal start: re finds those fast, where one alternation
# (`\b(?:src|href)=`) walked highlighted code character by character. They find
# candidates only: text in code blocks looks the same (`_attributes` sorts them out).
_REFERENCES = (re.compile(r'src="([^"]*)"'), re.compile(r'href="([^"]*)"'))
# The same, without the targets `_file_part` always leaves out as written (`https:...`,
# `/x`, `#top`, empty): most posts hold only those, and one search each tells so.
_NOT_RELATIVE = r'(?![A-Za-z][A-Za-z0-9+.-]*:|[/#?"])'
_RELATIVE_REFERENCES = (
    re.compile(f'src="{_NOT_RELATIVE}'),
    re.compile(f'href="{_NOT_RELATIVE}'),
)
# What a candidate's value becomes for the parse that tells attributes from text:
# no quote, `&`, `<` or `>`, so the HTML tokenizes exactly as before.
_MARKER = "ssg-reference-{}"
_MARKED = re.compile(r"ssg-reference-(\d+)")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# Relative links to these are page URLs of an older site, not files beside the post.
_PAGE_SUFFIXES = frozenset({"", ".html", ".htm", ".php"})
_MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})


def relative_targets(body_html: str) -> list[str]:
    """The relative `src`/`href` targets of `body_html`, decoded, in order, each once.

    | target in the HTML        | returned          |
    | ------------------------- | ----------------- |
    | diagram.png               | diagram.png       |
    | img/a%20b.png?v=2#x       | img/a b.png       |
    | /blog/x, #top, https://.. | (left out)        |
    """
    if not any(pattern.search(body_html) for pattern in _RELATIVE_REFERENCES):
        return []
    found: dict[str, None] = {}
    for match in _matches(body_html):
        target = _file_part(match.group(1))
        if target is not None:
            found.setdefault(target, None)
    return list(found)


def is_file_reference(target: str) -> bool:
    """True when a relative target names a file (an image, a PDF), not a page of an old site."""
    return PurePosixPath(target).suffix.lower() not in _PAGE_SUFFIXES


def scan_bundle(bundle_dir: Path) -> tuple[str, ...]:
    """The files of a page bundle's folder to publish: relative POSIX names, sorted.

    Markdown files (the post itself, other languages) and dotfiles stay out.
    """
    names = []
    for path in bundle_dir.rglob("*"):
        relative = path.relative_to(bundle_dir)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.suffix.lower() in _MARKDOWN_SUFFIXES:
            continue
        names.append(relative.as_posix())
    return tuple(sorted(names))


def point_at(body_html: str, names: frozenset[str], url_prefix: str) -> str:
    """Rewrite relative references to bundle files `names` as `url_prefix/name`.

    Example: ('<img src="diagram.png">', {"diagram.png"}, "/docs/blog/hello")
    -> '<img src="/docs/blog/hello/diagram.png">'. Query and fragment are kept;
    other references are left as written.
    """
    body_html = str(body_html)  # a Markup would escape the pieces joined to it
    prefix = url_prefix.rstrip("/")
    parts = []
    done = 0
    for match in _matches(body_html):
        raw = match.group(1)
        target = _file_part(raw)
        if target is None or target not in names:
            continue
        rest = raw[len(raw.split("#", 1)[0].split("?", 1)[0]) :]
        parts += [body_html[done : match.start(1)], html.escape(f"{prefix}/{quote(target)}{rest}")]
        done = match.end(1)
    return "".join(parts) + body_html[done:] if parts else body_html


def _matches(body_html: str) -> list[re.Match[str]]:
    """The src="..." and href="..." attributes of `body_html` with a relative target, in
    document order.

    Only attributes of real elements, as an HTML parser sees them: `src="x.png"`
    shown in a code block (text inside <pre>, escaped or highlighted) is not one.
    """
    found = [
        match
        for pattern in _REFERENCES
        for match in pattern.finditer(body_html)
        if (match.start() == 0 or body_html[match.start() - 1] in " \t\n")
        and _file_part(match.group(1)) is not None
    ]
    if not found:
        return found  # most bodies: no relative target, nothing to parse
    found.sort(key=lambda match: match.start())
    return _attributes(body_html, found)


def _attributes(body_html: str, candidates: list[re.Match[str]]) -> list[re.Match[str]]:
    """The `candidates` that are attributes of elements when `body_html` is parsed.

    Each candidate's value is replaced by a numbered marker and the body parsed as
    an HTML fragment (lexbor, an HTML5 parser): the markers found in `src`/`href`
    attributes are the real ones; the others were text.
    """
    # Imported here: a process that only reads parsed entries back never parses HTML.
    from selectolax.lexbor import LexborHTMLParser

    parts = []
    done = 0
    for number, match in enumerate(candidates):
        parts += [body_html[done : match.start(1)], _MARKER.format(number)]
        done = match.end(1)
    parts.append(body_html[done:])
    fragment = LexborHTMLParser("".join(parts), is_fragment=True)
    real: set[int] = set()
    for node in fragment.css("[src], [href]"):
        attributes = node.attrs
        for name in ("src", "href"):
            marked = _MARKED.fullmatch(attributes.get(name) or "")
            if marked is not None:
                real.add(int(marked.group(1)))
    return [match for number, match in enumerate(candidates) if number in real]


def line_of(target: str, body: str, body_line: int) -> int | None:
    """The file line where `target` first appears in the Markdown `body`, else None."""
    for needle in (target, quote(target)):
        index = body.find(needle)
        if index >= 0:
            return body_line + body.count("\n", 0, index)
    return None


def _file_part(raw: str) -> str | None:
    """A relative reference's path, decoded, without query or fragment; None if not relative."""
    target = html.unescape(raw).strip()
    if (
        not target
        or target.startswith(("/", "#", "?"))
        or _SCHEME.match(target)
        or "{{" in target
        or "{%" in target
    ):
        return None
    target = unquote(target.split("#", 1)[0].split("?", 1)[0])
    if target.startswith("./"):
        target = target[2:]
    return target or None


_MARKDOWN_HREF = re.compile(r'href="(?![A-Za-z][A-Za-z0-9+.-]*:|//)[^"#?]*\.(?i:md|markdown)[#?"]')
"""An href whose target is a Markdown file and has no scheme (`https://.../README.md`, a
link many posts have, is no file of the site)."""


def has_markdown_links(body_html: str) -> bool:
    """True when `body_html` may hold a link to a Markdown file (a cheap first test)."""
    return _MARKDOWN_HREF.search(body_html) is not None


def markdown_path(target: str, source_dir: Path, content_dir: Path) -> Path:
    """The file a relative link to a Markdown file names (without `..` parts).

    | target              | from                          | file                      |
    | ------------------- | ----------------------------- | ------------------------- |
    | configure.md        | content/guide/install.md      | content/guide/configure.md |
    | ../index.md         | content/guide/install.md      | content/index.md          |
    | @/guide/install.md  | anywhere below content/       | content/guide/install.md  |

    `@/` starts at the collection's folder, as Zola's internal links do.
    """
    if target.startswith("@/"):
        return Path(os.path.normpath(content_dir / target[2:]))
    return Path(os.path.normpath(source_dir / target))


def is_markdown_target(target: str) -> bool:
    """True for a relative target naming a Markdown file (`configure.md`, `a.markdown`)."""
    return PurePosixPath(target).suffix.lower() in _MARKDOWN_SUFFIXES


def point_markdown_links(body_html: str, url_of: Callable[[str], str | None]) -> str:
    """Rewrite `href`s to Markdown files (`configure.md#options`) as the URL `url_of` gives
    for the decoded target ("configure.md"), keeping the fragment; a target it gives None
    for is left as written (the link check reports it).

    Example: ('<a href="configure.md#x">', {"configure.md": "/guide/configure"}.get)
    -> '<a href="/guide/configure#x">'.
    """
    body_html = str(body_html)  # a Markup would escape the pieces joined to it
    parts = []
    done = 0
    for match in _matches(body_html):
        if not match.group(0).startswith("href"):
            continue
        raw = match.group(1)
        target = _file_part(raw)
        if target is None or not is_markdown_target(target):
            continue
        url = url_of(target)
        if url is None:
            continue
        fragment = raw[len(raw.split("#", 1)[0]) :]
        parts += [body_html[done : match.start(1)], html.escape(url + fragment)]
        done = match.end(1)
    return "".join(parts) + body_html[done:] if parts else body_html


def sibling_url(url_path: str, key: str, other_key: str) -> str | None:
    """The URL of the page for `other_key` when the page at `url_path` is the one for `key`
    and the key ends its URL (a `[slug]` or `[...path]` route); else None.

    | url_path             | key            | other_key      | result               |
    | -------------------- | -------------- | -------------- | -------------------- |
    | /blog/hello          | hello          | world          | /blog/world          |
    | /docs/guide/install  | guide/install  | reference/api  | /docs/reference/api  |
    | /docs                | (empty)        | guide          | /docs/guide          |
    | /docs/guide          | guide          | (empty)        | /docs                |
    | /blog/hello/comments | hello          | world          | None                 |
    """
    path = url_path.rstrip("/")
    if key:
        if not path.endswith("/" + key):
            return None
        path = path[: -len(key) - 1]
    if not other_key:
        return path or "/"
    return f"{path}/{other_key}"
