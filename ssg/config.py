"""SiteConfig: the site's ssg.toml, validated all at once (SPEC 7)."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssg.errors import ConfigError, SsgError

CONFIG_FILE = "ssg.toml"
OUTPUTS = ("server", "export")

# name -> (type, default); the keys SPEC 7 defines. Any other key is kept in
# `extra` for templates (site.title, site.nav, ...).
_KNOWN: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "base_url": (str, ""),
    "out_dir": (str, "out"),
    "trailing_slash": (bool, False),
    "theme": (str, "default"),
    "output": (str, "server"),
    "expire_seconds": (int, 31_536_000),
    "cache_dir": (str, ".ssg"),
    "body_limit_bytes": (int, 1_048_576),
    "fetch_timeout_seconds": ((int, float), 30),
}
# Keys users type by mistake that are close to a known one get a hint; other
# unknown keys are the site's own values.
_HINTED = ("baseurl", "baseURL", "trailingSlash", "outdir", "expire", "revalidate")


@dataclass(frozen=True)
class SiteConfig:
    """A site's configuration.

    Attributes:
        site_dir: the site folder (absolute).
        base_url: absolute origin for feeds and sitemaps, no trailing slash ("" if unset).
        out_dir: the output folder (absolute).
        trailing_slash: False writes /a as a.html, True as a/index.html.
        theme: the theme name (a folder under the shipped themes) or a path.
        output: "server" (ISR) or "export" (plain files only).
        expire_seconds: how long a stale page may still be served (seconds).
        cache_dir: the data cache and ISR entries folder (absolute).
        body_limit_bytes: largest request body the server accepts (bytes).
        fetch_timeout_seconds: total timeout of one upstream fetch (seconds).
        extra: every other key of ssg.toml, for templates (`site.title`).
    """

    site_dir: Path
    base_url: str = ""
    out_dir: Path = Path("out")
    trailing_slash: bool = False
    theme: str = "default"
    output: str = "server"
    expire_seconds: int = 31_536_000
    cache_dir: Path = Path(".ssg")
    body_limit_bytes: int = 1_048_576
    fetch_timeout_seconds: float = 30.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def app_dir(self) -> Path:
        """The routes folder, SITE/app."""
        return self.site_dir / "app"

    @property
    def public_dir(self) -> Path:
        """Files copied verbatim to the output root, SITE/public."""
        return self.site_dir / "public"

    def template_values(self) -> dict[str, Any]:
        """The `site` value templates see: every ssg.toml key (known ones resolved)."""
        values: dict[str, Any] = dict(self.extra)
        values.update(
            base_url=self.base_url,
            trailing_slash=self.trailing_slash,
            theme=self.theme,
            output=self.output,
        )
        return values


def load_config(
    site_dir: Path,
    *,
    out_dir: Path | None = None,
    output: str | None = None,
    base_url: str | None = None,
) -> SiteConfig:
    """Read SITE/ssg.toml (optional) and validate every value.

    Args:
        site_dir: the site folder.
        out_dir: overrides `out_dir` (the CLI's --out), relative to the cwd.
        output: overrides `output` (the CLI's --export gives "export").
        base_url: overrides `base_url` (the CLI's --base-url, e.g. from a CI deploy).

    Returns:
        The SiteConfig with absolute folders.

    Raises:
        SsgError: the site folder does not exist.
        ConfigError: the TOML does not parse (with its line), or values have
            the wrong type; all problems at once.
    """
    site_dir = site_dir.resolve()
    config_file = site_dir / CONFIG_FILE
    if not site_dir.is_dir():
        raise SsgError(
            f"site folder {site_dir} does not exist: pass the folder that holds app/ "
            "(e.g. ssg build examples/blog)"
        )
    raw: dict[str, Any] = {}
    if config_file.is_file():
        try:
            raw = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(config_file, [f"not valid TOML: {exc}"]) from exc
    problems: list[str] = []
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _KNOWN:
            expected, _default = _KNOWN[key]
            # bool is an int subclass: `expire_seconds = true` is a mistake.
            if not isinstance(value, expected) or (
                isinstance(value, bool) and expected is not bool
            ):
                names = expected.__name__ if isinstance(expected, type) else "number"
                problems.append(f"{key} = {value!r} must be a {names}")
                continue
            values[key] = value
        else:
            if key in _HINTED:
                close = difflib.get_close_matches(key.lower(), list(_KNOWN), n=1, cutoff=0.5)
                if close:
                    problems.append(f"unknown key {key!r}: did you mean {close[0]!r}?")
                    continue
            extra[key] = value
    if output is not None:
        values["output"] = output
    if base_url is not None:
        values["base_url"] = base_url
    if values.get("output", "server") not in OUTPUTS:
        problems.append(f'output = {values["output"]!r} must be "server" or "export"')
    if values.get("expire_seconds", 1) < 0:
        problems.append("expire_seconds must be 0 or more (seconds)")
    if values.get("body_limit_bytes", 1) <= 0:
        problems.append("body_limit_bytes must be more than 0 (bytes)")
    base_url = values.get("base_url", "")
    if base_url and not base_url.startswith(("http://", "https://")):
        problems.append(f"base_url = {base_url!r} must start with http:// or https://")
    if problems:
        raise ConfigError(config_file, problems)
    resolved_out = (
        out_dir.resolve() if out_dir is not None else site_dir / values.get("out_dir", "out")
    )
    return SiteConfig(
        site_dir=site_dir,
        base_url=base_url.rstrip("/"),
        out_dir=resolved_out,
        trailing_slash=values.get("trailing_slash", False),
        theme=values.get("theme", "default"),
        output=values.get("output", "server"),
        expire_seconds=values.get("expire_seconds", 31_536_000),
        cache_dir=site_dir / values.get("cache_dir", ".ssg"),
        body_limit_bytes=values.get("body_limit_bytes", 1_048_576),
        fetch_timeout_seconds=float(values.get("fetch_timeout_seconds", 30)),
        extra=extra,
    )
