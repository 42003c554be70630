"""load_config: read ssg.toml, apply the environment's and the command line's overrides, and
report every problem at once."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from ssg.config.overrides import environment_overrides
from ssg.config.settings import PARAMS_KEY, SETTINGS, SETTINGS_BY_KEY, Setting
from ssg.config.site_config import SiteConfig
from ssg.errors import ConfigError, ConfigProblem, SiteNotFoundError

CONFIG_FILE = "ssg.toml"


def _read_toml(config_file: Path) -> tuple[dict[str, Any], str]:
    """The file's table and its text ({} and "" when there is no file)."""
    if not config_file.is_file():
        return {}, ""
    text = config_file.read_text(encoding="utf-8")
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        twice = _key_set_twice(text) if "overwrite" in str(exc) else None
        if twice is not None:  # tomllib says "Cannot overwrite a value": name the key
            key, first, again = twice
            problem = ConfigProblem(
                key,
                f"{key} is set twice, on lines {first} and {again}",
                "keep one of them (TOML allows a key once in a table)",
                again,
            )
        else:
            problem = ConfigProblem(
                "",
                f"not valid TOML: {exc}",
                # tomllib names a line and column, or only "at end of document".
                "fix the syntax at that line"
                if "line" in str(exc)
                else "fix the syntax near the end of the file (an unclosed quote or bracket?)",
            )
        raise ConfigError(config_file, [problem]) from exc


# A top-level `key = value` line of TOML (a bare or quoted key), and a table header.
_KEY_LINE = re.compile(r"""\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=""")
_TABLE_LINE = re.compile(r"\s*\[")


def _key_lines(text: str) -> dict[str, int]:
    """The line (1-based) of each top-level key of a TOML text, up to its first table.

    | text | result |
    | --- | --- |
    | 'title = "T"\\nbase_path = "docs"\\n[params]\\nx = 1' | {"title": 1, "base_path": 2} |
    """
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if _TABLE_LINE.match(line):
            break
        found = _KEY_LINE.match(line)
        if found:
            lines.setdefault(next(group for group in found.groups() if group), number)
    return lines


OTHER_TOOLS_KEYS = {
    "site_name": "title",  # MkDocs
    "sitename": "title",  # Pelican SITENAME
    "siteurl": "base_url",  # Pelican SITEURL
    "site_url": "base_url",  # MkDocs
    "baseurl": "base_url",  # Hugo baseURL
    "site_description": "description",  # MkDocs
    "site_author": "author",  # MkDocs
    "languagecode": "language",  # Hugo languageCode
    "default_lang": "language",  # Pelican DEFAULT_LANG
    "basepath": "base_path",  # Next.js basePath
    "trailingslash": "trailing_slash",  # Next.js trailingSlash
}
"""Keys of other generators' config files, lower-cased, and the ssg.toml key that means the same."""


def _key_set_twice(text: str) -> tuple[str, int, int] | None:
    """The first key a TOML text sets twice in one table, and both lines (1-based).

    | text | result |
    | --- | --- |
    | 'title = "a"\\ntitle = "b"' | ("title", 1, 2) |
    | '[params]\\nx = 1\\nx = 2' | ("params.x", 2, 3) |
    """
    seen: dict[str, int] = {}
    table: str | None = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if _TABLE_LINE.match(line):
            header = line.strip()
            # An array of tables ([[x]]) starts a new table each time: not followed.
            table = None if header.startswith("[[") else header.strip("[]").strip()
            continue
        found = _KEY_LINE.match(line)
        if found and table is not None:
            key = next(group for group in found.groups() if group)
            name = f"{table}.{key}" if table else key
            if name in seen:
                return name, seen[name], number
            seen[name] = number
    return None


def _unknown_key(key: str) -> ConfigProblem:
    same = OTHER_TOOLS_KEYS.get(key.lower())
    if same is not None:
        return ConfigProblem(key, f"unknown key {key!r}", f"did you mean {same!r}?")
    import difflib  # for this mistake only

    close = difflib.get_close_matches(key, list(SETTINGS_BY_KEY), n=1, cutoff=0.6)
    if not close:
        # Users coming from Hugo or Next.js write baseURL, trailingSlash...
        lowered = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
        close = difflib.get_close_matches(lowered, list(SETTINGS_BY_KEY), n=1, cutoff=0.8)
    fix = (
        f"did you mean {close[0]!r}?"
        if close
        else f"move the site's own values under [{PARAMS_KEY}] (read as site.params.{key})"
    )
    return ConfigProblem(key, f"unknown key {key!r}", fix)


def _validate(setting: Setting, value: Any, origin: str) -> ConfigProblem | None:
    # bool is an int subclass in Python: `expire_seconds = true` is a mistake.
    if not isinstance(value, setting.kind) or (
        isinstance(value, bool) and setting.kind is not bool
    ):
        return ConfigProblem(
            setting.key,
            f"{setting.key} = {value!r}{origin} must be {setting.kind_name}",
            f"{setting.key}: {setting.doc}",
        )
    if setting.check is not None:
        found = setting.check(value)
        if found is not None:
            message, fix = found
            return ConfigProblem(setting.key, message + origin, fix)
    return None


def _base_url_path_without_base_path(
    values: Mapping[str, tuple[Any, str]], key_lines: Mapping[str, int]
) -> ConfigProblem | None:
    """A base_url with a path ("https://owner.github.io/repo/", as Hugo's baseURL) and no
    base_path: every root-relative URL ssg makes (assets, links, redirects) would miss
    the prefix the site is served under, while feeds and sitemaps would carry it."""
    base_url, origin = values["base_url"]
    path = urlsplit(base_url).path.rstrip("/")
    base_path = values.get("base_path", ("", ""))[0]
    if not path or base_path:
        return None
    return ConfigProblem(
        "base_url",
        f"base_url = {base_url!r}{origin} has the path {path} but base_path is empty, so the "
        f"links and assets of every page would miss {path} while feeds and sitemaps carry it",
        f'set base_path = "{path}" if the site is served under {path} (a GitHub Pages '
        "project site), or drop the path from base_url",
        None if origin else key_lines.get("base_url"),
    )


def load_config(
    site_dir: Path,
    *,
    out_dir: Path | None = None,
    output: str | None = None,
    base_url: str | None = None,
    base_path: str | None = None,
    cache_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> SiteConfig:
    """Read SITE/ssg.toml (optional), apply overrides, and validate every value.

    Precedence, highest first: the arguments (the CLI's flags), the
    environment (`environment_overrides`), ssg.toml, the defaults in `SETTINGS`.

    Args:
        site_dir: the site folder.
        out_dir: overrides `out_dir` (the CLI's --out), relative to the cwd.
        output: overrides `output` (the CLI's --export gives "export").
        base_url: overrides `base_url` (the CLI's --base-url).
        base_path: overrides `base_path` (the CLI's --base-path).
        cache_url: overrides `cache_url` (`ssg serve --cache-url`).
        environ: the environment to read overrides from (default `os.environ`).

    Returns:
        The SiteConfig with absolute folders.

    Raises:
        SiteNotFoundError: the site folder does not exist.
        ConfigError: the TOML does not parse (with its line), or keys are
            unknown or values wrong (type or value); every problem at once,
            each with its fix in `.problems`.
    """
    site_dir = site_dir.resolve()
    config_file = site_dir / CONFIG_FILE
    if not site_dir.is_dir():
        raise SiteNotFoundError(site_dir)
    raw, text = _read_toml(config_file)
    key_lines = _key_lines(text)
    problems: list[ConfigProblem] = []
    values: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key == PARAMS_KEY:
            if isinstance(value, dict):
                params = value
            else:
                problems.append(
                    ConfigProblem(
                        key,
                        f"{key} = {value!r} must be a table",
                        f"write [{PARAMS_KEY}] then keys",
                        key_lines.get(key),
                    )
                )
        elif key in SETTINGS_BY_KEY:
            values[key] = (value, "")
        else:
            problems.append(dataclasses.replace(_unknown_key(key), line=key_lines.get(key)))
    for key, (value, variable) in environment_overrides(
        os.environ if environ is None else environ
    ).items():
        values[key] = (value, f" (from the environment variable {variable})")
    flags = (
        ("output", output),
        ("base_url", base_url),
        ("base_path", base_path),
        ("cache_url", cache_url),
    )
    for key, value in flags:
        if value is not None:
            values[key] = (value, f" (from the command line's --{key.replace('_', '-')})")
    in_file = bool(problems)  # unknown keys and a bad [params] are the file's
    for key, (value, origin) in values.items():
        problem = _validate(SETTINGS_BY_KEY[key], value, origin)
        if problem is not None:
            in_file = in_file or not origin
            problems.append(
                problem if origin else dataclasses.replace(problem, line=key_lines.get(key))
            )
    if not problems and "base_url" in values:
        problem = _base_url_path_without_base_path(values, key_lines)
        if problem is not None:
            in_file = problem.line is not None
            problems.append(problem)
    if problems:
        raise ConfigError(config_file, problems, in_file=in_file)
    final = {s.key: values[s.key][0] if s.key in values else s.default for s in SETTINGS}
    return SiteConfig(
        site_dir=site_dir,
        base_url=final["base_url"].rstrip("/"),
        out_dir=out_dir.resolve() if out_dir is not None else _output_folder(site_dir, final),
        trailing_slash=final["trailing_slash"],
        theme=final["theme"],
        output=final["output"],
        expire_seconds=final["expire_seconds"],
        cache_dir=site_dir / final["cache_dir"],
        base_path=final["base_path"],
        cache_url=final["cache_url"],
        cdn_tag_header=final["cdn_tag_header"],
        purge_webhook=final["purge_webhook"],
        body_limit_bytes=final["body_limit_bytes"],
        fetch_timeout_seconds=float(final["fetch_timeout_seconds"]),
        fetch_max_bytes=final["fetch_max_bytes"],
        render_timeout_seconds=float(final["render_timeout_seconds"]),
        on_demand_max_entries=final["on_demand_max_entries"],
        max_connections=final["max_connections"],
        keepalive_timeout_seconds=float(final["keepalive_timeout_seconds"]),
        shutdown_grace_seconds=float(final["shutdown_grace_seconds"]),
        theme_values=MappingProxyType({s.key: final[s.key] for s in SETTINGS if s.theme}),
        params=MappingProxyType(params),
    )


def _output_folder(site_dir: Path, final: dict[str, Any]) -> Path:
    """`out_dir` under the site folder; where it is a symbolic link (`out -> /var/www/site`,
    a web server's root), the folder it points to: a build replaces that folder, not the
    link, as `--out` and an absolute `out_dir` do."""
    folder: Path = site_dir / final["out_dir"]
    return folder.resolve() if folder.is_symlink() else folder
