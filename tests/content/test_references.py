"""Page bundles and content warnings: relative files beside a post, missing files, empty headings."""

from __future__ import annotations

import pytest

from ssg.content import load_collection
from ssg.content.references import point_at, relative_targets
from ssg.errors import ContentError

from .conftest import InScope, WritePosts

PNG = b"\x89PNG\r\n\x1a\n fake image"


def post(body: str, title: str = "Hello") -> str:
    return f"---\ntitle: {title}\ndate: 2020-01-01\n---\n{body}\n"


def test_a_bundle_entry_lists_the_files_beside_it(write_posts: WritePosts) -> None:
    folder = write_posts(
        {
            "hello/index.md": post("![A diagram](diagram.png)"),
            "hello/diagram.png": "png",
            "hello/data/table.csv": "a,b",
            "hello/.DS_Store": "x",
            "flat.md": post("Flat.", "Flat"),
        }
    )

    posts = load_collection(folder)

    hello, flat = posts.get("hello"), posts.get("flat")
    assert hello is not None and flat is not None
    assert hello.bundle_files == ("data/table.csv", "diagram.png")
    assert flat.bundle_files == ()
    assert posts.warnings == ()


def test_get_in_a_render_points_bundle_references_at_the_page_url(
    write_posts: WritePosts, in_scope: InScope
) -> None:
    folder = write_posts(
        {
            "hello/index.md": post("![A](diagram.png) [data](./data.csv#x) [home](/)"),
            "hello/diagram.png": "png",
            "hello/data.csv": "a",
        }
    )
    with in_scope(folder.parent) as scope:
        entry = load_collection(folder).get("hello")

    assert entry is not None
    assert '<img src="/blog/hello/diagram.png" alt="A"' in entry.html
    assert 'href="/blog/hello/data.csv#x"' in entry.html
    assert 'href="/"' in entry.html
    assert scope.bundle_dirs == {folder / "hello": ("data.csv", "diagram.png")}


def test_bundle_references_include_the_base_path() -> None:
    html = '<p><img src="diagram.png" alt=""><a href="other.png?v=1">x</a></p>'

    result = point_at(html, frozenset({"diagram.png", "other.png"}), "/docs/blog/hello")

    assert result == (
        '<p><img src="/docs/blog/hello/diagram.png" alt="">'
        '<a href="/docs/blog/hello/other.png?v=1">x</a></p>'
    )


@pytest.mark.parametrize(
    ("target", "found"),
    [
        pytest.param("diagram.png", ["diagram.png"], id="relative"),
        pytest.param("img/a%20b.png?v=2#x", ["img/a b.png"], id="decoded"),
        pytest.param("/blog/x.png", [], id="root-relative"),
        pytest.param("https://example.org/x.png", [], id="absolute"),
        pytest.param("#top", [], id="fragment"),
        pytest.param("mailto:a@b.c", [], id="mailto"),
    ],
)
def test_relative_targets(target: str, found: list[str]) -> None:
    assert relative_targets(f'<a href="{target}">x</a>') == found


def test_a_missing_relative_file_is_a_warning_naming_post_and_line(
    write_posts: WritePosts,
) -> None:
    folder = write_posts(
        {
            "hello.md": post("Intro.\n\n![](missing.png)\n\n[old](2019/01/x.html) [t](/tags)"),
        }
    )

    posts = load_collection(folder)

    assert len(posts.warnings) == 1
    problem = posts.warnings[0]
    assert problem.source_file == folder / "hello.md"
    assert problem.line == 7
    assert "'missing.png'" in problem.message and "add the file" in problem.message


def test_a_pelican_link_is_a_warning_that_says_how_to_write_it(write_posts: WritePosts) -> None:
    folder = write_posts({"hello.md": post("See [b]({filename}/b.md).\n\n![x]({static}/x.png)")})

    problems = load_collection(folder).warnings

    assert [p.line for p in problems] == [5, 7]
    assert "'{filename}/b.md': Pelican's {filename}" in problems[0].message
    assert "body_filter" in problems[1].message and "add the file" not in problems[1].message


@pytest.mark.parametrize(
    "fence",
    [
        pytest.param("```text", id="highlighted"),
        pytest.param("```html", id="highlighted-html"),
        pytest.param("```", id="plain"),
    ],
)
def test_a_file_named_in_a_code_block_is_no_reference(write_posts: WritePosts, fence: str) -> None:
    # Highlighted code keeps its double quotes: the text reads like an attribute.
    code = '<img src="x.png">\nfoo src="y.png" href="z.pdf"'
    folder = write_posts({"hello.md": post(f"Code:\n\n{fence}\n{code}\n```\n")})

    posts = load_collection(folder)

    assert posts.warnings == ()


def test_a_bundle_file_named_in_a_code_block_stays_as_written(
    write_posts: WritePosts, in_scope: InScope
) -> None:
    folder = write_posts(
        {
            "hello/index.md": post('![A](diagram.png)\n\n```text\n<img src="diagram.png">\n```'),
            "hello/diagram.png": "png",
        }
    )
    with in_scope(folder.parent):
        entry = load_collection(folder).get("hello")

    assert entry is not None
    assert '<img src="/blog/hello/diagram.png" alt="A"' in entry.html
    assert '&lt;img src="diagram.png"&gt;' in entry.html


def test_a_heading_without_text_is_a_warning_outside_code(write_posts: WritePosts) -> None:
    folder = write_posts({"hello.md": post("# Title\n\n##\n\n```sh\n#\n```\n\n### ###\n")})

    posts = load_collection(folder)

    assert [(p.line, "heading without text" in p.message) for p in posts.warnings] == [
        (7, True),
        (13, True),
    ]


def test_strict_fails_on_a_missing_file(write_posts: WritePosts) -> None:
    folder = write_posts({"hello.md": post("![](gone.png)")})

    with pytest.raises(ContentError, match=r"gone\.png") as caught:
        load_collection(folder, strict=True)

    assert caught.value.line == 5


def test_many_problems_log_twenty_lines_then_a_count(
    write_posts: WritePosts, caplog: pytest.LogCaptureFixture
) -> None:
    folder = write_posts({f"post-{n:02}.md": post(f"![](gone-{n}.png)") for n in range(25)})

    with caplog.at_level("WARNING", logger="ssg.content"):
        posts = load_collection(folder)

    assert len(posts.warnings) == 25
    lines = [r.getMessage() for r in caplog.records if r.name == "ssg.content"]
    assert len(lines) == 21
    assert sum("gone-" in line for line in lines) == 20
    assert "and 5 more content problems" in lines[-1]
