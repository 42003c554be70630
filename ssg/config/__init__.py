"""SiteConfig: the site's ssg.toml, read from one table of settings and validated all at once.

Every key ssg.toml may hold is a row of `SETTINGS` (type, default, check, doc);
the site's own values go under `[params]`, as in Hugo's site configuration.
Environment variables override the file for deploys (`SSG_BASE_URL`,
`SSG_BASE_PATH`, `SSG_CACHE_URL`, and Netlify's `URL`/`DEPLOY_PRIME_URL`).

Import from here (`from ssg.config import load_config`). Its modules: `settings`
(the schema, `SETTINGS`), `checks` (value checks), `site_config` (`SiteConfig`),
`overrides` (environment variables), `loading` (`load_config`).
"""

from __future__ import annotations

from ssg.config.loading import CONFIG_FILE, load_config
from ssg.config.overrides import ENV_OVERRIDES, environment_overrides
from ssg.config.settings import SETTINGS, SETTINGS_BY_KEY, Setting
from ssg.config.site_config import SiteConfig

__all__ = [
    "CONFIG_FILE",
    "ENV_OVERRIDES",
    "SETTINGS",
    "SETTINGS_BY_KEY",
    "Setting",
    "SiteConfig",
    "environment_overrides",
    "load_config",
]

for _name in ("Setting", "SiteConfig", "environment_overrides", "load_config"):
    # One name each: reprs and pickles (SiteConfig goes to render workers) say ssg.config.X.
    globals()[_name].__module__ = __name__
del _name
