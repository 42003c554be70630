"""Metadata merging, root to leaf, with Next.js-style title templates."""

from __future__ import annotations

from typing import Any


def merge_metadata(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Merge a segment's metadata over its parent's (as Next.js metadata: shallow, leaf wins).

    A parent title may be a template, as Next.js `title.template`:

    | parent title                                   | child title | merged title       |
    | ---------------------------------------------- | ----------- | ------------------ |
    | "Blog"                                         | (none)      | "Blog"             |
    | {"default": "Blog", "template": "%s · Blog"}   | (none)      | "Blog"             |
    | {"default": "Blog", "template": "%s · Blog"}   | "Hello"     | "Hello · Blog"     |
    | {"template": "%s · Blog"}                      | {"absolute": "Home"} | "Home"    |

    The template stays in effect for deeper segments ("_title_template").

    Args:
        parent: the merged metadata so far.
        child: this segment's metadata dict.

    Returns:
        A new dict; the inputs are not changed.
    """
    merged = dict(parent)
    template = parent.get("_title_template")
    for key, value in child.items():
        if key == "title":
            continue
        merged[key] = value
    if "title" in child:
        title = child["title"]
        if isinstance(title, dict):
            if "absolute" in title:
                merged["title"] = str(title["absolute"])
            elif "default" in title:
                merged["title"] = _apply(template, str(title["default"]))
            if "template" in title:
                merged["_title_template"] = str(title["template"])
        else:
            merged["title"] = _apply(template, str(title))
    return merged


def _apply(template: str | None, title: str) -> str:
    return template.replace("%s", title) if template else title
