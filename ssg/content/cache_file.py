"""The content cache's files: the parses pickled without their entries' bodies, then the
bodies' UTF-8 bytes one after another (each entry's `html` a `DeferredValue` decoded on
first read), written with a temp file and `os.replace` (see `ssg.content.cache`)."""

from __future__ import annotations

import gc
import io
import os
import pickle
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ssg.content.entry import DeferredValue
from ssg.content.parsing import LoadedFile


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block (unpickling a cache file whole).

    Unpickling creates tens of thousands of objects that live on and hold no garbage
    cycles: every young collection it triggers walks them all again to free nothing.
    The collector runs as before after the block (it stays off if it was off).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _StoredBody:
    """An entry's html as UTF-8 bytes in a cache file read (`DeferredValue.load`)."""

    __slots__ = ("bodies", "end", "start")

    def __init__(self, bodies: memoryview, start: int, end: int) -> None:
        self.bodies, self.start, self.end = bodies, start, end

    def __call__(self) -> Markup:
        return Markup(str(self.bodies[self.start : self.end], "utf-8", "surrogatepass"))


class BodiesUnpickler(pickle.Unpickler):
    """Reads the parses of a cache file, each entry's html left in the bodies' bytes."""

    def __init__(self, stream: io.BytesIO, bodies: memoryview) -> None:
        super().__init__(stream)
        self._bodies = bodies

    def persistent_load(self, pid: Any) -> DeferredValue:
        start, end = pid
        return DeferredValue(_StoredBody(self._bodies, start, end))


class _Pickler(pickle.Pickler):
    """Pickles parses with each entry's html replaced by where its bytes are in `bodies`."""

    def __init__(self, stream: io.BytesIO, kept: dict[str, LoadedFile]) -> None:
        super().__init__(stream, protocol=pickle.HIGHEST_PROTOCOL)
        self.bodies = bytearray()
        self._where: dict[int, tuple[int, int]] = {}
        for item in kept.values():
            if item.entry is None:
                continue
            html = object.__getattribute__(item.entry, "html")  # a DeferredValue stays unread
            if id(html) in self._where:
                continue
            start = len(self.bodies)
            stored = html.load if isinstance(html, DeferredValue) else None
            if isinstance(stored, _StoredBody):
                self.bodies += stored.bodies[stored.start : stored.end]
            else:
                self.bodies += str(_html_value(html)).encode("utf-8", "surrogatepass")
            self._where[id(html)] = (start, len(self.bodies))

    def persistent_id(self, obj: Any) -> tuple[int, int] | None:
        return self._where.get(id(obj))


def _html_value(html: Any) -> Any:
    return html.load() if isinstance(html, DeferredValue) else html


def write_whole(
    target: Path, identity: tuple[str, ...], token: str, kept: dict[str, LoadedFile]
) -> None:
    """Write the whole cache into `target` (temp file + `os.replace`): a pickle of (identity,
    token, names, the parses pickled without their bodies), then the bodies' bytes.

    Raises:
        OSError: the folder cannot be written.
    """
    parses = io.BytesIO()
    pickler = _Pickler(parses, kept)
    pickler.dump(list(kept.values()))
    temp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(temp, "wb") as stream:
            pickle.dump(
                (identity, token, tuple(kept), parses.getvalue(), len(pickler.bodies)),
                stream,
                protocol=pickle.HIGHEST_PROTOCOL,
            )
            stream.write(pickler.bodies)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)  # a full disk leaves no half-written temp file behind
        raise


def write_pickle(target: Path, value: object) -> None:
    """Pickle `value` into `target` (temp file + `os.replace`).

    Raises:
        OSError: the folder cannot be written.
    """
    temp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    # Pickled straight into the file, frame by frame: `dumps` would first grow one
    # bytes object of the whole cache (megabytes), copying it as it grows.
    try:
        with open(temp, "wb") as stream:
            pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)  # a full disk leaves no half-written temp file behind
        raise
