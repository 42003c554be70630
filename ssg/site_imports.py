"""The site's own modules a Python file imports by name, followed through imports.

Read from the compiled code, so nothing is imported. Routes' inputs
(`ssg.builder.route_inputs`) and the body filter's part of the content cache's key
(`ssg.content.parse_identity`) both follow a file's imports this way.
"""

from __future__ import annotations

import dis
import importlib.util
import marshal
from collections.abc import Iterable
from pathlib import Path
from types import CodeType

_IMPORT_NAME = bytes([dis.opmap["IMPORT_NAME"]])
_CHECKED = (0b11).to_bytes(4, "little")
"""PEP 552 flags: hash-based, checked (as `ssg.bytecode` writes the site's modules)."""


def imported_site_modules(
    files: Iterable[Path], site_dir: Path, imports: dict[Path, list[str]] | None = None
) -> set[Path]:
    """The site's own modules (files under `site_dir`) these Python files import, transitively.

    Imports are read from the compiled source (`import blog`, `from blog_archive
    import x`, relative imports, imports inside functions); a module that is not a
    file under `site_dir` (the standard library, ssg, an installed package) is not
    followed. Bytecode rather than `ast.parse`: this runs in threads (ssg dev reads
    pages' inputs after their response), and CPython 3.11 and 3.12 keep the AST
    constructor's recursion depth per interpreter, so two threads building ASTs at
    once can fail with "SystemError: AST constructor recursion depth mismatch"
    (https://github.com/python/cpython/issues/106905).

    The code is the import system's own when its bytecode cache (`__pycache__`) holds
    the source's hash (`_code`); else the source is compiled. `imports` (file -> the module names it
    imports) memoizes each file's names for the caller: the files must not change
    while it is used (one build).
    """
    seen: set[Path] = set()
    todo = list(files)
    memo: dict[Path, list[str]] = {} if imports is None else imports
    while todo:
        file = todo.pop()
        names = memo.get(file)
        if names is None:
            code = _code(file)
            names = memo[file] = [] if code is None else list(_imported_names(code, file, site_dir))
        for name in names:
            for candidate in _module_candidates(name, site_dir):
                if candidate.is_file() and candidate not in seen:
                    seen.add(candidate)
                    todo.append(candidate)
    return seen


def _code(file: Path) -> CodeType | None:
    """The module code of `file`: its bytecode cache when that holds this source's hash,
    else compiled; None when it cannot be read or compiled.

    The site's modules are imported from checked hash-based bytecode (`ssg.bytecode`,
    PEP 552): a cache with this Python's magic number, the checked flags and the
    source's hash is the code an import runs. Nothing is written.
    """
    try:
        source = file.read_bytes()
    except OSError:
        return None
    header = importlib.util.MAGIC_NUMBER + _CHECKED + importlib.util.source_hash(source)
    try:
        cached = Path(importlib.util.cache_from_source(str(file))).read_bytes()
    except (OSError, ValueError, NotImplementedError):
        cached = b""
    if cached.startswith(header):
        try:
            code = marshal.loads(memoryview(cached)[len(header) :])
        except (EOFError, ValueError, TypeError):
            code = None
        if isinstance(code, CodeType):
            return code
    try:
        return compile(source, str(file), "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None


def _imported_names(code: CodeType, file: Path, site_dir: Path) -> Iterable[str]:
    """The modules a code object (and the functions and classes in it) imports, absolute.

    An import compiles to the level and the from-list as constants, then
    IMPORT_NAME with the module: `from ..a import b` is (2, ("b",), "a").
    """
    # Most functions import nothing: their bytecode (opcodes at even offsets) is checked
    # for IMPORT_NAME before `dis` makes an Instruction of each of their instructions.
    instructions = list(dis.get_instructions(code)) if _IMPORT_NAME in code.co_code[::2] else []
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
