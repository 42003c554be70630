"""What a post's body is checked for, and its summary divider: relative links and images
to files that are not there (Pelican's {filename} links named as such), Hugo shortcodes
left as text, headings without text, and Hugo's `<!--more-->`.

`ssg.content.parsing` runs them on every file it parses; each returns `ContentProblem`s
naming the file and line.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

from ssg.content.problems import ContentProblem, site_relative
from ssg.content.references import (
    is_file_reference,
    is_markdown_target,
    line_of,
    markdown_path,
    relative_targets,
)

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_EMPTY_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+#*)?[ \t]*$", re.MULTILINE)
# What every empty heading's line ends with: a search with a literal start (re finds a `#`
# fast), where `_EMPTY_HEADING`'s `^` is tried at every position of the body.
_HASH_AT_LINE_END = re.compile(r"#[ \t]*$", re.MULTILINE)


_PELICAN_PLACEHOLDERS = ("{filename}", "{static}", "{attach}", "|filename|", "|static|")
"""Pelican's intra-site link syntax (and its older |filename| form)."""


def missing_files(
    body_html: str, source_file: Path, content_dir: Path, body: str, body_line: int
) -> tuple[list[ContentProblem], tuple[tuple[str, bool], ...]]:
    """A problem per relative image or link to a file that is not there (`![](gone.png)`,
    `[next](gone.md)`, Zola's `@/gone.md`).

    Returns:
        (the problems, each file reference checked, as a path from the file's folder,
        with whether it exists).
    """
    problems = []
    checks = []
    for target in relative_targets(body_html):
        if not is_file_reference(target):
            continue
        if is_markdown_target(target):
            resolved = markdown_path(target, source_file.parent, content_dir)
            checked = os.path.relpath(resolved, source_file.parent)
        else:
            resolved, checked = source_file.parent / target, target
        exists = resolved.is_file()
        checks.append((checked, exists))
        if exists:
            continue
        if target.startswith(_PELICAN_PLACEHOLDERS):
            message = (
                f"refers to {target!r}: Pelican's {{filename}}, {{static}} and {{attach}} "
                "links are not rewritten; link to the URL itself ('/blog/<slug>', "
                "'/images/a.png') or rewrite them with a body_filter (docs: Coming from "
                "Pelican)"
            )
        elif is_markdown_target(target):
            start = "the collection's folder" if target.startswith("@/") else "the file's folder"
            message = (
                f"links to {target!r}, but {site_relative(resolved, content_dir)} does not "
                f"exist; fix the link (it starts at {start})"
            )
        else:
            message = (
                f"refers to {target!r}, which is not in "
                f"{site_relative(source_file.parent, content_dir)}; add the file there, put "
                "it in public/ and link it from the site's root ('/img/a.png'), or fix the "
                "link (a relative link starts at the post's folder)"
            )
        problems.append(ContentProblem(source_file, line_of(target, body, body_line), message))
    return problems, tuple(checks)


_MORE = re.compile(r"<!--more-->")
_CODE = re.compile(r"<pre\b.*?</pre>|<code\b.*?</code>", re.DOTALL)
_SHORTCODE = re.compile(r"\{\{(&lt;|%)\s*([A-Za-z][\w.-]*)")
_TAG = re.compile(r"<[^>]*>")


def before_more(body_html: str) -> str:
    """The plain text before Hugo's summary divider `<!--more-->` (as Hugo's `.Summary`),
    or "" without one."""
    found = _MORE.search(body_html)
    if found is None:
        return ""
    return " ".join(html.unescape(_TAG.sub("", body_html[: found.start()])).split())


def shortcodes(
    source_file: Path, body_html: str, body: str, body_line: int
) -> list[ContentProblem]:
    """One problem for the Hugo shortcodes (`{{< youtube x >}}`, `{{% notice %}}`) a body
    shows as text, outside code: naming the first, counting the others."""
    if "{{&lt;" not in body_html and "{{%" not in body_html:
        return []
    names: dict[str, str] = {}
    for match in _SHORTCODE.finditer(_CODE.sub("", body_html)):
        opener = "<" if match.group(1) == "&lt;" else "%"
        names.setdefault(match.group(2), opener)
    if not names:
        return []
    (first, opener), *others = names.items()
    closer = ">" if opener == "<" else "%"
    more = f" (and {', '.join(name for name, _ in others)})" if others else ""
    line = next(
        (
            body_line + body.count("\n", 0, found.start())
            for found in re.finditer(r"\{\{[<%]\s*" + re.escape(first), body)
        ),
        None,
    )
    message = (
        f"Hugo shortcode {{{{{opener} {first} {closer}}}}}{more} left as text: rewrite it "
        "with a body_filter (docs: Coming from Hugo)"
    )
    return [ContentProblem(source_file, line, message)]


def empty_headings(source_file: Path, body: str, body_line: int) -> list[ContentProblem]:
    """A problem per ATX heading with no text (`##` alone on its line), outside code fences."""
    if _HASH_AT_LINE_END.search(body) is None or _EMPTY_HEADING.search(body) is None:
        return []  # the usual case, found by a search instead of a walk over the lines
    problems = []
    fence: str | None = None
    for number, line in enumerate(body.splitlines(), start=body_line):
        opening = _FENCE.match(line)
        if opening is not None:
            marker = opening.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is None and _EMPTY_HEADING.match(line):
            problems.append(
                ContentProblem(
                    source_file,
                    number,
                    f"has a heading without text ({line.strip()!r}); write its text or "
                    "remove the line",
                )
            )
    return problems
