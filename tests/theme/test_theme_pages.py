"""post.html, not-found.html and error.html: the theme's page bodies."""

from __future__ import annotations

from datetime import date

from markupsafe import Markup

POST = {
    "title": "Writing a theme",
    "url": "/blog/writing-a-theme",
    "date": date(2024, 5, 17),
    "authors": ["Ada", "Grace"],
    "reading_time_minutes": 6,
    "tags": ["design"],
    "html": Markup('<h2 id="why">Why</h2><p>Because <code>&lt;b&gt;</code>.</p>'),
    "toc": [(2, "why", "Why"), (2, "how", "How"), (3, "css", "CSS")],
}
PREV = {"title": "Older post", "url": "/blog/older"}
NEXT = {"title": "Newer post", "url": "/blog/newer"}


def test_post_shows_title_byline_and_body(render):
    page = render("post.html", post=POST)

    article = page.find("article", class_="post")
    assert article.find("h1").text == "Writing a theme"
    assert article.find("p", class_="post-meta").text == "May 17, 2024 · by Ada, Grace · 6 min read"
    assert article.find("time").attrs["datetime"] == "2024-05-17"
    assert article.find("a", rel="tag").attrs["href"] == "/tags/design"
    assert page.errors == []


def test_post_body_html_is_rendered_not_escaped(render):
    body = render("post.html", post=POST).find("div", class_="prose")

    assert body.find("h2", id="why").text == "Why"
    assert body.find("code").text == "<b>"


def test_post_with_headings_gets_a_table_of_contents(render):
    page = render("post.html", post=POST)

    toc = page.find("nav", aria_label="Table of contents")
    assert [a.attrs["href"] for a in toc.find_all("a")] == ["#why", "#how", "#css"]


def test_short_post_has_no_table_of_contents(render):
    page = render("post.html", post={**POST, "toc": [(2, "why", "Why")]})

    assert page.find_all("nav", aria_label="Table of contents") == []


def test_post_links_the_previous_and_next_posts(render):
    page = render("post.html", post=POST, prev_post=PREV, next_post=NEXT)

    nav = page.find("nav", aria_label="More posts")
    assert nav.find("a", rel="prev").attrs["href"] == "/blog/older"
    assert "Older post" in nav.find("a", rel="prev").text
    assert nav.find("a", rel="next").attrs["href"] == "/blog/newer"


def test_post_neighbours_can_come_from_the_post(render):
    page = render("post.html", post={**POST, "prev": PREV})

    assert page.find("a", rel="prev").attrs["href"] == "/blog/older"
    assert page.find_all("a", rel="next") == []


def test_post_title_is_escaped(render):
    page = render("post.html", post={**POST, "title": "<i>T</i>"})

    assert page.find("h1").text == "<i>T</i>"
    assert page.find_all("i") == []


def test_not_found_says_so_and_links_home(render):
    page = render("not-found.html", url_path="/nope")

    assert page.find("h1").text == "Page not found"
    assert page.find("a", href="/").text == "Go to the home page"
    assert page.find("code").text == "/nope"


def test_not_found_page_in_the_site_layout_is_noindex(render, app_dir):
    (app_dir / "layout.html").write_text('{% extends "theme/base.html" %}', encoding="utf-8")
    body = render("not-found.html", url_path="/nope").source

    page = render(
        "layout.html",
        children=Markup(body),
        metadata={"title": "Page not found", "robots": "noindex"},
        url_path="/nope",
    )

    assert page.find("meta", name="robots").attrs["content"] == "noindex"
    assert page.find("main").find("h1").text == "Page not found"
    assert page.find("title").text == "Page not found · Field Notes"


def test_error_page_apologises_without_leaking_the_error(render):
    page = render("error.html", error=RuntimeError("password=hunter2"))

    assert page.find("h1").text == "Something went wrong"
    assert "hunter2" not in page.source
    assert page.find("a", href="/")
