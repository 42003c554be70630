"""What a segment's modules give a render: metadata (static and generate_metadata()), the data
of load(), and a page.md's front matter and HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ssg.errors import ModuleError
from ssg.modules import SiteModule, call_user
from ssg.render.metadata import merge_metadata
from ssg.routing.definitions import Params
from ssg.site import Site


async def module_metadata(
    site: Site,
    module: SiteModule | None,
    params: Params,
    metadata: dict[str, Any],
    **page: str | None,
) -> dict[str, Any]:
    """Merge a module's `metadata` and `generate_metadata()`; `page` holds a page's `template`.

    Raises:
        ModuleError: generate_metadata returned something other than a dict or None.
    """
    if module is None:
        return metadata
    metadata = merge_metadata(metadata, module.metadata, **page)
    generate = module.function("generate_metadata")
    if generate is not None:
        value = await call_user(generate, params)
        if value is not None and not isinstance(value, dict):
            raise ModuleError(
                f"generate_metadata returned {type(value).__name__}; "
                "return a dict such as {'title': ...}",
                source_file=site.relative(module.source_file),
            )
        metadata = merge_metadata(metadata, value or {}, **page)
    return metadata


async def module_load(site: Site, module: SiteModule | None, params: Params) -> dict[str, Any]:
    """What the module's `load(params)` returned ({} without a module, a load, or a value).

    Raises:
        ModuleError: load returned something other than a dict (names the module).
    """
    load = module.function("load") if module is not None else None
    if module is None or load is None:
        return {}
    value = await call_user(load, params)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ModuleError(
            f"load returned {type(value).__name__}; "
            "return a dict, whose keys become template variables",
            source_file=site.relative(module.source_file),
        )
    return value


def load_markdown_page(site: Site, page_file: Path) -> tuple[dict[str, Any], str]:
    """A page.md's front matter and its body as HTML (links under the site's base path).

    Without a front-matter `title`, the first h1 is the title (as a collection entry's,
    and MkDocs'). A relative link to another page.md (`[next](../install/page.md)`,
    or `install.md` / `index.md` for the page.md of folder `install/` or of this folder,
    the MkDocs way) points at that page's URL when its route has no dynamic segment;
    other links are left as written (the link check reports them).

    Raises:
        ContentError: the front matter is malformed.
    """
    from ssg.content import parse_front_matter, render_markdown
    from ssg.content.references import has_markdown_links

    text = page_file.read_text(encoding="utf-8")
    front = parse_front_matter(text, page_file)
    config = site.config
    rendered = render_markdown(
        front.body, base_path=config.base_path, trailing_slash=config.trailing_slash
    )
    metadata = dict(front.metadata)
    if not any(str(key).lower() == "title" for key in metadata):
        first_h1 = next((h.text for h in rendered.toc if h.level == 1), None)
        if first_h1:
            metadata["title"] = first_h1
    body = rendered.html
    if has_markdown_links(body):
        body = _point_page_links(site, page_file, body)
    return metadata, body


def _point_page_links(site: Site, page_file: Path, body: str) -> str:
    from ssg.base_path import with_base_path
    from ssg.content.references import markdown_path, point_markdown_links

    config = site.config
    urls = {
        route.page_file: route.route_pattern
        for route in site.routes
        if route.page_file is not None and not route.is_dynamic_pattern
    }

    def url_of(target: str) -> str | None:
        named = markdown_path(target, page_file.parent, config.app_dir)
        folder = named.parent if named.stem == "index" else named.with_suffix("")
        for candidate in (named, folder / "page.md"):
            url = urls.get(candidate)
            if url is not None:
                return with_base_path(url, config.base_path, trailing_slash=config.trailing_slash)
        return None

    return point_markdown_links(body, url_of)
