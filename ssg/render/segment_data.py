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

    Raises:
        ContentError: the front matter is malformed.
    """
    from ssg.content import parse_front_matter, render_markdown

    text = page_file.read_text(encoding="utf-8")
    front = parse_front_matter(text, page_file)
    return dict(front.metadata), render_markdown(
        front.body, base_path=site.config.base_path, trailing_slash=site.config.trailing_slash
    ).html
