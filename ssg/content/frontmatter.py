"""Front matter: YAML between `---`, TOML between `+++`, or Pelican `Key: value` headers."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ssg.content.problems import ContentProblem

if TYPE_CHECKING:
    import yaml

FrontMatterFormat = Literal["yaml", "toml", "pelican", "none"]

# Opening fence -> (format, the closing line it needs).
_FENCES: dict[str, tuple[FrontMatterFormat, re.Pattern[str]]] = {
    "---": ("yaml", re.compile(r"^---[ \t]*\r?$\n?", re.MULTILINE)),
    "+++": ("toml", re.compile(r"^\+\+\+[ \t]*\r?$\n?", re.MULTILINE)),
}
_OPENING = re.compile(r"(---|\+\+\+)[ \t]*\r?\n")
# A top-level key at the start of a line: `date:` (YAML), `path =` (TOML).
_TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*[:=]", re.MULTILINE)
# Pelican (Python-Markdown `meta`): `Title: Hello`; indented lines continue the value.
_PELICAN_KEY = re.compile(r"([A-Za-z][\w-]*):[ \t]*(.*)")
_PELICAN_LISTS = frozenset({"tags", "authors"})
_TOML_LINE = re.compile(r"at line (\d+)")


@cache
def _yaml_loader() -> type[yaml.SafeLoader]:
    """The safe YAML loader, made on first use (PyYAML is imported by the first YAML front matter).

    It keeps an impossible timestamp (2024-02-30) as its string: PyYAML raises
    ValueError for those, losing all metadata; as a string the date reader
    reports it like any other unreadable date.
    """
    import yaml

    # libyaml's C loader is much faster; PyYAML wheels ship it, source builds may not.
    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def lenient_timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> object:
        try:
            return loader.construct_yaml_timestamp(node)  # type: ignore[arg-type]
        except ValueError:
            return loader.construct_scalar(node)  # type: ignore[arg-type]

    loader: type[yaml.SafeLoader] = type("_Loader", (base,), {})
    loader.add_constructor("tag:yaml.org,2002:timestamp", lenient_timestamp)
    return loader


@dataclass(frozen=True)
class FrontMatter:
    """A content file split into metadata and body.

    Attributes:
        metadata: the decoded front matter (keys lower-cased for Pelican
            headers, as written for YAML and TOML); empty when there is none.
        body: the Markdown after the front matter.
        body_line: the 1-based line of the file where `body` starts.
        format: "yaml", "toml", "pelican" or "none".
        key_lines: 1-based file line of each top-level key, by lower-cased
            key, for messages that point at a field (e.g. {"date": 3}).
    """

    metadata: dict[str, Any]
    body: str
    body_line: int = 1
    format: FrontMatterFormat = "none"
    key_lines: dict[str, int] = field(default_factory=dict)


def parse_front_matter(text: str, source_file: Path) -> FrontMatter:
    """Split `text` into front matter and body and decode the front matter.

    Args:
        text: the whole file.
        source_file: the file's path, for error messages only.

    Returns:
        The `FrontMatter`; a file without front matter gives empty metadata.

    Raises:
        ContentError: the YAML or TOML is malformed, is not a mapping, or its
            opening fence is never closed; `.line` is the file line where known.

    Examples:
        | text                                 | metadata                            | body_line |
        | ------------------------------------ | ----------------------------------- | --------- |
        | "---\\ntitle: Hi\\n---\\nBody"       | {"title": "Hi"}                     | 4         |
        | "+++\\ntitle = 'Hi'\\n+++\\nBody"    | {"title": "Hi"}                     | 4         |
        | "Title: Hi\\nTags: a, b\\n\\nBody"   | {"title": "Hi", "tags": ["a", "b"]} | 4         |
        | "# Just Markdown"                    | {}                                  | 1         |
    """
    front_matter, problem = parse_front_matter_tolerant(text, source_file)
    if problem is not None:
        raise problem.to_error()
    return front_matter


def parse_front_matter_tolerant(
    text: str, source_file: Path
) -> tuple[FrontMatter, ContentProblem | None]:
    """Parse like `parse_front_matter`, but return the problem instead of raising it.

    Lets a build keep a post whose front matter is broken: the metadata is
    then empty and the body is what follows the closing fence (the whole
    file when there is none).

    Returns:
        (front_matter, problem): `problem` is None when the front matter was fine.
    """
    text = text.removeprefix("\ufeff")
    opening = _OPENING.match(text)
    if opening is None:
        return _parse_pelican(text), None
    fence = opening.group(1)
    fmt, closing = _FENCES[fence]
    end = closing.search(text, opening.end())
    if end is None:
        message = (
            f"front matter opens with {fence!r} on line 1 but no line closes it; "
            f"add a line holding only {fence!r} after the metadata"
        )
        return FrontMatter({}, text), ContentProblem(source_file, 1, message)
    raw = text[opening.end() : end.start()]
    body = text[end.end() :]
    body_line = text.count("\n", 0, end.end()) + 1
    decoded = _decode_yaml(raw, source_file) if fmt == "yaml" else _decode_toml(raw, source_file)
    if isinstance(decoded, ContentProblem):
        return FrontMatter({}, body, body_line, fmt), decoded
    key_lines: dict[str, int] = {}
    for key in _TOP_LEVEL_KEY.finditer(raw):  # first wins: a TOML table may reuse a key
        key_lines.setdefault(key.group(1).lower(), 2 + raw.count("\n", 0, key.start()))
    return FrontMatter(decoded, body, body_line, fmt, key_lines), None


def _decode_yaml(raw: str, source_file: Path) -> dict[str, Any] | ContentProblem:
    import yaml

    try:
        data = yaml.load(raw, Loader=_yaml_loader())  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + mark.line if mark is not None else None  # the YAML starts on file line 2
        problem = getattr(exc, "problem", None) or str(exc)
        message = (
            f"malformed YAML front matter: {problem}. Quote values that contain ': ' or "
            'start with a special character, e.g. title: "Go: the language"'
        )
        return ContentProblem(source_file, line, message)
    return _as_mapping(data, "YAML", source_file)


def _decode_toml(raw: str, source_file: Path) -> dict[str, Any] | ContentProblem:
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        at = _TOML_LINE.search(str(exc))
        line = 1 + int(at.group(1)) if at else None  # the TOML starts on file line 2
        message = (
            f"malformed TOML front matter: {exc}. Strings need quotes and lists "
            'brackets, e.g. title = "Hello" and authors = ["Ann"]'
        )
        return ContentProblem(source_file, line, message)
    return _as_mapping(data, "TOML", source_file)


def _as_mapping(data: object, kind: str, source_file: Path) -> dict[str, Any] | ContentProblem:
    if data is None:
        return {}
    if isinstance(data, dict):
        return {str(key): value for key, value in data.items()}
    message = (
        f"{kind} front matter must be key/value pairs, got a {type(data).__name__}; "
        "write one `key: value` per line"
    )
    return ContentProblem(source_file, 2, message)


def _parse_pelican(text: str) -> FrontMatter:
    """Read Pelican headers: `Key: value` lines from line 1, ended by a blank line."""
    metadata: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    key = ""
    position = 0
    line_number = 0
    while position < len(text):
        newline = text.find("\n", position)
        stop = len(text) if newline < 0 else newline + 1
        line = text[position:stop].rstrip("\r\n")
        line_number += 1
        if not line.strip():
            if not metadata:
                break
            return _pelican_result(metadata, key_lines, text[stop:], line_number + 1)
        header = _PELICAN_KEY.fullmatch(line)
        if header is not None and not header.group(2).startswith("//"):  # not `https://...`
            key = header.group(1).lower()
            metadata[key] = header.group(2).strip()
            key_lines[key] = line_number
        elif key and line[:1] in (" ", "\t"):
            metadata[key] = f"{metadata[key]} {line.strip()}".strip()
        else:
            break  # prose, not a header block: the file has no front matter
        position = stop
    else:
        if metadata:  # headers only, no body
            return _pelican_result(metadata, key_lines, "", line_number + 1)
    return FrontMatter({}, text)


def _pelican_result(
    metadata: dict[str, Any], key_lines: dict[str, int], body: str, body_line: int
) -> FrontMatter:
    for key in _PELICAN_LISTS & metadata.keys():
        # Pelican splits these on commas: `Tags: rust, programming`.
        metadata[key] = [item.strip() for item in metadata[key].split(",") if item.strip()]
    return FrontMatter(metadata, body, body_line, "pelican", key_lines)
