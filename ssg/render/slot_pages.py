"""A layout's @slots for one URL: the page (or default.html) that fills each, its data, its HTML.

As Next.js parallel routes: a slot without a page for the URL shows its default.html,
and without one the URL is a 404.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ssg.errors import NotFound
from ssg.render.boundaries import FailedSegment, failing_in
from ssg.render.segment_data import module_load, module_metadata
from ssg.render.templates import render_template
from ssg.routing.definitions import (
    LayoutDefinition,
    Params,
    RouteDefinition,
    RouteMatch,
    SlotDefinition,
)
from ssg.routing.matching import split_url_path
from ssg.routing.slots import match_slot_page
from ssg.site import Site

log = logging.getLogger("ssg.render")


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class PreparedSlot:
    """A @slot of one of the page's layouts, resolved for the URL (phase 1).

    Attributes:
        layout_index: which of the route's layouts holds the slot (root is 0).
        name: the slot name ("team" for @team).
        template_file: the slot's page.html for the URL, or its default.html.
        module_file: the slot page's page.py, or None.
        params: the page's params plus those of the slot page's own dynamic folders.
        layouts: the slot's own layouts wrapping its page, root first (none
            around default.html, as Next.js).
        failure: where a failure of the slot page is located (error boundaries).
        data: what the slot page's `load` returned.
        layout_data: what each slot layout's `load` returned, aligned with `layouts`.
    """

    layout_index: int
    name: str
    template_file: Path
    module_file: Path | None
    params: Params
    layouts: tuple[LayoutDefinition, ...]
    failure: FailedSegment
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    layout_data: tuple[dict[str, Any], ...] = ()


def match_slot(
    site: Site, route: RouteDefinition, index: int, slot: SlotDefinition, match: RouteMatch
) -> PreparedSlot:
    """The slot's page for the URL (with its module and layouts), else its default.html.

    Raises:
        NotFound: the slot has neither a page for the URL nor a default.html (as
            Next.js 14/15: the URL is a 404).
    """
    layout = route.layouts[index]
    parts = split_url_path(match.url_path) or ()
    # The layout's own segments match the URL's first parts (it wraps this URL).
    sub_parts = parts[sum(1 for s in layout.url_segments if s.in_url) :]
    above = route.dir_chain[: route.dir_chain.index(layout.segment_dir) + 1]
    found = match_slot_page(slot.pages, sub_parts)
    if found is None:
        if slot.default_file is None:
            log.info(
                "%s: @%s has no page for this URL and no default.html, so the URL is a 404; add %s",
                match.url_path,
                slot.name,
                site.relative(slot.slot_dir / "default.html"),
            )
            raise NotFound()
        failure = FailedSegment((*above, slot.slot_dir), False, route.layouts[: index + 1])
        return PreparedSlot(index, slot.name, slot.default_file, None, match.params, (), failure)
    page_file, slot_params = found
    folders = page_file.parent.relative_to(slot.slot_dir).parts
    chain = (
        slot.slot_dir,
        *(slot.slot_dir.joinpath(*folders[: n + 1]) for n in range(len(folders))),
    )
    layouts = tuple(
        LayoutDefinition(
            folder,
            folder / "layout.html",
            folder / "layout.py" if folder / "layout.py" in site.modules else None,
        )
        for folder in chain
        if (folder / "layout.html").is_file()
    )
    module_file = page_file.parent / "page.py"
    failure = FailedSegment((*above, *chain), False, (*route.layouts[: index + 1], *layouts))
    return PreparedSlot(
        index,
        slot.name,
        page_file,
        module_file if module_file in site.modules else None,
        {**match.params, **slot_params},
        layouts,
        failure,
    )


async def load_slot(
    site: Site, slot: PreparedSlot, metadata: dict[str, Any], page_template: str | None
) -> tuple[PreparedSlot, dict[str, Any]]:
    """Run a slot's layout.py modules, then its page.py: their data, and metadata merged."""
    layout_data: list[dict[str, Any]] = []
    for layout in slot.layouts:
        with failing_in(_slot_layout_failure(slot, layout)):
            module = site.module(layout.module_file)
            metadata = await module_metadata(site, module, slot.params, metadata)
            layout_data.append(await module_load(site, module, slot.params))
    data: dict[str, Any] = {}
    if slot.module_file is not None:
        with failing_in(slot.failure):
            module = site.module(slot.module_file)
            metadata = await module_metadata(
                site, module, slot.params, metadata, template=page_template
            )
            data = await module_load(site, module, slot.params)
    return dataclasses.replace(slot, data=data, layout_data=tuple(layout_data)), metadata


def _slot_layout_failure(slot: PreparedSlot, layout: LayoutDefinition) -> FailedSegment:
    chain = slot.failure.chain[: slot.failure.chain.index(layout.segment_dir) + 1]
    return dataclasses.replace(slot.failure, chain=chain, layout_failed=True)


def render_slot(site: Site, slot: PreparedSlot, layout_context: dict[str, Any]) -> Markup:
    """A slot's page in its own layouts (or its default.html), in the holding layout's context."""
    context = {**layout_context, **slot.data, "params": slot.params}
    with failing_in(slot.failure):
        html = render_template(site, None, context, slot.template_file)
    for layout, data in zip(reversed(slot.layouts), reversed(slot.layout_data), strict=True):
        with failing_in(_slot_layout_failure(slot, layout)):
            html = render_template(
                site,
                None,
                {**layout_context, **data, "params": slot.params, "children": Markup(html)},
                layout.template_file,
            )
    return Markup(html)
