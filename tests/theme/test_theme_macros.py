"""macros.html: post lists, tags, pagination and tables of contents."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from markupsafe import Markup

POSTS = [
    {
        "title": "Second post",
        "url": "/blog/second",
        "date": datetime(2024, 3, 9, 8, 30, tzinfo=UTC),
        "summary": "More notes.",
        "tags": ["python", "web dev"],
        "reading_time_minutes": 4,
    },
    {
        "title": "First post",
        "url": "/blog/first",
        "date": None,
        "summary": "",
        "tags": [],
        "reading_time_minutes": None,
    },
]


def post_list_page(render_string, posts, **macro_args):
    args = "".join(f", {name}={value!r}" for name, value in macro_args.items())
    return render_string(
        '{% from "theme/macros.html" import post_list %}{{ post_list(posts' + args + ") }}",
        posts=posts,
    )


def test_post_list_links_each_title(render_string):
    page = post_list_page(render_string, POSTS)

    titles = [(h2.text, h2.find("a").attrs["href"]) for h2 in page.find_all("h2")]
    assert titles == [("Second post", "/blog/second"), ("First post", "/blog/first")]
    assert len(page.find("ul", class_="post-list").find_all("article")) == 2
    assert page.errors == []


def test_post_list_shows_date_reading_time_and_summary(render_string):
    first = post_list_page(render_string, POSTS).find_all("article")[0]

    time = first.find("time")
    assert time.text == "March 9, 2024"
    assert time.attrs["datetime"] == "2024-03-09T08:30:00+00:00"
    assert "4 min read" in first.find("p", class_="post-meta").text
    assert first.find("p", class_="post-summary__text").text == "More notes."


def test_post_list_links_tags_to_tag_pages(render_string):
    first = post_list_page(render_string, POSTS).find_all("article")[0]

    tags = [(a.text, a.attrs["href"]) for a in first.find("ul", class_="tag-list").find_all("a")]
    assert tags == [("python", "/tags/python"), ("web dev", "/tags/web%20dev")]


def test_tags_with_their_own_url_link_there(render_string):
    post = {"title": "T", "url": "/t", "tags": [{"name": "CI/CD", "url": "/tags/ci-cd"}]}
    article = post_list_page(render_string, [post]).find_all("article")[0]

    tags = [(a.text, a.attrs["href"]) for a in article.find("ul", class_="tag-list").find_all("a")]
    assert tags == [("CI/CD", "/tags/ci-cd")]


def test_post_without_date_or_tags_renders_only_its_title(render_string):
    second = post_list_page(render_string, POSTS).find_all("article")[1]

    assert second.find_all("time") == []
    assert second.find_all("p") == []
    assert second.find_all("ul") == []


def test_post_list_heading_level_is_configurable(render_string):
    page = post_list_page(render_string, POSTS, heading_level=3)

    assert [h3.text for h3 in page.find_all("h3")] == ["Second post", "First post"]


def test_empty_post_list_says_so(render_string):
    assert post_list_page(render_string, []).text == "No posts yet."


def test_post_list_reads_content_entries_metadata(render_string):
    entry = {
        "slug": "hello",
        "url": "/blog/hello",
        "metadata": {"title": "Hello", "date": date(2024, 1, 2), "tags": ["intro"]},
        "html": Markup("<p>Hi</p>"),
    }

    article = post_list_page(render_string, [entry]).find("article")

    assert article.find("h2").text == "Hello"
    assert article.find("time").attrs["datetime"] == "2024-01-02"
    assert article.find("a", rel="tag").attrs["href"] == "/tags/intro"


def test_post_list_escapes_user_text(render_string):
    post = {"title": "<b>Bold</b>", "url": "/x", "summary": "<img src=x onerror=alert(1)>"}

    page = post_list_page(render_string, [post])

    assert page.find_all("b") == []
    assert page.find_all("img") == []
    assert page.find("h2").text == "<b>Bold</b>"


@pytest.mark.parametrize(
    "tags",
    [
        pytest.param({"python": 3, "rust": 1}, id="mapping"),
        pytest.param([("python", 3), ("rust", 1)], id="pairs"),
        pytest.param([{"name": "python", "count": 3}, {"name": "rust", "count": 1}], id="dicts"),
    ],
)
def test_tag_list_shows_counts_for_a_tag_index(render_string, tags):
    page = render_string(
        '{% from "theme/macros.html" import tag_list %}{{ tag_list(tags) }}', tags=tags
    )

    links = [(a.attrs["href"], a.text) for a in page.find_all("a")]
    assert links == [("/tags/python", "python 3 posts"), ("/tags/rust", "rust 1 post")]


def pagination_page(render_string, page, page_count, url_for_page):
    return render_string(
        '{% from "theme/macros.html" import pagination %}'
        "{{ pagination(page, page_count, url_for_page) }}",
        page=page,
        page_count=page_count,
        url_for_page=url_for_page,
    )


def blog_page_url(number):
    return "/blog" if number == 1 else f"/blog/page/{number}"


def test_pagination_marks_the_current_page_and_links_neighbours(render_string):
    nav = pagination_page(render_string, 2, 3, blog_page_url).find("nav", aria_label="Pagination")

    assert nav.find("a", rel="prev").attrs["href"] == "/blog"
    assert nav.find("a", rel="next").attrs["href"] == "/blog/page/3"
    current = nav.find("a", aria_current="page")
    assert current.text == "Page 2"
    assert current.attrs["href"] == "/blog/page/2"


def test_pagination_elides_far_pages(render_string):
    nav = pagination_page(render_string, 10, 20, blog_page_url).find("nav")

    numbers = [a.text.removeprefix("Page ") for a in nav.find_all("a") if not a.attrs.get("rel")]
    assert numbers == ["1", "8", "9", "10", "11", "12", "20"]
    assert len(nav.find_all("li", class_="pagination__gap")) == 2


def test_pagination_has_no_previous_link_on_the_first_page(render_string):
    nav = pagination_page(render_string, 1, 2, blog_page_url).find("nav")

    assert nav.find_all("a", rel="prev") == []
    assert nav.find("a", rel="next").attrs["href"] == "/blog/page/2"


def test_pagination_accepts_a_url_pattern(render_string):
    nav = pagination_page(render_string, 1, 2, "/posts/{page}").find("nav")

    assert nav.find("a", rel="next").attrs["href"] == "/posts/2"


def test_single_page_has_no_pagination(render_string):
    assert pagination_page(render_string, 1, 1, blog_page_url).find_all("nav") == []


def test_pager_links_previous_and_next_urls(render_string):
    page = render_string(
        '{% from "theme/macros.html" import pager %}{{ pager("/blog", none) }}',
    )

    assert page.find("a", rel="prev").attrs["href"] == "/blog"
    assert page.find_all("a", rel="next") == []


def test_toc_nests_headings_by_level(render_string):
    toc = [(2, "intro", "Intro"), (3, "setup", "Setup"), (3, "run", "Run"), (2, "end", "End")]

    page = render_string('{% from "theme/macros.html" import toc %}{{ toc(entries) }}', entries=toc)

    assert page.errors == []
    nav = page.find("nav", aria_label="Table of contents")
    top = nav.find("ul")
    top_items = [li for li in top.children if not isinstance(li, str)]
    assert [li.find("a").text for li in top_items] == ["Intro", "End"]
    assert [a.attrs["href"] for a in top_items[0].find("ul").find_all("a")] == ["#setup", "#run"]


def test_toc_keeps_lists_valid_when_a_level_is_skipped(render_string):
    toc = [(2, "a", "A"), (4, "b", "B"), (2, "c", "C")]

    page = render_string('{% from "theme/macros.html" import toc %}{{ toc(entries) }}', entries=toc)

    assert page.errors == []
    assert [a.text for a in page.find_all("a")] == ["A", "B", "C"]


def test_toc_keeps_headings_after_a_skipped_level_as_siblings(render_string):
    toc = [(2, "a", "A"), (4, "b1", "B1"), (4, "b2", "B2"), (3, "c", "C"), (2, "d", "D")]

    page = render_string('{% from "theme/macros.html" import toc %}{{ toc(entries) }}', entries=toc)

    assert page.errors == []
    top = page.find("nav", aria_label="Table of contents").find("ul")
    top_items = [li for li in top.children if not isinstance(li, str)]
    assert [li.find("a").text for li in top_items] == ["A", "D"]
    lists = [ul for ul in top_items[0].children if not isinstance(ul, str) and ul.tag == "ul"]
    assert [[a.text for a in ul.find_all("a")] for ul in lists] == [["B1", "B2"], ["C"]]


def test_toc_escapes_heading_text(render_string):
    page = render_string(
        '{% from "theme/macros.html" import toc %}{{ toc(entries) }}',
        entries=[(2, "x", "<em>x</em>")],
    )

    assert page.find_all("em") == []


def test_toc_leaves_out_the_h1_and_deep_headings(render_string):
    toc = [(1, "title", "Title"), (2, "a", "A"), (5, "deep", "Deep"), (3, "b", "B")]

    page = render_string('{% from "theme/macros.html" import toc %}{{ toc(entries) }}', entries=toc)

    assert [a.text for a in page.find_all("a")] == ["A", "B"]


def test_toc_accepts_the_markdown_renderers_headings(render_string):
    from ssg.content.markdown import render_markdown

    rendered = render_markdown("# Title\n\n## Install\n\n### With pip\n\n## Use\n")

    page = render_string(
        '{% from "theme/macros.html" import toc %}{{ toc(entries) }}', entries=rendered.toc
    )

    assert [a.attrs["href"] for a in page.find_all("a")] == ["#install", "#with-pip", "#use"]
    assert page.errors == []
