"""ssg.errors: the whole exception tree under one name, drawn in its docstring, with stdlib bases."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import ssg
import ssg.errors
from ssg.config import load_config
from ssg.errors import (
    ArgumentError,
    BuildError,
    BuildNotFoundError,
    HandlerReturnError,
    ListenError,
    OutsideRenderError,
    PagesFailedError,
    RevalidateError,
    SegmentNameError,
    SiteNotFoundError,
    SsgError,
)
from ssg.server.app import create_app
from tests.conftest import MakeSite

PACKAGE_DIR = Path(ssg.__file__).parent
ERRORS_DIR = PACKAGE_DIR / "errors"


def _modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="ssg.")
        if not info.name.endswith("__main__")
    ]
    return ["ssg", *names]


def _exception_classes() -> list[type[BaseException]]:
    return [
        value
        for _name, value in inspect.getmembers(ssg.errors, inspect.isclass)
        if issubclass(value, BaseException) and value.__module__ == "ssg.errors"
    ]


def test_every_exception_class_of_ssg_is_defined_in_errors() -> None:
    outside = []
    for name in _modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == name
                and name != "ssg.errors"
            ):
                outside.append(f"{name}.{attr}")
    assert outside == []


def test_errors_are_defined_under_the_name_ssg_errors() -> None:
    assert {cls.__module__ for cls in _exception_classes()} == {"ssg.errors"}


def test_the_docstring_draws_every_class() -> None:
    doc = ssg.errors.__doc__ or ""
    drawn = set(re.findall(r"^[ │├└─]*(\w+)", doc, flags=re.MULTILINE))
    missing = [cls.__name__ for cls in _exception_classes() if cls.__name__ not in drawn]
    assert missing == []


def test_no_bare_ssg_error_is_raised() -> None:
    """A case with a name raises its class; SsgError itself is only the base."""
    bare = []
    for source_file in sorted(PACKAGE_DIR.rglob("*.py")):
        if source_file.parent == ERRORS_DIR:
            continue
        for node in ast.walk(ast.parse(source_file.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "SsgError"
            ):
                bare.append(f"{source_file.relative_to(PACKAGE_DIR)}:{node.lineno}")
    assert bare == []


@pytest.mark.parametrize(
    ("cls", "stdlib_base"),
    [
        (SiteNotFoundError, FileNotFoundError),
        (BuildNotFoundError, FileNotFoundError),
        (SegmentNameError, ValueError),
        (HandlerReturnError, TypeError),
        (OutsideRenderError, RuntimeError),
        (RevalidateError, ValueError),
        (ListenError, OSError),
    ],
    ids=lambda value: value.__name__,
)
def test_errors_with_a_stdlib_meaning_have_that_base(
    cls: type[SsgError], stdlib_base: type[Exception]
) -> None:
    assert issubclass(cls, SsgError)
    assert issubclass(cls, stdlib_base)


def test_a_page_can_catch_the_exported_errors_from_ssg() -> None:
    for name in (
        "SsgError",
        "FetchError",
        "RevalidateError",
        "ControlFlow",
        "NotFound",
        "Redirect",
    ):
        assert getattr(ssg, name) is getattr(ssg.errors, name)


def test_serving_without_a_build_names_the_build_command(make_site: MakeSite) -> None:
    site_dir = make_site({"app/layout.html": "{{ children }}", "app/page.html": "hi"})
    with pytest.raises(BuildNotFoundError, match=r"run `ssg build .*` first") as info:
        create_app(load_config(site_dir, environ={}))
    assert info.value.out_dir == site_dir / "out"
    assert isinstance(info.value, FileNotFoundError)


def test_a_bad_argument_to_a_public_api_names_the_calling_line() -> None:
    with pytest.raises(ArgumentError, match=r"ssg.Response body must be bytes") as info:
        ssg.Response(body="not bytes")  # type: ignore[arg-type]
    line = inspect.currentframe().f_lineno - 1  # type: ignore[union-attr]
    assert (info.value.source_file, info.value.line) == (__file__, line)
    assert str(info.value).startswith(f"{__file__}:{line}: ")
    assert info.value.call == "ssg.Response"
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)


def test_a_bad_cache_option_is_an_argument_error_at_decoration() -> None:
    with pytest.raises(ArgumentError, match=r"revalidate=-1 must be 0 or more seconds") as info:
        ssg.cache(revalidate=-1)
    assert info.value.source_file == __file__


def test_pages_failing_with_one_message_share_a_line_of_the_build_error() -> None:
    def failed(url_path: str, message: str) -> BuildError:
        where = f"{url_path} (route /blog/[slug])"
        return BuildError(f"{where}: {message}", route_pattern="/blog/[slug]", url_path=url_path)

    syntax = "app/blog/[slug]/page.html:3: template syntax error: No filter named 'nosuch'."
    failures = [failed(f"/blog/{n}", syntax) for n in "abcd"] + [failed("/blog/e", "other")]
    error = PagesFailedError([*failures, failed("/blog/f", syntax)], shown=20)
    assert str(error).splitlines() == [
        "6 pages failed to render:",
        f"  - /blog/a, /blog/b and 3 more pages (route /blog/[slug]): {syntax}",
        "  - /blog/e (route /blog/[slug]): other",
    ]
    assert len(error.failures) == 6
