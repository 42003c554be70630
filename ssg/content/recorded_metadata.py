"""The front matter as a recorded render sees it: each key read is noted alone (see ssg.reads)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ssg.reads import ReadKind, collector

# Noted per key read (see ssg.reads on Enum attributes).
_METADATA, _FIELD = ReadKind.METADATA, ReadKind.FIELD


class RecordedMetadata(dict[str, Any]):
    """An entry's front matter as a recorded render sees it: each key read is noted alone.

    | use                                        | read noted                              |
    | ------------------------------------------ | --------------------------------------- |
    | `meta["path"]`, `meta.get("path")`, `"path" in meta` | (METADATA, source_file, "path")   |
    | iteration, `len`, `keys()`, `items()`, `==`, `dict(meta)`, `json.dumps(meta)` | (FIELD, source_file, "metadata"): all of it |

    So a page that reads only `path` is not rendered again when the title changes.
    A dict holding the same items (code that needs a dict gets one); writes go to
    the entry's own front matter too, as they would without recording.
    """

    __slots__ = ("_raw", "_source_file")

    def __init__(self, raw: dict[str, Any], source_file: str) -> None:
        super().__init__(raw)
        self._raw = raw
        self._source_file = source_file

    def _note(self, key: object) -> None:
        reads = collector.get()
        if reads is not None:
            reads.own.add((_METADATA, self._source_file, key))

    def _note_all(self) -> None:
        reads = collector.get()
        if reads is not None:
            reads.own.add((_FIELD, self._source_file, "metadata"))

    def __getitem__(self, key: str) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._note(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        self._note_all()
        return super().__iter__()

    def __reversed__(self) -> Iterator[str]:
        self._note_all()
        return super().__reversed__()

    def __len__(self) -> int:
        self._note_all()
        return super().__len__()

    def keys(self) -> Any:
        self._note_all()
        return super().keys()

    def values(self) -> Any:
        self._note_all()
        return super().values()

    def items(self) -> Any:
        self._note_all()
        return super().items()

    def copy(self) -> dict[str, Any]:
        self._note_all()
        return dict(super().items())

    def __eq__(self, other: object) -> bool:
        self._note_all()
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        self._note_all()
        return super().__ne__(other)

    def __repr__(self) -> str:
        self._note_all()
        return super().__repr__()

    def __or__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        self._note_all()
        return dict(super().items()) | other

    def __ror__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        self._note_all()
        return other | dict(super().items())

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (a memoized result, a worker's answer) as the plain dict it stands for.
        self._note_all()
        return (dict, (dict(super().items()),))

    def __copy__(self) -> dict[str, Any]:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        import copy

        self._note_all()
        return copy.deepcopy(dict(super().items()), memo)

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._raw[key] = value

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        del self._raw[key]

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._note(key)
        self._raw.setdefault(key, default)
        return super().setdefault(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self._note(key)
        self._raw.pop(key, None)
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        self._note_all()
        key, value = super().popitem()
        self._raw.pop(key, None)
        return key, value

    def update(self, *args: Any, **kwargs: Any) -> None:
        changes = dict(*args, **kwargs)  # an iterator argument is read once
        super().update(changes)
        self._raw.update(changes)

    def __ior__(self, other: Any) -> RecordedMetadata:  # type: ignore[override]
        self.update(other)
        return self

    def clear(self) -> None:
        super().clear()
        self._raw.clear()
