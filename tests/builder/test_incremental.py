"""Incremental builds: only what an edit affects is rendered, and the output is a cold build's."""

from __future__ import annotations

import json
import os
import pickle
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from ssg.builder.build_records import RECORDS_FORMAT, load_records
from ssg.builder.builder import build_site
from ssg.builder.incremental import holds_any
from ssg.builder.kept_files import records_file
from ssg.builder.report import render_counts
from ssg.builder.unchanged import unchanged_build
from ssg.config import load_config
from ssg.errors import SsgError
from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.conftest import MakeSite

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "blog"
CORPUS = Path(__file__).parents[1] / "fixtures" / "rust-blog-sample" / "posts"
"""32 real posts (30 files, 2 page bundles) of rust-blog, kept with the tests (see its README)."""

POSTS_SITE = {
    "app/layout.html": ROOT_LAYOUT,
    "app/page.py": (
        "from ssg.content import load_collection\n"
        "def load(params):\n"
        "    posts = load_collection('posts')\n"
        "    return {'titles': [p.title for p in posts]}\n"
    ),
    "app/page.html": "{% for t in titles %}<p>{{ t }}</p>{% endfor %}",
    "app/blog/[slug]/page.py": (
        "from ssg.content import load_collection\n"
        "def generate_static_params(params):\n"
        "    return [{'slug': p.slug} for p in load_collection('posts')]\n"
        "def load(params):\n"
        "    return {'post': load_collection('posts').get(params['slug'])}\n"
    ),
    "app/blog/[slug]/page.html": "<h1>{{ post.title }}</h1>{{ post.html }}",
    "posts/a.md": "---\ntitle: A\ndate: 2020-01-01\n---\nBody of a.\n",
    "posts/b.md": "---\ntitle: B\ndate: 2020-01-02\n---\nBody of b.\n",
    "posts/c.md": "---\ntitle: C\ndate: 2020-01-03\n---\nBody of c.\n",
}


async def test_a_body_edit_renders_only_the_page_that_shows_the_body(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(POSTS_SITE)
    first = await build(site)
    assert (first.pages_rendered, first.pages_reused) == (4, 0)
    assert first.full_render_reason == "no previous build"
    (site / "posts/b.md").write_text("---\ntitle: B\ndate: 2020-01-02\n---\nNew body.\n")
    second = await build(site)
    assert (second.pages_rendered, second.pages_reused) == (1, 3)
    assert second.full_render_reason is None
    assert "New body." in (site / "out/blog/b.html").read_text()


async def test_the_summary_names_what_changed(make_site: MakeSite, build: Build) -> None:
    site = make_site(POSTS_SITE)
    await build(site)
    (site / "posts/b.md").write_text("---\ntitle: B\ndate: 2020-01-02\n---\nNew body.\n")
    assert render_counts(await build(site)) == "Rendered 1 page, reused 3 (changed: posts/b.md)"
    (site / "app/layout.html").write_text(ROOT_LAYOUT.replace("<body>", "<body class='x'>"))
    for name in "ac":  # undated now: the listing's order changes too
        (site / f"posts/{name}.md").write_text(f"---\ntitle: {name}\n---\nEdited {name}.\n")
    assert render_counts(await build(site)) == (
        "Rendered 4 pages, reused 0 (changed: app/layout.html, posts/, posts/a.md and 1 more)"
    )
    (site / "app/page.html").write_text("{% for t in titles %}<i>{{ t }}</i>{% endfor %}")
    assert render_counts(await build(site)) == "Rendered 1 page, reused 3 (changed: app/page.html)"


async def test_the_summary_counts_the_pages_a_deleted_post_removed(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(POSTS_SITE)
    await build(site)
    (site / "posts/b.md").unlink()
    assert render_counts(await build(site)) == (
        "Rendered 1 page, reused 2, removed 1 (changed: posts/, posts/b.md)"
    )
    assert not (site / "out/blog/b.html").exists()


@pytest.mark.parametrize(
    ("before", "after"),
    [("first-secret", "second-secret"), (None, "set"), ("set", None)],
    ids=["changed", "set", "unset"],
)
async def test_a_full_render_names_the_variable_that_changed_never_its_value(
    make_site: MakeSite,
    build: Build,
    monkeypatch: pytest.MonkeyPatch,
    before: str | None,
    after: str | None,
) -> None:
    site = make_site(POSTS_SITE)
    monkeypatch.delenv("SSG_TOKEN", raising=False)
    if before is not None:
        monkeypatch.setenv("SSG_TOKEN", before)
    await build(site)
    if after is None:
        monkeypatch.delenv("SSG_TOKEN")
    else:
        monkeypatch.setenv("SSG_TOKEN", after)
    line = render_counts(await build(site))
    assert line == (
        "Rendered 4 pages, reused 0 (full render: environment variable SSG_TOKEN changed)"
    )


async def test_params_kept_from_the_last_build_warn_again_of_a_url_another_route_owns(
    make_site: MakeSite, build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(
        {
            **POSTS_SITE,
            "app/blog/[slug]/page.py": POSTS_SITE["app/blog/[slug]/page.py"].replace(
                "for p in load_collection('posts')]",
                "for p in load_collection('posts')] + [{'slug': 'new'}]",
            ),
            "app/blog/new/page.html": "<h1>The newest</h1>",
        }
    )
    await build(site)
    (site / "posts/b.md").write_text("---\ntitle: B\ndate: 2020-01-02\n---\nNew body.\n")
    caplog.clear()

    second = await build(site)

    assert (second.pages_rendered, second.pages_reused) == (1, 4)  # the params were kept
    skipped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Skipped")]
    assert skipped == [
        "Skipped /blog/new from generate_static_params of /blog/[slug]: that URL is served "
        "by /blog/new (app/blog/new/page.html); remove it from the list"
    ]
    assert "<h1>The newest</h1>" in (site / "out/blog/new.html").read_text()


@pytest.mark.parametrize("edited", ["a", "c"])  # prepared first or last
async def test_a_page_edited_to_read_the_request_drops_its_routes_reused_pages_as_cold(
    make_site: MakeSite, build: Build, edited: str
) -> None:
    # As a cold build: a route that reads the request is dynamic, none of its pages is
    # a file (ssg serve renders them per request), the reused ones included.
    site = make_site(
        {
            **POSTS_SITE,
            "app/blog/[slug]/page.py": POSTS_SITE["app/blog/[slug]/page.py"].replace(
                "def load(params):\n",
                "import ssg\ndef load(params):\n"
                "    if load_collection('posts').get(params['slug']).metadata.get('personal'):\n"
                "        ssg.cookies()\n",
            ),
        }
    )
    await build(site)
    post = site / f"posts/{edited}.md"
    post.write_text(post.read_text().replace("---\nBody", "personal: true\n---\nBody"))

    incremental = await build(site)
    out = {p.relative_to(site): p.read_bytes() for p in (site / "out").rglob("*.html")}
    cold = await build_site(load_config(site), force=True)

    assert not (site / "out/blog").exists()
    assert out == {p.relative_to(site): p.read_bytes() for p in (site / "out").rglob("*.html")}
    assert incremental.manifest.pages.keys() == cold.manifest.pages.keys() == {"/"}


async def test_a_title_edit_renders_the_listing_and_the_post(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(POSTS_SITE)
    await build(site)
    (site / "posts/a.md").write_text("---\ntitle: A2\ndate: 2020-01-01\n---\nBody of a.\n")
    second = await build(site)
    assert second.pages_rendered == 2  # / lists the titles, /blog/a shows it
    assert "<p>A2</p>" in (site / "out/index.html").read_text()


async def test_a_body_edit_then_a_title_edit_of_the_same_post_reach_the_pages_that_show_each(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(POSTS_SITE)
    await build(site)
    (site / "posts/a.md").write_text("---\ntitle: A\ndate: 2020-01-01\n---\nNew body.\n")
    body = await build(site)
    (site / "posts/a.md").write_text("---\ntitle: A2\ndate: 2020-01-01\n---\nNew body.\n")
    title = await build(site)

    assert (body.pages_rendered, title.pages_rendered) == (1, 2)
    assert "<p>A2</p>" in (site / "out/index.html").read_text()
    assert "<h1>A2</h1><p>New body.</p>" in (site / "out/blog/a.html").read_text()


GROUPED_SITE = {
    **POSTS_SITE,
    "app/page.py": (
        "import ssg\n"
        "from ssg.content import load_collection\n"
        "@ssg.cache\n"
        "def titles():\n"
        "    return [p.title for p in load_collection('posts')]\n"
        "def load(params):\n"
        "    return {'titles': titles()}\n"
    ),
}


async def test_the_records_keep_each_page_s_and_group_s_read_ids_in_ascending_order(
    make_site: MakeSite, build: Build
) -> None:
    # PreviousBuild looks changed reads up in them by bisection (`holds_any`).
    site = make_site(GROUPED_SITE)
    await build(site)
    (site / "posts/d.md").write_text("---\ntitle: D\ndate: 2020-01-04\n---\nBody of d.\n")
    await build(site)  # logged on top of the first build's records
    records, _reason = load_records(load_config(site))

    assert records is not None and records.groups
    assert all(list(group) == sorted(group) for group in records.groups)
    for kept in records.pages.values():
        assert list(kept.reads) == sorted(kept.reads)
        assert list(kept.groups) == sorted(kept.groups)


@pytest.mark.parametrize(
    ("sorted_ids", "ids", "expected"),
    [
        ((1, 5, 9), {5}, True),
        ((1, 5, 9), {2, 10}, False),
        ((1, 5, 9), {0, 9}, True),
        ((), {1}, False),
        ((1, 5, 9), set(), False),
        (array("i", [3, 4, 70000]), {70000}, True),
        (tuple(range(0, 200, 2)), set(range(1, 200, 2)), False),  # more than FEW_IDS
        (tuple(range(0, 200, 2)), set(range(101, 200, 2)) | {100}, True),
    ],
    ids=["hit", "miss", "last", "empty", "none-wanted", "array", "many-miss", "many-hit"],
)
def test_holds_any_finds_an_id_in_ascending_ids(
    sorted_ids: Sequence[int], ids: set[int], expected: bool
) -> None:
    assert holds_any(sorted_ids, ids) is expected


async def test_a_page_that_reads_one_front_matter_key_is_rendered_only_when_it_changes(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **POSTS_SITE,
            "app/paths/page.py": (
                "from ssg.content import load_collection\n"
                "def load(params):\n"
                "    return {'paths': [p.metadata.get('path') for p in load_collection('posts')]}\n"
            ),
            "app/paths/page.html": "{% for p in paths %}<p>{{ p }}</p>{% endfor %}",
            "app/keys/page.py": (
                "from ssg.content import load_collection\n"
                "def load(params):\n"
                "    return {'keys': [sorted(p.metadata) for p in load_collection('posts')]}\n"
            ),
            "app/keys/page.html": "{{ keys }}",
        }
    )
    await build(site)
    (site / "posts/a.md").write_text("---\ntitle: A2\ndate: 2020-01-01\n---\nBody of a.\n")
    retitled = await build(site)
    # /, /blog/a (they show the title) and /keys (it lists every key of the front matter).
    assert retitled.pages_rendered == 3
    assert "<p>None</p>" in (site / "out/paths.html").read_text()
    (site / "posts/a.md").write_text(
        "---\ntitle: A2\ndate: 2020-01-01\npath: /old/a\n---\nBody of a.\n"
    )
    with_path = await build(site)
    assert "<p>/old/a</p>" in (site / "out/paths.html").read_text()
    assert with_path.pages_rendered == 2  # /paths and /keys


async def test_a_new_post_renders_its_page_and_every_page_that_lists_the_posts(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(POSTS_SITE)
    await build(site)
    (site / "posts/d.md").write_text("---\ntitle: D\ndate: 2020-01-04\n---\nBody of d.\n")
    second = await build(site)
    assert second.pages_rendered == 2  # / and the new /blog/d
    assert "<p>D</p>" in (site / "out/index.html").read_text()
    (site / "posts/d.md").unlink()
    third = await build(site)
    assert not (site / "out/blog/d.html").exists()
    assert "<p>D</p>" not in (site / "out/index.html").read_text()
    assert third.pages_rendered == 1


async def test_bytecode_written_beside_a_page_module_is_not_a_route_change(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(POSTS_SITE)
    await build(site)
    cached = site / "app/blog/[slug]/__pycache__"
    cached.mkdir(exist_ok=True)
    (cached / "other.cpython-311.pyc").write_bytes(b"as a run without PYTHONDONTWRITEBYTECODE")
    (site / "posts/b.md").write_text("---\ntitle: B\ndate: 2020-01-02\n---\nNew body.\n")

    second = await build(site)

    assert second.full_render_reason is None
    assert (second.pages_rendered, second.pages_reused) == (1, 3)


async def test_a_template_edit_renders_the_pages_that_use_it(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(POSTS_SITE)
    await build(site)
    (site / "app/blog/[slug]/page.html").write_text("<h2>{{ post.title }}</h2>{{ post.html }}")
    second = await build(site)
    assert (second.pages_rendered, second.pages_reused) == (3, 1)
    assert (site / "out/blog/a.html").read_text().count("<h2>A</h2>") == 1


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda site: (site / "ssg.toml").write_text('title = "Other"\n'), "ssg.toml changed"),
        (
            lambda site: (site / "app/new/page.html").write_text("new") or None,
            "app/new/page.html added",
        ),
        (
            lambda site: (site / "app/_helpers.py").write_text("X = 1\n") or None,
            "app/_helpers.py added",
        ),
        (
            lambda site: (site / "app/@team").mkdir() or None,
            "app/@team/ added",
        ),
        (
            lambda site: shutil.rmtree(site / "app/new") or None,
            "app/new/ removed",
        ),
    ],
    ids=["config", "new-route", "new-module", "new-slot", "folder-removed"],
)
async def test_a_change_every_page_depends_on_renders_all_and_says_why(
    make_site: MakeSite, build: Build, edit: Callable[[Path], object], reason: str
) -> None:
    site = make_site({**POSTS_SITE, "app/new/": ""})
    await build(site)
    edit(site)
    second = await build(site)
    assert second.pages_reused == 0
    assert second.full_render_reason == reason


def _outputs(site: Path) -> dict[str, bytes]:
    """Every file of out/ but the manifest (its build time and id differ), by path."""
    return {
        p.relative_to(site / "out").as_posix(): p.read_bytes()
        for p in sorted((site / "out").rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


@pytest.mark.parametrize(
    ("added", "rendered", "summary"),
    [
        (
            "app/blog/notes.txt",
            3,
            "Rendered 3 pages, reused 1 (changed: app/blog/notes.txt (added))",
        ),
        (
            "app/blog/[slug]/.page.html.swp",
            0,
            "Rendered 0 pages, reused 4 (changed: app/blog/[slug]/.page.html.swp (added))",
        ),
        (
            "app/_drafts/ideas.md",
            0,
            "Rendered 0 pages, reused 4 (changed: app/_drafts/ideas.md (added))",
        ),
    ],
    ids=["beside-a-route", "editor-swap-file", "private-folder"],
)
async def test_a_file_added_under_app_that_is_no_route_renders_only_the_routes_it_is_a_file_of(
    make_site: MakeSite, build: Build, added: str, rendered: int, summary: str
) -> None:
    # A file in a route's folder (or above it) is one of the route's files: its pages are
    # rendered, as a cold build would record it; no route changed, so no other page is.
    site = make_site(POSTS_SITE)
    await build(site)
    (site / added).parent.mkdir(parents=True, exist_ok=True)
    (site / added).write_text("notes")

    second = await build(site)
    incremental = _outputs(site)
    assert second.full_render_reason is None
    assert render_counts(second) == summary
    assert second.pages_rendered == rendered
    cold = await build_site(load_config(site), force=True)
    assert cold.pages_rendered == 4
    assert _outputs(site) == incremental


async def test_a_template_added_under_app_is_named_once(make_site: MakeSite, build: Build) -> None:
    site = make_site(
        {
            **POSTS_SITE,
            "app/page.html": '{% include "_partials/promo.html" ignore missing %}'
            + POSTS_SITE["app/page.html"],
        }
    )
    await build(site)
    (site / "app/_partials").mkdir()
    (site / "app/_partials/promo.html").write_text("<p>promo</p>")
    second = await build(site)
    assert render_counts(second) == (
        "Rendered 1 page, reused 3 (changed: app/_partials/promo.html (added))"
    )
    assert "<p>promo</p>" in (site / "out/index.html").read_text()


async def test_a_page_that_reads_a_file_added_under_app_is_rendered_with_it(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            **POSTS_SITE,
            # Opening a file is noted (a missing one too); Path.exists() raises no audit
            # event and is not (ssg.reads).
            "app/page.py": "from pathlib import Path\n"
            "def load(params):\n"
            "    try:\n"
            "        notes = (Path(__file__).parent / 'blog' / 'notes.txt').read_text()\n"
            "    except FileNotFoundError:\n"
            "        notes = 'none'\n"
            "    return {'titles': [notes]}\n",
        }
    )
    await build(site)
    (site / "app/blog/notes.txt").write_text("from the notes")
    await build(site)
    assert "from the notes" in (site / "out/index.html").read_text()
    (site / "app/blog/notes.txt").unlink()
    again = await build(site)
    assert again.full_render_reason is None
    assert "none" in (site / "out/index.html").read_text()


@pytest.mark.parametrize(
    ("options", "reason"),
    [({"output": "export"}, "output changed"), ({"base_path": "/repo"}, "base_path changed")],
    ids=["--export", "--base-path"],
)
async def test_a_command_option_that_changes_the_config_is_named_as_the_reason(
    make_site: MakeSite, build: Build, options: dict[str, str], reason: str
) -> None:
    # ssg.toml did not change: the summary must not say it did.
    site = make_site(POSTS_SITE)
    await build(site)
    second = await build(site, **options)
    assert second.pages_reused == 0
    assert second.full_render_reason == reason


async def test_force_renders_every_page(make_site: MakeSite, build: Build) -> None:
    site = make_site(POSTS_SITE)
    await build(site)
    forced = await build_site(load_config(site), force=True)
    assert (forced.pages_rendered, forced.pages_reused) == (4, 0)
    assert forced.full_render_reason == "--force"


async def test_a_failed_build_keeps_the_previous_output_and_records(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(POSTS_SITE)
    await build(site)
    kept = records_file(load_config(site)).read_bytes()
    before = (site / "out/blog/a.html").read_bytes()
    (site / "posts/a.md").write_text("---\ntitle: A\ndate: 2020-01-01\n---\nEdited.\n")
    (site / "app/blog/[slug]/page.html").write_text("{{ post.title | no_such_filter }}")
    with pytest.raises(SsgError):
        await build(site)
    assert records_file(load_config(site)).read_bytes() == kept
    assert (site / "out/blog/a.html").read_bytes() == before
    # Fixed: the records of the last good build still say what changed since.
    (site / "app/blog/[slug]/page.html").write_text("<h1>{{ post.title }}</h1>{{ post.html }}")
    again = await build(site)
    assert (again.pages_rendered, again.pages_reused) == (1, 3)
    assert "Edited." in (site / "out/blog/a.html").read_text()


async def test_corrupt_records_are_logged_and_every_page_is_rendered(
    make_site: MakeSite, build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(POSTS_SITE)
    await build(site)
    records_file(load_config(site)).write_bytes(b"not a pickle")
    second = await build(site)
    assert second.pages_reused == 0
    assert second.full_render_reason == "no previous build records"
    assert "unreadable" in caplog.text
    third = await build(site)
    assert third.pages_reused == 4


async def test_records_of_another_format_render_every_page_and_say_why(
    make_site: MakeSite, build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(POSTS_SITE)
    await build(site)
    path = records_file(load_config(site))
    state = pickle.loads(path.read_bytes())
    path.write_bytes(pickle.dumps((RECORDS_FORMAT - 1, *state[1:])))  # an older ssg's records
    second = await build(site)
    assert (second.pages_rendered, second.pages_reused) == (4, 0)
    assert second.full_render_reason == "the build records are from another ssg version"
    assert "written by another ssg version" in caplog.text
    third = await build(site)
    assert third.pages_reused == 4


async def test_a_build_with_nothing_changed_rewrites_only_the_manifest(
    make_site: MakeSite,
) -> None:
    site = make_site(POSTS_SITE)
    config = load_config(site)
    for when in (1.75e9, 1.76e9):  # the second keeps the stamps of files older than itself
        await build_site(config, clock=lambda when=when: when)
    before = {p: p.read_bytes() for p in (site / "out").rglob("*") if p.is_file()}
    old_manifest = json.loads((site / "out/_ssg/manifest.json").read_text())
    third = await build_site(config, clock=lambda: 1.77e9)
    assert (third.pages_rendered, third.pages_reused) == (0, 4)
    manifest = json.loads((site / "out/_ssg/manifest.json").read_text())
    assert manifest["build_id"] != old_manifest["build_id"]
    assert manifest["generated_at"] == 1.77e9
    assert {page["generated_at"] for page in manifest["pages"].values()} == {1.77e9}
    assert third.manifest.pages.keys() == manifest["pages"].keys()
    after = {p: p.read_bytes() for p in (site / "out").rglob("*") if p.is_file()}
    assert {p for p in after if before[p] != after[p]} == {site / "out/_ssg/manifest.json"}


async def test_the_no_change_short_cut_is_taken_again_after_itself(make_site: MakeSite) -> None:
    site = make_site(POSTS_SITE)
    config = load_config(site)
    for _ in range(2):  # the second one with stamps old enough for the short cut
        await build_site(config)
    for now in (1.77e9, 1.78e9):  # its rename of the manifest changed the folder's time
        kept = unchanged_build(config, now=now, include_drafts=False, strict=False, started=0.0)
        assert kept is not None and kept.manifest.generated_at == now
    (site / "out/_ssg/stray.json").write_text("{}")  # by hand, beside the manifest
    assert (
        unchanged_build(config, now=1.79e9, include_drafts=False, strict=False, started=0.0) is None
    )


async def test_a_file_of_out_removed_since_the_last_build_is_written_again(
    make_site: MakeSite,
) -> None:
    site = make_site(POSTS_SITE)
    config = load_config(site)
    for _ in range(3):  # the last one with stamps old enough for the no-change short cut
        await build_site(config)
    cold = {p.relative_to(site): p.read_bytes() for p in (site / "out").rglob("*.html")}
    (site / "out/blog/a.html").unlink()
    (site / "out/index.html").unlink()
    again = await build_site(config)
    assert again.pages_rendered == 2
    after = {p.relative_to(site): p.read_bytes() for p in (site / "out").rglob("*.html")}
    assert after == cold


async def test_files_added_to_out_by_hand_are_noticed_and_removed_as_by_a_full_build(
    make_site: MakeSite,
) -> None:
    site = make_site({**POSTS_SITE, "public/robots.txt": "User-agent: *\n"})
    config = load_config(site)
    for _ in range(3):  # the last one with stamps old enough for the no-change short cut
        await build_site(config)
    cold = {p.relative_to(site): p.read_bytes() for p in (site / "out").rglob("*") if p.is_file()}
    (site / "out/blog/stray.html").write_text("by hand")  # beside pages
    (site / "out/new/deeper").mkdir(parents=True)  # in folders the build never had
    (site / "out/new/deeper/stray.txt").write_text("by hand")
    again = await build_site(config)
    assert again.pages_reused == 4
    after = {p.relative_to(site): p.read_bytes() for p in (site / "out").rglob("*") if p.is_file()}
    assert after.keys() == cold.keys()


async def test_a_public_file_changed_in_out_by_hand_is_written_again(
    make_site: MakeSite,
) -> None:
    site = make_site({**POSTS_SITE, "public/robots.txt": "User-agent: *\n"})
    config = load_config(site)
    for _ in range(3):
        await build_site(config)
    (site / "out/robots.txt").write_text("edited in place")
    await build_site(config)
    assert (site / "out/robots.txt").read_text() == "User-agent: *\n"


async def test_a_scheduled_post_is_published_when_due_with_nothing_edited(
    make_site: MakeSite,
) -> None:
    due = 1_893_456_000.0  # 2030-01-01, the post's date
    site = make_site(
        {**POSTS_SITE, "posts/d.md": "---\ntitle: D\ndate: 2030-01-01\n---\nBody of d.\n"}
    )
    config = load_config(site)
    for _ in range(3):
        result = await build_site(config, clock=lambda: due - 60)
    assert result.pages_rendered == 0
    assert result.next_due_at == due
    assert not (site / "out/blog/d.html").exists()
    published = await build_site(config, clock=lambda: due + 1)
    assert (site / "out/blog/d.html").exists()
    assert "<p>D</p>" in (site / "out/index.html").read_text()
    # Every page that loaded the posts left D out and counted down to its date: all
    # of them are rendered again, as a cold build now gives them no due date.
    assert published.pages_rendered == 5
    assert {page.due_at for page in published.manifest.pages.values()} == {None}


@pytest.mark.parametrize("edit", ["add a scheduled post", "remove the scheduled post"])
async def test_a_scheduled_post_added_or_removed_gives_the_cold_builds_pages(
    make_site: MakeSite, edit: str
) -> None:
    # A listing that left a scheduled post out counts its revalidate down to the post's
    # date: adding or removing such a post changes no published member, but it changes
    # when those pages must be regenerated, as a cold build of the same sources says.
    now, due = 1.80e9, 1_893_456_000.0  # the post's date: 2030-01-01
    scheduled = "---\ntitle: D\ndate: 2030-01-01\n---\nBody of d.\n"
    before = {**POSTS_SITE, "posts/d.md": scheduled} if edit.startswith("remove") else POSTS_SITE
    site = make_site(before)
    config = load_config(site)
    await build_site(config, clock=lambda: now)
    if edit.startswith("remove"):
        (site / "posts/d.md").unlink()
    else:
        (site / "posts/d.md").write_text(scheduled)
    incremental = await build_site(config, clock=lambda: now)
    cold = await build_site(config, clock=lambda: now, force=True)
    assert incremental.pages_rendered > 0
    due_at = {url: page.due_at for url, page in incremental.manifest.pages.items()}
    assert due_at == {url: page.due_at for url, page in cold.manifest.pages.items()}
    assert (due in due_at.values()) == edit.startswith("add")
    assert incremental.next_due_at == cold.next_due_at


async def test_an_edit_of_a_file_a_page_read_is_seen_after_an_unchanged_build(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {
            **POSTS_SITE,
            "data/team.txt": "Ada",
            "app/team/page.py": (
                "from pathlib import Path\n"
                "def load(params):\n"
                "    return {'team': (Path(__file__).parents[2] / 'data/team.txt').read_text()}\n"
            ),
            "app/team/page.html": "<p>{{ team }}</p>",
        }
    )
    config = load_config(site)
    for _ in range(3):
        await build_site(config)
    (site / "data/team.txt").write_text("Grace")
    again = await build_site(config)
    assert again.pages_rendered == 1
    assert "<p>Grace</p>" in (site / "out/team.html").read_text()


async def test_an_input_edited_while_a_build_runs_is_not_vouched_for_by_its_snapshot(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {
            **POSTS_SITE,
            "data/team.txt": "Ada",
            "app/team/page.py": (
                "from pathlib import Path\n"
                "def load(params):\n"
                "    data = Path(__file__).parents[2] / 'data'\n"
                "    team = (data / 'team.txt').read_text()\n"
                "    if (data / 'edit-now').exists():  # someone saves the file meanwhile\n"
                "        (data / 'edit-now').unlink()\n"
                "        (data / 'team.txt').write_text('Linus')\n"
                "    return {'team': team}\n"
            ),
            "app/team/page.html": "<p>{{ team }}</p>",
        }
    )
    config = load_config(site)
    for _ in range(3):
        await build_site(config)
    (site / "data/team.txt").write_text("Grace")
    (site / "data/edit-now").write_text("")
    edited = await build_site(config)  # the short cut stamps team.txt, then the page reads it

    assert edited.pages_rendered == 1
    assert "<p>Grace</p>" in (site / "out/team.html").read_text()
    # The snapshot holds team.txt's stamp from before the build read it: the short cut
    # does not take "Linus" for what out/ shows.
    assert (
        unchanged_build(config, now=1.9e9, include_drafts=False, strict=False, started=0.0) is None
    )


@pytest.mark.parametrize("journal_mode", ["delete", "wal"])
async def test_a_page_reading_a_sqlite_database_is_rendered_when_a_row_is_added(
    make_site: MakeSite, journal_mode: str
) -> None:
    site = make_site(
        {
            **POSTS_SITE,
            "app/names/page.py": (
                "import sqlite3\n"
                "from pathlib import Path\n"
                "def load(params):\n"
                "    db = sqlite3.connect(Path(__file__).parents[2] / 'names.db')\n"
                "    try:\n"
                "        return {'names': [n for (n,) in db.execute('SELECT n FROM t ORDER BY n')]}\n"
                "    finally:\n"
                "        db.close()\n"
            ),
            "app/names/page.html": "<p>{{ names|join(', ') }}</p>",
        }
    )
    # The writer (a CMS, say) keeps its connection open: in WAL mode its rows stay in
    # names.db-wal, and names.db keeps its bytes, until a checkpoint.
    writer = sqlite3.connect(site / "names.db", isolation_level=None)
    writer.execute(f"PRAGMA journal_mode={journal_mode}")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (n TEXT)")
    writer.execute("INSERT INTO t VALUES ('one')")
    config = load_config(site)
    try:
        await build_site(config)
        writer.execute("INSERT INTO t VALUES ('two')")
        again = await build_site(config)
    finally:
        writer.close()
    assert again.pages_rendered == 1
    assert "<p>one, two</p>" in (site / "out/names.html").read_text()


async def test_a_page_that_opens_a_connection_is_rendered_every_build(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    monkeypatch.setenv("SSG_TEST_PORT", str(listener.getsockname()[1]))
    site = make_site(
        {
            **POSTS_SITE,
            "app/remote/page.py": (
                "import os, socket\n"
                "def load(params):\n"
                "    port = int(os.environ['SSG_TEST_PORT'])\n"
                "    socket.create_connection(('127.0.0.1', port)).close()\n"
                "    return {}\n"
            ),
            "app/remote/page.html": "<p>remote</p>",
        }
    )
    config = load_config(site)
    try:
        await build_site(config)
        again = await build_site(config)
    finally:
        listener.close()
    assert (again.pages_rendered, again.pages_reused) == (1, 4)


async def test_a_page_that_runs_another_program_is_rendered_every_build(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {
            **POSTS_SITE,
            "app/version/page.py": (
                "import subprocess, sys\n"
                "def load(params):\n"
                "    done = subprocess.run([sys.executable, '-c', 'print(6 * 7)'],\n"
                "                          capture_output=True, text=True, check=True)\n"
                "    return {'answer': done.stdout.strip()}\n"
            ),
            "app/version/page.html": "<p>{{ answer }}</p>",
        }
    )
    config = load_config(site)
    await build_site(config)
    again = await build_site(config)
    assert (again.pages_rendered, again.pages_reused) == (1, 4)
    assert "<p>42</p>" in (site / "out/version.html").read_text()
    assert render_counts(again) == (
        "Rendered 1 page, reused 4 (rendered every build, as pages read another program's output)"
    )


async def test_a_page_that_reads_the_data_cache_is_named_by_the_call_it_made(
    make_site: MakeSite,
) -> None:
    # The data cache may be refreshed between builds: such a page renders every build, and
    # the summary says which call read it (not the entry's key, a digest).
    site = make_site(
        {
            **POSTS_SITE,
            "app/number/page.py": (
                "import ssg\n"
                "@ssg.cache(revalidate=60)\n"
                "def number():\n"
                "    return 7\n"
                "def load(params):\n"
                "    return {'n': number()}\n"
            ),
            "app/number/page.html": "<p>{{ n }}</p>",
        }
    )
    config = load_config(site)
    await build_site(config)
    again = await build_site(config)
    assert render_counts(again) == (
        "Rendered 1 page, reused 4 (rendered every build, as pages read the data cache "
        "(@ssg.cache number))"
    )


async def test_the_summary_shows_a_fetched_url_without_its_query(make_site: MakeSite) -> None:
    # A query string may hold an API key: CI logs and the page records must not (the
    # data cache keeps the response, as Next.js's fetch cache does).
    site = make_site(
        {
            **POSTS_SITE,
            "app/api/x/route.py": "def GET(request, params):\n    return {'n': 7}\n",
            "app/number/page.py": "import ssg\n"
            "async def load(params):\n"
            "    response = await ssg.fetch('/api/x?api_key=SECRET123', revalidate=60)\n"
            "    return {'n': response.json()['n']}\n",
            "app/number/page.html": "<p>{{ n }}</p>",
        }
    )
    config = load_config(site)
    await build_site(config)
    again = await build_site(config)
    assert render_counts(again).endswith('(ssg.fetch("/api/x?…")))')
    records = [p.read_bytes() for p in (site / ".ssg/build").rglob("*") if p.is_file()]
    assert records and not any(b"SECRET123" in data for data in records)


def test_an_edit_of_a_module_imported_from_outside_the_site_renders_every_page(
    tmp_path: Path, make_site: MakeSite
) -> None:
    # A module of the author's on PYTHONPATH (or an upgraded library): which pages called
    # into it is not recorded, so every page is rendered, and the summary names it.
    library = tmp_path / "lib" / "greeting_lib.py"
    library.parent.mkdir()
    library.write_text("GREETING = 'hello v1'\n")
    site = make_site(
        {
            **POSTS_SITE,
            "app/greet/page.py": (
                "import greeting_lib\ndef load(params):\n    return {'g': greeting_lib.GREETING}\n"
            ),
            "app/greet/page.html": "<p>{{ g }}</p>",
        }
    )

    def ssg_build(library: Path = library) -> str:
        env = {**os.environ, "PYTHONPATH": str(library.parent)}
        done = subprocess.run(
            [sys.executable, "-m", "ssg", "build", str(site)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    ssg_build()
    assert "Rendered 0 pages, reused 5" in ssg_build()
    library.write_text("GREETING = 'hello v2, edited'\n")
    output = ssg_build()
    assert "<p>hello v2, edited</p>" in (site / "out/greet.html").read_text()
    assert "Rendered 5 pages, reused 0" in output
    assert f"an imported module changed ({library})" in " ".join(output.split())
    # Another folder on PYTHONPATH holding a module of the same name: found instead.
    other = tmp_path / "lib2" / "greeting_lib.py"
    other.parent.mkdir()
    other.write_text("GREETING = 'from lib2'\n")
    output = ssg_build(other)
    assert "<p>from lib2</p>" in (site / "out/greet.html").read_text()
    assert "full render: PYTHONPATH changed" in " ".join(output.split())


async def test_an_edit_of_a_module_the_body_filter_calls_parses_the_posts_again(
    make_site: MakeSite,
) -> None:
    # The content cache is keyed by the filter's module and the site modules it imports:
    # a kept parse made with the old helper would stay in every post page.
    collection = "load_collection('posts', body_filter=filters.shout)"
    site = make_site(
        {
            **POSTS_SITE,
            "filters.py": "import filter_words\n"
            "def shout(body):\n    return filter_words.mark(body)\n",
            "filter_words.py": "def mark(body):\n    return body\n",
            "app/blog/[slug]/page.py": POSTS_SITE["app/blog/[slug]/page.py"]
            .replace("from ssg.content", "import filters\nfrom ssg.content")
            .replace("load_collection('posts')", collection),
        }
    )
    config = load_config(site)
    await build_site(config)
    (site / "filter_words.py").write_text("def mark(body):\n    return body + ' MARKED'\n")
    for name in ("filters", "filter_words"):
        sys.modules.pop(name)  # as a new `ssg build` process imports them again
    await build_site(config)
    for name in ("filters", "filter_words"):
        sys.modules.pop(name)
    assert all("MARKED" in (site / f"out/blog/{slug}.html").read_text() for slug in ("a", "b", "c"))


@pytest.mark.parametrize("how", ["by name", "by a computed name", "both ways", "by path"])
async def test_an_edit_of_a_site_module_renders_the_pages_that_import_it(
    make_site: MakeSite, how: str
) -> None:
    # A module a page imports by name, or loads by path while it renders, is an input of
    # that page alone; one it reaches with importlib.import_module is not followed, so its
    # edit renders every page, also when another route imports the same module by name.
    module = {
        "by name": "helper_by_name",
        "by a computed name": "helper_computed",
        "by path": "helper_by_path",
    }.get(how, "helper_both")
    by_name = f"import {module}\ndef load(params):\n    return {{'v': {module}.VALUE}}\n"
    computed = (
        "import importlib\n"
        f"def load(params):\n    return {{'v': importlib.import_module('{module}').VALUE}}\n"
    )
    by_path = (  # the plugin-loader pattern: never in sys.modules
        "import importlib.util, pathlib\n"
        "def load(params):\n"
        f"    path = pathlib.Path(__file__).parents[2] / '{module}.py'\n"
        f"    spec = importlib.util.spec_from_file_location('{module}', path)\n"
        "    plugin = importlib.util.module_from_spec(spec)\n"
        "    spec.loader.exec_module(plugin)\n"
        "    return {'v': plugin.VALUE}\n"
    )
    page = {"by name": by_name, "by path": by_path}.get(how, computed)
    site = make_site(
        {
            **POSTS_SITE,
            f"{module}.py": "VALUE = 'v1'\n",
            "app/helped/page.py": page,
            "app/helped/page.html": "<p>{{ v }}</p>",
            **(
                {"app/named/page.py": by_name, "app/named/page.html": "<p>{{ v }}</p>"}
                if how == "both ways"
                else {}
            ),
        }
    )
    config = load_config(site)
    await build_site(config)
    (site / f"{module}.py").write_text("VALUE = 'v2, edited'\n")
    sys.modules.pop(module, None)  # as a new `ssg build` process imports it again
    again = await build_site(config)
    sys.modules.pop(module, None)
    assert "<p>v2, edited</p>" in (site / "out/helped.html").read_text()
    if how in ("by name", "by path"):  # by path: the render read the file
        assert (again.pages_rendered, again.pages_reused) == (1, 4)
    else:
        assert (again.pages_rendered, again.full_render_reason) == (
            again.pages_rendered + again.pages_reused,
            f"an imported module changed ({site / f'{module}.py'})",
        )
    if how == "both ways":
        assert "<p>v2, edited</p>" in (site / "out/named.html").read_text()


async def test_what_the_import_system_reads_during_a_render_is_not_a_page_read(
    make_site: MakeSite, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A module imported inside load() is a site module the page imports (its code is
    # followed as such); the import system's own reads (its .pyc, written by the first
    # import, and the listings of sys.path folders) would make the next build render the
    # page again with nothing changed.
    module = f"lazy_helper_{os.getpid()}"
    monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as an installed Python runs
    site = make_site(
        {
            **POSTS_SITE,
            f"{module}.py": "WORD = 'lazy'\n",
            "app/lazy/page.py": f"def load(params):\n    import {module}\n"
            f"    return {{'word': {module}.WORD}}\n",
            "app/lazy/page.html": "<p>{{ word }}</p>",
        }
    )
    await build(site)
    (site / "notes.txt").write_text("a file nothing reads, beside the module")
    again = await build(site)
    assert (again.pages_rendered, "<p>lazy</p>" in (site / "out/lazy.html").read_text()) == (
        0,
        True,
    )


def test_a_build_with_nothing_changed_imports_no_renderer(tmp_path: Path) -> None:
    site, content, _reserve = _copy_blog(tmp_path, posts=6)
    for _ in range(2):
        _ssg_build(site, site / "out", content)
    # The second build's pages are hard links to the first's, whose removal (in the
    # background, after the build) changes their link count, so their ctime; the first
    # build's files are in its own folder by then (swapped out of out/), as the twins.
    twins = tmp_path / "swapped-out"
    twins.mkdir()
    for number, page in enumerate((site / "out").rglob("*.html")):
        twin = twins / f"{number}.html"
        os.link(page, twin)
        twin.unlink()
    code = (
        "import sys\n"
        "from ssg.cli import cli\n"
        "try:\n"
        f"    cli(['build', {str(site)!r}, '--out', {str(site / 'out')!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "renderers = ('jinja2', 'markdown', 'cmarkgfm', 'pygments', 'aiohttp')\n"
        "print('imported:', [name for name in renderers if name in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "SSG_CONTENT_DIR": str(content)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "imported: []" in done.stdout, done.stdout + done.stderr
    assert re.search(r"Rendered 0 pages, reused [\d,]+", done.stdout), done.stdout


def test_a_virtualenv_in_the_site_folder_keeps_the_no_change_short_cut(
    make_site: MakeSite,
) -> None:
    # `python -m venv .venv` in the site folder (lib64 a symlink to lib on Linux): the walk
    # skips it, and a module the site imports from it is stamped as any imported module.
    site = make_site(
        {
            **POSTS_SITE,
            ".venv/pyvenv.cfg": "home = /usr/bin\n",
            ".venv/lib/venvlib.py": "WORD = 'first'\n",
            "app/word/page.py": "import venvlib\ndef load(params):\n    return {'w': venvlib.WORD}\n",
            "app/word/page.html": "<p>{{ w }}</p>",
        }
    )
    (site / ".venv/lib64").symlink_to("lib")
    code = (
        "import sys\n"
        "from ssg.cli import cli\n"
        "try:\n"
        f"    cli(['build', {str(site)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('imported:', [name for name in ('jinja2', 'cmarkgfm') if name in sys.modules])\n"
    )

    def ssg_build() -> str:
        env = {**os.environ, "PYTHONPATH": str(site / ".venv/lib")}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    for _ in range(2):
        ssg_build()
    assert "imported: []" in ssg_build()
    (site / ".venv/lib/venvlib.py").write_text("WORD = 'second, edited'\n")
    assert "imported: []" not in ssg_build()
    assert "<p>second, edited</p>" in (site / "out/word.html").read_text()


# The identity test: a random sequence of edits of examples/blog on a real corpus,
# each incremental build compared file by file with a cold (--force) build.


def _copy_blog(root: Path, posts: int = 24) -> tuple[Path, Path, list[Path]]:
    """A copy of examples/blog and the rust-blog sample: (site, posts folder, unused posts)."""
    site = root / "blog"
    shutil.copytree(EXAMPLE, site, ignore=shutil.ignore_patterns("out", ".ssg", "__pycache__"))
    content = root / "posts"
    content.mkdir()
    chosen = sorted(p for p in CORPUS.iterdir() if p.suffix == ".md")
    for source in chosen[:posts]:
        shutil.copy(source, content / source.name)
    bundles = sorted(p for p in CORPUS.iterdir() if p.is_dir() and (p / "index.md").is_file())
    for bundle in bundles[:2]:
        shutil.copytree(bundle, content / bundle.name)
    return site, content, chosen[posts:]


def _front_matter_insert(text: str, line: str) -> str:
    """Insert a top-level key right after the opening fence (TOML or YAML)."""
    fence, _, rest = text.partition("\n")
    return f"{fence}\n{line}\n{rest}"


def _edits(
    site: Path, content: Path, reserve: list[Path]
) -> dict[str, Callable[[random.Random], str]]:
    def post(rng: random.Random) -> Path:
        return rng.choice(sorted(p for p in content.rglob("*.md")))

    def body(rng: random.Random) -> str:
        target = post(rng)
        target.write_text(target.read_text() + f"\nAnother paragraph {rng.random()}.\n")
        return f"body of {target.name}"

    def title(rng: random.Random) -> str:
        target = post(rng)
        text = re.sub(
            r'(?m)^title = ".*"$',
            f'title = "Retitled {rng.randint(0, 999)}"',
            target.read_text(),
            count=1,
        )
        target.write_text(text)
        return f"title of {target.name}"

    def tags(rng: random.Random) -> str:
        target = post(rng)
        tag = rng.choice(["rust", "release", "news"])
        target.write_text(_front_matter_insert(target.read_text(), f'tags = ["{tag}"]'))
        return f"tag {tag} on {target.name}"

    def date(rng: random.Random) -> str:
        target = post(rng)
        day = f"20{rng.randint(10, 23)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        target.write_text(_front_matter_insert(target.read_text(), f"date = {day}"))
        return f"date {day} of {target.name}"

    def draft(rng: random.Random) -> str:
        target = post(rng)
        text = target.read_text()
        if "\ndraft = true\n" in text:
            target.write_text(text.replace("\ndraft = true\n", "\n", 1))
            return f"undraft {target.name}"
        target.write_text(_front_matter_insert(text, "draft = true"))
        return f"draft {target.name}"

    def add(rng: random.Random) -> str:
        if not reserve:
            return body(rng)
        source = reserve.pop()
        shutil.copy(source, content / source.name)
        return f"add {source.name}"

    def remove(rng: random.Random) -> str:
        target = post(rng)
        if target.name == "index.md":
            shutil.rmtree(target.parent)
        else:
            target.unlink()
        return f"remove {target.name}"

    def template(rng: random.Random) -> str:
        target = rng.choice(
            [
                site / "app/tags/[tag]/page.html",
                site / "app/page.html",
                site / "app/layout.html",
                # Its pages share a memoized call with /blog, which an edit here leaves
                # reused: what that call recorded must reach them all the same.
                site / "app/blog/page/[n]/page.html",
            ]
        )
        target.write_text(target.read_text() + f"\n<!-- {rng.random()} -->\n")
        return f"template {target.relative_to(site)}"

    def page_module(rng: random.Random) -> str:
        target = site / "app/page.py"
        count = rng.randint(2, 7)
        target.write_text(re.sub(r"RECENT = \d+", f"RECENT = {count}", target.read_text()))
        return f"app/page.py RECENT = {count}"

    def site_module(rng: random.Random) -> str:
        target = site / "blog.py"
        size = rng.randint(3, 6)
        target.write_text(re.sub(r"PAGE_SIZE = \d+", f"PAGE_SIZE = {size}", target.read_text()))
        return f"blog.py PAGE_SIZE = {size}"

    def config(rng: random.Random) -> str:
        target = site / "ssg.toml"
        text = re.sub(
            r'(?m)^description = ".*"$',
            f'description = "Notes {rng.randint(0, 99)}"',
            target.read_text(),
        )
        target.write_text(text)
        return "ssg.toml description"

    def public(rng: random.Random) -> str:
        target = site / "public" / "notes.txt"
        target.parent.mkdir(exist_ok=True)
        target.write_text(f"notes {rng.random()}\n")
        return "public/notes.txt"

    def touch(rng: random.Random) -> str:
        target = post(rng)
        target.write_bytes(target.read_bytes())  # new times, same bytes
        return f"touch {target.name}"

    def nothing(rng: random.Random) -> str:
        return "nothing"

    return {
        "touch": touch,
        "nothing": nothing,
        "body": body,
        "title": title,
        "tags": tags,
        "date": date,
        "draft": draft,
        "add": add,
        "remove": remove,
        "template": template,
        "page_module": page_module,
        "site_module": site_module,
        "config": config,
        "public": public,
    }


# Content-heavy edits come up more often, as they do on a blog.
_WEIGHTS = {"body": 4, "title": 3, "tags": 2, "date": 2, "draft": 2, "add": 2, "remove": 1}


def _ssg_build(site: Path, out: Path, content: Path, *extra: str) -> str:
    env = {**os.environ, "SSG_CONTENT_DIR": str(content)}
    done = subprocess.run(
        [sys.executable, "-m", "ssg", "build", str(site), "--out", str(out), *extra],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def _broken_links_report(output: str) -> str:
    """The build's list of broken links (its warning), or "" without one.

    Raises:
        AssertionError: the output mentions broken links in a form this does not read
            (a changed wording would otherwise make every comparison "" == "").
    """
    found = re.search(r"[\d,]+ broken links? in the build output:\n(?:  [-.] .*\n?)*", output)
    assert found or "in the build output:" not in output, output
    return found.group(0) if found else ""


def _differences(one: Path, other: Path) -> list[str]:
    """Relative paths that differ (the manifest without its build id and times)."""

    def files(root: Path) -> dict[str, Path]:
        return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}

    left, right = files(one), files(other)
    differ = sorted(set(left) ^ set(right))
    for name in sorted(set(left) & set(right)):
        if name == "_ssg/manifest.json":
            manifests = [json.loads(left[name].read_text()), json.loads(right[name].read_text())]
            for manifest in manifests:
                manifest.pop("build_id")
                manifest.pop("generated_at")
                for page in manifest["pages"].values():
                    page.pop("generated_at", None)
            if manifests[0] != manifests[1]:
                differ.append(name)
        elif left[name].read_bytes() != right[name].read_bytes():
            differ.append(name)
    return differ


@pytest.mark.timeout(600)
def test_incremental_builds_of_random_edits_equal_cold_builds(tmp_path: Path) -> None:
    seed = int(os.environ.get("SSG_INCREMENTAL_SEED", random.randrange(1 << 30)))
    steps = int(os.environ.get("SSG_INCREMENTAL_STEPS", "10"))
    rng = random.Random(seed)
    site, content, reserve = _copy_blog(tmp_path)
    edits = _edits(site, content, reserve)
    names = list(edits)
    weights = [_WEIGHTS.get(name, 1) for name in names]
    # The sample's posts link to files it does not have: the link checks compared below
    # have something to compare.
    assert _broken_links_report(_ssg_build(site, site / "out", content))
    done: list[str] = []
    for step in range(steps):
        # Usually one edit between builds, sometimes several.
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            done.append(edits[rng.choices(names, weights)[0]](rng))
        report = _ssg_build(site, site / "out", content)
        cold = _ssg_build(site, tmp_path / "cold", content, "--force")
        differ = _differences(site / "out", tmp_path / "cold")
        assert not differ, (
            f"seed {seed} (SSG_INCREMENTAL_SEED={seed}), step {step}: the incremental build "
            f"differs from a cold one in {differ[:10]} after: {done}\n{report}"
        )
        assert _broken_links_report(report) == _broken_links_report(cold), (
            f"seed {seed} (SSG_INCREMENTAL_SEED={seed}), step {step}: the incremental build's "
            f"link check differs from a cold one's after: {done}"
        )
        assert re.search(r"Rendered [\d,]+ pages?, reused [\d,]+", report), report
