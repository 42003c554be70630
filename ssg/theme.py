"""The Jinja2 environment: template lookup (app/, then the theme), filters, fingerprinted assets."""

from __future__ import annotations

import hashlib
import logging
from collections import ChainMap
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2

from ssg.base_path import absolute_url, with_base_path
from ssg.config import SiteConfig
from ssg.errors import ConfigError, ConfigProblem
from ssg.reads import ReadKind, note_read, paused

logger = logging.getLogger("ssg.render")
_TEMPLATE = ReadKind.TEMPLATE  # noted per template load (see ssg.reads on Enum attributes)

ASSETS_URL_PREFIX = "/_assets/"
TEMPLATE_CACHE_FOLDER = "templates"
"""Under the site's cache folder: compiled templates, shared by builds, `ssg serve` and `ssg dev`."""


@dataclass(frozen=True)
class Theme:
    """A theme folder: `templates/` (Jinja2) and `static/` (fingerprinted assets).

    Attributes:
        theme_dir: the theme folder (absolute).
        assets: asset name ("style.css") -> fingerprinted output name ("style.1a2b3c4d.css").
    """

    theme_dir: Path
    assets: dict[str, str]

    @property
    def templates_dir(self) -> Path:
        """The theme's templates folder."""
        return self.theme_dir / "templates"

    @property
    def static_dir(self) -> Path:
        """The theme's static assets folder."""
        return self.theme_dir / "static"


def find_theme_dir(config: SiteConfig) -> Path:
    """Return the folder of the configured theme.

    `theme` is a shipped theme's name ("default") or a folder relative to the site.

    Raises:
        ConfigError: no such theme, listing the shipped ones.
    """
    own = config.site_dir / config.theme
    if config.theme not in ("", ".") and own.is_dir():
        return own
    shipped = shipped_themes_dir()
    candidate = shipped / config.theme
    if candidate.is_dir():
        return candidate
    names = sorted(p.name for p in shipped.iterdir() if p.is_dir() and not p.name.startswith("_"))
    raise ConfigError(
        config.site_dir / "ssg.toml",
        [
            ConfigProblem(
                "theme",
                f"theme = {config.theme!r} is neither a shipped theme nor a folder in the site",
                f"use one of {', '.join(names)} or a folder that holds templates/",
            )
        ],
    )


def shipped_themes_dir() -> Path:
    """The shipped themes: ssg/themes in a wheel, or themes/ beside ssg/ in a source checkout.

    (An editable install does not map the ssg.themes package, so it is found by location.)
    """
    package_dir = Path(__file__).resolve().parent  # ssg/
    inside = package_dir / "themes"
    return inside if inside.is_dir() else package_dir.parent / "themes"


def load_theme(config: SiteConfig) -> Theme:
    """Find the theme and fingerprint its static assets (8 hex digits of SHA-256)."""
    theme_dir = find_theme_dir(config)
    assets: dict[str, str] = {}
    static_dir = theme_dir / "static"
    if static_dir.is_dir():
        for source_file in sorted(static_dir.rglob("*")):
            if source_file.is_file() and not source_file.name.startswith("."):
                name = source_file.relative_to(static_dir).as_posix()
                digest = hashlib.sha256(source_file.read_bytes()).hexdigest()[:8]
                stem, dot, ext = name.rpartition(".")
                assets[name] = f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"
    return Theme(theme_dir=theme_dir, assets=assets)


class RecordingEnvironment(jinja2.Environment):
    """A Jinja2 environment that notes every template a render loads by name.

    `extends`, `include` and `import` load their templates through the
    environment at render time (also when Jinja's cache already holds them), so
    a page's record lists the whole tree it used, which an incremental build
    compares with the files on disk.
    """

    def _load_template(
        self, name: str, globals: MutableMapping[str, Any] | None
    ) -> jinja2.Template:
        note_read((_TEMPLATE, name))
        if not globals:
            return super()._load_template(name, globals)
        # Globals for this template only: it needs a map of its own over the
        # environment's (see make_globals), as Jinja gives every template.
        template = super()._load_template(name, None)
        if template.globals is self.globals:
            template.globals = ChainMap({}, self.globals)
        template.globals.update(globals)
        return template

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """The globals of a template: the environment's own dict when it has none of its own.

        Jinja's default is a ChainMap over the environment's globals for every
        template; each render copies a template's globals into the context, and a
        ChainMap copies key by key in Python where a dict copies in C. A template
        given globals of its own still gets a ChainMap (`_load_template`), so the
        environment's globals are never written through a template.
        """
        if not d:
            return self.globals
        return super().make_globals(d)


def make_environment(config: SiteConfig, theme: Theme) -> jinja2.Environment:
    """Create the site's Jinja2 environment.

    Lookup order: `app/` first, then the theme; theme templates are also
    reachable as "theme/NAME" so `{% extends "theme/base.html" %}` works from
    an app template that overrides "base.html" itself.

    Globals: `url(url_path)` (the path under the site's base path, as
    Next.js `<Link href>`: `{{ url("/blog/a") }}` -> "/docs/blog/a"),
    `asset_url(name)` (a theme asset's fingerprinted URL, base path
    included), `absolute_url(url_path)` (site_url + path in the site's
    trailing-slash form, for feeds and canonical links). Filters: `date(format)`, `absolute_url`, `url`.
    """
    theme_loader = jinja2.FileSystemLoader(theme.templates_dir)
    env = RecordingEnvironment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(config.app_dir),
                jinja2.PrefixLoader({"theme": theme_loader}),
                theme_loader,
            ]
        ),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "svg"), default_for_string=True
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        bytecode_cache=TemplateBytecodeCache(config.cache_dir / TEMPLATE_CACHE_FOLDER),
    )

    def asset_url(name: str) -> str:
        try:
            return config.base_path + ASSETS_URL_PREFIX + theme.assets[name]
        except KeyError:
            known = ", ".join(sorted(theme.assets)) or "none"
            raise jinja2.TemplateRuntimeError(
                f"asset_url({name!r}): no such file in {theme.static_dir} (known: {known})"
            ) from None

    site_url = config.site_url

    def site_absolute_url(url_path: str) -> str:
        if not site_url:
            return url(url_path)
        return absolute_url(str(url_path), site_url, trailing_slash=config.trailing_slash)

    def url(url_path: str) -> str:
        return with_base_path(str(url_path), config.base_path, trailing_slash=config.trailing_slash)

    env.globals.update(asset_url=asset_url, absolute_url=site_absolute_url, url=url)
    env.filters["absolute_url"] = site_absolute_url
    env.filters["url"] = url
    env.filters["date"] = format_date
    return env


def format_date(value: Any, fmt: str = "%B %-d, %Y") -> str:
    """Jinja filter: format a date or datetime (empty string for None)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime | date):
        return value.strftime(fmt)
    return str(value)


class TemplateBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept on disk, so a start (a build, a server, a dev worker) does not
    parse and compile every template again.

    Jinja2 keys each file by template name and path and checks the SHA-1 of
    the source before using it (an edited template is compiled again); the
    folder is named after the Jinja2 version and this module's own bytes (the
    environment options compiled into the code), so another ssg or Jinja2
    never reads it. A folder that cannot be written (a read-only site) only
    costs the compile: it is logged once, never raised.

    Args:
        cache_dir: the templates cache folder (`SITE/.ssg/templates`).
    """

    def __init__(self, cache_dir: Path) -> None:
        identity = hashlib.blake2b(digest_size=8)
        identity.update(jinja2.__version__.encode())
        identity.update(Path(__file__).read_bytes())
        self.folder = cache_dir / identity.hexdigest()
        super().__init__(str(self.folder))
        self._writable = True

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Read one compiled template; an unreadable or damaged file is a miss (compiled again)."""
        try:
            # ssg's own file, not a page's input: the template's source is the read that counts.
            with paused():
                super().load_bytecode(bucket)
        except Exception:  # torn or foreign bytes (pickle, marshal): only costs a compile
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Write one compiled template (temp file + rename); an OSError is logged once."""
        if not self._writable:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError as exc:
            self._writable = False
            logger.warning(
                "Could not keep compiled templates in %s (%s); they are compiled at each start.",
                self.folder,
                exc,
            )
