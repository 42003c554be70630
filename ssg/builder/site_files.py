"""The build's files besides its pages: public/, the theme's assets, 404.html, the manifest,
_redirects and _headers; and each route's settled result (URL paths, revalidate, render kind)."""

from __future__ import annotations

from ssg.builder.build_result import PlannedPage, RouteResult
from ssg.builder.finish import FinishedPage
from ssg.builder.links import extract_links
from ssg.builder.manifest import KeptManifest, build_manifest, write_manifest
from ssg.builder.static_hosts import (
    HEADERS_FILE,
    REDIRECTS_FILE,
    merged,
    mime_type_mismatches,
    render_headers,
    render_redirects,
    warn_mime_types,
)
from ssg.builder.writer import OutputWriter
from ssg.errors import OutputConflictError, page_label
from ssg.records import Manifest, PageRecord, RenderKind
from ssg.render.special_pages import render_not_found
from ssg.revalidate import Revalidate
from ssg.site import Site


def _check_public_files(site: Site, rendered: dict[str, tuple[PlannedPage, FinishedPage]]) -> None:
    """A file in public/ must not replace a page (as Next.js "conflicting public file").

    Raises:
        OutputConflictError: naming the public file and the route whose page it would replace.
    """
    public_dir = site.config.public_dir
    if not public_dir.is_dir():
        return
    pages = {page.record.output_file: item for item, page in rendered.values()}
    reserved = {"404.html", "_ssg", "_assets"}
    for source_file in public_dir.rglob("*"):
        relative = source_file.relative_to(public_dir).as_posix()
        if not source_file.is_file():
            continue
        item = pages.get(relative)
        if item is not None or relative in reserved or relative.split("/")[0] in reserved:
            owner = (
                f"the page {page_label(item.route.route_pattern, item.url_path)}"
                if item
                else "a file ssg writes itself (404.html, _assets/, _ssg/)"
            )
            raise OutputConflictError(
                f"public/{relative} would replace {owner} in the output; "
                "rename or remove one of them",
                output_file=relative,
                url_path=item.url_path if item else None,
            )


async def write_site_files(
    site: Site,
    writer: OutputWriter,
    results: dict[str, RouteResult],
    rendered: dict[str, tuple[PlannedPage, FinishedPage]],
    now: float,
    indexed: tuple[str, ...] = (),
    kept_manifest: KeptManifest | None = None,
) -> tuple[Manifest, tuple[str, ...]]:
    """Copy public/ and the theme's assets, write 404.html and the manifest (the lines of
    the pages `kept_manifest` holds unchanged written as they were).

    Returns:
        The manifest, and the links of 404.html.
    """
    _check_public_files(site, rendered)
    writer.copy_tree(site.config.public_dir, inside=site.config.site_dir)
    writer.copy_assets(site.theme)
    _settle_results(results, rendered)
    # The static 404.html answers every missing URL, so it names none (url_path "").
    not_found = render_not_found(site, "", strict=True)
    writer.write("404.html", not_found.body)
    records = [page.record for _item, page in rendered.values()]
    manifest = build_manifest(
        site,
        results.values(),
        records,
        now,
        indexed=[url_path for url_path in indexed if url_path in rendered],
    )
    _write_static_host_files(site, writer, records)
    write_manifest(writer.staging_dir, manifest, kept_manifest)
    return manifest, extract_links(not_found.body)


def _write_static_host_files(site: Site, writer: OutputWriter, records: list[PageRecord]) -> None:
    """Write out/_redirects and out/_headers (after the site's own public/ ones, if any).

    Args:
        records: the records of the pages written (their time is not read).
    """
    config = site.config
    base_path = config.base_path
    redirects = {record.url_path: record for record in records if record.location is not None}
    rules = render_redirects(redirects, base_path=base_path, trailing_slash=config.trailing_slash)
    mistyped = mime_type_mismatches(records)
    headers = render_headers(mistyped, base_path=base_path, assets=bool(site.theme.assets))
    if config.output == "export":  # ssg serve sends each page's own type
        warn_mime_types(mistyped)
    for name, generated in ((REDIRECTS_FILE, rules), (HEADERS_FILE, headers)):
        text = merged(config.public_dir / name, generated)
        if text:
            writer.write(name, text.encode("utf-8"))


def _settle_results(
    results: dict[str, RouteResult], rendered: dict[str, tuple[PlannedPage, FinishedPage]]
) -> None:
    """Give each route its URL paths, its lowest page revalidate and its render kind."""
    revalidates: dict[str, list[Revalidate]] = {}  # one lowest() per route, not per page
    for url_path, (item, page) in sorted(rendered.items()):
        pattern = item.route.route_pattern
        results[pattern].url_paths.append(url_path)
        found = revalidates.get(pattern)
        if found is None:
            found = revalidates[pattern] = []
        found.append(page.record.revalidate)
    for pattern, values in revalidates.items():
        result = results[pattern]
        result.revalidate = result.revalidate.lowest(*values)
    for result in results.values():
        if result.render is not RenderKind.DYNAMIC and result.revalidate.is_timed:
            result.render = RenderKind.ISR
        elif result.render is RenderKind.SSG and not result.route.is_dynamic_pattern:
            result.render = RenderKind.STATIC
