"""The site's own code and settings across the builds one server serves: a new build is
loaded with the ssg.toml and the helper modules it was built with, as a fresh process
(the build's own) would load them."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ssg.config import SiteConfig, load_config

logger = logging.getLogger("ssg.server")

RESTART_KEYS = (
    "out_dir",
    "cache_dir",
    "cache_url",
    "purge_webhook",
    "body_limit_bytes",
    "max_connections",
    "keepalive_timeout_seconds",
    "shutdown_grace_seconds",
)
"""Settings a running server applies at start only: where it reads builds and keeps ISR
state, its purge webhook, its connection limits. A change of one waits for a restart."""

Stamp = tuple[int, int] | None
"""A module file's (size in bytes, mtime in ns); None when the file is gone."""


@dataclass(frozen=True)
class ModuleStamps:
    """The site's helper modules when a build was loaded.

    Attributes:
        files: module name -> its file (absolute) and that file's stamp.
        taken_ns: when they were taken (epoch ns); a module imported later (inside a
            function) counts as changed when its file is newer.
    """

    files: dict[str, tuple[str, Stamp]]
    taken_ns: int


def config_for_new_build(started: SiteConfig) -> SiteConfig:
    """ssg.toml as it is now, with this process's environment (`SSG_*`), for a build being
    switched in: its title, nav, params, base_url, cdn_tag_header... apply at once.
    `RESTART_KEYS` keep the values the server started with, and a warning names those
    that changed.

    Raises:
        ConfigError: ssg.toml has become unreadable or invalid.
    """
    fresh = load_config(started.site_dir, out_dir=started.out_dir)
    kept = {
        key: getattr(started, key)
        for key in RESTART_KEYS
        if getattr(fresh, key) != getattr(started, key)
    }
    if kept:
        logger.warning(
            "ssg.toml changed %s since ssg serve started: restart it to apply %s; the new "
            "build is served with the other settings.",
            ", ".join(kept),
            "that" if len(kept) == 1 else "those",
        )
    return dataclasses.replace(fresh, **kept)


def _site_modules(site_dir: Path) -> dict[str, str]:
    """Module name -> file (absolute) of the site's own modules this process imported by
    name (helpers such as blog.py beside ssg.toml). Page and layout modules (loaded
    afresh by every build load), libraries (site-packages, also a virtual environment
    inside the site folder) and modules under hidden folders are left out."""
    folder = os.path.join(os.path.abspath(site_dir), "")
    found: dict[str, str] = {}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or name.startswith("ssg_site_"):
            continue
        file = os.path.abspath(file)
        if not file.startswith(folder):
            continue
        parts = file[len(folder) :].split(os.sep)
        if any(p.startswith(".") or p in ("site-packages", "dist-packages") for p in parts):
            continue
        found[name] = file
    return found


def site_module_stamps(site_dir: Path) -> ModuleStamps:
    """The site's helper modules imported so far and their files' stamps (`ModuleStamps`)."""
    taken_ns = time.time_ns()
    files = {name: (file, _stamp(file)) for name, file in _site_modules(site_dir).items()}
    return ModuleStamps(files, taken_ns)


def forget_changed_modules(stamps: ModuleStamps, site_dir: Path) -> list[str]:
    """When a site helper module changed or is gone since `stamps` were taken, drop every one
    from `sys.modules`, so the pages of the next build loaded import them afresh (all of
    them: one holds references to the others), as the build's own process did. The build
    being served keeps the module objects it imported. A module imported after the
    stamps were taken counts as changed when its file is newer than they are.

    Returns:
        The files that changed (relative to the site folder); [] when none did.
    """
    modules = _site_modules(site_dir)
    changed = []
    for name, file in modules.items():
        kept = stamps.files.get(name)
        stamp = _stamp(file)
        if (
            (kept[1] != stamp)
            if kept is not None
            else (stamp is None or stamp[1] > stamps.taken_ns)
        ):
            changed.append(os.path.relpath(file, site_dir))
    if changed:
        for name in modules:
            sys.modules.pop(name, None)
        logger.info("Site modules changed (%s): importing them afresh.", ", ".join(changed))
    return changed


def _stamp(file: str) -> tuple[int, int] | None:
    try:
        found = os.stat(file)
    except OSError:
        return None
    return found.st_size, found.st_mtime_ns
