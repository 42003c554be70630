"""Reading content files into entries: front matter, date, Markdown body, slug, and the
problems a file has (`load_entry`, `load_entries`; the content pool runs them)."""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from markupsafe import Markup

from ssg.content.body_checks import before_more, empty_headings, missing_files, shortcodes
from ssg.content.dates import parse_date, parse_date_detailed
from ssg.content.entry import Entry
from ssg.content.frontmatter import parse_front_matter_tolerant
from ssg.content.markdown import render_markdown
from ssg.content.problems import ContentProblem
from ssg.content.references import (
    scan_bundle,
)

WORDS_PER_MINUTE = 200
SUMMARY_MAX_CHARS = 280
_BUNDLE_INDEXES = frozenset({"index.md", "index.markdown", "_index.md"})


@dataclass(frozen=True)
class LoadedFile:
    """What reading one file produced (plain data: crosses process boundaries).

    Attributes:
        source_file: the file read.
        entry: the entry, or None when the file is not a post (no title, no
            redirect and an empty body, e.g. Zola's `latest.md` template stub).
        problems: warnings about the file, in line order.
        digest: `file_digest` of the bytes parsed; "" when the file could not be read.
        file_checks: each relative file the body refers to, and whether it
            existed when the file was parsed (its "missing file" problem depends on it).
        stamp: (mtime_ns, ctime_ns, size in bytes, inode) of the file when its bytes
            were last found to have `digest`, or None; the content cache trusts it
            instead of reading the file again.
    """

    source_file: Path
    entry: Entry | None
    problems: tuple[ContentProblem, ...] = ()
    digest: str = ""
    file_checks: tuple[tuple[str, bool], ...] = ()
    stamp: tuple[int, int, int, int] | None = None


TRUSTED_STAMP_AGE_NS = 2_000_000_000
"""A file's stamp is kept (and trusted instead of its bytes) only once both its times are
this much older than the check: longer than a coarse file system's clock tick (FAT's 2 s),
so a second write within one tick cannot keep the stamp of the first."""


def trusted_stamp(found: os.stat_result) -> tuple[int, int, int, int] | None:
    """(mtime_ns, ctime_ns, size in bytes, inode) of a file, or None while it is too recent to trust."""
    if max(found.st_mtime_ns, found.st_ctime_ns) >= time.time_ns() - TRUSTED_STAMP_AGE_NS:
        return None
    return (found.st_mtime_ns, found.st_ctime_ns, found.st_size, found.st_ino)


def file_digest(data: bytes) -> str:
    """A content file's identity: the hex BLAKE2b (16 bytes) of its bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


FilterRef = tuple[str, str, str]
"""A body filter by reference: (module name, qualified name, folder to put on sys.path).

Workers import it by name, which works for every multiprocessing start method."""


def resolve_filter(ref: FilterRef) -> Callable[[str], str]:
    """Import a body filter from its reference.

    Raises:
        ImportError / AttributeError: the module or function is gone.
    """
    module_name, qualname, folder = ref
    if folder and folder not in sys.path:
        sys.path.insert(0, folder)
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    return cast(Callable[[str], str], found)


def load_entry(
    source_file: Path, content_dir: Path, body_filter: Callable[[str], str] | None = None
) -> LoadedFile:
    """Read one Markdown file into an `Entry`, collecting problems instead of raising.

    Args:
        source_file: the Markdown file (UTF-8).
        content_dir: the collection's folder; `index.md` directly in it is
            slugged "index", deeper ones take their folder's name.
        body_filter: rewrites the Markdown body before it is rendered (e.g. to
            translate another generator's shortcodes), or None.

    Returns:
        A `LoadedFile`. Broken front matter still yields an entry (empty
        metadata, the body after the fence) plus a problem naming the line.

    Raises:
        OSError: the file cannot be read.
    """
    found, data = _read_with_stat(source_file)
    digest = file_digest(data)
    problems: list[ContentProblem] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        bad_line = data.count(b"\n", 0, exc.start) + 1
        problems.append(
            ContentProblem(source_file, bad_line, "is not valid UTF-8; re-save the file as UTF-8")
        )
    front, front_problem = parse_front_matter_tolerant(text, source_file)
    if front_problem is not None:
        problems.append(front_problem)
    meta = {key.lower(): value for key, value in front.metadata.items()}
    if "title" not in meta and "redirect" not in meta and not front.body.strip():
        return LoadedFile(source_file, None, tuple(problems), digest)

    date = None
    if "date" in meta:
        parsed = parse_date_detailed(meta["date"])
        date = parsed.value
        if parsed.problem is not None:
            date_line = front.key_lines.get("date")
            problems.append(ContentProblem(source_file, date_line, parsed.problem))
    elif isinstance(meta.get("path"), str):
        date = parse_date(meta["path"])  # Zola: no date field, only the path

    body = body_filter(front.body) if body_filter is not None else front.body
    rendered = render_markdown(body)
    missing, file_checks = missing_files(
        rendered.html, source_file, content_dir, front.body, front.body_line
    )
    problems += missing
    problems += empty_headings(source_file, front.body, front.body_line)
    is_bundle = is_bundle_index(source_file, content_dir)
    slug = _slug(meta, source_file, content_dir)
    first_h1 = next((h.text for h in rendered.toc if h.level == 1), None)
    summary = _text(meta.get("summary")) or _text(meta.get("description"))
    if not summary and rendered.has_more:
        summary = before_more(rendered.html)
    if "{{" in front.body:  # maybe Hugo shortcodes (the body is shorter than its HTML)
        problems += shortcodes(source_file, rendered.html, front.body, front.body_line)
    taxonomies = meta.get("taxonomies")
    zola_tags = taxonomies.get("tags") if isinstance(taxonomies, Mapping) else None
    entry = Entry(
        slug=slug,
        title=_text(meta.get("title")) or first_h1 or slug,
        date=date,
        html=Markup(rendered.html),
        toc=rendered.toc,
        metadata=front.metadata,
        source_file=source_file,
        summary=summary or _truncate(rendered.first_paragraph, SUMMARY_MAX_CHARS),
        tags=_strings(meta.get("tags", zola_tags)),
        authors=_strings(meta.get("authors", meta.get("by")))
        or _strings(meta.get("author"), split=False),
        word_count=rendered.word_count,
        reading_time_minutes=max(1, round(rendered.word_count / WORDS_PER_MINUTE)),
        redirect=_text(meta.get("redirect")) or None,
        aliases=_strings(meta.get("aliases")),
        draft=_is_draft(meta),
        bundle_files=scan_bundle(source_file.parent) if is_bundle else (),
        path=entry_path(source_file, content_dir),
    )
    return LoadedFile(
        source_file, entry, tuple(problems), digest, file_checks, trusted_stamp(found)
    )


def _read_with_stat(source_file: Path) -> tuple[os.stat_result, bytes]:
    """A file's status, taken before its bytes are read (a write after it changes the
    stamp), and its bytes: one open, fstat and read, without a buffered file object.

    Raises:
        OSError: the file cannot be opened or read.
    """
    fd = os.open(source_file, os.O_RDONLY | os.O_CLOEXEC)
    try:
        found = os.fstat(fd)
        data = os.read(fd, found.st_size + 1)
        if len(data) != found.st_size:  # grown since the fstat, or a short read: to the end
            parts = [data]
            while part := os.read(fd, 1 << 16):
                parts.append(part)
            data = b"".join(parts)
    finally:
        os.close(fd)
    return found, data


def is_bundle_index(source_file: Path, content_dir: Path) -> bool:
    """True for a page bundle's post (`hello/index.md` below `content_dir`): its folder's files publish with it."""
    return source_file.name in _BUNDLE_INDEXES and source_file.parent != content_dir


def entry_path(source_file: Path, content_dir: Path) -> str:
    """`Entry.path`: "guide/install" for content/guide/install.md, "guide" for
    content/guide/index.md, "" for content/index.md (a file outside `content_dir`: its stem)."""
    # String operations, not pathlib's: every post of every collection gets one.
    name, folder = str(source_file), str(content_dir) + os.sep
    if not name.startswith(folder):
        return source_file.stem
    relative = os.path.splitext(name[len(folder) :])[0]
    if source_file.name in _BUNDLE_INDEXES:
        relative = os.path.dirname(relative)
    return relative.replace(os.sep, "/")


def load_entries(
    source_files: Sequence[str], content_dir: str, body_filter: FilterRef | None = None
) -> list[LoadedFile]:
    """Load several files; the unit of work a pool worker runs.

    Module-level and string-typed so it pickles for any multiprocessing start method.

    Args:
        source_files: paths of the Markdown files.
        content_dir: the collection's folder.
        body_filter: a reference to the body filter, or None.

    Returns:
        One `LoadedFile` per file, in the given order. A file that cannot be
        read (deleted meanwhile) gives no entry and a problem.
    """
    results = []
    rewrite = resolve_filter(body_filter) if body_filter is not None else None
    for name in source_files:
        source_file = Path(name)
        try:
            results.append(load_entry(source_file, Path(content_dir), rewrite))
        except OSError as exc:
            problem = ContentProblem(source_file, None, f"could not be read: {exc.strerror}")
            results.append(LoadedFile(source_file, None, (problem,)))
    return results


def _slug(meta: Mapping[str, Any], source_file: Path, content_dir: Path) -> str:
    explicit = meta.get("slug")
    if isinstance(explicit, str) and explicit.strip():
        return explicit.strip()
    zola_path = meta.get("path")
    if isinstance(zola_path, str):
        last = zola_path.strip("/").rsplit("/", 1)[-1]
        if last:
            return last
    if source_file.name in _BUNDLE_INDEXES:
        # A page bundle (`Rust-1.12/index.md`) is named by its folder.
        return source_file.parent.name if source_file.parent != content_dir else "index"
    return source_file.stem


def _is_draft(meta: Mapping[str, Any]) -> bool:
    """`draft: true` (also "true"/"yes" from Pelican-style headers) or `status: draft`."""
    draft = meta.get("draft")
    if isinstance(draft, str):
        draft = draft.strip().lower() in ("true", "yes", "1")
    status = meta.get("status")
    return draft is True or (isinstance(status, str) and status.strip().lower() == "draft")


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else "" if value is None else str(value)


def _strings(value: object, *, split: bool = True) -> tuple[str, ...]:
    """A list, or a comma-separated string when `split` ("rust, go"), as stripped strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        parts = value.split(",") if split else [value]
        return tuple(part.strip() for part in parts if part.strip())
    if isinstance(value, list | tuple):
        return tuple(str(item).strip() for item in value if str(item).strip())
    return (str(value),)


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.-–—")
    return f"{cut}…"
