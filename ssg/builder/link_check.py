"""The build's link check: every link of the output that nothing in the build answers.

An incremental build checks only the pages whose links changed: when everything that
decides whether a URL path is answered (the pages, the output's files, the routes and how
they render, the settings that resolve a link) is as the last build had it
(`answers_key`), every link keeps the answer it had, so the last check's broken links of
the other pages stand as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from urllib.parse import unquote

from ssg.builder.build_result import PlannedPage, RouteResult
from ssg.builder.fingerprint import digest
from ssg.builder.finish import FinishedPage
from ssg.builder.links import BrokenLink, find_broken_links
from ssg.records import Manifest
from ssg.site import Site

NOT_FOUND_PAGE = "404.html"
"""The `BrokenLink.page` of the links of 404.html (checked after every page)."""


def answers_key(
    site: Site,
    files: Iterable[str],
    results: Mapping[str, RouteResult],
    manifest: Manifest,
    not_found_links: Iterable[str],
) -> str:
    """A digest of what decides the link check's answers besides the pages' own links.

    The URL paths of the pages, the output's files, each route's pattern, kind, render
    kind and dynamic_params (in resolution order: what a per-request URL matches), the
    base path, trailing_slash and output settings (how a link resolves, whether routes
    answer), and the links of 404.html (checked with every build).

    Args:
        files: every file of the output, "/"-separated relative paths.
        results: the settled route results, in resolution order.
    """
    config = site.config
    routes = [
        (pattern, result.route.kind.value, str(result.render), result.dynamic_params)
        for pattern, result in results.items()
    ]
    settings = (config.base_path, config.trailing_slash, config.output, routes)
    return digest(
        "\0".join(
            (
                repr(settings),
                "\n".join(sorted(manifest.pages)),
                "\n".join(sorted(files)),
                "\n".join(not_found_links),
            )
        )
    )


def check_links(
    site: Site,
    files: set[str],
    results: dict[str, RouteResult],
    rendered: dict[str, tuple[PlannedPage, FinishedPage]],
    not_found_links: tuple[str, ...],
    manifest: Manifest,
    kept: tuple[list[BrokenLink], Mapping[str, tuple[str, ...]]] | None = None,
) -> list[BrokenLink]:
    """The links of every written page (and 404.html) that nothing in the build answers.

    A link is answered by a prerendered page, a file of the output (as static
    hosts look it up: `x`, `x.html`, `x/index.html`), or, with `output =
    "server"`, a route that renders per request or on demand (a dynamic route
    with `dynamic_params = True`; unlisted params of one with
    `dynamic_params = False` are broken).

    Args:
        kept: the last build's broken links and each of its pages' links (URL path ->
            links), when its `answers_key` equals this build's; then only the pages
            whose links differ from the last build's are checked, the others keep
            their broken links. None checks every page.

    Returns:
        The broken links in page order (URL paths sorted, 404.html last), each page's
        in the order its links appear: the same list with or without `kept`.
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

    if kept is None:
        listed = [(url_path, page.links) for url_path, (_item, page) in sorted(rendered.items())]
        listed.append((NOT_FOUND_PAGE, not_found_links))
        return _find(listed, answers, site)
    kept_broken, earlier = kept
    missing: tuple[str, ...] = ()
    changed = []
    for url_path, (_item, page) in rendered.items():
        before = earlier.get(url_path, missing)
        if before is not page.links and before != page.links:
            changed.append(url_path)
    if not changed:
        return [
            link for link in kept_broken if link.page in rendered or link.page == NOT_FOUND_PAGE
        ]
    checked = set(changed)
    broken = [
        link
        for link in kept_broken
        if link.page == NOT_FOUND_PAGE or (link.page in rendered and link.page not in checked)
    ]
    broken += _find(
        [(url_path, rendered[url_path][1].links) for url_path in changed], answers, site
    )
    broken.sort(
        key=lambda link: (link.page == NOT_FOUND_PAGE, link.page)
    )  # stable: link order kept
    return broken


def _find(
    listed: list[tuple[str, tuple[str, ...]]], answers: Callable[[str], bool], site: Site
) -> list[BrokenLink]:
    config = site.config
    return find_broken_links(
        listed,
        answers=answers,
        base_path=config.base_path,
        trailing_slash=config.trailing_slash,
    )
