"""Load many content files on every core: a process pool, with the caller helping."""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pickle
import re
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from queue import SimpleQueue

from ssg.content.early import current_early_parse
from ssg.content.parsing import FilterRef, LoadedFile, load_entries
from ssg.syscalls import die_with_parent, sigint_blocked

PARALLEL_MIN_FILES = 64
"""Below this many files a pool's start-up costs more than it saves."""

SMALLEST_CHUNK = 8
"""The smallest chunk weighs about this many average files: at most what the other
parsers wait for once the queue is empty."""

FENCE_SAMPLE_FILES = 256
"""At most this many files, spread over the list, are read for the fence languages whose
lexers are made before the workers fork (a language only the others use gets its lexer
in each worker that meets it)."""

PARSER_MODULES = ("ssg.content.parsing", "ssg.content.highlight", "cmarkgfm", "yaml")
"""What a parse imports (ssg.content imports them on first use): imported once before
the workers fork, so each worker does not import them again."""

# Two patterns with a literal start (re finds those fast), not one alternation.
_BACKTICK_FENCE = re.compile(rb"```+[ \t]*([^\s`~,{]+)")
_TILDE_FENCE = re.compile(rb"~~~+[ \t]*([^\s`~,{]+)")

Chunk = list[int]
"""Indexes into the list of files: the unit handed to a worker or done in-process."""

PickledChunk = tuple[Chunk, bytes]
"""A chunk a pool worker loaded: its indexes and the pickled list of its `LoadedFile`s, in order."""


def import_parsers() -> None:
    """Import what parsing a content file needs (`PARSER_MODULES`), if not imported yet.

    A process that found all its content in the cache has not imported them;
    `ssg dev` calls this while idle so the first edit of a post is not slowed
    by the import.
    """
    for module in PARSER_MODULES:
        importlib.import_module(module)


def fence_languages(source_files: Sequence[str]) -> set[str]:
    """The languages named by fenced code blocks in these files, read as bytes (a quick look).

    | line in a file    | language |
    | ----------------- | -------- |
    | ```rust           | rust     |
    | ```` rust,ignore  | rust     |
    | ~~~python         | python   |
    | ```               | (none)   |

    An inline ```` ```x``` ```` span counts too, and an unreadable file is
    skipped: this only decides which lexers to make ahead of the parse.
    """
    found: set[bytes] = set()
    for name in source_files:
        try:
            with open(name, "rb") as file:
                data = file.read()
        except OSError:
            continue
        found.update(_BACKTICK_FENCE.findall(data))
        if b"~~~" in data:
            found.update(_TILDE_FENCE.findall(data))
    return {language.decode("utf-8", "replace") for language in found}


def default_workers() -> int:
    """Return the number of CPUs this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def load_files(
    source_files: Sequence[Path],
    content_dir: Path,
    *,
    sizes: Sequence[int] | None = None,
    workers: int | None = None,
    start_method: str | None = None,
    body_filter: FilterRef | None = None,
    help_in_caller: bool = True,
) -> list[LoadedFile]:
    """Load content files, in worker processes too when there are many.

    Pygments and the Python around cmark hold the GIL, so threads would not
    help; processes do (start method: see `_context`). The files are cut
    into chunks by size, big ones first and small ones where the queue runs
    out (`graded_chunks`), and queued: the pool takes chunks from the front
    (one feeder thread keeps each worker busy), and this process takes them
    from the back from the first moment, so no time is lost while the
    workers start (a cold fork server must import ssg first). The first call
    in a cold `ssg build` takes the files `ssg.content.early` parsed ahead
    when they are these (the site's content/ folder, no body filter).

    Args:
        source_files: the files to load.
        content_dir: the collection folder (for `index.md` slugs).
        sizes: each file's size in bytes, for balancing; None to treat them alike.
        workers: pool processes; None = the CPUs available; 1 = no pool.
        start_method: "fork", "forkserver" or "spawn"; None picks (see `_context`).
        body_filter: a reference to a function rewriting each body, or None.
        help_in_caller: this thread parses chunks too, to the end (a build);
            False leaves them to the pool once its first chunk is back, so a
            server's event loop thread does not compete with this one for the
            GIL while the pool runs. Until then (while a cold fork server
            boots) no worker parses anything, and what waits for the parse
            (a first request) waits for it either way.

    Returns:
        One `LoadedFile` per file, in the order of `source_files`.

    Raises:
        OSError: a worker process could not be started.
        Exception: whatever a worker raised (a bug: content problems are data).
    """
    workers = default_workers() if workers is None else workers
    names = [str(path) for path in source_files]
    early = current_early_parse()
    if early is not None and content_dir == early.content_dir:
        # `ssg build` began parsing the site's content/ before the build got here: these
        # files, unfiltered, are taken from it; anything else of that folder ends it.
        if body_filter is not None:
            early.close()
        elif (taken := early.take(names, content_dir, sizes)) is not None:
            return taken
    if workers <= 1 or len(names) < PARALLEL_MIN_FILES:
        return load_entries(names, str(content_dir), body_filter)

    weights = list(sizes) if sizes is not None else [1] * len(names)
    parsers = workers + 1 if help_in_caller else workers
    queue = deque(graded_chunks(len(names), weights, parsers, two_ended=help_in_caller))
    results: list[LoadedFile | None] = [None] * len(names)
    context = _context(start_method)
    if context.get_start_method() == "fork":
        import_parsers()
        from ssg.content.highlight import preload_lexers

        # Forked workers inherit these instead of each making its own. A sample of the
        # files finds the usual languages without reading every file before the fork.
        step = -(-len(names) // FENCE_SAMPLE_FILES)  # rounded up: at most the sample's size
        preload_lexers(fence_languages(names[::step]))
    # Workers die with this process: a build killed with SIGKILL cannot stop them,
    # and a forked worker never sees EOF on the queue whose write end it inherited.
    # (A fork server's workers hold its "alive" pipe open, so it outlives this
    # process as long as they do: they watch this process themselves.)
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        feeder = _Feeder(pool, queue, names, str(content_dir), workers, body_filter)
        if context.get_start_method() == "fork":
            with sigint_blocked():  # the workers leave Ctrl-C to this process
                feeder.submit_more()  # fork every worker now, while this is the only thread
        thread = threading.Thread(target=feeder.run, name="ssg-content-feeder", daemon=True)
        thread.start()
        try:
            while feeder.error is None and (help_in_caller or not feeder.first_back.is_set()):
                try:
                    chunk = queue.pop()  # deque.pop/popleft are atomic: no lock needed
                except IndexError:
                    break
                _store(
                    results,
                    chunk,
                    load_entries([names[i] for i in chunk], str(content_dir), body_filter),
                )
            # Nothing left to parse here: unpickle each chunk the pool sends back while
            # the others are still being parsed, not all of them once the last is back.
            for chunk, data in iter(feeder.arrived.get, None):
                _store(results, chunk, pickle.loads(data))
        except BaseException:
            queue.clear()  # on an error here, the feeder stops submitting
            raise
        finally:
            thread.join()
    if feeder.error is not None:
        raise feeder.error
    done = [item for item in results if item is not None]
    assert len(done) == len(names), "every chunk is loaded by a worker or by this process"
    return done


class _Feeder:
    """Keeps each pool worker supplied with chunks from the front of the queue."""

    def __init__(
        self,
        pool: ProcessPoolExecutor,
        queue: deque[Chunk],
        names: list[str],
        content_dir: str,
        workers: int,
        body_filter: FilterRef | None = None,
    ) -> None:
        self.pool = pool
        self.queue = queue
        self.names = names
        self.content_dir = content_dir
        self.body_filter = body_filter
        # One chunk per worker: a chunk waiting in the pool's queue is one this process
        # cannot take, which matters while a cold fork server boots.
        self.limit = workers
        self.in_flight: dict[Future[bytes], Chunk] = {}
        self.arrived: SimpleQueue[PickledChunk | None] = SimpleQueue()
        """Each chunk the pool returned, as it returns; None once the last is back or on an error."""
        self.error: BaseException | None = None
        self.first_back = threading.Event()
        """Set once the pool has returned a chunk (its workers are up and parsing)."""

    def submit_more(self) -> None:
        """Submit chunks from the front of the queue until the pool has enough."""
        while len(self.in_flight) < self.limit:
            try:
                chunk = self.queue.popleft()
            except IndexError:
                return
            paths = [self.names[i] for i in chunk]
            self.in_flight[
                self.pool.submit(load_pickled, paths, self.content_dir, self.body_filter)
            ] = chunk

    def run(self) -> None:
        """Feed the pool until the queue is empty and every submitted chunk is back.

        The processes the pool starts from here (a fork server, its workers) leave
        Ctrl-C to this process (`sigint_blocked`).
        """
        with sigint_blocked():
            self._feed()

    def _feed(self) -> None:
        try:
            while True:
                self.submit_more()
                if not self.in_flight:
                    return
                finished, _ = wait(self.in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    self.arrived.put((self.in_flight.pop(future), future.result()))
                    self.first_back.set()
        except BaseException as exc:  # handed to the caller's thread, which re-raises it
            self.error = exc
        finally:
            self.arrived.put(None)


def load_pickled(
    source_files: Sequence[str], content_dir: str, body_filter: FilterRef | None = None
) -> bytes:
    """`load_entries`, pickled: the unit of work a pool worker runs.

    Pickled here, once: the build process unpickles the entries and the content
    cache keeps these very bytes (the pool would pickle a list of entries anyway).

    Returns:
        The pickled list of `LoadedFile`s, in the order of `source_files`.
    """
    loaded = load_entries(source_files, content_dir, body_filter)
    return pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL)


def _store(results: list[LoadedFile | None], chunk: Chunk, loaded: list[LoadedFile]) -> None:
    for index, item in zip(chunk, loaded, strict=True):
        results[index] = item


def _context(start_method: str | None) -> multiprocessing.context.BaseContext:
    """Pick the start method: "fork" while this process has one thread, else "forkserver".

    "fork" starts a worker at once with everything imported, and, unlike the
    others, does not re-import the caller's `__main__`. With other threads
    alive (an asyncio default executor, aiohttp's resolver, a server) forking
    can copy a lock some thread holds and deadlock the child, so then the fork
    server is used: a clean process started once, with the content modules
    preloaded, that forks the workers. Like "spawn", it imports the caller's
    `__main__` script, which must keep its work under `if __name__ == "__main__":`.
    Platforms without either fall back to "spawn".
    """
    available = multiprocessing.get_all_start_methods()
    if start_method is None:
        if threading.active_count() == 1 and "fork" in available:
            start_method = "fork"
        else:
            start_method = "forkserver" if "forkserver" in available else "spawn"
    context = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        # Takes effect only when this starts the fork server (it then lives as long as
        # the process and is reused by every later pool).
        context.set_forkserver_preload(list(PARSER_MODULES))
    return context


def graded_chunks(
    count: int, weights: Sequence[int], parsers: int, *, two_ended: bool = True
) -> list[Chunk]:
    """Cut indexes 0..count-1 into chunks that shrink toward where the queue runs out.

    Each chunk takes a `1 / (2 * parsers)` share of the weight still to cut
    (guided self-scheduling), down to `SMALLEST_CHUNK` average files' weight,
    heaviest files first: big chunks first cost few hand-offs, small ones last
    leave little to wait for when the queue is empty. Two-ended (the pool
    takes from the front, the caller from the back), every `parsers`-th chunk
    goes to the back, so both ends shrink toward the middle as they are taken;
    otherwise they are in taking order, biggest first.

    | parsers | shares of the weight, in taking order          |
    | ------- | ----------------------------------------------- |
    | 2       | 1/4, 3/16, 9/64, ... (then 8 files' worth each) |
    | 3       | 1/6, 5/36, 25/216, ... (then 8 files' worth)    |

    Args:
        count: how many files.
        weights: each file's weight (its size in bytes).
        parsers: processes taking chunks (the pool's workers, and the caller if it helps).
        two_ended: the caller takes chunks from the back of the queue while the pool
            takes them from the front.

    Returns:
        Non-empty chunks covering every index once, in queue order (front first).
    """
    order = sorted(range(count), key=lambda i: -weights[i])
    remaining = sum(weights[i] + 1 for i in order)
    smallest = remaining / max(count, 1) * SMALLEST_CHUNK
    sized: list[Chunk] = []
    chunk: Chunk = []
    filled = 0
    target = max(remaining / (2 * parsers), smallest)
    for index in order:
        chunk.append(index)
        filled += weights[index] + 1
        if filled >= target:
            sized.append(chunk)
            remaining -= filled
            chunk, filled = [], 0
            target = max(remaining / (2 * parsers), smallest)
    if chunk:
        sized.append(chunk)
    if not two_ended or parsers < 2:
        return sized
    front: list[Chunk] = []
    back: list[Chunk] = []
    for number, taken in enumerate(sized):
        (back if number % parsers == parsers - 1 else front).append(taken)
    return front + back[::-1]
