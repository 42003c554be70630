"""The site's own modules are imported from bytecode checked against their source's
hash, not its modification time.

Python validates a default (timestamp) .pyc by the source's size and its mtime in
whole seconds, so an edit that keeps the size within the second of the last import
(a script, `git checkout`, a test) keeps running the old code. A build would then
render old output and record the new source as read. PEP 552's checked hash-based .pyc
files hold a hash of the source instead, which CPython checks on every import; once a
.pyc is hash-based, CPython rewrites it hash-based (https://peps.python.org/pep-0552/).
"""

from __future__ import annotations

import contextlib
import importlib.util
import marshal
import os
import re
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from types import CodeType, ModuleType

_INSTALLED = re.compile(r"/(site|dist)-packages/")
"""Where installed packages live, also in a virtualenv inside the site folder."""

_CHECKED = (0b11).to_bytes(4, "little")
"""PEP 552 flags: hash-based, checked."""


class HashCheckedLoader(SourceFileLoader):
    """A source loader whose .pyc is valid only while it holds the source's hash."""

    def get_code(self, fullname: str) -> CodeType:
        """The module's code: from its .pyc when that holds this source's hash, else
        compiled from the source (and the .pyc written hash-based, unless
        `sys.dont_write_bytecode`).

        Raises:
            OSError: the source cannot be read.
            SyntaxError: the source does not compile.
        """
        source = self.get_data(self.path)
        digest = importlib.util.source_hash(source)
        cached = importlib.util.cache_from_source(self.path)
        try:
            with open(cached, "rb") as file:
                data = file.read()
        except OSError:
            data = b""
        header = importlib.util.MAGIC_NUMBER + _CHECKED + digest
        if data.startswith(header):
            try:
                code = marshal.loads(data[len(header) :])
            except (EOFError, ValueError, TypeError):
                code = None
            if isinstance(code, CodeType):
                return code
        code = self.source_to_code(source, self.path)
        if not sys.dont_write_bytecode:
            _write(cached, header + marshal.dumps(code))
        return code


def _write(path: str, data: bytes) -> None:
    """Write `path` atomically (another process may read it); a failure only loses the cache."""
    temp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temp, "wb") as file:
            file.write(data)
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)


class SiteFinder:
    """A `sys.meta_path` finder for the modules under one folder (the site's), found as
    the path finder finds them, loaded with `HashCheckedLoader`."""

    def __init__(self, folder: str) -> None:
        self.folder = os.path.join(os.path.abspath(folder), "")

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        """The spec of `fullname` when the path finder finds its source under the folder."""
        search = [self.folder] if path is None else [p for p in path if p.startswith(self.folder)]
        if not search:
            return None
        spec = PathFinder.find_spec(fullname, search)
        if spec is None or not isinstance(spec.loader, SourceFileLoader):
            return None
        origin = spec.origin or ""
        if _INSTALLED.search(origin):  # a virtualenv kept in the site folder: not the site's
            return None
        spec.loader = HashCheckedLoader(fullname, origin)
        return spec


def check_bytecode_by_hash(folder: str) -> None:
    """Import the modules under `folder` with hash-checked bytecode from now on (once per
    folder and process; put it before the path finder, on `sys.meta_path`)."""
    wanted = os.path.join(os.path.abspath(folder), "")
    if not any(isinstance(f, SiteFinder) and f.folder == wanted for f in sys.meta_path):
        sys.meta_path.insert(0, SiteFinder(folder))
