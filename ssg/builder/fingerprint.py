"""What every page of a build depends on, keyed by the reason a change of it gives for a
full render ("ssg upgraded", "ssg.toml changed", ...): the incremental build's first check."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
from pathlib import Path

import jinja2

from ssg.builder.app_files import ROUTES_CHANGED, app_names
from ssg.builder.unchanged import build_environment
from ssg.config import CONFIG_FILE
from ssg.content.parse_identity import code_identity as content_code_identity
from ssg.site import Site


def fingerprint(site: Site, *, include_drafts: bool, strict: bool) -> dict[str, str]:
    """What every page depends on, by the reason a change of it gives for a full render.

    | key                     | what                                                |
    | ----------------------- | --------------------------------------------------- |
    | "ssg upgraded"          | ssg's version and source files, Jinja2, Markdown, Pygments, Python |
    | "ssg.toml changed"      | the bytes of ssg.toml                               |
    | "<key> changed"         | each key of the loaded config ("base_path changed": ssg.toml, or a command option such as --base-path or --export, or an `SSG_*` variable) |
    | "build options changed" | --drafts, --strict                                  |
    | "environment variable SSG_X changed" | each `SSG_*` variable (site modules read them; set, changed or unset) |
    | "working directory changed" | the working directory (site modules read files relative to it) |
    | "PYTHONPATH changed"    | where the site's imports are found                  |
    | "routes changed"        | the names of the folders and files under app/ and of the site's top-level modules, kept as they are: `ssg.builder.app_files` names what came or went, and renders every page only when the route table or a module may have changed |
    | "theme changed"         | the theme folder and its assets' fingerprints       |
    """
    config = site.config
    try:
        config_file = digest((config.site_dir / CONFIG_FILE).read_bytes())
    except OSError:
        config_file = "absent"
    return {
        "ssg upgraded": digest(repr(_code_identity())),
        "ssg.toml changed": config_file,
        # Key by key: a full render after `--export` or `--base-path` names what changed.
        **{
            f"{field.name} changed": digest(repr(getattr(config, field.name)))
            for field in dataclasses.fields(config)
        },
        "build options changed": f"drafts={include_drafts} strict={strict}",
        **_environment(),
        ROUTES_CHANGED: app_names(config),
        "theme changed": digest(
            repr((str(site.theme.templates_dir), sorted(site.theme.assets.items())))
        ),
    }


def _environment() -> dict[str, str]:
    """The environment's part of the fingerprint, one key per value, so a full render names
    which changed. Values are kept as digests, never as they are, and the summary names
    a variable only: it may hold a secret (SSG_REVALIDATE_SECRET)."""
    variables, working_dir, python_path = build_environment()
    return {
        **{f"environment variable {name} changed": digest(value) for name, value in variables},
        "working directory changed": digest(working_dir),
        "PYTHONPATH changed": digest(repr(python_path)),
    }


def _code_identity() -> tuple[object, ...]:
    """ssg's version and its source files' sizes and times, and the libraries that render
    (Jinja2, Pygments, and what the content cache is keyed by: cmarkgfm...)."""
    import pygments

    package = Path(__file__).resolve().parents[1]
    stamps = []
    for folder, _dirs, names in os.walk(package):
        for name in sorted(names):
            if name.endswith(".py"):
                found = os.stat(os.path.join(folder, name))
                stamps.append((os.path.join(folder, name), found.st_size, found.st_mtime_ns))
    stamps.sort()
    return (
        tuple(stamps),
        jinja2.__version__,
        pygments.__version__,
        content_code_identity(),
        sys.version,
    )


def digest(text: str | bytes) -> str:
    """16-byte BLAKE2b of `text` (UTF-8, lone surrogates kept) as hex."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return hashlib.blake2b(data, digest_size=16).hexdigest()
