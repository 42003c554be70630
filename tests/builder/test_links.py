"""The link check after every build: internal href/src of the written HTML must answer."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import ssg.builder.links
import ssg.builder.parallel
from ssg.builder.builder import build_site
from ssg.builder.links import LinkReader, canonical_url_path, extract_links, find_broken_links
from ssg.config import load_config
from ssg.errors import BrokenLinksError, SsgError
from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.conftest import MakeSite


@pytest.mark.parametrize(
    ("markup", "links"),
    [
        ('<a href="/blog/a#c">x</a>', ("/blog/a#c",)),
        ('<img src="diagram.png">', ("diagram.png",)),
        ('<a href="https://x.org/">x</a><a href="//x.org/">y</a>', ()),
        ('<a href="mailto:a@b.c">x</a><a href="#top">y</a>', ()),
        ('<link rel="canonical" href="/a"><link rel="stylesheet" href="/s.css">', ("/s.css",)),
        ('<a href="/a">1</a><a href="/a">2</a>', ("/a",)),
        ('<a href=" HTTPS://x.org/">x</a><img src="Https://x.org/i.png">', ()),
        ('<script src="/app.js"></script>', ("/app.js",)),
        # A real parser: markup inside a comment or as text is not a link.
        ('<!-- <a href="/gone">x</a> --><p>&lt;a href="/gone"&gt;</p>', ()),
        ('<a href="a:b/c">x</a>', ()),
        ('<a href="./a:b">x</a>', ("./a:b",)),
        ('<a href>x</a><a href=" ">y</a><img src=" /i.png ">', ("/i.png",)),
        ('<link rel="CANONICAL" href="/a"><area href="/m"><a src="/no">x</a>', ("/m",)),
    ],
    ids=[
        "fragment-kept",
        "relative-image",
        "other-origins",
        "mailto-and-fragment-only",
        "canonical-skipped",
        "repeat-once",
        "other-origins-any-case",
        "script",
        "comment-and-text",
        "scheme",
        "colon-after-slash",
        "empty-and-spaces",
        "rel-case-and-tag-attribute",
    ],
)
def test_extract_links(markup: str, links: tuple[str, ...]) -> None:
    assert extract_links(f"<!doctype html><html><body>{markup}</body></html>".encode()) == links


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("", "/"),
        ("/blog/", "/blog"),
        ("/blog/caf%c3%a9", "/blog/caf%C3%A9"),
        ("/a b/./c/../d", "/a%20b/d"),
        ("/a//b/", "/a/b"),
        ("/a/./b", "/a/b"),
        ("/a/b/..", "/a"),
        ("/.well-known/x~y_z.txt", "/.well-known/x~y_z.txt"),
        ("/a.b/c-d", "/a.b/c-d"),
    ],
    ids=[
        "empty",
        "slash",
        "encoded-once",
        "dots-and-space",
        "empty-part",
        "dot",
        "dot-dot",
        "dotfile",
        "plain",
    ],
)
def test_canonical_url_path(path: str, canonical: str) -> None:
    assert canonical_url_path(path) == canonical


def test_links_resolve_against_the_page_address_under_the_base_path() -> None:
    known = {"/blog/b", "/blog/c.png", "/"}
    broken = find_broken_links(
        [("/blog/a", ("/docs/blog/b", "c.png", "/blog/b", "../..", "/docs"))],
        answers=known.__contains__,
        base_path="/docs",
    )
    # "../.." climbs above the base path, as "/blog/b" starts outside it.
    assert [(b.link, b.target) for b in broken] == [("/blog/b", "/blog/b"), ("../..", "/")]
    assert all("outside the base path /docs" in b.reason for b in broken)


def test_relative_links_of_a_trailing_slash_page_resolve_inside_its_folder() -> None:
    broken = find_broken_links(
        [("/blog/a", ("c.png",))], answers={"/blog/a/c.png"}.__contains__, trailing_slash=True
    )
    assert broken == []


def _site(make_site: MakeSite, page: str, **extra: str) -> Path:
    return make_site({"app/layout.html": ROOT_LAYOUT, "app/page.html": page, **extra})


async def test_build_warns_naming_the_page_and_the_broken_link(
    make_site: MakeSite, build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    site = _site(
        make_site,
        '<a href="/about">ok</a> <a href="/nowhere">broken</a>',
        **{
            "app/about/page.html": '<img src="/logo.png"><a href="/">home</a>',
            "public/logo.png": "png",
        },
    )
    with caplog.at_level(logging.WARNING, logger="ssg"):
        result = await build(site)
    assert [(b.page, b.link) for b in result.broken_links] == [("/", "/nowhere")]
    assert any("/: /nowhere" in r.getMessage() for r in caplog.records)
    assert (site / "out" / "index.html").is_file()  # a warning: the build is written


async def test_strict_build_fails_on_broken_links_and_keeps_the_previous_output(
    make_site: MakeSite, build: Build
) -> None:
    site = _site(make_site, '<a href="/">home</a>')
    await build(site)
    (site / "app" / "page.html").write_text('<a href="/nowhere">x</a>', encoding="utf-8")
    with pytest.raises(BrokenLinksError, match=r"(?s)1 broken link.*/: /nowhere") as info:
        await build_site(load_config(site), strict=True)
    assert [(b.page, b.link) for b in info.value.links] == [("/", "/nowhere")]
    assert 'href="/"' in (site / "out" / "index.html").read_text(encoding="utf-8")


async def test_at_most_twenty_broken_links_are_shown_then_a_count(
    make_site: MakeSite, build: Build
) -> None:
    anchors = "".join(f'<a href="/missing-{n}">{n}</a>' for n in range(25))
    site = _site(make_site, anchors)
    with pytest.raises(SsgError) as raised:
        await build_site(load_config(site), strict=True)
    message = str(raised.value)
    assert "25 broken links in the build output" in message
    assert "/missing-19" in message and "/missing-20" not in message
    assert "... and 5 more" in message


async def test_routes_that_answer_on_demand_count_and_unlisted_params_do_not(
    make_site: MakeSite, build: Build
) -> None:
    site = _site(
        make_site,
        '<a href="/posts/unlisted">on demand</a><a href="/fixed/unlisted">404</a>'
        '<a href="/fixed/a">listed</a><a href="/api/now">handler</a>',
        **{
            "app/posts/[slug]/page.html": "{{ params.slug }}",
            "app/posts/[slug]/page.py": "def generate_static_params(params):\n    return []\n",
            "app/fixed/[slug]/page.html": "{{ params.slug }}",
            "app/fixed/[slug]/page.py": (
                "dynamic_params = False\n"
                "def generate_static_params(params):\n    return [{'slug': 'a'}]\n"
            ),
            "app/api/now/route.py": "def GET(request, params):\n    return {'ok': True}\n",
        },
    )
    result = await build(site)
    assert [b.link for b in result.broken_links] == ["/fixed/unlisted"]


async def test_files_pages_and_assets_answer(make_site: MakeSite, build: Build) -> None:
    site = make_site(
        {
            "app/layout.html": ('{% extends "theme/base.html" %}'),
            "app/page.html": (
                '<a href="/docs/guide.pdf">pdf</a><a href="/blog">blog</a>'
                '<a href="/feed.xml">feed</a><a href="/blog?page=2#top">q</a>'
            ),
            "app/blog/page.html": "blog",
            "app/feed.xml/route.py": (
                'dynamic = "force-static"\ndef GET(request, params):\n    return "<rss/>"\n'
            ),
            "public/docs/guide.pdf": "%PDF",
        }
    )
    result = await build(site)
    assert result.broken_links == []


async def test_a_rebuild_reads_only_the_pages_whose_bytes_changed(
    make_site: MakeSite, build: Build
) -> None:
    import json

    from ssg.builder.links import LINKS_FILE

    site = _site(make_site, '<a href="/about">about</a>', **{"app/about/page.html": "about"})
    first = await build(site)
    assert first.broken_links == []
    kept = site / ".ssg" / LINKS_FILE
    links = json.loads(kept.read_text())
    etag = first.manifest.pages["/"].etag
    assert links[etag] == ["/about"]
    # The home page is rendered again (its template changed) but its bytes are
    # unchanged, so its links come from the kept file.
    kept.write_text(json.dumps({etag: ["/kept-from-last-build"]}))
    (site / "app" / "page.html").write_text('<a href="/about">about</a>{# same bytes #}')
    (site / "app" / "about" / "page.html").write_text('<a href="/gone">x</a>')
    second = await build(site)
    assert sorted(b.link for b in second.broken_links) == ["/gone", "/kept-from-last-build"]


def test_link_reader_reads_the_queued_pages_once_a_batch_is_due(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ssg.builder.links, "READ_BATCH_BYTES", 100)
    reader = LinkReader({"etag-b": ("/kept",)})
    reader.add(0, b'<a href="/a">a</a>' + b"." * 50, "etag-a")
    assert not reader.due
    reader.add(1, b'<a href="/changed">b</a>', "etag-b")  # a known ETag: not parsed
    reader.add(2, b'<img src="/c.png">' + b"." * 50, "etag-c")
    assert reader.due
    assert reader.read() == [(0, ("/a",)), (1, ("/kept",)), (2, ("/c.png",))]
    assert not reader.due
    assert reader.read() == []


async def test_both_render_processes_report_their_pages_links(
    make_site: MakeSite, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two processes from 2 pages on, each reading its pages' links a page at a time.
    monkeypatch.setattr(ssg.builder.parallel, "_should_fork", lambda count: count >= 2)
    monkeypatch.setattr(ssg.builder.links, "READ_BATCH_BYTES", 1)
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/page.html": "home",
            "app/p/[n]/page.html": '<a href="/p/{{ params.n }}">1</a><a href="/gone/{{ params.n }}">',
            "app/p/[n]/page.py": "def generate_static_params(p):\n"
            "    return [{'n': str(i)} for i in range(10)]\n",
        }
    )
    result = await build(site)
    assert [(b.page, b.link) for b in result.broken_links] == [
        (f"/p/{n}", f"/gone/{n}") for n in range(10)
    ]


_LINKED_POSTS = {
    "app/layout.html": ROOT_LAYOUT,
    "app/page.html": "home",
    "app/blog/[slug]/page.py": (
        "from ssg.content import load_collection\n"
        "dynamic_params = False  # an unlisted slug is a broken link\n"
        "def generate_static_params(params):\n"
        "    return [{'slug': p.slug} for p in load_collection('posts')]\n"
        "def load(params):\n"
        "    return {'post': load_collection('posts').get(params['slug'])}\n"
    ),
    "app/blog/[slug]/page.html": "{{ post.html }}",
    "posts/a.md": "---\ntitle: A\ndate: 2020-01-01\n---\n[to b](/blog/b) [gone](/blog/zz)\n",
    "posts/b.md": "---\ntitle: B\ndate: 2020-01-02\n---\n[to c](/blog/c)\n",
    "posts/c.md": "---\ntitle: C\ndate: 2020-01-03\n---\n[nowhere](/blog/nowhere) [to a](/blog/a)\n",
    "posts/d.md": "---\ntitle: D\ndate: 2020-01-04\n---\nNo links.\n",
}


def _broken(result: object) -> list[tuple[str, str]]:
    return [(b.page, b.link) for b in result.broken_links]  # type: ignore[attr-defined]


async def _cold_broken(site: Path) -> list[tuple[str, str]]:
    return _broken(await build_site(load_config(site), force=True))


async def test_an_edit_checks_the_edited_pages_and_keeps_the_others_answers_as_cold(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(_LINKED_POSTS)
    first = await build(site)
    assert _broken(first) == [("/blog/a", "/blog/zz"), ("/blog/c", "/blog/nowhere")]
    # b gains a broken link, d one; a's is fixed; c is not rendered and keeps its own.
    (site / "posts/b.md").write_text(
        "---\ntitle: B\ndate: 2020-01-02\n---\n[x](/blog/x) [to c](/blog/c) [y](/y)\n"
    )
    (site / "posts/d.md").write_text("---\ntitle: D\ndate: 2020-01-04\n---\n[q](/q)\n")
    (site / "posts/a.md").write_text("---\ntitle: A\ndate: 2020-01-01\n---\n[to b](/blog/b)\n")
    second = await build(site)
    assert second.pages_reused == 2  # / and c
    expected = [
        ("/blog/b", "/blog/x"),
        ("/blog/b", "/y"),
        ("/blog/c", "/blog/nowhere"),
        ("/blog/d", "/q"),
    ]
    assert _broken(second) == expected
    assert await _cold_broken(site) == expected


async def test_a_removed_page_breaks_the_links_of_pages_not_rendered_again(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(_LINKED_POSTS)
    await build(site)
    (site / "posts/a.md").unlink()
    second = await build(site)
    assert second.pages_rendered == 0  # c links to a: not rendered again
    expected = [("/blog/c", "/blog/nowhere"), ("/blog/c", "/blog/a")]
    assert _broken(second) == expected
    assert await _cold_broken(site) == expected
    # And back: the link on c answers again, though c is still not rendered.
    (site / "posts/a.md").write_text("---\ntitle: A\ndate: 2020-01-01\n---\nBack.\n")
    third = await build(site)
    assert third.pages_rendered == 1
    assert _broken(third) == [("/blog/c", "/blog/nowhere")]


async def test_a_file_removed_from_public_breaks_links_of_pages_not_rendered_again(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **_LINKED_POSTS,
            "posts/d.md": "---\ntitle: D\ndate: 2020-01-04\n---\n![logo](/logo.png)\n",
            "public/logo.png": "png",
        }
    )
    first = await build(site)
    assert ("/blog/d", "/logo.png") not in _broken(first)
    (site / "public/logo.png").unlink()
    second = await build(site)
    assert second.pages_rendered == 0
    assert ("/blog/d", "/logo.png") in _broken(second)
    assert _broken(second) == await _cold_broken(site)
