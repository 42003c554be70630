"""What identifies a collection a render read (`CollectionSpec`, `CollectionOrigin`), and the
list of them kept in the cache folder for the next server or `ssg dev` start to preload."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssg.content.parsing import FilterRef
from ssg.errors import ContentError

logger = logging.getLogger("ssg.content")
SPECS_FILE = "content-collections.json"
"""In the cache folder: the collections the last build read, preloaded by the server."""


@dataclass(frozen=True)
class CollectionSpec:
    """What identifies a collection a build read: folder (absolute), patterns, exclude, filter."""

    content_dir: str
    patterns: tuple[str, ...]
    exclude: tuple[str, ...]
    body_filter: FilterRef | None

    def to_json(self) -> dict[str, object]:
        """The spec as JSON-ready data (see `from_json`)."""
        return {
            "content_dir": self.content_dir,
            "patterns": list(self.patterns),
            "exclude": list(self.exclude),
            "body_filter": list(self.body_filter) if self.body_filter else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CollectionSpec:
        """The spec `to_json` wrote.

        Raises:
            KeyError / TypeError / IndexError: `data` is not such a spec.
        """
        ref = data.get("body_filter")
        return cls(
            str(data["content_dir"]),
            tuple(data["patterns"]),
            tuple(data["exclude"]),
            (str(ref[0]), str(ref[1]), str(ref[2])) if ref else None,
        )


@dataclass(frozen=True)
class CollectionOrigin:
    """What a collection a render read came from: its spec and whether drafts were kept.

    `Collection.origin` holds it; an incremental build loads the collection again
    from it to see whether the entries a page read changed.
    """

    spec: CollectionSpec
    drafts: bool


def filter_ref(body_filter: Callable[[str], str]) -> FilterRef:
    """A body filter as (module, qualname, folder), after checking workers can import it.

    Raises:
        ContentError: the function is a lambda or nested, or lives in a module
            that cannot be imported by name (page.py, __main__).
    """
    module_name = getattr(body_filter, "__module__", "") or ""
    qualname = getattr(body_filter, "__qualname__", "") or ""
    module = sys.modules.get(module_name)
    file = getattr(module, "__file__", None)
    if "<" in qualname or module_name in ("", "__main__") or module_name.startswith("ssg_site_"):
        raise ContentError(
            f"body_filter {qualname or body_filter!r} must be a module-level function in a "
            "module imported by name (e.g. the site's blog.py), so worker processes can "
            "import it; a lambda, a nested function or a function in page.py cannot be",
            source_file=Path(file) if file else Path(module_name or "?"),
        )
    return (module_name, qualname, str(Path(file).parent) if file else "")


def write_collection_specs(
    cache_dir: Path, specs: Iterable[CollectionSpec], *, keep_listed: bool = False
) -> None:
    """Save the collections read (SITE/.ssg/content-collections.json) for the next start to preload.

    A build lists what it read; `ssg dev` adds what its pages read to what is
    listed (`keep_listed`), so a page it has not rendered yet does not drop a
    collection from the list.

    Raises:
        OSError: the file cannot be written.
    """
    listed = read_collection_specs(cache_dir) if keep_listed else []
    merged = list(dict.fromkeys([*listed, *specs]))
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / SPECS_FILE
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps([spec.to_json() for spec in merged]), encoding="utf-8")
    os.replace(temp, target)


def read_collection_specs(cache_dir: Path) -> list[CollectionSpec]:
    """The collections `write_collection_specs` listed; none when the file is missing or
    unreadable (a corrupt one is logged: nothing is preloaded, and the next build writes
    it again)."""
    file = cache_dir / SPECS_FILE
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
        return [CollectionSpec.from_json(item) for item in raw]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        logger.warning(
            "%s is unreadable (%s): no content is preloaded; the next build writes it again.",
            file,
            exc,
        )
        return []
