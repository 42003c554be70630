"""The modules a build imported that no page record names (installed libraries, folders on
PYTHONPATH, site modules imported by a computed name or loaded by path), with their stamps: a later build that
finds one of them changed renders every page.

A page's record names the site modules its route imports by name
(`ssg.builder.route_inputs`), and the "ssg upgraded" fingerprint covers ssg and the
libraries that render (Jinja2, Pygments, cmarkgfm); a library the site's own code
imports (a date library, a Markdown extension, a module of the author's on PYTHONPATH)
or a site module loaded with `importlib.import_module` is neither. Which pages called
into it is not known, so a change of one renders every page ("correct first, fast
second"), as webpack's persistent cache, which `next build` keeps, is dropped when a
dependency changes. The Python standard library is covered by the Python version in the
build settings.

The list grows over builds: a page reused from an earlier build may have imported a
module this build did not, so the stamps kept are those of every module of the last
build's list and of this build's imports (all checked unchanged before any page is
reused).
"""

from __future__ import annotations

import json
import os
import site
import sys
from collections.abc import Iterable
from pathlib import Path

from ssg.builder.kept_files import records_file
from ssg.config import SiteConfig
from ssg.reads import executed_files

REASON = "an imported module changed"
"""The full render's reason, followed by the module's path."""

_SSG_PACKAGE = os.path.join(str(Path(__file__).resolve().parents[1]), "")


def _outside() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(folders whose modules are kept, folders whose modules are not)."""
    # site-packages may lie inside the standard library's folder (a Python built from source)
    kept = {*site.getsitepackages(), site.getusersitepackages()}
    skipped = {os.path.dirname(os.__file__), _SSG_PACKAGE}
    return (
        tuple(os.path.join(p, "") for p in kept),
        tuple(os.path.join(p, "") for p in skipped),
    )


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_size, found.st_mtime_ns


def libraries_file(config: SiteConfig) -> Path:
    """Where the stamps are kept: beside the page records (`pages-<key>.libraries`)."""
    return records_file(config).with_suffix(".libraries")


def save_library_stamps(
    config: SiteConfig, *, renders_all: bool, route_inputs: Iterable[str]
) -> None:
    """Keep the stamps of the modules this process imported from outside ssg that are no
    route's input, and of those the last build kept (unless this build rendered every
    page), as JSON ([[absolute path, size in bytes, mtime in ns], ...], null for a file
    gone); the file is left alone when nothing in it changed.

    Args:
        config: the site config.
        renders_all: this build rendered every page (the last build's list is dropped).
        route_inputs: the files the page records name (relative to the site folder, or
            absolute): a site module a route imports by name is an input of its pages
            alone; one reached another way (`importlib.import_module`, a plugin
            folder) is kept here. When any Python file of the site may import by a
            computed name, every module is kept here, route inputs too: the module
            one route imports by name may be the one another loads by its name.

    Raises:
        OSError: the cache folder cannot be written.
    """
    target = libraries_file(config)
    previous = None if renders_all else _read(target)
    kept, skipped = _outside()
    inputs = {os.path.abspath(os.path.join(config.site_dir, name)) for name in route_inputs}
    if _computes_imports(inputs, config.site_dir):
        # A module one route imports by name may be what another loads by a computed
        # name, whose pages' records do not name it: keep every module here.
        inputs = set()
    names = {str(row[0]) for row in previous or ()}
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        if isinstance(name, str):
            name = os.path.abspath(name)
            if (name.startswith(kept) or not name.startswith(skipped)) and name not in inputs:
                names.add(name)
    # Modules loaded by path (spec_from_file_location + exec_module), which sys.modules
    # need not hold.
    names.update(name for name in list(executed_files) if name not in inputs)
    rows = [[name, *(_stamp(name) or (None, None))] for name in sorted(names)]
    if rows == previous:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(rows, separators=(",", ":")))
    os.replace(temp, target)


_COMPUTED_IMPORTS = (b"import_module", b"__import__")
"""What a module that imports by a computed name (`importlib.import_module(name)`,
`__import__(name)`) has in its source; a mention in a comment counts too (safe side)."""


def _computes_imports(inputs: set[str], site_dir: Path) -> bool:
    """Whether a Python file of the site (a route input, or a site module this process
    imported) may import by a computed name."""
    folder = os.path.join(os.path.abspath(site_dir), "")
    files = {name for name in inputs if name.endswith(".py")}
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        if isinstance(name, str) and name.endswith(".py") and name.startswith(folder):
            files.add(name)
    for name in files:
        try:
            with open(name, "rb") as source:
                text = source.read()
        except OSError:
            continue
        if any(word in text for word in _COMPUTED_IMPORTS):
            return True
    return False


def changed_library(config: SiteConfig) -> str | None:
    """Why every page must be rendered: the first kept module whose file changed or is gone
    since the last build ("an imported module changed (/path/lib.py)"), or that the
    stamps are missing or unreadable; None when every module is as it was."""
    rows = _read(libraries_file(config))
    if rows is None:
        return f"{REASON} (no list of the modules the last build imported)"
    for row in rows:
        if not isinstance(row, list) or len(row) != 3:
            return f"{REASON} (the list of the modules the last build imported is unreadable)"
        if list(_stamp(str(row[0])) or (None, None)) != row[1:]:
            return f"{REASON} ({row[0]})"
    return None


def _read(target: Path) -> list[list[object]] | None:
    try:
        rows = json.loads(target.read_text())
    except (OSError, ValueError):
        return None
    return rows if isinstance(rows, list) else None
