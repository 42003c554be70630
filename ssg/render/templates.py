"""Render one Jinja2 template file and turn template failures into errors naming file and line."""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import escape

from ssg.errors import NotFound, Redirect, SsgError, TemplateError
from ssg.site import Site


def render_template(
    site: Site, builtin: str | None, context: dict[str, Any], template_file: Path
) -> str:
    """Render a template file (or the built-in "markdown_page" wrapper of a page.md body).

    Args:
        site: the loaded site (its Jinja environment and folders).
        builtin: "markdown_page" for a page.md body, else None.
        context: the template variables.
        template_file: the template (absolute), named in errors.

    Returns:
        The rendered text.

    Raises:
        TemplateError: syntax error, missing template, or an exception inside
            the template; names the template file (relative to the site) and line.
    """
    if builtin == "markdown_page":
        # The wrapper of a page.md body: no template to compile for each page, the
        # (Markup) body as `{{ content }}` would give it.
        return f'<article class="prose">{escape(context["content"])}</article>'
    try:
        template = site.env.get_template(site.template_name(template_file))
        return template.render(context)
    except jinja2.TemplateSyntaxError as exc:
        name = site.relative(Path(exc.filename)) if exc.filename else site.relative(template_file)
        raise TemplateError(
            f"template syntax error: {exc.message}", template_file=name, line=exc.lineno
        ) from exc
    except jinja2.TemplateNotFound as exc:
        file, line = template_frame(exc, site)
        raise TemplateError(
            f"template {exc.name!r} not found in app/ or the theme "
            f"({site.theme.theme_dir.name}/templates); check the name in "
            f"{{% extends %}} / {{% include %}}{_closest_template(site, exc.name)}",
            template_file=file or site.relative(template_file),
            line=line,
        ) from exc
    except (SsgError, NotFound, Redirect):
        raise
    except Exception as exc:
        file, line = template_frame(exc, site)
        raise TemplateError(
            f"{type(exc).__name__}: {exc}",
            template_file=file or site.relative(template_file),
            line=line,
        ) from exc


def _closest_template(site: Site, name: object) -> str:
    """ "; did you mean 'footer.html'?" for a misspelt template name, or ""."""
    import difflib  # here: only a missing template needs it

    try:
        names = site.env.list_templates()
    except (TypeError, OSError):  # a loader that cannot list its templates
        return ""
    close = difflib.get_close_matches(str(name), names, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def load_templates(site: Site, template_files: Iterable[Path]) -> None:
    """Compile these templates now (or read them from the bytecode cache) into the cache of
    the site's environment, so that a process forked next inherits them compiled.

    A template that fails is skipped: the render that uses it reports it.
    """
    for template_file in template_files:
        try:
            site.env.get_template(site.template_name(template_file))
        except (jinja2.TemplateError, ValueError):
            continue


TEMPLATE_SUFFIXES = (".html", ".htm", ".xml", ".svg", ".txt")
"""Files under app/ and the theme's templates/ that `compile_templates` compiles."""


def compile_templates(env: jinja2.Environment) -> int:
    """Compile the templates of app/ and the theme into `env`'s cache; return how many.

    A server calls this in a worker thread at start-up, so the first render of
    a page finds its templates compiled instead of compiling them on the event
    loop (Jinja's cache takes a lock, so renders may run meanwhile). A template
    with an error is skipped: the render that uses it reports it. No more than
    the cache holds are compiled (more would evict the first ones).
    """
    names = env.list_templates(filter_func=lambda name: name.endswith(TEMPLATE_SUFFIXES))
    capacity = getattr(env.cache, "capacity", len(names))
    compiled = 0
    for name in names[:capacity]:
        try:
            env.get_template(name)
        except jinja2.TemplateError:
            continue
        compiled += 1
    return compiled


def template_frame(exc: BaseException, site: Site) -> tuple[str | None, int | None]:
    """The deepest template (or site module) frame of a traceback: (relative file, line)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        inside = path.is_relative_to(site.config.site_dir) or path.is_relative_to(
            site.theme.theme_dir
        )
        if inside:
            found = (site.relative(path), frame.lineno)
    return found
