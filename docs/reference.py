"""The generated references of the documentation: read from the installed package at build time.

Nothing here is written by hand: the Python API comes from `ssg.__all__` (and
`ssg.content.__all__`) through `inspect`, the ssg.toml keys from
`ssg.config.SETTINGS`, and the CLI from the click commands' own help.
"""

from __future__ import annotations

import inspect
import tomllib
from typing import Any

import click

import ssg
import ssg.content
from ssg.cli import cli
from ssg.config import ENV_OVERRIDES, SETTINGS


def _signature(obj: Any, name: str) -> str:
    try:
        return f"{name}{inspect.signature(obj)}"
    except (TypeError, ValueError):
        return name


def _members(cls: type) -> list[dict[str, str]]:
    """A class's own public methods and properties, with their signatures and docstrings."""
    found = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            doc = inspect.getdoc(member) or ""
            found.append({"name": name, "signature": f"{name} (property)", "doc": doc})
        elif inspect.isfunction(member) or isinstance(member, classmethod | staticmethod):
            function = member.__func__ if isinstance(member, classmethod | staticmethod) else member
            found.append(
                {
                    "name": name,
                    "signature": _signature(function, name),
                    "doc": inspect.getdoc(function) or "",
                }
            )
    return found


def _entry(module_name: str, name: str, obj: Any) -> dict[str, Any]:
    kind = "class" if inspect.isclass(obj) else "function" if callable(obj) else "value"
    if kind == "value":
        signature = f"{name} = {obj!r}"
        doc = ""
    else:
        signature = _signature(obj, name)
        doc = inspect.getdoc(obj) or ""
    return {
        "anchor": f"{module_name}.{name}".replace(".", "-"),
        "qualified": f"{module_name}.{name}",
        "kind": kind,
        "signature": signature,
        "doc": doc,
        "members": _members(obj) if kind == "class" else [],
    }


def api_sections() -> list[dict[str, Any]]:
    """Every public name of `ssg` and `ssg.content`, in `__all__` order, by module."""
    sections = []
    for module in (ssg, ssg.content):
        names = [n for n in module.__all__ if not (module is ssg and n == "content")]
        sections.append(
            {
                "module": module.__name__,
                "doc": inspect.getdoc(module) or "",
                "entries": [_entry(module.__name__, n, getattr(module, n)) for n in names],
            }
        )
    return sections


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[]" if not value else repr(value)
    return repr(value)


def config_settings() -> dict[str, Any]:
    """The ssg.toml keys (key, type, default as TOML, meaning) and the environment overrides."""
    rows = [
        {
            "key": s.key,
            "kind": s.kind_name,
            "default": _toml(s.default),
            "doc": s.doc,
            "theme": s.theme,
        }
        for s in SETTINGS
    ]
    for row in rows:  # every default shown is valid TOML
        tomllib.loads(f"x = {row['default']}")
    overrides = [{"variable": v, "key": k} for v, k in ENV_OVERRIDES.items()]
    return {"settings": rows, "overrides": overrides}


def cli_commands() -> list[dict[str, str]]:
    """`ssg --help` and each command's `--help`, as click prints them."""
    root = click.Context(cli, info_name="ssg", terminal_width=100, max_content_width=100)
    commands = [{"name": "ssg", "anchor": "ssg", "help": cli.get_help(root)}]
    for name in cli.list_commands(root):
        command = cli.get_command(root, name)
        if command is None or command.hidden:
            continue
        context = click.Context(command, info_name=name, parent=root)
        commands.append({"name": f"ssg {name}", "anchor": name, "help": command.get_help(context)})
    return commands
