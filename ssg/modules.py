"""Site modules: import page.py / layout.py / route.py and validate their segment config."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from ssg.bytecode import HashCheckedLoader, check_bytecode_by_hash
from ssg.errors import ModuleError, ModuleErrors, SsgError
from ssg.revalidate import Revalidate
from ssg.scope import DynamicMode, ServiceMode, current_scope

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class SiteModule:
    """One imported site module and its validated segment config.

    Attributes:
        source_file: the .py file (absolute).
        module: the imported module.
        revalidate: the module's `revalidate`, parsed; None when it sets none.
        dynamic: the `dynamic` option, or None when absent.
        dynamic_params: bool, or None when absent.
        metadata: the static `metadata` dict (empty when absent).
        handlers: for route.py, HTTP method -> function.
    """

    source_file: Path
    module: ModuleType
    revalidate: Revalidate | None = None
    dynamic: DynamicMode | None = None
    dynamic_params: bool | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    handlers: dict[str, Callable[..., Any]] = field(default_factory=dict)

    def function(self, name: str) -> Callable[..., Any] | None:
        """Return the module's callable `name` (generate_static_params, load, ...) or None."""
        value = getattr(self.module, name, None)
        return value if callable(value) else None


def error_line(exc: BaseException, source_file: Path) -> int | None:
    """Return the line in `source_file` where `exc` was raised (deepest frame), if any."""
    if isinstance(exc, SyntaxError) and exc.filename and Path(exc.filename) == source_file:
        return exc.lineno
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == str(source_file):
            line = frame.lineno
    return line


def load_site_module(source_file: Path, *, site_dir: Path) -> SiteModule:
    """Import a site module by file path and validate its segment config.

    Each module gets a unique name (from its path under the site) so two
    `page.py` files never collide in `sys.modules`.

    Raises:
        ModuleError: the import raised (names the file and line), or a config
            value is wrong, e.g. `revalidate = "60"` (names the fix).
    """
    relative = source_file.relative_to(site_dir)
    name = "ssg_site_" + "_".join(
        "".join(c if c.isalnum() else "_" for c in part) for part in relative.with_suffix("").parts
    )
    # A stable suffix (not hash(), which Python salts per process): ssg.cache keys
    # include the module name, so it must be the same in every build and server.
    digest = hashlib.sha256(relative.as_posix().encode()).hexdigest()[:8]
    name = f"{name}_{digest}"
    spec = importlib.util.spec_from_file_location(
        name, source_file, loader=HashCheckedLoader(name, str(source_file))
    )
    if spec is None or spec.loader is None:  # pragma: no cover - only for odd file systems
        raise ModuleError("could not be imported", source_file=relative)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SsgError:
        raise
    except BaseException as exc:
        sys.modules.pop(name, None)
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise ModuleError(
            f"importing it raised {type(exc).__name__}: {exc}",
            source_file=relative,
            line=error_line(exc, source_file),
        ) from exc
    return _validate(module, source_file, relative)


def _validate(module: ModuleType, source_file: Path, relative: Path) -> SiteModule:
    problems: list[str] = []
    revalidate: Revalidate | None = None
    if hasattr(module, "revalidate"):
        try:
            revalidate = Revalidate.parse(module.revalidate)
        except ValueError:
            problems.append(
                f"revalidate = {module.revalidate!r}: use a number of seconds (60), 0 to "
                "render every request, or False to never revalidate"
            )
    dynamic_value = getattr(module, "dynamic", None)
    dynamic: DynamicMode | None = None
    if dynamic_value is not None:
        try:
            dynamic = DynamicMode(dynamic_value)
        except ValueError:
            options = ", ".join(f'"{m.value}"' for m in DynamicMode)
            problems.append(f"dynamic = {dynamic_value!r}: use one of {options}")
    dynamic_params = getattr(module, "dynamic_params", None)
    if dynamic_params is not None and not isinstance(dynamic_params, bool):
        problems.append(f"dynamic_params = {dynamic_params!r}: use True or False")
    if hasattr(module, "dynamicParams") or hasattr(module, "generateStaticParams"):
        problems.append(
            "found a Next.js spelling: use dynamic_params / generate_static_params in Python"
        )
    if hasattr(module, "metadata") and callable(getattr(module, "generate_metadata", None)):
        # As Next.js: "metadata and generateMetadata cannot be exported at the same time".
        problems.append(
            "sets both metadata and generate_metadata, and generate_metadata's answer would "
            "silently win: keep one (put static values in what generate_metadata returns)"
        )
    metadata = getattr(module, "metadata", {})
    if not isinstance(metadata, dict):
        problems.append(f"metadata = {metadata!r}: use a dict such as {{'title': 'Blog'}}")
        metadata = {}
    handlers = {m: getattr(module, m) for m in HTTP_METHODS if callable(getattr(module, m, None))}
    if problems:
        raise ModuleError("; ".join(problems), source_file=relative)
    return SiteModule(
        source_file=source_file,
        module=module,
        revalidate=revalidate,
        dynamic=dynamic,
        dynamic_params=dynamic_params,
        metadata=metadata,
        handlers=handlers,
    )


def load_site_modules(files: Iterable[Path], *, site_dir: Path) -> dict[Path, SiteModule]:
    """Import every module, reporting all failures at once.

    Raises:
        ModuleErrors: one or more modules failed; `.errors` holds each ModuleError.
    """
    loaded: dict[Path, SiteModule] = {}
    errors: list[ModuleError] = []
    # Site modules import the site's own helpers (`from posts import load_posts`), as
    # Pelican plugins and Django projects do: the site folder goes on sys.path once.
    if str(site_dir) not in sys.path:
        sys.path.insert(0, str(site_dir))
    check_bytecode_by_hash(str(site_dir))
    for source_file in sorted(set(files)):
        try:
            loaded[source_file] = load_site_module(source_file, site_dir=site_dir)
        except ModuleError as exc:
            errors.append(exc)
    if errors:
        raise ModuleErrors(errors)
    return loaded


async def call_user(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a sync or async user function and return its result (both work, as Next.js).

    A function that takes fewer positional parameters than `args` gets the
    first ones only: `def generate_static_params():` and `def load():` work, as
    a Next.js function may ignore the props it is given.

    In a server a sync function runs in a worker thread (`asyncio.to_thread`,
    which carries the render scope over), so a slow one never stalls the other
    requests; in a build it runs inline.
    """
    takes, needs, keyword_needs = _arity(fn)
    if needs > len(args) or keyword_needs:
        code = fn.__code__  # _arity found one
        given = {1: "params", 2: "request, params"}.get(len(args), f"{len(args)} arguments")
        raise ModuleError(
            f"{fn.__name__!r} needs arguments ssg does not pass (it passes {given}): "
            f"define it as def {fn.__name__}({given})",
            source_file=code.co_filename,
            line=code.co_firstlineno,
        )
    if takes is not None and takes < len(args):
        args = args[:takes]
    scope = current_scope()
    if (
        scope is not None
        and scope.services.mode is ServiceMode.SERVE
        and not inspect.iscoroutinefunction(fn)
    ):
        result = await asyncio.to_thread(fn, *args)
    else:
        result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


def _arity(fn: Callable[..., Any]) -> tuple[int | None, int, int]:
    """(how many positional arguments `fn` takes, None for any number (`*args`) or a
    callable that is no plain function; how many positional ones it needs (no default);
    how many keyword-only ones it needs, which ssg never passes).

    Read off the function's code object: no signature to build on every call.
    """
    code = getattr(fn, "__code__", None)
    if code is None or not inspect.isfunction(fn):
        return None, 0, 0
    needs = code.co_argcount - len(fn.__defaults__ or ())
    keyword_needs = code.co_kwonlyargcount - len(fn.__kwdefaults__ or {})
    takes = None if code.co_flags & inspect.CO_VARARGS else code.co_argcount
    return takes, needs, keyword_needs
