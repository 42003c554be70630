"""The package's imports run one way, down the layers the README's "How it is built" draws,
and each name is imported from the module that defines it.

A module may import its own subpackage and any lower layer at run time, never a
higher one or a sibling package of its own layer. Imports under `TYPE_CHECKING`
only name types for annotations and are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "ssg"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("ssg.plural",),
    ("ssg.errors",),
    (
        "ssg.revalidate",
        "ssg.syscalls",
        "ssg.base_path",
        "ssg.reads",
        "ssg.site_imports",
        "ssg.bytecode",
    ),
    ("ssg.recorded",),
    ("ssg.records", "ssg.scope"),
    ("ssg.routing", "ssg.content", "ssg.config"),
    ("ssg.modules", "ssg.theme", "ssg.layout_children"),
    ("ssg.site",),
    ("ssg.data", "ssg.route_handlers"),
    ("ssg.render",),
    ("ssg.builder", "ssg.isr"),
    ("ssg.server",),
    ("ssg.dev",),
    ("ssg.commands",),
    ("ssg",),
    ("ssg.cli",),
    ("ssg.__main__",),
)
"""Lowest first. Each entry is a module or a subpackage ("ssg" is the package's
`__init__`, its public API)."""


ONE_NAME_PACKAGES = ("ssg.errors", "ssg.config")
"""Packages split by concept whose names are imported from the package only (`from
ssg.errors import BuildError`), so each has one name and can move between its modules."""


def _unit(module: str) -> tuple[int, str]:
    """(layer index, the entry of LAYERS that `module` belongs to)."""
    best: tuple[int, str] | None = None
    for index, names in enumerate(LAYERS):
        for name in names:
            inside = module == name or (name != "ssg" and module.startswith(name + "."))
            if inside and (best is None or len(name) > len(best[1])):
                best = (index, name)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


def _runtime_imports(source_file: Path, *, type_checking: bool = False) -> set[str]:
    """The ssg modules `source_file` imports (with `type_checking`, also those for annotations)."""
    tree = ast.parse(source_file.read_text(encoding="utf-8"))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if (
            not type_checking
            and isinstance(node, ast.If)
            and "TYPE_CHECKING" in ast.unparse(node.test)
        ):
            type_only.update(id(n) for n in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ssg"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("ssg"))
    return found


def _modules() -> dict[str, Path]:
    modules = {}
    for source_file in PACKAGE_DIR.rglob("*.py"):
        parts = source_file.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = source_file
    return modules


def test_every_module_sits_in_a_layer() -> None:
    for module in _modules():
        _unit(module)


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for module, source_file in sorted(_modules().items()):
        level, unit = _unit(module)
        for imported in sorted(_runtime_imports(source_file)):
            imported_level, imported_unit = _unit(imported)
            if imported_unit != unit and imported_level >= level:
                wrong.append(f"{module} imports {imported}")
    assert wrong == []


def test_split_packages_are_imported_by_their_one_name() -> None:
    inside = []
    roots = [PACKAGE_DIR, PACKAGE_DIR.parent / "tests", PACKAGE_DIR.parent / "docs"]
    for source_file in sorted(f for root in roots for f in root.rglob("*.py")):
        for package in ONE_NAME_PACKAGES:
            if source_file.parent == PACKAGE_DIR.joinpath(*package.split(".")[1:]):
                continue
            for imported in _runtime_imports(source_file, type_checking=True):
                if imported.startswith(package + "."):
                    inside.append(f"{source_file.relative_to(PACKAGE_DIR.parent)}: {imported}")
    assert inside == []


def _module_file(module: str) -> Path | None:
    """The source file of an ssg module or package, or None when there is none."""
    base = PACKAGE_DIR.parent.joinpath(*module.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _exported(source_file: Path) -> set[str]:
    """The names a module defines at top level, lists in `__all__`, or re-exports as
    `import x as x` (mypy's rule with implicit_reexport = false)."""
    names: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
                is_all = any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)
                if is_all and isinstance(node, ast.Assign):
                    names.update(ast.literal_eval(node.value))
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names.update(a.asname for a in node.names if a.asname == a.name)
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit([*node.body, *node.orelse, *node.finalbody])
                for handler in node.handlers:
                    visit(handler.body)

    visit(ast.parse(source_file.read_text(encoding="utf-8")).body)
    return names


def test_names_are_imported_from_the_module_that_defines_them() -> None:
    """One import path per name, in the tests, benchmarks and docs too (mypy checks ssg/):
    `from ssg.server.builds import ServedBuild` would keep an old path alive after a split."""
    exported: dict[str, set[str]] = {}
    through = []
    roots = [PACKAGE_DIR, *(PACKAGE_DIR.parent / name for name in ("tests", "bench", "docs"))]
    for source_file in sorted(f for root in roots for f in root.rglob("*.py")):
        if ".ssg" in source_file.parts:
            continue
        for node in ast.walk(ast.parse(source_file.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
                continue
            module_file = _module_file(node.module) if node.module.split(".")[0] == "ssg" else None
            if module_file is None:
                continue
            for alias in node.names:
                if alias.name == "*" or _module_file(f"{node.module}.{alias.name}") is not None:
                    continue  # a submodule
                if alias.name not in exported.setdefault(node.module, _exported(module_file)):
                    where = source_file.relative_to(PACKAGE_DIR.parent)
                    through.append(f"{where}:{node.lineno}: {node.module}.{alias.name}")
    assert through == []
