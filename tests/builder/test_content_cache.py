"""The content cache: a rebuild takes unchanged posts from SITE/.ssg/content instead of parsing them."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ssg.builder.builder import build_site
from ssg.config import SiteConfig, load_config
from ssg.content import parse_identity
from ssg.content import parsing as content_parsing
from tests.conftest import MakeSite

from .conftest import ROOT_LAYOUT


def post(title: str, body: str = "Some *text*.\n\n```python\nprint('hi')\n```\n") -> str:
    return f"---\ntitle: {title}\ndate: 2020-05-01\n---\n{body}"


def _site(make_site: MakeSite) -> Path:
    return make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/page.html": "{% for p in posts %}<a href='/blog/{{ p.slug }}'>{{ p.title }}</a>"
            "{% endfor %}",
            "app/page.py": "import cache_site as blog\n"
            "def load(params):\n    return {'posts': blog.posts()}\n",
            "app/blog/[slug]/page.html": "<h1>{{ post.title }}</h1>{{ post.html }}",
            "app/blog/[slug]/page.py": "import cache_site as blog\n"
            "def generate_static_params(params):\n"
            "    return [{'slug': p.slug} for p in blog.posts()]\n"
            "def load(params):\n    return {'post': blog.posts().get(params['slug'])}\n",
            "cache_site.py": "from ssg.content import load_collection\n"
            "def posts():\n    return load_collection('content', workers=1)\n",
            "content/one.md": post("One"),
            "content/two.md": post("Two", "See ![](figure.png).\n"),
            "content/three.md": post("Three"),
        }
    )


def touch_post(site: Path) -> None:
    """New times, same bytes: the next build reads the posts (with nothing changed at all,
    it would take the short cut, which reads none)."""
    post_file = site / "content/one.md"
    post_file.write_bytes(post_file.read_bytes())


def parse_counts(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The build's "Content in ...: N files unchanged ..., M parsed." lines, from their end."""
    return [
        record.getMessage().split(": ", 1)[1]
        for record in caplog.records
        if record.name == "ssg.content" and record.getMessage().startswith("Content in ")
    ]


def content_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and "content cache" in record.getMessage()
    ]


@pytest.fixture(autouse=True)
def fresh_identity() -> Iterator[None]:
    """The code identity is read once per process: forget it around tests that fake a version."""
    parse_identity.code_identity.cache_clear()
    yield
    parse_identity.code_identity.cache_clear()


async def test_a_rebuild_parses_only_the_edited_post(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site = _site(make_site)
    caplog.set_level(logging.INFO, logger="ssg.content")
    await build_site(load_config(site))
    cold = (site / "out/blog/two.html").read_bytes()
    assert list((site / ".ssg/content").glob("*.pickle")), "a cold build keeps its parses"
    (site / "content/one.md").write_text(post("One, edited"), encoding="utf-8")
    caplog.clear()

    await build_site(load_config(site))

    assert parse_counts(caplog) == [
        f"2 files unchanged since parsed (kept in {site / '.ssg/content'}), 1 parsed."
    ]
    assert "One, edited" in (site / "out/blog/one.html").read_text()
    assert (site / "out/blog/two.html").read_bytes() == cold
    # A post's warnings come back with it: two.md still refers to a missing file.
    assert any("figure.png" in record.getMessage() for record in caplog.records)


async def test_a_file_a_post_refers_to_appearing_reparses_it(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site = _site(make_site)
    await build_site(load_config(site))
    (site / "content/figure.png").write_bytes(b"\x89PNG")
    caplog.set_level(logging.INFO, logger="ssg.content")
    caplog.clear()

    await build_site(load_config(site))

    assert parse_counts(caplog)[0].endswith(", 1 parsed.")
    assert not any("figure.png" in record.getMessage() for record in caplog.records)


async def test_force_parses_everything_again(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site = _site(make_site)
    await build_site(load_config(site))
    caplog.set_level(logging.INFO, logger="ssg.content")

    await build_site(load_config(site), force=True)
    assert parse_counts(caplog) == []  # nothing came from the cache
    caplog.clear()
    touch_post(site)
    await build_site(load_config(site))  # ...and --force rewrote it
    assert parse_counts(caplog)[0].startswith("3 files unchanged")


async def test_a_corrupt_cache_is_logged_once_and_rebuilt(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site = _site(make_site)
    await build_site(load_config(site))
    cold = {p.name: p.read_bytes() for p in (site / "out/blog").iterdir()}
    for kept in (site / ".ssg/content").glob("*.pickle"):
        kept.write_bytes(b"\x80\x05 torn in half")
    caplog.set_level(logging.INFO, logger="ssg.content")
    touch_post(site)

    await build_site(load_config(site))

    assert len(content_warnings(caplog)) == 1
    assert "unreadable" in content_warnings(caplog)[0]
    assert {p.name: p.read_bytes() for p in (site / "out/blog").iterdir()} == cold
    caplog.clear()
    touch_post(site)
    await build_site(load_config(site))
    assert content_warnings(caplog) == []
    assert parse_counts(caplog)[0].startswith("3 files unchanged")


async def test_another_pygments_version_invalidates_the_cache(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pygments

    site = _site(make_site)
    await build_site(load_config(site))
    monkeypatch.setattr(pygments, "__version__", "0.0-other")
    parse_identity.code_identity.cache_clear()
    caplog.set_level(logging.INFO, logger="ssg.content")
    touch_post(site)

    await build_site(load_config(site))

    assert parse_counts(caplog) == []
    assert any("another ssg, cmarkgfm, Pygments" in r.getMessage() for r in caplog.records)


async def _preload(config: SiteConfig) -> int:
    """What a server starting on `config`'s last build preloads (its preload_collections)."""
    from ssg.content.memo import preload_collections
    from ssg.render.services import make_services
    from ssg.scope import ServiceMode
    from ssg.site import Site

    services = make_services(Site.load(config), mode=ServiceMode.SERVE, clock=lambda: 0.0)
    try:
        return preload_collections(services, config.cache_dir)
    finally:
        await services.aclose()


async def test_a_server_starts_with_the_posts_the_build_parsed(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site = _site(make_site)
    config = load_config(site)
    await build_site(config)
    caplog.set_level(logging.INFO, logger="ssg.content")
    assert await _preload(config) == 1

    assert parse_counts(caplog) == [
        f"3 files unchanged since parsed (kept in {site / '.ssg/content'}), 0 parsed."
    ]


async def test_a_corrupt_list_of_collections_is_logged_and_rewritten_by_the_next_build(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    from ssg.content.specs import SPECS_FILE

    site = _site(make_site)
    config = load_config(site)
    await build_site(config)
    caplog.clear()
    listed = config.cache_dir / SPECS_FILE
    good = listed.read_bytes()
    listed.write_bytes(good[: len(good) // 2])  # torn
    caplog.set_level(logging.INFO, logger="ssg.content")
    assert await _preload(config) == 0

    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith(f"{listed} is unreadable (")
    assert "the next build writes it again" in warning
    await build_site(load_config(site), force=True)
    assert listed.read_bytes() == good


async def test_an_edit_of_one_post_rewrites_only_the_recent_changes(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site = _site(make_site)
    await build_site(load_config(site))
    (whole,) = [p for p in (site / ".ssg/content").glob("*.pickle") if ".recent" not in p.name]
    kept = whole.read_bytes()
    (site / "content/one.md").write_text(post("One", "Edited.\n"))
    await build_site(load_config(site))
    assert whole.read_bytes() == kept  # the other posts were not written again
    assert whole.with_suffix(".recent.pickle").is_file()
    caplog.set_level(logging.INFO, logger="ssg.content")
    touch_post(site)
    await build_site(load_config(site))
    assert parse_counts(caplog)[0].startswith("3 files unchanged")  # the edit was kept
    assert "Edited." in (site / "out/blog/one.html").read_text()


async def test_an_edit_that_keeps_the_size_and_the_mtime_is_still_seen(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(content_parsing, "TRUSTED_STAMP_AGE_NS", 0)  # trust every stamp
    site = _site(make_site)
    await build_site(load_config(site))
    touch_post(site)
    await build_site(load_config(site))  # the posts' stamps are kept from here on
    one = site / "content/one.md"
    times = one.stat()
    one.write_text(one.read_text().replace("Some *text*", "Same *size*"))
    os.utime(one, ns=(times.st_atime_ns, times.st_mtime_ns))  # as `touch -r` or rsync -t
    await build_site(load_config(site))
    assert "Same <em>size</em>" in (site / "out/blog/one.html").read_text()


async def test_bodies_kept_unread_in_the_cache_render_as_a_cold_build_does(
    make_site: MakeSite,
) -> None:
    site = _site(make_site)
    (site / "content/four.md").write_text(post("Four", "Ünïcödé — 雪 🎉 *text*.\n"))
    (site / "content/one.md").write_text(post("One", "Edited — first.\n"))
    await build_site(load_config(site))
    (site / "content/one.md").write_text(post("One", "Edited — twice.\n"))
    await build_site(load_config(site))  # reads the other posts' bodies from the cache
    template = site / "app/blog/[slug]/page.html"
    template.write_text(template.read_text() + "<footer>{{ post.html }}</footer>")

    await build_site(load_config(site))  # every post page reads a body read from the cache
    incremental = {p.name: p.read_bytes() for p in (site / "out/blog").iterdir()}
    await build_site(load_config(site), force=True)

    assert incremental == {p.name: p.read_bytes() for p in (site / "out/blog").iterdir()}
    assert "Ünïcödé — 雪 🎉 <em>text</em>" in incremental["four.html"].decode()
    assert incremental["one.html"].decode().count("Edited — twice.") == 2


async def test_a_cache_cut_short_in_its_bodies_is_logged_once_and_rebuilt(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site = _site(make_site)
    await build_site(load_config(site))
    cold = {p.name: p.read_bytes() for p in (site / "out/blog").iterdir()}
    (whole,) = [p for p in (site / ".ssg/content").glob("*.pickle") if ".recent" not in p.name]
    whole.write_bytes(whole.read_bytes()[:-10])  # a write torn near its end
    caplog.set_level(logging.INFO, logger="ssg.content")
    touch_post(site)

    await build_site(load_config(site))

    assert len(content_warnings(caplog)) == 1
    assert "unreadable" in content_warnings(caplog)[0]
    assert {p.name: p.read_bytes() for p in (site / "out/blog").iterdir()} == cold
