"""`ssg build` leaves drafts and future posts out; `--drafts` keeps them; scheduled pages are due."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from ssg.builder.builder import build_site
from ssg.builder.report import print_report
from ssg.config import load_config
from ssg.revalidate import Revalidate
from tests.conftest import MakeSite

from .conftest import ROOT_LAYOUT

NOW = 2_000_000_000.0  # 2033-05-18, a fake clock far from the real one


def _site(make_site: MakeSite) -> Path:
    return make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/page.html": "{% for p in posts %}<a href='/blog/{{ p.slug }}'>{{ p.title }}</a>"
            "{% endfor %}",
            "app/page.py": "import drafts_site as blog\nrevalidate = 3600\n"
            "def load(params):\n    return {'posts': blog.posts()}\n",
            "app/blog/[slug]/page.html": "<h1>{{ post.title }}</h1>",
            "app/blog/[slug]/page.py": "import drafts_site as blog, ssg\n"
            "def generate_static_params(params):\n"
            "    return [{'slug': p.slug} for p in blog.posts()]\n"
            "def load(params):\n"
            "    post = blog.posts().get(params['slug'])\n"
            "    if post is None:\n        ssg.not_found()\n"
            "    return {'post': post}\n",
            "drafts_site.py": "import ssg\nfrom ssg.content import load_collection\n"
            "@ssg.cache\ndef posts():\n    return load_collection('content')\n",
            "content/old.md": "---\ntitle: Old\ndate: 2020-05-01\n---\nOld.\n",
            "content/draft.md": "---\ntitle: Draft\ndate: 2020-05-02\ndraft: true\n---\nD.\n",
            # 100 s after NOW
            "content/soon.md": "---\ntitle: Soon\ndate: 2033-05-18T03:35:00Z\n---\nS.\n",
        }
    )


def _add_feed(site: Path) -> None:
    """A prerendered feed of the posts (which lists a post only from its date)."""
    (site / "ssg.toml").write_text('base_url = "https://example.org"\n')
    (site / "app/feed.xml").mkdir()
    (site / "app/feed.xml/route.py").write_text(
        "import drafts_site as blog, ssg\ndynamic = 'force-static'\n"
        "def GET(request, params):\n"
        "    return ssg.feed(blog.posts(), url=lambda p: '/blog/' + p.slug)\n"
    )


async def test_build_leaves_drafts_and_future_posts_out(make_site: MakeSite) -> None:
    site = _site(make_site)

    await build_site(load_config(site), clock=lambda: NOW)

    home = (site / "out/index.html").read_text()
    assert "Old" in home and "Draft" not in home and "Soon" not in home
    assert (site / "out/blog/old.html").is_file()
    assert not (site / "out/blog/draft.html").exists()
    assert not (site / "out/blog/soon.html").exists()


async def test_a_page_that_left_out_a_future_post_is_due_at_its_date(
    make_site: MakeSite,
) -> None:
    site = _site(make_site)

    result = await build_site(load_config(site), clock=lambda: NOW)

    pages = result.manifest.pages
    assert pages["/"].revalidate == Revalidate.after(100)  # lower than the page's own 3600
    # generate_static_params ran in another scope: the post pages are due too.
    assert pages["/blog/old"].revalidate == Revalidate.after(100)


async def test_a_page_reused_by_a_later_build_still_goes_stale_at_the_post_date(
    make_site: MakeSite,
) -> None:
    site = _site(make_site)
    config = load_config(site)
    await build_site(config, clock=lambda: NOW)  # the post falls due at NOW + 100
    (site / "content/old.md").write_text("---\ntitle: Old\ndate: 2020-05-01\n---\nEdited.\n")

    later = await build_site(config, clock=lambda: NOW + 30)  # "/" is reused, not rendered
    unchanged = await build_site(config, clock=lambda: NOW + 40)
    cold = await build_site(config, clock=lambda: NOW + 40, force=True)

    assert later.pages_reused > 0 and unchanged.pages_rendered == 0
    for result in (later, unchanged, cold):
        home = result.manifest.pages["/"]
        assert home.generated_at + home.revalidate.to_json() == NOW + 100
    assert (
        json.loads((site / "out/_ssg/manifest.json").read_text())["pages"]["/"]["revalidate"] == 60
    )
    assert unchanged.manifest.pages == cold.manifest.pages  # as a cold build at that time


async def test_include_drafts_builds_drafts_and_future_posts(make_site: MakeSite) -> None:
    site = _site(make_site)

    await build_site(load_config(site), clock=lambda: NOW, include_drafts=True)

    home = (site / "out/index.html").read_text()
    assert "Draft" in home and "Soon" in home
    assert (site / "out/blog/draft.html").is_file()
    assert (site / "out/blog/soon.html").is_file()


def test_cli_drafts_flag(make_site: MakeSite) -> None:
    site = _site(make_site)
    (site / "content/soon.md").write_text(
        f"---\ntitle: Soon\ndate: {time.gmtime().tm_year + 5}-01-01\n---\nS.\n"
    )

    def built() -> set[str]:
        manifest = json.loads((site / "out/_ssg/manifest.json").read_text())
        return set(manifest["pages"])

    command = [sys.executable, "-m", "ssg", "build", str(site)]
    plain = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert plain.returncode == 0, plain.stderr
    assert built() == {"/", "/blog/old"}
    drafts = subprocess.run(
        [*command, "--drafts"], capture_output=True, text=True, timeout=120, check=False
    )
    assert drafts.returncode == 0, drafts.stderr
    assert built() == {"/", "/blog/old", "/blog/draft", "/blog/soon"}


def test_a_drafts_build_says_the_scheduled_post_is_shown_and_only_its_feed_waits(
    make_site: MakeSite,
) -> None:
    site = _site(make_site)
    year = time.gmtime().tm_year + 5
    (site / "content/soon.md").write_text(f"---\ntitle: Soon\ndate: {year}-01-01\n---\nS.\n")
    _add_feed(site)
    command = [sys.executable, "-m", "ssg", "build", str(site)]

    drafts = subprocess.run([*command, "--drafts"], capture_output=True, text=True, check=False)
    plain = subprocess.run(command, capture_output=True, text=True, check=False)

    assert drafts.returncode == plain.returncode == 0, drafts.stderr + plain.stderr
    shown = " ".join(drafts.stdout.split())  # rich wraps long lines
    assert f"Next scheduled post falls due at {year}-01-01 00:00:00 UTC" in shown
    assert "this --drafts build shows it already; feeds and sitemaps list it from then" in shown
    assert "publishes it then" not in shown
    assert "Soon" not in (site / "out/feed.xml").read_text()
    assert "`ssg serve` publishes it then" in " ".join(plain.stdout.split())


async def test_a_drafts_builds_feed_lists_a_scheduled_post_once_it_is_due(
    make_site: MakeSite,
) -> None:
    # A --drafts build's collection keeps the scheduled post, so none of the feed's reads
    # changes when the post falls due: its record's due date does, and the feed is
    # rendered again, as a cold build of the same moment gives it.
    site = _site(make_site)
    _add_feed(site)
    config = load_config(site)
    before = await build_site(config, clock=lambda: NOW, include_drafts=True)
    reused = await build_site(config, clock=lambda: NOW, include_drafts=True)
    assert reused.next_due_at == before.next_due_at == NOW + 100  # the summary's line
    assert "Soon" not in (site / "out/feed.xml").read_text()

    after = await build_site(config, clock=lambda: NOW + 101, include_drafts=True)

    assert after.pages_rendered == 1
    assert "Soon" in (site / "out/feed.xml").read_text()


async def test_export_build_says_when_the_next_scheduled_post_falls_due(
    make_site: MakeSite,
) -> None:
    site = _site(make_site)
    console = Console(record=True, width=200)

    result = await build_site(load_config(site, output="export"), clock=lambda: NOW)
    print_report(result, console)

    assert result.next_due_at == NOW + 100
    assert (
        "Next scheduled post falls due at 2033-05-18 03:35:00 UTC: this export leaves it out; "
        "rebuild at that time"
    ) in console.export_text()


async def test_build_without_scheduled_posts_says_nothing_about_them(
    make_site: MakeSite,
) -> None:
    site = _site(make_site)
    (site / "content/soon.md").unlink()
    console = Console(record=True, width=200)

    result = await build_site(load_config(site), clock=lambda: NOW)
    print_report(result, console)

    assert result.next_due_at is None
    assert "falls due" not in console.export_text()


async def test_route_table_names_the_day_a_scheduled_post_makes_a_route_stale(
    make_site: MakeSite,
) -> None:
    site = _site(make_site)
    # 200 days and 100 s after NOW: the home page's revalidate counts down to it.
    (site / "content/soon.md").write_text("---\ntitle: Soon\ndate: 2033-12-04T03:35:00Z\n---\nS\n")
    (site / "app/page.py").write_text(
        "import drafts_site as blog\ndef load(params):\n    return {'posts': blog.posts()}\n"
    )
    console = Console(record=True, width=200)

    result = await build_site(load_config(site), clock=lambda: NOW)
    print_report(result, console)

    home = next(line for line in console.export_text().splitlines() if line.split()[2:3] == ["/"])
    assert home.startswith("ISR 200d")
    assert "stale when a scheduled post falls due (2033-12-04)" in home
