"""Tag pages (`Collection.by_tag`) in incremental builds: rendered again exactly when a tag moves."""

from __future__ import annotations

import re
from pathlib import Path

from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.conftest import MakeSite

TAGS_SITE = {
    "app/layout.html": ROOT_LAYOUT,
    "app/page.html": "home",
    "app/tags/[tag]/page.py": (
        "from ssg.content import load_collection\n"
        "def generate_static_params(params):\n"
        "    return [{'tag': t} for t in load_collection('posts').tags()]\n"
        "def load(params):\n"
        "    return {'posts': load_collection('posts').by_tag(params['tag'])}\n"
    ),
    "app/tags/[tag]/page.html": "{% for p in posts %}<p>{{ p.slug }}</p>{% endfor %}",
    "app/blog/[slug]/page.py": (
        "from ssg.content import load_collection\n"
        "def generate_static_params(params):\n"
        "    return [{'slug': p.slug} for p in load_collection('posts')]\n"
        "def load(params):\n"
        "    return {'post': load_collection('posts').get(params['slug'])}\n"
    ),
    "app/blog/[slug]/page.html": "{{ post.html }}",
    "posts/a.md": "---\ntitle: A\ndate: 2020-01-01\ntags: [go, web]\n---\nBody of a.\n",
    "posts/b.md": "---\ntitle: B\ndate: 2020-01-02\ntags: [go]\n---\nBody of b.\n",
    "posts/c.md": "---\ntitle: C\ndate: 2020-01-03\ntags: [rust]\n---\nBody of c.\n",
}


def listed(site: Path, tag: str) -> list[str]:
    """The slugs the page of `tag` lists."""
    return re.findall(r"<p>([^<]*)</p>", (site / f"out/tags/{tag}.html").read_text())


async def test_a_tag_added_to_a_post_renders_the_tag_pages_again(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(TAGS_SITE)
    await build(site)
    (site / "posts/c.md").write_text(
        "---\ntitle: C\ndate: 2020-01-03\ntags: [rust, go]\n---\nBody of c.\n"
    )

    second = await build(site)

    # The three tag pages read every post's tags; /blog/c and the home page did not.
    assert (second.pages_rendered, second.pages_reused) == (3, 4)
    assert listed(site, "go") == ["c", "b", "a"]
    assert listed(site, "rust") == ["c"]


async def test_a_body_edit_leaves_the_tag_pages_alone(make_site: MakeSite, build: Build) -> None:
    site = make_site(TAGS_SITE)
    await build(site)
    (site / "posts/a.md").write_text(
        "---\ntitle: A\ndate: 2020-01-01\ntags: [go, web]\n---\nNew body.\n"
    )

    second = await build(site)

    assert (second.pages_rendered, second.pages_reused) == (1, 6)  # /blog/a only
    assert "New body." in (site / "out/blog/a.html").read_text()
