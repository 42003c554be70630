"""What a changed file means to the dev server (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssg.dev.changes import ChangeKind, WatchedFolders, classify, describe

SITE = Path("/site")
FOLDERS = WatchedFolders(
    site_dir=SITE,
    app_dir=SITE / "app",
    public_dir=SITE / "public",
    theme_dir=Path("/themes/default"),
    content_dirs=frozenset({SITE / "content" / "posts", Path("/corpus/posts")}),
)


@pytest.mark.parametrize(
    ("file", "kind"),
    [
        (SITE / "app/blog/[slug]/page.py", ChangeKind.CODE),
        (SITE / "blog.py", ChangeKind.CODE),
        (SITE / "ssg.toml", ChangeKind.CODE),
        (SITE / "app/blog/[slug]/page.html", ChangeKind.TEMPLATE),
        (SITE / "app/about/page.md", ChangeKind.TEMPLATE),
        (Path("/themes/default/templates/base.html"), ChangeKind.TEMPLATE),
        (SITE / "public/site.css", ChangeKind.STYLESHEET),
        (Path("/themes/default/static/style.css"), ChangeKind.STYLESHEET),
        (SITE / "public/robots.txt", ChangeKind.PUBLIC),
        (Path("/themes/default/static/logo.svg"), ChangeKind.ASSET),
        (SITE / "content/posts/hello.md", ChangeKind.CONTENT),
        (Path("/corpus/posts/2024/x/index.md"), ChangeKind.CONTENT),
        (SITE / "notes.txt", ChangeKind.IGNORED),
    ],
    ids=lambda value: str(value) if isinstance(value, Path) else value.value,
)
def test_classify(file: Path, kind: ChangeKind) -> None:
    assert classify(file, FOLDERS) is kind


def test_describe_names_one_file_or_counts_several() -> None:
    assert describe([SITE / "app/page.html"], SITE) == "app/page.html"
    many = [SITE / f"app/{name}.html" for name in "abcd"]
    assert describe(many, SITE) == "4 files (app/a.html, app/b.html, app/c.html, ...)"
