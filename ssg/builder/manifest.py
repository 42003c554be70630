"""The build manifest, out/_ssg/manifest.json: what the server needs to know about the build.

Schema (version 1)::

    {
      "version": 1,
      "build_id": "b7c1e0...",                 # changes every build; ISR entries of
                                               # older builds are ignored by the server
      "generated_at": 1763772000.5,            # epoch seconds (UTC) the build ended
      "generated_at_iso": "2026-11-22T01:40:00Z",
      "config": {"trailing_slash": false, "output": "server",
                 "expire_seconds": 31536000, "base_url": "https://example.org",
                 "base_path": "/docs"},           # only with a base path: the prefix
                                                  # the pages' links carry
      "routes": [                              # every route, in resolution order
        {"route_pattern": "/blog/[slug]", "kind": "page" | "handler",
         "render": "static" | "ssg" | "isr" | "dynamic",
         "revalidate": 60 | false | 0,         # segment revalidate (false = never stale)
         "dynamic": "auto", "dynamic_params": true,
         "source_file": "app/blog/[slug]/page.html",
         "layout_patterns": ["/", "/blog"],    # implicit tags for revalidate_path(..., "layout")
         "methods": ["GET", "HEAD", "OPTIONS"],   # handlers only
         "dynamic_reason": "cookies()"}        # why the build made it dynamic, if it did
      ],
      "pages": {                               # prerendered URL paths
        "/blog/hello": {"route_pattern": "/blog/[slug]", "output_file": "blog/hello.html",
                        "status": 200, "content_type": "text/html; charset=utf-8",
                        "revalidate": 60 | false,   # effective: segments and data used
                        "tags": ["posts"],            # tags of the data it used
                        "implicit_tags": ["/blog/hello", "/layout", "/blog/layout",
                                          "/blog/[slug]/layout", "/blog/[slug]/page"],
                        "generated_at": 1763772000.1,
                        "etag": "\"9f86d081884c7d65\"", "size_bytes": 5120,
                        "data_keys": ["v1:fetch:..."]}  # data-cache keys it read, if any
      },
      "redirects": {"/old": {"location": "/new", "status": 308}},
      "indexed_pages": ["/", "/blog/hello"],   # pages a sitemap lists: no handlers,
                                               # redirects, 404s or robots "noindex"
      "not_found_file": "404.html"
    }
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssg.builder.build_result import PlannedPage, RouteResult
from ssg.isr.tags import implicit_tags
from ssg.route_handlers.invoke import allowed_methods
from ssg.routing.definitions import RouteDefinition, RouteKind
from ssg.site import Site

if TYPE_CHECKING:
    from ssg.builder.finish import FinishedPage

MANIFEST_VERSION = 1
MANIFEST_FILE = "_ssg/manifest.json"


def revalidate_json(seconds: float | None) -> float | int | bool:
    """Revalidate seconds as JSON: None (never stale) -> false; whole numbers as ints."""
    if seconds is None:
        return False
    return int(seconds) if float(seconds).is_integer() else seconds


def revalidate_from_json(value: Any) -> float | None:
    """The inverse of revalidate_json: false -> None, a number -> seconds."""
    if value is False or value is None:
        return None
    return float(value)


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write the manifest atomically (temp file + rename) and return its path."""
    target = out_dir / MANIFEST_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.write_text(dump_manifest(manifest), encoding="utf-8")
    os.replace(temp, target)
    return target


def dump_manifest(manifest: dict[str, Any]) -> str:
    """The manifest as JSON text with one route, page or redirect per line.

    Readable and diffable line by line, and written by json's C encoder: with
    `indent` json falls back to its pure-Python encoder, which took ~0.1 s for a
    2,500-page manifest.
    """
    lines = []
    for key, value in manifest.items():
        if isinstance(value, dict) and key in ("pages", "redirects") and value:
            items = ",\n".join(f"  {_json(k)}: {_json(v)}" for k, v in value.items())
            text = "{\n" + items + "\n }"
        elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            # Records one per line; a list of URL paths (indexed_pages) stays on one.
            text = "[\n" + ",\n".join(f"  {_json(item)}" for item in value) + "\n ]"
        else:
            text = _json(value)
        lines.append(f" {_json(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))
_json = _ENCODER.encode


def load_manifest(out_dir: Path) -> dict[str, Any] | None:
    """Read out/_ssg/manifest.json; None when missing, unreadable or of another version."""
    try:
        manifest = json.loads((out_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("version") != MANIFEST_VERSION:
        return None
    return manifest


def build_manifest(
    site: Site,
    results: Iterable[RouteResult],
    rendered: Iterable[tuple[PlannedPage, FinishedPage]],
    now: float,
    *,
    indexed: Iterable[str] = (),
) -> dict[str, Any]:
    """The manifest of a finished build (schema above).

    Args:
        site: the site.
        results: one settled RouteResult per route, in resolution order.
        rendered: every page written, with the plan it came from.
        now: the build's end time (epoch seconds), every page's `generated_at`.
        indexed: the URL paths of the written pages a sitemap lists.
    """
    config = site.config
    results = list(results)
    layouts = {r.route.route_pattern: layout_patterns(site, r.route) for r in results}
    pages: dict[str, Any] = {}
    redirects: dict[str, Any] = {}
    for item, page in sorted(rendered, key=lambda pair: pair[1].url_path):
        pattern = item.route.route_pattern
        if page.location is not None:
            redirects[page.url_path] = {"location": page.location, "status": page.status}
        pages[page.url_path] = {
            "route_pattern": pattern,
            "output_file": page.output_file,
            "status": page.status,
            "content_type": page.content_type,
            "revalidate": revalidate_json(page.revalidate_seconds),
            "tags": list(page.tags),
            "implicit_tags": sorted(implicit_tags(pattern, page.url_path, layouts[pattern])),
            "generated_at": now,
            "etag": page.etag,
            "size_bytes": page.size_bytes,
        }
        if page.data_keys:
            pages[page.url_path]["data_keys"] = list(page.data_keys)
    return {
        "version": MANIFEST_VERSION,
        "build_id": uuid.uuid4().hex,
        "generated_at": now,
        "generated_at_iso": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "config": {
            "trailing_slash": config.trailing_slash,
            "output": config.output,
            "expire_seconds": config.expire_seconds,
            "base_url": config.base_url,
            # Only under a prefix: a build without one keeps the manifest it always had.
            **({"base_path": config.base_path} if config.base_path else {}),
        },
        "routes": [route_entry(site, r) for r in results],
        "pages": pages,
        "redirects": redirects,
        "indexed_pages": sorted(indexed),
        "not_found_file": "404.html",
    }


def layout_patterns(site: Site, route: RouteDefinition) -> list[str]:
    """The URL patterns of a route's layouts, root first ("/", "/blog")."""
    return [site.layout_url_pattern(layout) for layout in route.layouts]


def route_entry(site: Site, result: RouteResult) -> dict[str, Any]:
    """One route's entry of the manifest's "routes" list (schema above)."""
    route = result.route
    settings = site.settings(route)
    entry: dict[str, Any] = {
        "route_pattern": route.route_pattern,
        "kind": route.kind.value,
        "render": result.render,
        "revalidate": revalidate_json(settings.revalidate_seconds),
        "dynamic": settings.dynamic,
        "dynamic_params": settings.dynamic_params,
        "source_file": site.relative(route.page_file or route.module_file or route.segment_dir),
        "layout_patterns": layout_patterns(site, route),
    }
    if route.kind is RouteKind.HANDLER:
        module = site.module(route.module_file)
        entry["methods"] = allowed_methods(module) if module else []
    if result.dynamic_reason:
        entry["dynamic_reason"] = result.dynamic_reason
    return entry
