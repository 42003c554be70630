"""GitHub's alerts: a blockquote opening with `[!NOTE]`, `[!TIP]`, `[!IMPORTANT]`,
`[!WARNING]` or `[!CAUTION]` becomes a titled box, in the markup GitHub gives it.

https://docs.github.com/en/get-started/writing-on-github/getting-started-with-writing-and-formatting-on-github/basic-writing-and-formatting-syntax#alerts
"""

from __future__ import annotations

import re

# The start of an alert as cmark-gfm writes the blockquote: the marker is the first line
# of its first paragraph, alone (then more lines of that paragraph, or its end).
_ALERT = re.compile(
    r"<blockquote>\n<p>\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*(\n|</p>\n)",
    re.IGNORECASE,
)
_QUOTE_TAG = re.compile(r"<(/?)blockquote>")


def has_alerts(body_html: str) -> bool:
    """True when `body_html` may hold an alert (a cheap first test)."""
    return "<p>[!" in body_html


def render_alerts(body_html: str) -> str:
    """Turn the alert blockquotes of cmark-gfm's HTML into GitHub's alert markup.

    | Markdown                        | HTML                                            |
    | ------------------------------- | ----------------------------------------------- |
    | `> [!NOTE]` / `> Read this.`    | `<div class="markdown-alert markdown-alert-note">` `<p class="markdown-alert-title">Note</p>` `<p>Read this.</p></div>` |
    | `> [!note] x` (text after it)   | unchanged: the marker must be alone on its line |

    Other blockquotes, nested ones included, are left as they are.
    """
    parts: list[str] = []
    done = 0
    for match in _ALERT.finditer(body_html):
        if match.start() < done:
            continue  # inside an alert already rewritten (a nested one keeps its markup)
        end = _closing_quote(body_html, match.end())
        if end is None:
            continue
        kind = match.group(1).lower()
        opening = (
            f'<div class="markdown-alert markdown-alert-{kind}">\n'
            f'<p class="markdown-alert-title">{kind.title()}</p>\n'
        )
        if match.group(2) == "\n":
            opening += "<p>"  # the marker's paragraph goes on
        parts += [body_html[done : match.start()], opening, body_html[match.end() : end], "</div>"]
        done = end + len("</blockquote>")
    return "".join(parts) + body_html[done:] if parts else body_html


def _closing_quote(body_html: str, start: int) -> int | None:
    """Where the `</blockquote>` closing the blockquote open at `start` begins, or None."""
    depth = 1
    for tag in _QUOTE_TAG.finditer(body_html, start):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.start()
    return None
