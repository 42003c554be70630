"""Pygments for fenced code: highlight one block, and the stylesheet the theme ships."""

from __future__ import annotations

import html
from collections.abc import Iterable
from functools import lru_cache

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.util import ClassNotFound

from ssg.content.lexing import join_root, speed_up

CSS_CLASS = "highlight"

# Properties a light style may set on a token that the dark style leaves alone;
# reset in dark mode so no light colour or weight leaks onto the dark background.
_DARK_RESET = (
    "color: inherit; background-color: transparent; font-weight: inherit; "
    "font-style: inherit; text-decoration: inherit; border: none"
)


@lru_cache(maxsize=256)
def find_lexer(language: str) -> Lexer | None:
    """Return the Pygments lexer for a fence's language name, or None if unknown.

    Never guesses from the code (`guess_lexer` tries every lexer: slow and
    often wrong). Lexer instances are stateless between calls, so one per name
    is cached for the whole process, with its rules joined
    (`ssg.content.lexing.speed_up`: the same tokens, fewer regex calls).

    Args:
        language: the name from the fence info string, e.g. "rust" or "Go".
    """
    try:
        lexer = get_lexer_by_name(language)  # case-insensitive alias lookup
    except ClassNotFound:
        return None
    return speed_up(lexer)


@lru_cache(maxsize=1)
def _formatter() -> HtmlFormatter[str]:
    return HtmlFormatter(cssclass=CSS_CLASS)


@lru_cache(maxsize=1)
def _builtin_aliases() -> frozenset[str]:
    return frozenset(
        alias
        for _name, aliases, _files, _types in get_all_lexers(plugins=False)
        for alias in aliases
    )


def preload_lexers(languages: Iterable[str]) -> int:
    """Make the lexers (and the formatter) for these fence languages now, ahead of the code.

    A process that forks parse workers calls this first, so each worker
    inherits them instead of importing the lexer modules and compiling their
    token rules again (Pygments compiles a lexer's rules on its first use),
    with the joined rules of their "root" state (`ssg.content.lexing.join_root`).
    Names Pygments has no built-in lexer for are skipped: looking them up
    would scan the installed packages' plugin entry points.

    Args:
        languages: fence language names as written ("rust", "Go").

    Returns:
        How many of them have a lexer.
    """
    known = _builtin_aliases()
    _formatter()
    made = 0
    for language in languages:
        lexer = find_lexer(language) if language.lower() in known else None
        if lexer is not None:
            join_root(lexer)
            made += 1
    return made


def render_code_block(code: str, language: str) -> str:
    """Render one fenced code block as HTML.

    Args:
        code: the block's text, unescaped.
        language: the first word of the fence info string ("" when none).

    Returns:
        `<div class="highlight"><pre>...</pre></div>` with Pygments token spans
        when the language is known; otherwise an escaped
        `<pre><code class="language-x">...</code></pre>` (no class without a language).
    """
    lexer = find_lexer(language) if language else None
    if lexer is None:
        attr = f' class="language-{html.escape(language)}"' if language else ""
        return f"<pre><code{attr}>{html.escape(code, quote=False)}</code></pre>\n"
    return highlight(code, lexer, _formatter())


def pygments_css(style_light: str = "default", style_dark: str = "monokai") -> str:
    """Return the stylesheet for highlighted code, light by default and dark on request.

    Only `.highlight` rules are emitted (Pygments' bare `pre { ... }` and
    line-number rules would restyle every `<pre>` on the site). The dark
    rules sit in `@media (prefers-color-scheme: dark)` with a doubled class,
    so they outrank the light ones without `!important`.

    Args:
        style_light: a Pygments style name for light mode.
        style_dark: a Pygments style name for dark mode.

    Returns:
        CSS text, e.g. `.highlight .k { color: #008000; font-weight: bold }`.

    Raises:
        pygments.util.ClassNotFound: a style name is unknown.
    """
    light = HtmlFormatter(style=style_light, cssclass=CSS_CLASS)
    dark = HtmlFormatter(style=style_dark, cssclass=CSS_CLASS)
    strong = f".{CSS_CLASS}.{CSS_CLASS}"
    dark_rules = [
        f"{strong} span {{ {_DARK_RESET} }}",
        *dark.get_background_style_defs(strong),
        *dark.get_token_style_defs(strong),
    ]
    return "\n".join(
        [
            f"/* Pygments styles: {style_light} (light), {style_dark} (dark) */",
            *light.get_background_style_defs(f".{CSS_CLASS}"),
            *light.get_token_style_defs(f".{CSS_CLASS}"),
            "@media (prefers-color-scheme: dark) {",
            *(f"  {rule}" for rule in dark_rules),
            "}",
            "",
        ]
    )
