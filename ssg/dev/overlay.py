"""The dev error overlay: any site error -> a 500 page naming file and line, with source and traceback.

As Next.js's dev overlay (and Django's technical 500 page): the author sees what
failed, where, the lines around it and the frames of their own code, never
ssg's internals.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path

from ssg.errors import (
    ConfigError,
    ContentError,
    ModuleError,
    ModuleErrors,
    ParamsError,
    RouteScanError,
    TemplateError,
)

CONTEXT_LINES = 5
"""Source lines shown above and below the failing one."""


@dataclass(frozen=True)
class Frame:
    """One frame of the site's own code in a traceback.

    Attributes:
        source_file: the file, relative to the site when inside it.
        line: the line number.
        function: the function (or template block) name.
        text: the source line, stripped ("" when unknown).
    """

    source_file: str
    line: int
    function: str
    text: str


@dataclass(frozen=True)
class SourceLine:
    """A line of the excerpt around the error; `failing` marks the error's line."""

    number: int
    text: str
    failing: bool


@dataclass(frozen=True)
class ErrorReport:
    """What the overlay shows for one error.

    Attributes:
        title: the kind of error ("TemplateError", "ZeroDivisionError").
        message: the exception's message.
        source_file: where it happened (relative to the site when inside it), or None.
        line: the line in `source_file`, or None.
        excerpt: the lines around `line` (empty when the file or line is unknown).
        frames: the site's own frames, outermost first.
    """

    title: str
    message: str
    source_file: str | None
    line: int | None
    excerpt: tuple[SourceLine, ...]
    frames: tuple[Frame, ...]

    @property
    def where(self) -> str:
        """ "app/page.html:3", "app/page.html", or "" when unknown."""
        if self.source_file is None:
            return ""
        return f"{self.source_file}:{self.line}" if self.line else self.source_file


def make_report(exc: BaseException, site_dir: Path, theme_dir: Path | None = None) -> ErrorReport:
    """Describe `exc` for the overlay.

    The location comes from the error's own fields when it has them
    (TemplateError, ModuleError, ContentError, ...), else from a SyntaxError in
    its chain (a site module that does not parse), else from the deepest frame
    of the site's code. Frames are those whose file is under `site_dir` or
    `theme_dir` (Jinja reports template lines as frames of the template file),
    across the exception's causes.

    Args:
        exc: the error.
        site_dir: the site folder (absolute).
        theme_dir: the theme folder, whose templates count as the site's code.

    Returns:
        The ErrorReport.
    """
    roots = [site_dir.resolve()] + ([theme_dir.resolve()] if theme_dir is not None else [])
    frames = tuple(_user_frames(exc, roots, site_dir))
    source_file, line = _location(exc, site_dir)
    if source_file is None and frames:
        source_file, line = frames[-1].source_file, frames[-1].line
    excerpt: tuple[SourceLine, ...] = ()
    if source_file is not None and line:
        excerpt = _excerpt(_absolute(source_file, site_dir), line)
    return ErrorReport(
        title=type(exc).__name__,
        message=str(exc),
        source_file=source_file,
        line=line,
        excerpt=excerpt,
        frames=frames,
    )


def render_overlay(report: ErrorReport, url_path: str) -> str:
    """The overlay page (a whole HTML document, noindex; the live-reload script is added later).

    Args:
        report: the error.
        url_path: the URL that failed.
    """
    where = escape(report.where) or "(no file)"
    excerpt = "".join(
        f'<tr class="{"failing" if row.failing else ""}"><td class="n">{row.number}</td>'
        f"<td><code>{escape(row.text) or ' '}</code></td></tr>"
        for row in report.excerpt
    )
    frames = "".join(
        f"<li><code>{escape(frame.source_file)}:{frame.line}</code> in "
        f"<code>{escape(frame.function)}</code>"
        + (f"<pre>{escape(frame.text)}</pre>" if frame.text else "")
        + "</li>"
        for frame in report.frames
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(report.title)} · ssg dev</title><style>{_STYLE}</style></head>"
        '<body><main class="ssg-dev-error">'
        f'<p class="label">ssg dev · error while answering <code>{escape(url_path)}</code></p>'
        f"<h1>{escape(report.title)}</h1>"
        f'<p class="where">{where}</p>'
        f'<pre class="message">{escape(report.message)}</pre>'
        + (f'<table class="source">{excerpt}</table>' if excerpt else "")
        + (f'<h2>Traceback (your code)</h2><ol class="frames">{frames}</ol>' if frames else "")
        + '<p class="hint">Fix the file and save: this page reloads by itself.</p>'
        "</main></body></html>"
    )


def _location(exc: BaseException, site_dir: Path) -> tuple[str | None, int | None]:
    """The file and line an ssg error names, or a SyntaxError in the chain names."""
    for error in _chain(exc):
        if isinstance(error, SyntaxError) and error.filename and error.lineno:
            return _relative(Path(error.filename), site_dir), error.lineno
    if isinstance(exc, TemplateError):
        return exc.template_file, exc.line
    if isinstance(exc, ModuleError | ContentError):
        return _relative(Path(exc.source_file), site_dir), exc.line
    if isinstance(exc, ModuleErrors) and exc.errors:
        first = exc.errors[0]
        return _relative(Path(first.source_file), site_dir), first.line
    if isinstance(exc, ParamsError):
        return _relative(Path(exc.source_file), site_dir), None
    if isinstance(exc, ConfigError):
        return _relative(exc.source_file, site_dir), None
    if isinstance(exc, RouteScanError):
        for problem in exc.problems:
            if problem.source_files:
                return problem.source_files[0], None
    return None, None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then its causes and contexts (each once)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _user_frames(exc: BaseException, roots: list[Path], site_dir: Path) -> Iterator[Frame]:
    """The frames in the site's files, from the innermost cause outwards, each once."""
    seen: set[tuple[str, int, str]] = set()
    for error in reversed(list(_chain(exc))):
        for summary in traceback.extract_tb(error.__traceback__):
            file = Path(summary.filename)
            if not file.is_absolute() or not any(file.is_relative_to(r) for r in roots):
                continue
            line = summary.lineno or 0
            key = (summary.filename, line, summary.name)
            if key in seen:
                continue
            seen.add(key)
            yield Frame(_relative(file, site_dir), line, summary.name, (summary.line or "").strip())


def _excerpt(file: Path, line: int) -> tuple[SourceLine, ...]:
    try:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ()
    first = max(1, line - CONTEXT_LINES)
    last = min(len(lines), line + CONTEXT_LINES)
    return tuple(
        SourceLine(number, lines[number - 1], number == line) for number in range(first, last + 1)
    )


def _relative(file: Path, site_dir: Path) -> str:
    try:
        return file.resolve().relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        return str(file)


def _absolute(source_file: str, site_dir: Path) -> Path:
    file = Path(source_file)
    return file if file.is_absolute() else site_dir / file


_STYLE = """
body{margin:0;background:#1b1b1f;color:#e8e8ea;font:15px/1.5 system-ui,sans-serif}
.ssg-dev-error{max-width:60rem;margin:2rem auto;padding:0 1.5rem}
.label{color:#f87171;font-weight:600;margin:0}
h1{font-size:1.6rem;margin:.2rem 0}
h2{font-size:1.1rem;margin-top:2rem}
.where{font-family:ui-monospace,monospace;color:#93c5fd}
.message{white-space:pre-wrap;background:#2a1215;border-left:4px solid #f87171;padding:1rem}
.source{border-collapse:collapse;width:100%;background:#111114;font:13px/1.5 ui-monospace,monospace}
.source td{padding:0 .6rem;white-space:pre}
.source .n{color:#6b7280;text-align:right;user-select:none;width:3rem}
.source .failing{background:#4c1d1d}
.frames pre{margin:.2rem 0 .8rem;color:#d1d5db}
.hint{color:#9ca3af;margin-top:2rem}
"""
