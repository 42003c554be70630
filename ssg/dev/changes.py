"""What a changed file means to the dev server: a template, content, a public file, or code."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ssg.config import CONFIG_FILE


class ChangeKind(enum.Enum):
    """What one changed file is to the dev server, and so what applying it takes."""

    CODE = "code"
    """A .py file or ssg.toml: the site code is loaded again in a new worker."""
    TEMPLATE = "template"
    """A template (app/ or the theme's): drop the compiled templates."""
    STYLESHEET = "stylesheet"
    """A .css file in public/ or the theme's static/: pages swap stylesheets."""
    PUBLIC = "public"
    """Another file in public/: list public/ again."""
    ASSET = "asset"
    """Another file in the theme's static/: fingerprint the assets again."""
    CONTENT = "content"
    """A file in a content folder the site read: collections look at their files again."""
    IGNORED = "ignored"
    """Anything else (editor swap files are filtered out before)."""


@dataclass(frozen=True)
class WatchedFolders:
    """The folders of a site that the dev server watches (absolute).

    Attributes:
        site_dir: the site folder.
        app_dir: SITE/app.
        public_dir: SITE/public.
        theme_dir: the theme folder (templates/ and static/).
        content_dirs: the content folders the site's code has read so far.
    """

    site_dir: Path
    app_dir: Path
    public_dir: Path
    theme_dir: Path | None = None
    content_dirs: frozenset[Path] = frozenset()

    def roots(self) -> list[Path]:
        """The existing folders to watch for templates, public files and content (not code)."""
        folders = [self.app_dir, self.public_dir, *sorted(self.content_dirs)]
        if self.theme_dir is not None:
            folders.append(self.theme_dir)
        return [folder for folder in folders if folder.is_dir()]


def classify(file: Path, folders: WatchedFolders) -> ChangeKind:
    """The kind of a changed file.

    | file (under SITE)                     | kind        |
    | ------------------------------------- | ----------- |
    | app/blog/[slug]/page.py, blog.py      | CODE        |
    | ssg.toml                              | CODE        |
    | app/blog/[slug]/page.html             | TEMPLATE    |
    | THEME/templates/base.html             | TEMPLATE    |
    | public/site.css, THEME/static/x.css   | STYLESHEET  |
    | public/robots.txt                     | PUBLIC      |
    | THEME/static/logo.svg                 | ASSET       |
    | content/posts/hello.md                | CONTENT     |
    """
    if file.suffix == ".py" or file == folders.site_dir / CONFIG_FILE:
        return ChangeKind.CODE
    if file.is_relative_to(folders.public_dir):
        return ChangeKind.STYLESHEET if file.suffix == ".css" else ChangeKind.PUBLIC
    theme = folders.theme_dir
    if theme is not None and file.is_relative_to(theme / "static"):
        return ChangeKind.STYLESHEET if file.suffix == ".css" else ChangeKind.ASSET
    if file.is_relative_to(folders.app_dir) or (
        theme is not None and file.is_relative_to(theme / "templates")
    ):
        return ChangeKind.TEMPLATE
    if any(file.is_relative_to(folder) for folder in folders.content_dirs):
        return ChangeKind.CONTENT
    return ChangeKind.IGNORED


def describe(files: Iterable[Path], site_dir: Path) -> str:
    """Name changed files for the terminal: "app/page.html", or "3 files (app/a.html, ...)"."""
    names = sorted(_relative(file, site_dir) for file in files)
    if len(names) == 1:
        return names[0]
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    return f"{len(names)} files ({shown})"


def _relative(file: Path, site_dir: Path) -> str:
    try:
        return file.relative_to(site_dir).as_posix()
    except ValueError:
        return str(file)
