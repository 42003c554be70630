"""Markdown: GFM features, raw HTML kept, template syntax literal, anchors, highlighted code."""

from __future__ import annotations

import re

import pytest

from ssg.content import Heading, pygments_css, render_markdown


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        pytest.param(
            "| a | b |\n|---|:-:|\n| 1 | 2 |\n",
            '<th align="center">b</th>',
            id="table",
        ),
        pytest.param(
            "- [x] done\n- [ ] todo\n",
            '<input type="checkbox" checked="" disabled="" /> done',
            id="task-list",
        ),
        pytest.param(
            "See www.example.com now\n",
            '<a href="http://www.example.com">www.example.com</a>',
            id="autolink-www",
        ),
        pytest.param(
            "See https://go.dev/blog.\n",
            '<a href="https://go.dev/blog">https://go.dev/blog</a>.',
            id="autolink-url",
        ),
        pytest.param("~~gone~~\n", "<del>gone</del>", id="strikethrough"),
        pytest.param(
            "Note[^1].\n\n[^1]: The footnote.\n",
            '<a href="#fn-1" id="fnref-1" data-footnote-ref>1</a>',
            id="footnote-ref",
        ),
        pytest.param(
            "Note[^1].\n\n[^1]: The footnote.\n",
            '<li id="fn-1">\n<p>The footnote.',
            id="footnote-body",
        ),
    ],
)
def test_gfm_features_render(markdown: str, expected: str) -> None:
    assert expected in render_markdown(markdown).html


@pytest.mark.parametrize(
    "raw_html",
    [
        "<details><summary>More</summary>Hidden</details>",
        '<div class="chart"><script>draw()</script></div>',
        '<iframe src="https://example.org/embed"></iframe>',
    ],
)
def test_raw_html_is_kept_without_the_gfm_tag_filter(raw_html: str) -> None:
    assert raw_html in render_markdown(f"Intro\n\n{raw_html}\n").html


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        pytest.param("Hello {{ name }}!\n", "<p>Hello {{ name }}!</p>", id="expression"),
        pytest.param("{% if x %}y{% endif %}\n", "<p>{% if x %}y{% endif %}</p>", id="statement"),
        pytest.param('{{image "x/y.png"}}\n', "<p>{{image &quot;x/y.png&quot;}}</p>", id="go-tmpl"),
    ],
)
def test_template_syntax_stays_literal_text(markdown: str, expected: str) -> None:
    assert expected in render_markdown(markdown).html


def test_every_heading_gets_a_unique_github_style_id() -> None:
    markdown = "# Hello, World!\n\n## Hello, World!\n\n## Hello World-1\n\n### Hello, World!\n"

    rendered = render_markdown(markdown)

    assert rendered.toc == (
        Heading(1, "hello-world", "Hello, World!"),
        Heading(2, "hello-world-1", "Hello, World!"),
        Heading(2, "hello-world-1-1", "Hello World-1"),
        Heading(3, "hello-world-2", "Hello, World!"),
    )
    ids = re.findall(r'<h[1-6] id="([^"]+)">', rendered.html)
    assert ids == [heading.id for heading in rendered.toc]


def test_heading_text_in_toc_is_plain_and_unescaped() -> None:
    rendered = render_markdown("## Use `Option<T>` & [links](/x)\n")

    assert rendered.toc == (Heading(2, "use-optiont--links", "Use Option<T> & links"),)
    assert '<h2 id="use-optiont--links">Use <code>Option&lt;T&gt;</code>' in rendered.html


def test_heading_without_word_characters_gets_a_fallback_id() -> None:
    assert render_markdown("## 🦀\n").toc == (Heading(2, "section", "🦀"),)


def test_fenced_code_with_a_known_language_is_highlighted() -> None:
    html = render_markdown('```rust\nfn main() { println!("<hi>"); }\n```\n').html

    assert html.startswith('<div class="highlight"><pre>')
    assert '<span class="k">fn</span>' in html
    assert "&lt;hi&gt;" in html
    assert "<pre lang=" not in html


@pytest.mark.parametrize("info", ["rust,ignore", "Rust", "rust {.numbered}"])
def test_fence_language_is_the_first_word_of_the_info_string(info: str) -> None:
    html = render_markdown(f"```{info}\nfn main() {{}}\n```\n").html

    assert '<span class="k">fn</span>' in html


def test_fenced_code_with_an_unknown_language_is_escaped_plain_text() -> None:
    html = render_markdown("```nosuchlang\n<b>&amp;</b>\n```\n").html

    assert html == (
        '<pre><code class="language-nosuchlang">&lt;b&gt;&amp;amp;&lt;/b&gt;\n</code></pre>\n'
    )


def test_code_without_a_language_is_not_highlighted() -> None:
    html = render_markdown("```\nfn main() {}\n```\n\n    indented <x>\n").html

    assert "highlight" not in html
    assert "<pre><code>fn main() {}\n</code></pre>" in html
    assert "<pre><code>indented &lt;x&gt;\n</code></pre>" in html


def test_template_syntax_in_code_stays_literal() -> None:
    html = render_markdown('```rust\nlet s = "{{closure}}";\n```\n').html

    assert "{{closure}}" in html


def test_word_count_counts_visible_words_not_markup() -> None:
    rendered = render_markdown("# Title here\n\nOne [two](https://x.org/a-b) *three*.\n")

    assert rendered.word_count == 5


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("a b\tc\n\nd\n", 4, id="ascii"),
        pytest.param("<div>x <!-- a >>b -->y</div>\n", 3, id="stray-bracket-in-raw-html"),
        pytest.param("caf\u00e9 na\u00efve\u00a0r\u00e9sum\u00e9\n", 3, id="non-ascii-nbsp"),
        pytest.param("x\u2003y\n", 2, id="unicode-space"),
        pytest.param("", 0, id="empty"),
    ],
)
def test_word_count_splits_on_whitespace_as_str_split(text: str, words: int) -> None:
    assert render_markdown(text).word_count == words


def test_first_paragraph_is_plain_text_skipping_empty_ones() -> None:
    rendered = render_markdown('# T\n\n<p></p>\n\nFirst **bold** &amp; <a href="/x">link</a>.\n')

    assert rendered.first_paragraph == "First bold & link."


def test_pygments_css_has_light_rules_and_a_dark_media_block() -> None:
    css = pygments_css()

    light, dark = css.split("@media (prefers-color-scheme: dark) {")
    assert ".highlight .k { color: #008000; font-weight: bold }" in light
    assert ".highlight.highlight .k { color: #66D9EF }" in dark
    assert dark.rstrip().endswith("}")


def test_pygments_css_only_styles_highlight_blocks() -> None:
    selectors = [
        line.strip().split("{")[0]
        for line in pygments_css().splitlines()
        if "{" in line and not line.startswith("@media")
    ]

    assert selectors
    assert all(selector.startswith(".highlight") for selector in selectors)
