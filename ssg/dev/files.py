"""The files `ssg dev` serves straight from the sources: public/ and the theme's assets."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from aiohttp import web

from ssg.server.static import StaticFiles
from ssg.site import Site
from ssg.theme import ASSETS_URL_PREFIX, load_theme

DEV_FILE_CACHE_CONTROL = "no-cache"
"""Browsers ask again every time (304 when unchanged), so an edit shows on the next load."""

_FINGERPRINT = re.compile(r"\.[0-9a-f]{8}(?=\.[^./]+$|$)")


class DevFiles:
    """public/ files by URL path, and theme assets by name whatever their fingerprint.

    A stylesheet swap asks for the URL the page already has
    (`/_assets/style.1a2b3c4d.css?ssg-dev=...`) after the file changed, so an
    asset is found by its name without the fingerprint, and the current bytes
    are sent.

    Args:
        site: the loaded site.
    """

    def __init__(self, site: Site) -> None:
        self.site = site
        self._public = self._scan_public()

    def refresh_public(self) -> None:
        """List public/ again (after files were added, removed or changed)."""
        self._public = self._scan_public()

    def refresh_theme(self) -> None:
        """Fingerprint the theme's assets again, so pages link their new names."""
        fresh = load_theme(self.site.config).assets
        # Templates read the theme's dict through asset_url(): update it in place.
        self.site.theme.assets.clear()
        self.site.theme.assets.update(fresh)

    def get(self, url_path: str) -> Path | None:
        """The file for a canonical URL path, or None."""
        if url_path.startswith(ASSETS_URL_PREFIX):
            fingerprinted = unquote(url_path[len(ASSETS_URL_PREFIX) :])
            name = _FINGERPRINT.sub("", fingerprinted, count=1)
            if name in self.site.theme.assets:
                file = self.site.theme.static_dir / name
                if file.is_file():
                    return file
        found = self._public.get(url_path)
        return None if found is None else found.file

    def response(self, file: Path) -> web.FileResponse:
        """The file, revalidated by the browser on every use (ETag / 304 from aiohttp)."""
        return web.FileResponse(file, headers={"Cache-Control": DEV_FILE_CACHE_CONTROL})

    def _scan_public(self) -> StaticFiles:
        return StaticFiles(self.site.config.public_dir)
