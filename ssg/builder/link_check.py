"""The build's link check: every link of the output that nothing in the build answers."""

from __future__ import annotations

from urllib.parse import unquote

from ssg.builder.build_result import PlannedPage, RouteResult
from ssg.builder.finish import FinishedPage
from ssg.builder.links import BrokenLink, find_broken_links
from ssg.records import Manifest
from ssg.site import Site


def check_links(
    site: Site,
    files: set[str],
    results: dict[str, RouteResult],
    rendered: dict[str, tuple[PlannedPage, FinishedPage]],
    not_found_links: tuple[str, ...],
    manifest: Manifest,
) -> list[BrokenLink]:
    """The links of every written page (and 404.html) that nothing in the build answers.

    A link is answered by a prerendered page, a file of the output (as static
    hosts look it up: `x`, `x.html`, `x/index.html`), or, with `output =
    "server"`, a route that renders per request or on demand (a dynamic route
    with `dynamic_params = True`; unlisted params of one with
    `dynamic_params = False` are broken).
    """
    config = site.config
    pages = manifest.pages
    serves = config.output != "export"

    def answers(url_path: str) -> bool:
        if url_path in pages:
            return True
        relative = unquote(url_path).strip("/")
        if not relative:
            return "index.html" in files
        if relative in files or f"{relative}.html" in files or f"{relative}/index.html" in files:
            return True
        match = site.table.match(url_path) if serves else None
        if match is None:
            return False
        result = results[match.route.route_pattern]
        if result.render == "dynamic":
            return True
        return match.route.is_dynamic_pattern and result.dynamic_params

    listed = [(url_path, page.links) for url_path, (_item, page) in sorted(rendered.items())]
    listed.append(("404.html", not_found_links))
    return find_broken_links(
        listed,
        answers=answers,
        base_path=config.base_path,
        trailing_slash=config.trailing_slash,
    )
