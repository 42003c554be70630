"""The files a route's render may use besides templates and content: its folder, the
folders above it, its layouts' slots, and the site modules their Python files import."""

from __future__ import annotations

import dis
import os
from collections.abc import Iterable
from pathlib import Path
from types import CodeType

from ssg.routing.definitions import RouteDefinition
from ssg.site import Site

_PAGE_FILES = frozenset({"page", "route"})


def route_files(site: Site, route: RouteDefinition) -> list[str]:
    """The files a route's render may use besides templates and content, relative to the site.

    Every file in the route's own folder; in the folders above it every file but
    another route's page and route files (layouts, not-found and error pages, their
    modules); everything under the @slot folders of its layouts; and the site
    modules (outside app/) those Python files import, followed through imports.
    """
    config = site.config
    found: set[Path] = set()
    for folder in route.dir_chain or (route.segment_dir,):
        own = folder == route.segment_dir
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_file() and (own or Path(entry.name).stem not in _PAGE_FILES):
                found.add(Path(entry.path))
    for layout in route.layouts:
        for slot in layout.slots.values():
            for path in slot.slot_dir.rglob("*"):
                if path.is_file():
                    found.add(path)
    modules = [path for path in found if path.suffix == ".py"]
    found.update(imported_site_modules(modules, config.site_dir))
    return sorted(site.relative(path) for path in found)


def imported_site_modules(files: Iterable[Path], site_dir: Path) -> set[Path]:
    """The site's own modules (files under `site_dir`) these Python files import, transitively.

    Imports are read from the compiled source (`import blog`, `from blog_archive
    import x`, relative imports, imports inside functions); a module that is not a
    file under `site_dir` (the standard library, ssg, an installed package) is not
    followed. Bytecode rather than `ast.parse`: this runs in threads (ssg dev reads
    pages' inputs after their response), and CPython 3.11 and 3.12 keep the AST
    constructor's recursion depth per interpreter, so two threads building ASTs at
    once can fail with "SystemError: AST constructor recursion depth mismatch"
    (https://github.com/python/cpython/issues/106905).
    """
    seen: set[Path] = set()
    todo = list(files)
    while todo:
        file = todo.pop()
        try:
            code = compile(file.read_bytes(), str(file), "exec", dont_inherit=True)
        except (OSError, SyntaxError, ValueError):
            continue
        for name in _imported_names(code, file, site_dir):
            for candidate in _module_candidates(name, site_dir):
                if candidate.is_file() and candidate not in seen:
                    seen.add(candidate)
                    todo.append(candidate)
    return seen


def _imported_names(code: CodeType, file: Path, site_dir: Path) -> Iterable[str]:
    """The modules a code object (and the functions and classes in it) imports, absolute.

    An import compiles to the level and the from-list as constants, then
    IMPORT_NAME with the module: `from ..a import b` is (2, ("b",), "a").
    """
    instructions = list(dis.get_instructions(code))
    for index, instruction in enumerate(instructions):
        if instruction.opname != "IMPORT_NAME" or index < 2:
            continue
        level = instructions[index - 2].argval
        names = instructions[index - 1].argval
        base = str(instruction.argval)
        if isinstance(level, int) and level > 0:
            try:
                package = file.parent.relative_to(site_dir).parts
            except ValueError:
                continue
            up = package[: len(package) - (level - 1)] if level > 1 else package
            base = ".".join([*up, *([base] if base else [])])
        if base:
            yield base
        if isinstance(names, tuple):
            yield from (f"{base}.{name}" if base else name for name in names if name != "*")
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _imported_names(constant, file, site_dir)


def _module_candidates(name: str, site_dir: Path) -> list[Path]:
    """ "a.b" -> site/a.py, site/a/__init__.py, site/a/b.py, site/a/b/__init__.py."""
    parts = name.split(".")
    found = []
    for depth in range(1, len(parts) + 1):
        folder = site_dir.joinpath(*parts[:depth])
        found += [folder.with_name(parts[depth - 1] + ".py"), folder / "__init__.py"]
    return found
