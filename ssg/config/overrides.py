"""The deploy's overrides of ssg.toml from environment variables (CI and Netlify)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

ENV_OVERRIDES: Mapping[str, str] = MappingProxyType(
    {"SSG_BASE_URL": "base_url", "SSG_BASE_PATH": "base_path", "SSG_CACHE_URL": "cache_url"}
)


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
