"""What a render read (templates, content entries and their fields, the page index), recorded
for incremental builds: a page whose reads did not change since the last build is reused.

A ground-floor module (it imports nothing from ssg), so content, templates and the data
layer can note reads without importing the builder. The model is lektor's
`BuildState`/`SourceInfo` and Bazel's action keys: each page lists the inputs it read,
and a rebuild asks whether any of them changed.

A read is a small tuple naming one input; its first item is a `ReadKind`:

| read                                                | the input                                        |
| --------------------------------------------------- | ------------------------------------------------ |
| (TEMPLATE, "blog/page.html")                        | a Jinja template by name (includes, extends too) |
| (ENTRIES, origin)                                   | a collection's members, in order, and their slugs |
| (SLUG, origin, "hello")                             | which entry `Collection.get("hello")` returns    |
| (FIELD, "/site/posts/a.md", "title")                | one field of one content entry                   |
| (METADATA, "/site/posts/a.md", "path")              | one front-matter key of one entry (a missing one too) |
| (ENTRY, "/site/posts/a.md")                         | all of one entry (the builder's summary of its FIELD and METADATA reads) |
| (PAGE_INDEX,)                                       | the build's indexable pages (sitemaps)           |
| (FILE, "/site/data/x.json")                         | a file's bytes (route files; any file a render opens) |
| (DIR, "/site/data")                                 | a folder's listing (os.listdir, os.scandir, glob) |
| (VOLATILE, why)                                     | something no record can prove unchanged          |

Files and folders a site's own code reads with `open()`, `Path.read_text()`,
`os.listdir()`, `sqlite3.connect()`..., and the files of code it runs (a module loaded
by path), are noted through a Python audit hook (PEP 578),
so a page that reads `data/team.json` is rendered again when that file changes; a page
that runs another program (`subprocess`, `os.system`) or opens a connection (an HTTP
client, a database server) is VOLATILE. Calls that raise no audit event (`os.stat`,
`Path.exists`) are not seen. What ssg reads
for itself inside a render (parsing a content folder) is not noted (`paused`).

Memoized calls (`ssg.cache`, `ssg.fetch`) collect the reads of their first run into a
frozen group, and every later hit of the memo adds that group to its reader.
"""

from __future__ import annotations

import contextvars
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from enum import StrEnum


class ReadKind(StrEnum):
    """What kind of input a read names: the first item of every `Read` (table above).

    A StrEnum, so a kind equals (and hashes as) its value: reads kept by an older build
    compare equal to new ones, and the values are what the records and dev logs show.
    """

    TEMPLATE = "template"
    ENTRIES = "entries"
    SLUG = "slug"
    FIELD = "field"
    METADATA = "metadata"
    ENTRY = "entry"
    PAGE_INDEX = "page_index"
    FILE = "file"
    DIR = "dir"
    VOLATILE = "volatile"


Read = tuple[object, ...]
"""One input a render read: a `ReadKind`, then what names the input (see the module
docstring)."""

COLLECTION_READS = frozenset({ReadKind.ENTRIES, ReadKind.SLUG})
"""Reads that name a collection (their second item is its `CollectionOrigin`)."""
ENTRY_PART_READS = frozenset({ReadKind.FIELD, ReadKind.METADATA})
"""Reads of one part of one content entry, named by its source file."""
# Module-level names for the kinds noted on hot paths (every field a template reads): on
# Python 3.11 an attribute of an Enum class costs a metaclass `__getattr__` hook per access.
_FILE, _DIR, _VOLATILE = ReadKind.FILE, ReadKind.DIR, ReadKind.VOLATILE


@dataclass(eq=False)  # identity equality: no generated __eq__
class Reads:
    """The reads of one render (or one memoized call while it runs).

    Attributes:
        own: reads noted directly.
        groups: the read groups of memoized calls it used (shared, frozen).
    """

    own: set[Read] = field(default_factory=set)
    groups: dict[int, frozenset[Read]] = field(default_factory=dict)

    def flat(self) -> frozenset[Read]:
        """Every read, own and from groups, as one frozen set."""
        if not self.groups:
            return frozenset(self.own)
        found = set(self.own)
        for group in self.groups.values():
            found.update(group)
        return frozenset(found)

    def add_group(self, group: frozenset[Read]) -> None:
        """Add a memoized call's reads (kept by identity: many pages share one group)."""
        if group:
            self.groups.setdefault(id(group), group)

    def merge(self, other: Reads) -> None:
        """Add everything `other` read."""
        self.own.update(other.own)
        self.groups.update(other.groups)


collector: contextvars.ContextVar[Reads | None] = contextvars.ContextVar("ssg_reads", default=None)


def note_read(read: Read) -> None:
    """Record `read` into the render or memoized call running in this context, if any."""
    reads = collector.get()
    if reads is not None:
        reads.own.add(read)


def note_reads(reads: Iterable[Read]) -> None:
    """Record several reads (see note_read)."""
    found = collector.get()
    if found is not None:
        found.own.update(reads)


def note_group(group: frozenset[Read]) -> None:
    """Record the reads of a memoized call (its first run's, replayed on every hit)."""
    found = collector.get()
    if found is not None:
        found.add_group(group)


def is_collecting() -> bool:
    """True when reads are being recorded in this context."""
    return collector.get() is not None


def collect_reads(reads: Reads | None = None) -> AbstractContextManager[Reads]:
    """Record the reads of the code inside the block into `reads` (a new Reads by default).

    Nested blocks record into their own Reads only; a memoized call passes its
    group up with `note_group`.
    """
    return _Collecting(reads if reads is not None else Reads())


class _Collecting(AbstractContextManager[Reads]):
    """`collect_reads` as a class: entered for every page a build renders, where a
    generator-based context manager costs a generator and its frames each time."""

    __slots__ = ("reads", "token")

    def __init__(self, reads: Reads) -> None:
        self.reads = reads
        self.token: contextvars.Token[Reads | None] | None = None

    def __enter__(self) -> Reads:
        self.token = collector.set(self.reads)
        return self.reads

    def __exit__(self, *exc_info: object) -> None:
        assert self.token is not None
        collector.reset(self.token)


@contextmanager
def paused() -> Iterator[None]:
    """Record nothing inside the block (ssg's own reads: parsing a content folder)."""
    token = collector.set(None)
    try:
        yield
    finally:
        collector.reset(token)


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _audit(event: str, args: tuple[object, ...]) -> None:
    """Note files and folders read while a render is recorded (a PEP 578 audit hook).

    The import system's own reads (a module's source and .pyc, the listings of sys.path
    folders) are not the page's: the site modules a page imports are its inputs as such
    (`ssg.builder.route_inputs`), and those reads change with every new file beside them.
    """
    if event == "open":
        reads = collector.get()
        if reads is None or _importing():
            return
        path, mode, flags = (*args, None, None)[:3]
        if not isinstance(path, str | bytes | os.PathLike):
            return  # a file descriptor: opened elsewhere
        written = isinstance(mode, str) and any(c in mode for c in "wax+")
        if written or (isinstance(flags, int) and flags & _WRITE_FLAGS):
            return
        reads.own.add((_FILE, os.path.abspath(os.fsdecode(path))))
    elif event == "sqlite3.connect":
        # A database beside the site: its bytes are the read (a row added changes them).
        reads = collector.get()
        database = args[0] if args else None
        if reads is not None and isinstance(database, str | bytes | os.PathLike):
            name = os.fsdecode(database)
            if name and name != ":memory:" and not name.startswith("file:"):
                path = os.path.abspath(name)
                # In WAL mode new rows live in the -wal file until a checkpoint moves them.
                reads.own.update(((_FILE, path), (_FILE, path + "-wal")))
            elif name.startswith("file:"):  # a URI: whatever it names, not proven
                reads.own.add((_VOLATILE, f"sqlite3.connect({name!r})"))
    elif event in _VOLATILE_READS:
        # Another program's output (`git log` for dates) or a connection (an HTTP client
        # such as requests or httpx, a database server): nothing a record can prove
        # unchanged, so the page is rendered every build. (ssg.fetch and the data cache
        # mark their readers volatile themselves.)
        reads = collector.get()
        if reads is not None and not _importing():
            reads.own.add((_VOLATILE, _VOLATILE_READS[event]))
    elif event == "exec":
        # Code run from a file outside Python, its packages and ssg: a module a site loads
        # by path (spec_from_file_location + exec_module, runpy), or imports.
        code_file = getattr(args[0] if args else None, "co_filename", None)
        if (
            isinstance(code_file, str)
            and code_file.endswith(".py")  # not a template's code (Jinja names it by its file)
            and os.path.isabs(code_file)
            and not code_file.startswith(_NOT_SITE)
        ):
            executed_files.add(code_file)
            reads = collector.get()
            if reads is not None:
                reads.own.add((_FILE, code_file))
    elif event in ("os.listdir", "os.scandir"):
        reads = collector.get()
        if reads is None or _importing():
            return
        path = args[0] if args else "."
        if path is None:
            path = "."
        if isinstance(path, str | bytes | os.PathLike):
            reads.own.add((_DIR, os.path.abspath(os.fsdecode(path))))


executed_files: set[str] = set()
"""Every file outside Python's folders and ssg whose code this process ran (absolute paths):
the modules a build imported, however it loaded them (`ssg.builder.libraries` keeps their
stamps). Process-wide, as the audit hook that fills it is (PEP 578 hooks cannot be
removed): a second build in one process also lists the first one's files, which can only
add stamps to check."""

_NOT_SITE = tuple(
    os.path.join(os.path.abspath(folder), "")
    for folder in {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        os.path.dirname(os.__file__),
        os.path.dirname(os.path.abspath(__file__)),  # ssg itself
    }
)
"""Folders whose code is not the site's: the interpreter's (its standard library and
installed packages) and ssg's."""

_PROGRAM = "another program's output"
_VOLATILE_READS = {
    "subprocess.Popen": _PROGRAM,
    "os.system": _PROGRAM,
    "os.posix_spawn": _PROGRAM,  # what subprocess itself raises too, on some Pythons
    "os.spawn": _PROGRAM,
    "os.exec": _PROGRAM,
    "socket.connect": "a network connection",
}
"""Audit events (Python's audit events table) whose result no file stamp speaks for, and
what the build summary calls them."""


def _importing() -> bool:
    """Whether the audited call comes from the import system (importlib's frozen bootstrap:
    FileLoader.get_data, FileFinder._fill_cache)."""
    # 0: this function, 1: _audit, 2: the Python code whose call raised the event.
    try:
        return sys._getframe(2).f_code.co_filename.startswith("<frozen importlib")
    except ValueError:  # raised with no Python caller
        return False


# Audit hooks stay for the life of the process (PEP 578 has no removal); this one
# costs a string comparison per audited event outside recorded renders.
sys.addaudithook(_audit)
