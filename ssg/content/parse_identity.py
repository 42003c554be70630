"""What a parse of a content file depends on besides its bytes: the code that parses
(ssg's content package, cmarkgfm, Pygments) and the body filter (with the site modules
it imports). The content cache is
keyed by it, and incremental builds render every page when it changes."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from functools import cache
from pathlib import Path

from ssg.content.parsing import FilterRef, file_digest
from ssg.site_imports import imported_site_modules


@cache
def code_identity() -> tuple[str, ...]:
    """What parses content, by version: ssg's content code (its files' bytes), cmarkgfm, Pygments.

    ssg's own version does not move with every edit of its source, so the
    content package's files are hashed instead (read once per process). cmarkgfm is
    known by its installed files (names, sizes, times): asking the installed
    distributions for its version scans every one of them.
    """
    import pygments

    source = hashlib.blake2b(digest_size=16)
    package = Path(__file__).parent
    for module in sorted(package.glob("*.py")):
        source.update(module.name.encode())
        source.update(module.read_bytes())
    return (
        f"ssg content code {source.hexdigest()}",
        f"cmarkgfm {_package_files('cmarkgfm')}",
        f"pygments {pygments.__version__}",
    )


def _package_files(name: str) -> str:
    """An installed package's files as one digest (names, sizes, mtimes), or "?" when absent.

    An upgrade or reinstall rewrites them. The package is found, not imported.
    """
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return "?"
    folders = spec.submodule_search_locations if spec is not None else None
    if not folders:
        return "?"
    found = hashlib.blake2b(digest_size=16)
    for folder in folders:
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            return "?"
        for entry in entries:
            if entry.is_file():
                stamp = entry.stat()
                found.update(f"{entry.name} {stamp.st_size} {stamp.st_mtime_ns}\n".encode())
    return found.hexdigest()


def filter_identity(body_filter: FilterRef | None) -> str:
    """The body filter by name, and the bytes of the module that defines it and of the
    site's modules it imports (followed through imports, as routes' inputs are): an edit
    of a helper the filter calls changes what it makes ("" for no filter).

    A module reached another way (an installed library, `importlib.import_module`) is
    not part of it; see the README's list of what incremental builds track.
    """
    if body_filter is None:
        return ""
    module_name, qualname, folder = body_filter
    module_file = getattr(sys.modules.get(module_name), "__file__", None)
    if not module_file:
        return f"{module_name}:{qualname} ?"
    source = Path(module_file)
    files = [source]
    if folder:
        files += sorted(imported_site_modules([source], Path(folder)) - {source})
    code = hashlib.blake2b(digest_size=16)
    for file in files:
        try:
            code.update(f"{file}\0{file_digest(file.read_bytes())}\n".encode())
        except OSError:
            code.update(f"{file}\0?\n".encode())
    return f"{module_name}:{qualname} {code.hexdigest()}"
