"""`ssg new DIR [--template blog|docs|minimal]`: write a starter site that builds and serves."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from ssg.errors import NewSiteError

TEMPLATES: tuple[str, ...] = ("blog", "docs", "minimal")
"""The starters shipped in starters/ (ssg/starters in a wheel)."""

_TEXT_SUFFIXES = frozenset({".md", ".toml", ".html", ".py", ".txt", ".svg", ".xml"})


def starters_dir() -> Path:
    """The shipped starters: ssg/starters in a wheel, or starters/ beside ssg/ in a checkout.

    (An editable install does not map the ssg.starters package, so it is found by location.)
    """
    package_dir = Path(__file__).resolve().parent.parent
    inside = package_dir / "starters"
    return inside if inside.is_dir() else package_dir.parent / "starters"


def run(target_dir: Path, *, template: str = "blog", today: datetime | None = None) -> list[Path]:
    """Copy the starter `template` into `target_dir` (created if missing).

    In text files `__TITLE__` becomes the folder's name as a title ("my-blog"
    -> "My Blog") and `__TODAY__` today's date (UTC), so the first post is
    dated today: published, not scheduled. As `hugo new site` and
    `zola init`, an existing folder must be empty.

    Args:
        target_dir: the new site's folder.
        template: one of TEMPLATES.
        today: the date written into posts (default: now, UTC).

    Returns:
        The files written, relative to `target_dir`, sorted.

    Raises:
        NewSiteError: `target_dir` is a file, or a folder that is not empty.
        ValueError: an unknown template (the CLI only offers TEMPLATES).
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}; use one of {', '.join(TEMPLATES)}")
    if target_dir.exists() and (not target_dir.is_dir() or any(target_dir.iterdir())):
        what = "is a file" if not target_dir.is_dir() else "is not empty"
        raise NewSiteError(
            f"{target_dir} {what}: `ssg new` writes into a new or empty folder only, so it "
            "never overwrites your files. Pick another name, e.g. `ssg new my-site`.",
            target_dir=target_dir,
        )
    source_dir = starters_dir() / template
    values = {
        "__TITLE__": _title(target_dir.resolve().name),
        "__TODAY__": (today or datetime.now(UTC)).strftime("%Y-%m-%d"),
    }
    written = []
    for source in sorted(source_dir.rglob("*")):
        relative = source.relative_to(source_dir)
        if not source.is_file() or "__pycache__" in relative.parts:
            continue
        target = target_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix in _TEXT_SUFFIXES:
            text = source.read_text(encoding="utf-8")
            for token, value in values.items():
                text = text.replace(token, value)
            target.write_text(text, encoding="utf-8")
        else:
            shutil.copyfile(source, target)
        written.append(relative)
    return written


def _title(folder_name: str) -> str:
    """A site title from its folder name: "my-blog" -> "My Blog"; "" -> "My Site"."""
    words = folder_name.replace("_", " ").replace("-", " ").split()
    return " ".join(word[:1].upper() + word[1:] for word in words) or "My Site"
