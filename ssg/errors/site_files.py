"""A site's own files that fail: modules (page.py, layout.py, route.py), their
generate_static_params, templates and content."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ssg.errors.base import SsgError, located
from ssg.plural import plural


class ModuleError(SsgError):
    """A site module (page.py, layout.py, route.py) failed to import or has a bad value.

    Attributes:
        source_file: the module file.
        line: the line number where known, else None.
    """

    def __init__(self, message: str, *, source_file: Path | str, line: int | None = None) -> None:
        self.source_file = str(source_file)
        self.line = line
        super().__init__(located(message, source_file, line))


class ModuleErrors(SsgError):
    """Several site modules failed to import; `errors` lists each ModuleError."""

    def __init__(self, errors: Sequence[ModuleError]) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"  - {e}" for e in self.errors)
        super().__init__(f"{plural(len(self.errors), 'site module')} could not be loaded:\n{lines}")


class ParamsError(SsgError):
    """generate_static_params returned something other than a list of param dicts.

    Attributes:
        source_file: the module defining generate_static_params.
        route_pattern: the route, e.g. "/blog/[slug]".
        value: the offending value (the whole return or one item).
    """

    def __init__(
        self, message: str, *, source_file: Path | str, route_pattern: str, value: object
    ) -> None:
        self.source_file = str(source_file)
        self.route_pattern = route_pattern
        self.value = value
        super().__init__(
            f"{source_file}: generate_static_params for {route_pattern} {message}\n"
            f"  got: {value!r:.300}"
        )


class TemplateError(SsgError):
    """A Jinja2 template failed to compile or render.

    Attributes:
        template_file: the template file (as a path when known, else its name).
        source_file: the same as template_file (the field every located error has).
        line: the line in the template where known.
    """

    def __init__(self, message: str, *, template_file: str, line: int | None = None) -> None:
        self.template_file = template_file
        self.source_file = template_file
        self.line = line
        super().__init__(located(message, template_file, line))


class ContentError(SsgError):
    """Front matter or a content file is malformed (an error only in --strict builds).

    Attributes:
        source_file: the content file.
        line: the line in the file where known.
    """

    def __init__(self, message: str, *, source_file: Path | str, line: int | None = None) -> None:
        self.source_file = str(source_file)
        self.line = line
        super().__init__(located(message, source_file, line))
