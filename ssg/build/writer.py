"""Write the build output into a staging folder that replaces out/ only when the build succeeded."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote

from ssg.errors import SsgError
from ssg.render.environment import ASSETS_URL_PREFIX, Theme


def page_output_file(url_path: str, *, trailing_slash: bool) -> str:
    """The file a page is written to, relative to the output folder (decoded, as hosts look up).

    | url_path        | trailing_slash=False | trailing_slash=True    |
    | --------------- | -------------------- | ---------------------- |
    | /               | index.html           | index.html             |
    | /about          | about.html           | about/index.html       |
    | /blog/caf%C3%A9 | blog/café.html       | blog/café/index.html   |
    | /old/post.html  | old/post.html        | old/post.html          |

    A URL that already ends in ".html" (an old URL kept as an alias) is
    written as that file, so static hosts answer it as it was.
    """
    decoded = unquote(url_path).strip("/")
    if not decoded:
        return "index.html"
    if decoded.endswith(".html"):
        return decoded
    return f"{decoded}/index.html" if trailing_slash else f"{decoded}.html"


def handler_output_file(url_path: str) -> str:
    """The file a prerendered route handler is written to: its URL path ("/feed.xml" -> feed.xml)."""
    decoded = unquote(url_path).strip("/")
    return decoded or "index"


def check_out_dir(out_dir: Path, *, site_dir: Path, guarded: tuple[Path, ...]) -> None:
    """Refuse an output folder whose replacement would destroy something else.

    A build replaces the whole output folder, so it must not be the site, hold
    the site, sit inside app/ or public/, or be a folder that is not a previous
    build (no _ssg/manifest.json) and not empty.

    Raises:
        SsgError: naming the folder and the fix (choose another --out / out_dir).
    """
    out_dir = out_dir.resolve()
    site_dir = site_dir.resolve()
    fix = "choose another folder with --out or out_dir in ssg.toml"
    if site_dir.is_relative_to(out_dir):
        raise SsgError(f"the output folder {out_dir} is or contains the site {site_dir}; {fix}")
    for folder in guarded:
        if out_dir.is_relative_to(folder.resolve()):
            raise SsgError(f"the output folder {out_dir} is inside {folder}; {fix}")
    if out_dir.exists() and not out_dir.is_dir():
        raise SsgError(f"the output folder {out_dir} is a file; {fix}")
    if (
        out_dir.is_dir()
        and not (out_dir / "_ssg" / "manifest.json").is_file()
        and any(out_dir.iterdir())
    ):
        raise SsgError(
            f"the output folder {out_dir} holds files that are not an ssg build, and a build "
            f"replaces the whole folder; empty it or {fix}"
        )


class OutputWriter:
    """Writes files under a staging folder, then swaps it in for out/ (`commit`).

    A failed build calls `discard` and the previous out/ is untouched, so a
    broken build never takes a deployed site down (as lektor's artifacts).
    `write` is safe to call from several threads (the builder writes pages
    from a thread pool while it renders the next ones).
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.staging_dir = out_dir.parent / f".{out_dir.name}.staging-{os.getpid()}"
        if self.staging_dir.exists():
            shutil.rmtree(self.staging_dir)
        self.staging_dir.mkdir(parents=True)
        self.bytes_written = 0
        self.files_written = 0
        # Folders known to exist: one mkdir per folder, not per file. A set is
        # safe to share between threads here (mkdir(exist_ok=True) tolerates races).
        self._made_dirs: set[Path] = {self.staging_dir}

    def write(self, relative: str, data: bytes) -> Path:
        """Write `data` to `relative` (a "/"-separated path) inside the staging folder.

        Raises:
            ValueError: `relative` is absolute or climbs out with "..".
        """
        parts = relative.split("/")
        if relative.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"output file {relative!r} would be outside the output folder")
        target = self.staging_dir.joinpath(*parts)
        if target.parent not in self._made_dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(target.parent)
        with open(target, "wb") as file:
            file.write(data)
        self.bytes_written += len(data)
        self.files_written += 1
        return target

    def copy_tree(self, source_dir: Path, relative: str = "") -> int:
        """Copy a folder's files verbatim (dotfiles too: .nojekyll, .well-known/) into the
        staging folder; returns the count."""
        count = 0
        if not source_dir.is_dir():
            return count
        for source_file in sorted(source_dir.rglob("*")):
            rel = source_file.relative_to(source_dir)
            if not source_file.is_file():
                continue
            target = self.staging_dir / relative / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source_file, target)
            self.files_written += 1
            self.bytes_written += target.stat().st_size
            count += 1
        return count

    def copy_assets(self, theme: Theme) -> None:
        """Copy the theme's static files to /_assets/ under their fingerprinted names."""
        prefix = ASSETS_URL_PREFIX.strip("/")
        for name, hashed in theme.assets.items():
            data = (theme.static_dir / name).read_bytes()
            self.write(f"{prefix}/{hashed}", data)

    def commit(self) -> None:
        """Replace out/ with the staging folder (two renames; the old one is then removed)."""
        old = self.out_dir.parent / f".{self.out_dir.name}.old-{os.getpid()}"
        if self.out_dir.exists():
            os.replace(self.out_dir, old)
        os.replace(self.staging_dir, self.out_dir)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        """Remove the staging folder; out/ is left as it was."""
        shutil.rmtree(self.staging_dir, ignore_errors=True)
