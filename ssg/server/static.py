"""Files of out/ that are not pages (public/ files, fingerprinted theme assets), served safely.

Every servable file is listed once at startup and looked up by its canonical
URL path, so a request is never joined onto a folder: nothing outside out/ is
reachable, whatever the URL says.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from ssg.plural import plural
from ssg.records import MANIFEST_FILE
from ssg.server.responses import IMMUTABLE_CACHE_CONTROL, PUBLIC_FILE_CACHE_CONTROL
from ssg.theme import ASSETS_URL_PREFIX

logger = logging.getLogger("ssg.server")

PRIVATE_DIR = MANIFEST_FILE.split("/")[0]  # "_ssg": the server's own files, never served


@dataclass(frozen=True)
class StaticFile:
    """One servable file.

    Attributes:
        file: its path under out/.
        cache_control: `immutable` for fingerprinted /_assets/ files, else revalidate each time.
    """

    file: Path
    cache_control: str


class StaticFiles:
    """The servable files of out/, by canonical URL path ("/images/logo%20big.png").

    Left out: dotfiles and dot-folders, out/_ssg/ (the manifest), the files of
    pages (served by their URL, not as "/about.html"), and symlinks that
    resolve outside out/.

    Args:
        out_dir: the build output folder.
        exclude: paths relative to out/ ("about.html") not to serve as files.
    """

    def __init__(self, out_dir: Path, exclude: Iterable[str] = ()) -> None:
        self.out_dir = out_dir
        self._files: dict[str, StaticFile] = {}
        self._scan(set(exclude))

    def __len__(self) -> int:
        return len(self._files)

    def get(self, url_path: str) -> StaticFile | None:
        """The file for a canonical URL path, or None."""
        return self._files.get(url_path)

    def response(self, static_file: StaticFile) -> web.FileResponse:
        """Stream the file (sendfile), with ETag / If-None-Match 304 and Range from aiohttp.

        The Content-Type comes from the file name (mimetypes), as static hosts do.
        """
        return web.FileResponse(
            static_file.file, headers={"Cache-Control": static_file.cache_control}
        )

    def _scan(self, exclude: set[str]) -> None:
        root = self.out_dir.resolve()
        skipped = 0
        for folder, dir_names, file_names in os.walk(self.out_dir):
            here = Path(folder)
            relative_dir = here.relative_to(self.out_dir)
            # Pruned in place: os.walk then never enters dot-folders or _ssg/.
            dir_names[:] = [
                d
                for d in dir_names
                if not d.startswith(".") and not (relative_dir == Path(".") and d == PRIVATE_DIR)
            ]
            for name in file_names:
                if name.startswith("."):
                    continue
                file = here / name
                relative = file.relative_to(self.out_dir).as_posix()
                if relative in exclude:
                    continue
                if file.is_symlink() and not file.resolve().is_relative_to(root):
                    skipped += 1
                    continue
                url_path = "/" + "/".join(quote(part, safe="") for part in relative.split("/"))
                immutable = url_path.startswith(ASSETS_URL_PREFIX)
                self._files[url_path] = StaticFile(
                    file, IMMUTABLE_CACHE_CONTROL if immutable else PUBLIC_FILE_CACHE_CONTROL
                )
        if skipped:
            logger.warning(
                "Not serving %s in %s that point%s outside it.",
                plural(skipped, "symbolic link"),
                self.out_dir,
                "s" if skipped == 1 else "",
            )
