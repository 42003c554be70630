"""What users of other generators find: GitHub alerts, Hugo's summary divider and
shortcodes, and `Entry.path` for nested folders."""

from __future__ import annotations

from ssg.content import load_collection, render_markdown

from .conftest import WritePosts


def post(body: str, title: str = "Hello") -> str:
    return f"---\ntitle: {title}\ndate: 2020-01-01\n---\n{body}\n"


def test_github_alerts_get_github_s_markup() -> None:
    html = render_markdown(
        "> [!NOTE]\n> Read **this**.\n\n"
        "> [!caution]\n>\n> Two paragraphs.\n>\n> > A quote inside.\n\n"
        "> [!TIP] not alone on its line\n\n"
        "> A plain quote.\n\n"
        "```\n> [!WARNING]\n> in code\n```\n"
    ).html

    assert (
        '<div class="markdown-alert markdown-alert-note">\n'
        '<p class="markdown-alert-title">Note</p>\n'
        "<p>Read <strong>this</strong>.</p>\n</div>"
    ) in html
    assert (
        '<div class="markdown-alert markdown-alert-caution">\n'
        '<p class="markdown-alert-title">Caution</p>\n'
        "<p>Two paragraphs.</p>\n<blockquote>\n<p>A quote inside.</p>\n</blockquote>\n</div>"
    ) in html
    assert "<blockquote>\n<p>[!TIP] not alone on its line</p>\n</blockquote>" in html
    assert "<blockquote>\n<p>A plain quote.</p>\n</blockquote>" in html
    assert "[!WARNING]\n&gt; in code" in html
    assert html.count("markdown-alert-title") == 2


def test_the_summary_is_everything_before_hugo_s_more_divider(write_posts: WritePosts) -> None:
    folder = write_posts(
        {
            "more.md": post("First *para*.\n\nSecond &amp; para.\n\n<!--more-->\n\nThird."),
            "plain.md": post("Only the first.\n\nNot this.", title="Plain"),
            "given.md": "---\ntitle: G\nsummary: Mine.\n---\nA.\n\n<!--more-->\n\nB.\n",
        }
    )

    posts = load_collection(folder)

    assert [(e.slug, e.summary) for e in posts] == [
        ("more", "First para. Second & para."),
        ("plain", "Only the first."),
        ("given", "Mine."),
    ]


def test_hugo_shortcodes_outside_code_are_one_warning_per_post(write_posts: WritePosts) -> None:
    folder = write_posts(
        {
            "hugo.md": post(
                "Intro.\n\n{{< youtube abc >}}\n\n{{% notice %}}x{{% /notice %}}\n\n"
                '[ref]({{< ref "more.md" >}})'
            ),
            "code.md": post("`{{< youtube abc >}}`\n\n```\n{{% notice %}}\n```", title="Code"),
        }
    )

    problems = load_collection(folder).warnings

    assert [(p.source_file.name, p.line) for p in problems] == [("hugo.md", 7)]
    assert problems[0].message == (
        "Hugo shortcode {{< youtube >}} (and notice, ref) left as text: rewrite it with a "
        "body_filter (docs: Coming from Hugo)"
    )


def test_entry_path_is_the_file_s_place_in_the_collection(write_posts: WritePosts) -> None:
    folder = write_posts(
        {
            "index.md": "# Home\n",
            "guide/index.md": "# Guide\n",
            "guide/install.md": "# Install\n",
            "reference/install.md": "# Install the API\n",
            "reference/index.md": "# Reference\n",
        }
    )

    docs = load_collection(folder)

    assert sorted(e.path for e in docs) == [
        "",
        "guide",
        "guide/install",
        "reference",
        "reference/install",
    ]
    found = docs.get(path="reference/install")
    assert found is not None and found.title == "Install the API"
    assert docs.get(path="/guide/") is not None and docs.get(path="nope") is None
    # Slugs clash (file names): not silently, and `path` tells the two apart.
    assert {e.slug for e in docs} >= {"install", "install-2"}
    (clash,) = [p for p in docs.warnings if "is shared by" in p.message]
    assert "'install'" in clash.message
