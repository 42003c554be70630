"""Metadata merging, root to leaf, with Next.js-style title templates."""

from __future__ import annotations

from typing import Any

# The key under which merged metadata carries the title template in effect for
# the segments below (the theme reads it to know a template already named the site).
TEMPLATE_KEY = "_title_template"
_UNSET: Any = object()


def merge_metadata(
    parent: dict[str, Any], child: dict[str, Any], *, template: str | None = _UNSET
) -> dict[str, Any]:
    """Merge a segment's metadata over its parent's (as Next.js metadata: shallow, leaf wins).

    A title may be a string or a dict with `default`, `template` and
    `absolute`, resolved as Next.js `resolveTitle` (generate-metadata docs,
    test/e2e/app-dir/metadata):

    | template in effect | child title                                  | merged title  |
    | ------------------ | -------------------------------------------- | ------------- |
    | (none)             | "Blog"                                       | "Blog"        |
    | "%s · Blog"        | (none)                                       | (parent's)    |
    | "%s · Blog"        | "Hello"                                      | "Hello · Blog"|
    | "%s · Blog"        | {"absolute": "Home"}                         | "Home"        |
    | (none)             | {"default": "Blog", "template": "%s · Blog"} | "Blog"        |

    The template passed on to the segments below (key `_title_template`) is
    the child's own `template`; a plain string title in a layout stops any
    template above it (as Next.js). A layout's template does not apply to the
    page in the layout's own folder: the renderer passes `template` (the one
    in effect above that layout) when merging a page.

    Args:
        parent: the merged metadata so far.
        child: this segment's metadata dict.
        template: for a page (the last merge): the title template to apply
            instead of the parent's (None: no template). The result then keeps
            it under `_title_template`, telling the theme a template named the
            site already.

    Returns:
        A new dict; the inputs are not changed.
    """
    merged = dict(parent)
    is_page = template is not _UNSET
    if not is_page:
        template = parent.get(TEMPLATE_KEY)
    for key, value in child.items():
        if key != "title":
            merged[key] = value
    if "title" not in child:
        return merged
    title = child["title"]
    if isinstance(title, dict):
        if title.get("absolute"):
            merged["title"] = str(title["absolute"])
        elif "default" in title:
            merged["title"] = _apply(template, str(title["default"]))
        merged[TEMPLATE_KEY] = str(title["template"]) if title.get("template") else None
    else:
        merged["title"] = _apply(template, str(title))
        merged[TEMPLATE_KEY] = template if is_page else None
    return merged


def _apply(template: str | None, title: str) -> str:
    return template.replace("%s", title) if template else title
