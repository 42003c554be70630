"""GitHub-flavoured Markdown to HTML (cmark-gfm), with highlighted code and heading anchors."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import NamedTuple

from ssg.base_path import with_base_path

# cmark-gfm and Pygments (ssg.content.highlight) are imported by the first render, not
# here: a process that only reads parsed entries back (a dev worker's start, the
# content cache) needs the types below and nothing else.

# GitHub's set minus "tagfilter", which would escape <script>, <iframe>, <style> authors wrote.
_EXTENSIONS = ("table", "autolink", "strikethrough", "tasklist")

# One pass over cmark's output: fenced code blocks with a language, and bare headings
# (cmark writes exactly `<hN>`; a raw-HTML heading with attributes is left alone). The same
# pass notes the rare marks a later step looks for (GitHub's alerts, Hugo's summary divider),
# so a body without them costs no search of its own. (Every alternative starts with a
# literal "<", outside any group: re then tries a match only at a "<"; a group or another
# first character in front would make it try every position.)
_BLOCKS = re.compile(
    r'<pre lang="(?P<lang>[^"]*)"><code>(?P<code>.*?)</code></pre>\n?'
    r"|<h(?P<level>[1-6])>(?P<heading>.*?)</h(?P=level)>"
    r"|<(?P<mark>blockquote>\n<p>\[!|!--more-->)",
    re.DOTALL,
)
_TAG = re.compile(r"<[^>]*>")
_TAG_BYTES = re.compile(rb"<[^>]*>")
# An ASCII text's shape for counting words: what str.split() splits on -> b" ", anything
# else -> b"x".
_WORD_SHAPE = bytes(32 if chr(code).isspace() else 120 for code in range(256))
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
# GitHub's anchor slugs drop everything but letters, digits, `_`, `-` and spaces.
_NOT_SLUG = re.compile(r"[^\w\- ]")
_LANGUAGE_END = re.compile(r"[,{ ]")  # `rust,ignore`, `rust{.line-numbers}`
# A root-relative link or image target, as cmark writes them (`<a href="/x"`,
# `<img src="/x"`) and as raw HTML in a body usually does; code is escaped by then.
_ROOTED = re.compile(
    r"""(<(?:a|img|source|video|audio|iframe|script|link)\b[^>]*?\s(href|src)=)"""
    r"""(?:"(/(?!/)[^"]*)"|'(/(?!/)[^']*)')""",
    re.IGNORECASE,
)


class Heading(NamedTuple):
    """One table-of-contents entry.

    Attributes:
        level: 1-6, from h1-h6.
        id: the anchor id given to the heading (unique in the document).
        text: the heading as plain text.
    """

    level: int
    id: str
    text: str


@dataclass(frozen=True)
class RenderedMarkdown:
    """The HTML of one Markdown document and what was learned rendering it.

    Attributes:
        html: the body as HTML (raw HTML kept, code highlighted, headings with ids).
        toc: the headings in document order.
        word_count: words of visible text (tags stripped, code included).
        first_paragraph: the first non-empty paragraph as plain text ("" if none).
        has_more: the body holds Hugo's summary divider `<!--more-->`.
    """

    html: str
    toc: tuple[Heading, ...]
    word_count: int
    first_paragraph: str
    has_more: bool = False


def render_markdown(
    text: str, *, base_path: str = "", trailing_slash: bool = False
) -> RenderedMarkdown:
    """Render GitHub-flavoured Markdown to HTML.

    Tables, task lists, autolinks (also bare `www.` links), strikethrough and
    footnotes are on. Raw HTML is kept as written (no GFM tag filter): content
    is trusted, like a theme. Template syntax (`{{ x }}`, `{% if %}`) is plain
    text: bodies never go through Jinja. Fenced code with a language Pygments
    knows is highlighted (`<div class="highlight">`); other code is escaped.
    Every h1-h6 gets a GitHub-style `id`, deduplicated with -1, -2, ...
    GitHub's alerts (`> [!NOTE]`, `[!TIP]`, `[!IMPORTANT]`, `[!WARNING]`,
    `[!CAUTION]`) get GitHub's markup (`ssg.content.alerts`).
    With a base path, root-relative link and image targets get it in front
    (`[x](/blog/y)` -> `href="/docs/blog/y"`), as Next.js `basePath` does
    for every URL the site makes.

    Args:
        text: the Markdown body (without front matter).
        base_path: "" or the site's base path ("/docs").
        trailing_slash: the site's setting: page links then end in "/" (see
            `prefix_root_links`).

    Returns:
        A `RenderedMarkdown`.

    Examples:
        | text                  | html                                  |
        | --------------------- | ------------------------------------- |
        | "# Hello, World!"     | `<h1 id="hello-world">Hello, World!</h1>` |
        | "~~old~~ {{ x }}"     | `<p><del>old</del> {{ x }}</p>`       |
        | "```rust\\nfn f(){}\\n```" | `<div class="highlight"><pre>...` |
    """
    import cmarkgfm
    from cmarkgfm.cmark import Options

    # UNSAFE keeps raw HTML (posts embed <img>, <details>, charts); GITHUB_PRE_LANG makes
    # fences come out as <pre lang="x">, which the single regex pass below keys on.
    options = (
        Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES | Options.CMARK_OPT_GITHUB_PRE_LANG
    )
    raw = cmarkgfm.markdown_to_html_with_extensions(text, options, list(_EXTENSIONS))
    toc: list[Heading] = []
    used_ids: set[str] = set()

    marks: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        mark = match.group("mark")
        if mark is not None:
            marks.add(mark[0])  # "b"lockquote, "!"-- (more)
            return match.group(0)
        if match.group("level") is None:
            # Pygments loads with the first fenced block: a body without code never imports it.
            from ssg.content.highlight import render_code_block

            info = html.unescape(match.group("lang"))
            language = _LANGUAGE_END.split(info, maxsplit=1)[0]
            return render_code_block(html.unescape(match.group("code")), language)
        level = int(match.group("level"))
        inner = match.group("heading")
        plain = _plain_text(inner)
        anchor = _unique(_slugify(plain), used_ids)
        toc.append(Heading(level, anchor, plain))
        return f'<h{level} id="{anchor}">{inner}</h{level}>'

    body = _BLOCKS.sub(replace, raw)
    body = prefix_root_links(body, base_path, trailing_slash=trailing_slash)
    if "b" in marks:  # GitHub's alerts (`> [!NOTE]`)
        from ssg.content.alerts import render_alerts

        body = render_alerts(body)
    # Counted on cmark's output, before highlighting multiplies the tags; tags go without
    # a space ("<em>x</em>." is one word): cmark puts a newline between blocks anyway.
    word_count = _count_words(raw)
    return RenderedMarkdown(body, tuple(toc), word_count, _first_paragraph(raw), "!" in marks)


def prefix_root_links(html_text: str, base_path: str, *, trailing_slash: bool = False) -> str:
    """Put the base path in front of root-relative link and image targets of rendered
    Markdown and, with `trailing_slash`, end page links in "/" (as `url()` does, so a
    click costs no redirect; a file's link, with an extension, keeps its form).

    | html                          | base_path, trailing_slash | result                 |
    | ----------------------------- | ------------------------- | ---------------------- |
    | `<a href="/blog/y">`          | "/docs", False            | `<a href="/docs/blog/y">` |
    | `<a href="/">`, `<a href="/#top">` | "/docs", False       | `<a href="/docs">`, `<a href="/docs#top">` (the home page as `url("/")` gives it: no redirect) |
    | `<img alt="" src="/i.png">`   | "/docs", either           | `<img alt="" src="/docs/i.png">` |
    | `<a href="/blog/y#c">`        | "", True                  | `<a href="/blog/y/#c">` |
    | `<a href="/feed.xml">`        | "", True                  | unchanged              |
    | `<a href="//x.org/">`, `<a href="y">` | any               | unchanged              |

    Args:
        html_text: HTML as `render_markdown` makes it.
        base_path: "" or the site's base path.
        trailing_slash: the site's trailing_slash setting.
    """
    if not base_path and not trailing_slash:
        return html_text

    def replace(match: re.Match[str]) -> str:
        quote, url = ('"', match.group(3)) if match.group(3) is not None else ("'", match.group(4))
        if base_path and (url == "/" or url.startswith(("/#", "/?"))):
            home = with_base_path(url, base_path, trailing_slash=trailing_slash)
            return f"{match.group(1)}{quote}{home}{quote}"
        if trailing_slash and match.group(2).lower() == "href":
            url = _page_form(url)
        return f"{match.group(1)}{quote}{base_path}{url}{quote}"

    return _ROOTED.sub(replace, html_text)


def _page_form(url: str) -> str:
    """A root-relative URL with its path ending in "/", unless it names a file ("a.png")."""
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    path = url[:cut]
    if path.endswith("/") or "." in path.rpartition("/")[2]:
        return url
    return path + "/" + url[cut:]


def _count_words(raw: str) -> int:
    """Whitespace-separated words of `raw` without its tags: `len(_TAG.sub("", raw).split())`.

    For ASCII (most posts), counted on bytes: the start of each word is a b" x" in the
    text's shape, found by `bytes.count` instead of building a list of every word.
    """
    if not raw.isascii():
        return len(_TAG.sub("", raw).split())
    shape = _TAG_BYTES.sub(b"", raw.encode("ascii")).translate(_WORD_SHAPE)
    return shape.count(b" x") + shape.startswith(b"x")


def _plain_text(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", fragment)).split())


def _slugify(text: str) -> str:
    """GitHub's heading anchor: "Hello, World!" -> "hello-world"; "" -> "section"."""
    return _NOT_SLUG.sub("", text.lower()).replace(" ", "-") or "section"


def _unique(anchor: str, used: set[str]) -> str:
    # As github-slugger: the first keeps the name, repeats get -1, -2, ... skipping
    # any suffix a heading already took ("a", "a-1" heading, then "a" -> "a-2").
    candidate = anchor
    suffix = 0
    while candidate in used:
        suffix += 1
        candidate = f"{anchor}-{suffix}"
    used.add(candidate)
    return candidate


def _first_paragraph(raw: str) -> str:
    for match in _FIRST_PARAGRAPH.finditer(raw):
        text = _plain_text(match.group(1))
        if text:
            return text
    return ""
