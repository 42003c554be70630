"""A build that fails: pages that fail to render, outputs that collide or would destroy
something, routes an export cannot write, broken links, dead workers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

from ssg.errors.base import SsgError, page_label
from ssg.plural import plural


class BuildError(SsgError):
    """Rendering a page failed during the build.

    Attributes:
        route_pattern: the route, e.g. "/blog/[slug]".
        url_path: the URL being rendered, e.g. "/blog/hello".
        source_file: the site or theme file where it failed (relative to the
            site), where known.
        line: the line in that file, where known.
    """

    def __init__(
        self,
        message: str,
        *,
        route_pattern: str,
        url_path: str,
        source_file: str | None = None,
        line: int | None = None,
    ) -> None:
        self.route_pattern = route_pattern
        self.url_path = url_path
        self.source_file = source_file
        self.line = line
        super().__init__(message)


class PagesFailedError(SsgError):
    """Several pages failed during the build; `failures` holds each page's error.

    The message lists one line per distinct failure: pages of one route that
    failed with the same message (a template's syntax error fails every page
    that uses it) share a line naming the first two URLs and how many more.
    A page is named as `page_label` names it (its URL; its route where they differ).

    | failures                                             | a line of the message |
    | ---------------------------------------------------- | --------------------- |
    | /blog/a, /blog/b, /blog/c of /blog/[slug]: x.html:3: error E | `/blog/a, /blog/b and 1 more page (route /blog/[slug]): x.html:3: error E` |
    | /blog/a of /blog/[slug]: error E                     | `/blog/a (route /blog/[slug]): error E` |
    | /about of /about: error E                            | `/about: error E` |

    Attributes:
        failures: every error (BuildError or OutputConflictError), by URL.
        shown: how many lines the message lists (the rest are counted).
    """

    def __init__(self, failures: Sequence[SsgError], *, shown: int) -> None:
        self.failures = list(failures)
        self.shown = shown
        lines = _grouped_lines(self.failures)
        text = "\n".join(f"  - {line}" for line in lines[:shown])
        more = len(lines) - shown
        if more > 0:
            text += f"\n  ... and {more:,} more"
        super().__init__(f"{plural(len(self.failures), 'page')} failed to render:\n{text}")


def _grouped_lines(failures: Sequence[SsgError]) -> list[str]:
    """One line per failure, pages of one route failing with one message merged (in order)."""
    groups: dict[tuple[str, str], list[str]] = {}  # (route, message after the page): URLs
    lines: list[str | tuple[str, str]] = []
    for error in failures:
        text = str(error)
        if not isinstance(error, BuildError):
            lines.append(text)
            continue
        where = page_label(error.route_pattern, error.url_path)
        if not text.startswith(where):
            lines.append(text)
            continue
        key = (error.route_pattern, text[len(where) :])
        if key not in groups:
            groups[key] = []
            lines.append(key)
        groups[key].append(error.url_path)
    out = []
    for line in lines:
        if isinstance(line, str):
            out.append(line)
            continue
        route_pattern, rest = line
        urls = groups[line]
        if len(urls) == 1:
            out.append(f"{page_label(route_pattern, urls[0])}{rest}")
            continue
        named = [unquote(url) for url in urls[:2]]
        more = len(urls) - 2
        if more:
            listed = f"{named[0]}, {named[1]} and {more:,} more page{'' if more == 1 else 's'}"
        else:
            listed = f"{named[0]} and {named[1]}"
        out.append(f"{listed} (route {route_pattern}){rest}")
    return out


class OutputConflictError(SsgError):
    """Two sources (pages, public/ files, ssg's own files) would write one output file.

    Attributes:
        output_file: the output file, relative to the output folder.
        url_path: the later page's URL where a page is involved, else None.
    """

    def __init__(self, message: str, *, output_file: str, url_path: str | None = None) -> None:
        self.output_file = output_file
        self.url_path = url_path
        super().__init__(message)


class OutputDirError(SsgError):
    """The output folder cannot be replaced by a build without destroying something.

    Attributes:
        out_dir: the output folder (absolute).
    """

    def __init__(self, message: str, *, out_dir: Path) -> None:
        self.out_dir = out_dir
        super().__init__(message)


class PublicLinkError(SsgError):
    """public/ holds symbolic links that point outside the site (never published).

    A link is followed when public/ is copied, so a link to a file outside the
    site would publish it (a private key, /etc/passwd).

    Attributes:
        links: each link (the path inside public/) and where it points (resolved).
    """

    def __init__(self, links: Sequence[tuple[Path, Path]]) -> None:
        self.links = list(links)
        lines = "\n".join(f"  - {link} -> {target}" for link, target in self.links)
        super().__init__(
            f"{plural(len(self.links), 'symbolic link')} in public/ "
            f"point{'s' if len(self.links) == 1 else ''} outside the site, and ssg "
            f"publishes nothing from outside it:\n{lines}\n"
            "Copy the file into public/ instead of linking it (cp --dereference), or point "
            "the link at a file inside the site."
        )


class ExportError(SsgError):
    """output = "export" but some routes need a server; `problems` lists each with the fix."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f'output = "export" writes plain files only, but {plural(len(self.problems), "route")} '
            f"need{'s' if len(self.problems) == 1 else ''} a server:\n{lines}"
        )


class BrokenLinksError(SsgError):
    """A --strict build whose pages link to URLs no page, file or route answers.

    Attributes:
        links: each broken link (`ssg.builder.links.BrokenLink`: page, link,
            target, reason).
    """

    def __init__(self, message: str, *, links: Sequence[object]) -> None:
        self.links = list(links)
        super().__init__(message)


class WorkerExitError(SsgError):
    """A worker process (a build's render worker, or a server worker) died.

    Attributes:
        exit_codes: each dead worker's exit code (negative: killed by that signal).
    """

    def __init__(self, message: str, *, exit_codes: Sequence[int | None]) -> None:
        self.exit_codes = tuple(exit_codes)
        super().__init__(message)
