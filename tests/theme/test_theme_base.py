"""base.html: the document every page of a site using the default theme gets."""

from __future__ import annotations

from markupsafe import Markup

SITE_LAYOUT = """{% extends "theme/base.html" %}
{% block content %}<div class="site-wrapper">{{ children }}</div>{% endblock %}
"""


def test_document_has_landmarks_and_a_skip_link(render):
    page = render("base.html", children=Markup("<p>Hello</p>"))

    assert page.doctype == "doctype html"
    assert page.errors == []
    assert page.find("html").attrs["lang"] == "en"
    assert page.find("header")
    assert page.find("nav", aria_label="Main")
    assert page.find("main", id="main").text == "Hello"
    assert page.find("footer")
    skip_link = page.find("a", class_="skip-link")
    assert skip_link.attrs["href"] == "#main"
    assert page.find_all("a")[0] is skip_link


def test_document_is_responsive_and_links_the_fingerprinted_stylesheets(render):
    page = render("base.html")

    assert page.find("meta", name="viewport").attrs["content"] == (
        "width=device-width, initial-scale=1"
    )
    stylesheets = [link.attrs["href"] for link in page.find_all("link", rel="stylesheet")]
    assert stylesheets == ["/_assets/style.3f2a1b9c.css", "/_assets/highlight.3f2a1b9c.css"]
    assert not page.find_all("script")


def test_title_names_the_page_then_the_site(render):
    page = render("base.html", metadata={"title": "About"})

    assert page.find("title").text == "About · Field Notes"


def test_title_built_by_a_layout_title_template_is_used_as_it_is(render):
    # The metadata merge applied {"template": "%s · Notes"} and remembers it.
    metadata = {"title": "About · Notes", "_title_template": "%s · Notes"}

    assert render("base.html", metadata=metadata).find("title").text == "About · Notes"


def test_title_that_names_the_site_gets_no_suffix(render):
    page = render("base.html", metadata={"title": "About Field Notes"})

    assert page.find("title").text == "About Field Notes"


def test_title_is_the_site_title_on_a_page_without_one(render):
    assert render("base.html").find("title").text == "Field Notes"


def test_description_meta_comes_from_metadata(render):
    page = render("base.html", metadata={"description": "Who writes here."})

    assert page.find("meta", name="description").attrs["content"] == "Who writes here."


def test_description_meta_falls_back_to_the_site_description(render):
    page = render("base.html")

    assert page.find("meta", name="description").attrs["content"] == "Notes from the field."


def test_robots_meta_is_written_when_metadata_sets_it(render):
    page = render("base.html", metadata={"robots": "noindex"})

    assert page.find("meta", name="robots").attrs["content"] == "noindex"


def test_pages_are_indexable_by_default(render):
    assert render("base.html").find_all("meta", name="robots") == []


def test_site_layout_extending_the_theme_places_children_in_main(render, app_dir):
    (app_dir / "layout.html").write_text(SITE_LAYOUT, encoding="utf-8")

    page = render("layout.html", children=Markup("<h1>Welcome</h1>"))

    main = page.find("main", id="main")
    assert main.find("div", class_="site-wrapper").find("h1").text == "Welcome"
    assert page.find("header").find("a", class_="site-title").text == "Field Notes"
    assert page.errors == []


def test_site_layout_can_replace_one_block_and_keep_the_rest(render, app_dir):
    (app_dir / "layout.html").write_text(
        '{% extends "theme/base.html" %}{% block footer %}<footer>Custom</footer>{% endblock %}',
        encoding="utf-8",
    )

    page = render("layout.html", children=Markup("<p>Body</p>"))

    assert page.find("footer").text == "Custom"
    assert page.find("main").text == "Body"
    assert page.find("nav", aria_label="Main")


def test_site_can_add_to_the_head_with_super(render, app_dir):
    (app_dir / "layout.html").write_text(
        '{% extends "theme/base.html" %}'
        '{% block head %}{{ super() }}<link rel="me" href="https://example.org/me">{% endblock %}',
        encoding="utf-8",
    )

    head = render("layout.html").find("head")

    assert head.find("link", rel="me").attrs["href"] == "https://example.org/me"
    assert head.find("title").text == "Field Notes"


def test_theme_icon_is_linked_so_browsers_skip_favicon_ico(render, app_dir):
    head = render("theme/base.html").find("head")

    assert head.find("link", rel="icon").attrs["href"] == "/_assets/favicon.3f2a1b9c.svg"


def test_site_can_replace_the_icon(render, app_dir):
    (app_dir / "layout.html").write_text(
        '{% extends "theme/base.html" %}'
        '{% block favicon %}<link rel="icon" href="/favicon.ico">{% endblock %}',
        encoding="utf-8",
    )

    icons = render("layout.html").find("head").find_all("link", rel="icon")

    assert [icon.attrs["href"] for icon in icons] == ["/favicon.ico"]


def test_site_partial_shadows_the_theme_partial(render, app_dir):
    (app_dir / "not-found.html").write_text("<p>Nothing here, friend.</p>", encoding="utf-8")

    assert render("not-found.html").text == "Nothing here, friend."
    assert "Page not found" in render("theme/not-found.html").text


def test_missing_optional_site_keys_do_not_fail(render):
    page = render("base.html", site={}, metadata={}, url_path="/")

    assert page.find("title").text == "ssg site"
    assert page.find("html").attrs["lang"] == "en"
    assert page.find("a", class_="site-title").text == "ssg site"
    assert page.find_all("nav") == []
    assert page.find_all("meta", name="description") == []
    assert page.find_all("link", rel="canonical") == []
    assert page.errors == []


def test_missing_site_and_metadata_do_not_fail(theme_env):
    html = theme_env.get_template("base.html").render()

    assert "<title>ssg site</title>" in html


def test_user_text_is_escaped(render):
    hostile = '<script>alert("x")</script>'
    page = render(
        "base.html",
        site={**_site(), "title": f"Site {hostile}", "author": hostile},
        metadata={"title": f"Page {hostile}", "description": hostile},
    )

    assert page.find_all("script") == []
    assert page.find("title").text == f"Page {hostile} · Site {hostile}"
    assert page.find("meta", name="description").attrs["content"] == hostile
    assert page.find("footer").text.startswith(f"© {hostile}")
    assert "<script>" not in page.source


def test_children_html_is_not_escaped(render):
    page = render("base.html", children=Markup("<article><h1>Post</h1></article>"))

    assert page.find("main").find("article").find("h1").text == "Post"


def test_language_comes_from_the_site_config(render):
    page = render("base.html", site={"language": "fr"})

    assert page.find("html").attrs["lang"] == "fr"


def test_nav_marks_the_current_page_and_section(render):
    page = render("base.html", url_path="/blog/hello")
    links = {link.text: link for link in page.find("nav", aria_label="Main").find_all("a")}

    assert links["Blog"].attrs["aria-current"] == "true"
    assert "aria-current" not in links["About"].attrs

    page = render("base.html", url_path="/about")
    links = {link.text: link for link in page.find("nav", aria_label="Main").find_all("a")}
    assert links["About"].attrs["aria-current"] == "page"


def test_canonical_and_open_graph_need_a_base_url(render):
    page = render(
        "base.html",
        site={**_site(), "base_url": "https://notes.example/"},
        metadata={"title": "Hello", "description": "A first post."},
        url_path="/blog/hello",
    )

    assert page.find("link", rel="canonical").attrs["href"] == "https://notes.example/blog/hello"
    assert page.find("meta", property="og:title").attrs["content"] == "Hello"
    assert page.find("meta", property="og:description").attrs["content"] == "A first post."
    assert page.find("meta", property="og:url").attrs["content"] == (
        "https://notes.example/blog/hello"
    )


def test_no_absolute_urls_without_a_base_url(render):
    page = render("base.html", metadata={"title": "Hello"}, url_path="/blog/hello")

    assert page.find_all("link", rel="canonical") == []
    assert page.find_all("meta", property="og:title") == []


def test_metadata_canonical_wins(render):
    page = render(
        "base.html",
        site={**_site(), "base_url": "https://notes.example"},
        metadata={"canonical": "/blog/original"},
        url_path="/blog/copy",
    )

    assert page.find("link", rel="canonical").attrs["href"] == "https://notes.example/blog/original"


def test_noindex_page_has_no_canonical(render):
    page = render(
        "base.html",
        site={**_site(), "base_url": "https://notes.example"},
        metadata={"robots": "noindex"},
        url_path="/missing",
    )

    assert page.find_all("link", rel="canonical") == []


def test_feed_is_advertised_as_rss(render):
    page = render("base.html")

    feed = page.find("link", rel="alternate", type="application/rss+xml")
    assert feed.attrs["href"] == "/feed.xml"
    assert page.find("footer").find("a", href="/feed.xml")


def test_site_without_a_feed_can_turn_the_links_off(render):
    page = render("base.html", site={**_site(), "feed_url": ""})

    assert page.find_all("link", rel="alternate") == []
    assert page.find("footer").find_all("a", href="/feed.xml") == []


def _site() -> dict[str, object]:
    return {"title": "Field Notes", "nav": [{"title": "Blog", "url": "/blog"}]}
