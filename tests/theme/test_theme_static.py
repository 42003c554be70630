"""The theme's static files: the stylesheet and the code-highlight CSS."""

from __future__ import annotations

import re

import pytest
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

SNIPPET = '@cache\ndef greet(name: str) -> str:\n    # say hello\n    return f"Hello {name}!"\n'


@pytest.fixture
def static_dir(pytestconfig):
    return pytestconfig.rootpath / "themes/default/static"


def test_stylesheet_supports_dark_mode_and_needs_no_fonts(static_dir):
    css = (static_dir / "style.css").read_text(encoding="utf-8")

    assert "@media (prefers-color-scheme: dark)" in css
    assert "@font-face" not in css
    assert "url(" not in css  # assets are fingerprinted: a relative url() would break


def test_highlight_css_colours_code_blocks_in_light_and_dark(static_dir):
    css = (static_dir / "highlight.css").read_text(encoding="utf-8")
    light, dark = css.split("@media (prefers-color-scheme: dark)")
    html = highlight(SNIPPET, PythonLexer(), HtmlFormatter(cssclass="highlight"))
    token_classes = set(re.findall(r'<span class="(\w+)"', html))
    styled_in_light = set(re.findall(r"^\.highlight \.(\w+) \{", light, re.MULTILINE))
    styled_in_dark = set(re.findall(r"^\s*\.highlight\.highlight \.(\w+) \{", dark, re.MULTILINE))

    assert {"k", "nf", "c1", "s2"} <= token_classes & styled_in_light & styled_in_dark
    # Dark mode first resets every token span, so no light colour leaks into it.
    assert re.search(r"\.highlight\.highlight span \{ color: inherit;", dark)


def test_highlight_css_leaves_plain_pre_alone(static_dir):
    css = (static_dir / "highlight.css").read_text(encoding="utf-8")

    assert not re.search(r"^\s*pre\b", css, re.MULTILINE)
