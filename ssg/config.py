"""SiteConfig: the site's ssg.toml, read from one table of settings and validated all at once.

Every key ssg.toml may hold is a row of `SETTINGS` (type, default, check, doc);
the site's own values go under `[params]`, as in Hugo's site configuration.
Environment variables override the file for deploys (`SSG_BASE_URL`,
`SSG_BASE_PATH`, `SSG_CACHE_URL`, and Netlify's `URL`/`DEPLOY_PRIME_URL`).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from ssg.errors import ConfigError, ConfigProblem, SiteNotFoundError

CONFIG_FILE = "ssg.toml"
OUTPUTS = ("server", "export")
PARAMS_KEY = "params"

# A check returns the problem and its fix, or None when the value is good.
Check = Callable[[Any], "tuple[str, str] | None"]


@dataclass(frozen=True)
class Setting:
    """One key of ssg.toml.

    Attributes:
        key: the key as written in ssg.toml.
        kind: the accepted TOML type(s).
        default: the value when the key is absent.
        doc: one line for users (what it does, units).
        check: extra validation beyond the type, or None.
        theme: True for the theme's keys (`title`, `nav`...), which only
            templates read.
    """

    key: str
    kind: type | tuple[type, ...]
    default: Any
    doc: str
    check: Check | None = None
    theme: bool = False

    @property
    def kind_name(self) -> str:
        """The type as users read it: "a string", "an integer", "a number", "a boolean"..."""
        names = {str: "a string", int: "an integer", bool: "a boolean", list: "an array"}
        if isinstance(self.kind, tuple):
            return "a number"
        return names.get(self.kind, self.kind.__name__)


def _http_url(key: str) -> Check:
    def check(value: str) -> tuple[str, str] | None:
        if value and (
            urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc
        ):
            return (
                f"{key} = {value!r} is not an absolute http(s) URL",
                'write it as "https://example.org"',
            )
        return None

    return check


def _one_of(key: str, choices: tuple[str, ...]) -> Check:
    def check(value: str) -> tuple[str, str] | None:
        if value not in choices:
            listed = " or ".join(f'"{c}"' for c in choices)
            close = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
            fix = f'did you mean "{close[0]}"?' if close else f"use {listed}"
            return f"{key} = {value!r} must be {listed}", fix
        return None

    return check


def _at_least(key: str, floor: int, unit: str) -> Check:
    def check(value: float) -> tuple[str, str] | None:
        if value < floor:
            return f"{key} = {value!r} is below {floor}", f"use {floor} or more ({unit})"
        return None

    return check


# A path segment of a base path: RFC 3986 unreserved characters plus sub-delims
# that need no escaping in a URL path.
_BASE_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@-]+")


def normalise_base_path(value: str) -> str:
    """Return `value` as "" or "/a/b": one leading slash, none trailing.

    "" -> "", "/" -> "", "repo" -> "/repo", "/repo/" -> "/repo", "/a/b" -> "/a/b".
    (Next.js's `basePath` has the same shape: "" or a path starting with "/"
    and not ending in "/".)
    """
    stripped = value.strip().strip("/")
    return f"/{stripped}" if stripped else ""


def _check_base_path(value: str) -> tuple[str, str] | None:
    if "://" in value:
        return (
            f"base_path = {value!r} is a URL, not a path",
            'put the origin in base_url and only the path in base_path, e.g. base_path = "/repo"',
        )
    segments = normalise_base_path(value).split("/")[1:]
    for segment in segments:
        if segment in (".", "..") or not _BASE_PATH_SEGMENT.fullmatch(segment):
            return (
                f"base_path = {value!r} has an invalid segment {segment!r}",
                'use plain path segments without "?", "#", spaces, "." or "..", e.g. "/repo"',
            )
    return None


def _check_cache_url(value: str) -> tuple[str, str] | None:
    # The schemes redis-py's `Redis.from_url` accepts.
    if value and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        return (
            f"cache_url = {value!r} is not a Redis URL",
            'write it as "redis://host:6379/0" (or rediss://, unix://)',
        )
    return None


# An HTTP field name is a `token` (RFC 9110 section 5.1).
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _check_header_name(value: str) -> tuple[str, str] | None:
    if value and not _TOKEN.fullmatch(value):
        return (
            f"cdn_tag_header = {value!r} is not an HTTP header name",
            'use a name such as "Cache-Tag" or "Surrogate-Key"',
        )
    return None


def _check_language(value: str) -> tuple[str, str] | None:
    # A BCP 47 language tag (RFC 5646), as the html `lang` attribute takes.
    if not re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", value):
        return f"language = {value!r} is not a language tag", 'use e.g. "en" or "pt-BR"'
    return None


def _check_nav(value: list[Any]) -> tuple[str, str] | None:
    for item in value:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("title"), str)
            and isinstance(item.get("url"), str)
        ):
            return (
                f"nav item {item!r} needs a string title and url",
                'write each as { title = "Blog", url = "/blog" }',
            )
    return None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "base_url",
        str,
        "",
        "absolute origin for feeds, sitemaps, canonical links",
        _http_url("base_url"),
    ),
    Setting("out_dir", str, "out", "the output folder, relative to the site"),
    Setting("trailing_slash", bool, False, "/a is written as a.html (false) or a/index.html"),
    Setting("theme", str, "default", "a shipped theme's name or a folder in the site"),
    Setting(
        "output",
        str,
        "server",
        '"server" (ISR) or "export" (plain files only)',
        _one_of("output", OUTPUTS),
    ),
    Setting(
        "expire_seconds",
        int,
        31_536_000,
        "how long a stale page may still be served (seconds)",
        _at_least("expire_seconds", 0, "seconds"),
    ),
    Setting("cache_dir", str, ".ssg", "data cache and ISR entries, relative to the site"),
    Setting(
        "base_path",
        str,
        "",
        'serve the site under a path prefix, e.g. "/repo"',
        _check_base_path,
    ),
    Setting(
        "cache_url",
        str,
        "",
        'share ISR state between instances, e.g. "redis://host:6379/0"',
        _check_cache_url,
    ),
    Setting(
        "cdn_tag_header",
        str,
        "",
        'response header listing page tags, e.g. "Cache-Tag"',
        _check_header_name,
    ),
    Setting("purge_webhook", str, "", "URL told of every revalidation", _http_url("purge_webhook")),
    Setting(
        "body_limit_bytes",
        int,
        1_048_576,
        "largest request body the server accepts (bytes)",
        _at_least("body_limit_bytes", 1, "bytes"),
    ),
    Setting(
        "fetch_timeout_seconds",
        (int, float),
        30,
        "total timeout of one ssg.fetch (seconds)",
        _at_least("fetch_timeout_seconds", 0, "seconds"),
    ),
    Setting(
        "fetch_max_bytes",
        int,
        33_554_432,
        "largest upstream response body ssg.fetch reads (bytes)",
        _at_least("fetch_max_bytes", 1, "bytes"),
    ),
    Setting(
        "render_timeout_seconds",
        (int, float),
        60,
        "longest an on-demand render or a regeneration may take (seconds)",
        _at_least("render_timeout_seconds", 0, "seconds"),
    ),
    Setting(
        "on_demand_max_entries",
        int,
        10_000,
        "ISR entries of pages rendered on demand kept at most (least recently used evicted)",
        _at_least("on_demand_max_entries", 1, "entries"),
    ),
    Setting(
        "max_connections",
        int,
        4096,
        "open client connections kept at most (the oldest idle ones are closed)",
        _at_least("max_connections", 1, "connections"),
    ),
    Setting(
        "keepalive_timeout_seconds",
        (int, float),
        15,
        "an idle connection, or one still sending its headers, is closed after (seconds)",
        _at_least("keepalive_timeout_seconds", 0, "seconds"),
    ),
    Setting(
        "shutdown_grace_seconds",
        (int, float),
        10,
        "how long shutdown waits for requests before answering them 503 (seconds)",
        _at_least("shutdown_grace_seconds", 0, "seconds"),
    ),
    # The theme's keys: only templates read them, as `site.title` etc.
    Setting("title", str, "", "the site's name", theme=True),
    Setting("description", str, "", "one sentence about the site", theme=True),
    Setting("author", str, "", "shown in the footer and feeds", theme=True),
    Setting("language", str, "en", "the html lang attribute", _check_language, theme=True),
    Setting("nav", list, [], "main navigation: [{ title, url }]", _check_nav, theme=True),
    Setting("feed_url", str, "/feed.xml", 'the RSS link ("" turns it off)', theme=True),
)
SETTINGS_BY_KEY: Mapping[str, Setting] = MappingProxyType({s.key: s for s in SETTINGS})
ENV_OVERRIDES: Mapping[str, str] = MappingProxyType(
    {"SSG_BASE_URL": "base_url", "SSG_BASE_PATH": "base_path", "SSG_CACHE_URL": "cache_url"}
)


@dataclass(frozen=True)
class SiteConfig:
    """A site's configuration (defaults and meanings: `SETTINGS`).

    Attributes:
        site_dir: the site folder (absolute).
        base_url: absolute origin for feeds and sitemaps, no trailing slash ("" if unset).
        out_dir: the output folder (absolute).
        trailing_slash: False writes /a as a.html, True as a/index.html.
        theme: the theme name (a folder under the shipped themes) or a path.
        output: "server" (ISR) or "export" (plain files only).
        expire_seconds: how long a stale page may still be served (seconds).
        cache_dir: the data cache and ISR entries folder (absolute).
        base_path: "" or a path prefix such as "/repo" (no trailing slash).
        cache_url: "" or a Redis URL for shared ISR state.
        cdn_tag_header: "" or the header that lists a page's tags for CDN purges.
        purge_webhook: "" or a URL told of every revalidation.
        body_limit_bytes: largest request body the server accepts (bytes).
        fetch_timeout_seconds: total timeout of one upstream fetch (seconds).
        fetch_max_bytes: largest upstream response body ssg.fetch reads (bytes).
        render_timeout_seconds: longest an on-demand render or a regeneration may
            take before it fails (seconds).
        on_demand_max_entries: ISR entries of pages rendered on demand (not
            prerendered) kept at most; the least recently used are evicted.
        max_connections: open client connections kept at most (the oldest idle
            ones are closed beyond it).
        keepalive_timeout_seconds: an idle connection, or one that has not sent
            its request headers, is closed after this long (seconds).
        shutdown_grace_seconds: how long shutdown waits for requests in progress
            before answering them 503 (seconds).
        theme_values: the theme's keys (title, description, author, language,
            nav, feed_url), defaults filled in.
        params: the `[params]` table, the site's own values.
    """

    site_dir: Path
    base_url: str
    out_dir: Path
    trailing_slash: bool
    theme: str
    output: str
    expire_seconds: int
    cache_dir: Path
    base_path: str
    cache_url: str
    cdn_tag_header: str
    purge_webhook: str
    body_limit_bytes: int
    fetch_timeout_seconds: float
    fetch_max_bytes: int
    render_timeout_seconds: float
    on_demand_max_entries: int
    max_connections: int
    keepalive_timeout_seconds: float
    shutdown_grace_seconds: float
    theme_values: Mapping[str, Any]
    params: Mapping[str, Any]

    @property
    def app_dir(self) -> Path:
        """The routes folder, SITE/app."""
        return self.site_dir / "app"

    @property
    def public_dir(self) -> Path:
        """Files copied verbatim to the output root, SITE/public."""
        return self.site_dir / "public"

    @property
    def site_url(self) -> str:
        """The site's public address: base_url with base_path ("" without a base_url).

        | base_url             | base_path | site_url                  |
        | -------------------- | --------- | ------------------------- |
        | https://x.org        | ""        | https://x.org             |
        | https://x.org        | /docs     | https://x.org/docs        |
        | https://x.org/docs   | /docs     | https://x.org/docs (kept) |
        | ""                   | /docs     | ""                        |

        As Next.js `basePath`, the prefix is part of every URL of the site, so
        `site_url + url_path` is a page's absolute address. A base_url that
        already ends with the base path (actions/configure-pages' `base_url`
        output does) is not given it twice.
        """
        if not self.base_url or not self.base_path:
            return self.base_url
        if urlsplit(self.base_url).path.rstrip("/") == self.base_path:
            return self.base_url
        return self.base_url + self.base_path

    def template_values(self) -> dict[str, Any]:
        """The `site` value templates see (and ssg.site_config() returns).

        The theme's keys (`site.title`, `site.nav`...), the settings a page
        may need (`base_url`, `base_path`, `trailing_slash`, `theme`,
        `output`) and the site's own values as `site.params`. `base_url` is
        `site_url`: it includes the base path.
        """
        values: dict[str, Any] = dict(self.theme_values)
        values.update(
            base_url=self.site_url,
            base_path=self.base_path,
            trailing_slash=self.trailing_slash,
            theme=self.theme,
            output=self.output,
            params=dict(self.params),
        )
        return values


def environment_overrides(environ: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """The settings the environment overrides: key -> (value, variable name).

    `SSG_BASE_URL`, `SSG_BASE_PATH` and `SSG_CACHE_URL` override their key.
    On Netlify (`NETLIFY=true`) with no `SSG_BASE_URL`, base_url comes from
    `URL` (the site's main address) in the production context and from
    `DEPLOY_PRIME_URL` (the branch or Deploy Preview address) in the others, so
    a preview's feed and canonical links point at the preview (the variables
    of https://docs.netlify.com/build/configure-builds/environment-variables/).
    """
    found: dict[str, tuple[str, str]] = {}
    for variable, key in ENV_OVERRIDES.items():
        if variable in environ:
            found[key] = (environ[variable], variable)
    if "base_url" not in found and environ.get("NETLIFY") == "true":
        production = environ.get("CONTEXT", "production") == "production"
        for variable in ("URL",) if production else ("DEPLOY_PRIME_URL", "URL"):
            if environ.get(variable):
                found["base_url"] = (environ[variable], variable)
                break
    return found


def _read_toml(config_file: Path) -> dict[str, Any]:
    if not config_file.is_file():
        return {}
    try:
        return tomllib.loads(config_file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            config_file,
            [ConfigProblem("", f"not valid TOML: {exc}", "fix the syntax at that line")],
        ) from exc


def _unknown_key(key: str) -> ConfigProblem:
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


def load_config(
    site_dir: Path,
    *,
    out_dir: Path | None = None,
    output: str | None = None,
    base_url: str | None = None,
    base_path: str | None = None,
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
        environ: the environment to read overrides from (default `os.environ`).

    Returns:
        The SiteConfig with absolute folders and base_path normalised.

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
    raw = _read_toml(config_file)
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
                        key, f"{key} = {value!r} must be a table", f"write [{PARAMS_KEY}] then keys"
                    )
                )
        elif key in SETTINGS_BY_KEY:
            values[key] = (value, "")
        else:
            problems.append(_unknown_key(key))
    for key, (value, variable) in environment_overrides(
        os.environ if environ is None else environ
    ).items():
        values[key] = (value, f" (from the environment variable {variable})")
    for key, value in (("output", output), ("base_url", base_url), ("base_path", base_path)):
        if value is not None:
            values[key] = (value, f" (from the command line's --{key.replace('_', '-')})")
    for key, (value, origin) in values.items():
        problem = _validate(SETTINGS_BY_KEY[key], value, origin)
        if problem is not None:
            problems.append(problem)
    if problems:
        raise ConfigError(config_file, problems)
    final = {s.key: values[s.key][0] if s.key in values else s.default for s in SETTINGS}
    return SiteConfig(
        site_dir=site_dir,
        base_url=final["base_url"].rstrip("/"),
        out_dir=out_dir.resolve() if out_dir is not None else site_dir / final["out_dir"],
        trailing_slash=final["trailing_slash"],
        theme=final["theme"],
        output=final["output"],
        expire_seconds=final["expire_seconds"],
        cache_dir=site_dir / final["cache_dir"],
        base_path=normalise_base_path(final["base_path"]),
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
