"""The server's worker threads: the default executor of its event loop, which knows what runs
in each thread, so a shutdown can name the functions it leaves running."""

from __future__ import annotations

import contextvars
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any


class SiteThreads(ThreadPoolExecutor):
    """A ThreadPoolExecutor (as asyncio's default one) that keeps the functions running now.

    The server runs blocking work through `asyncio.to_thread`: its own file I/O,
    and a site's sync functions (a `load()` without `async`, see ssg.modules).
    Python cannot stop a thread, and the interpreter waits for every one of them
    at exit: `running` tells a shutdown which ones would hold it up.
    """

    def __init__(self) -> None:
        super().__init__(thread_name_prefix="ssg-thread")
        self._lock = threading.Lock()
        self._running: dict[int, Callable[..., Any]] = {}

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run `fn(*args, **kwargs)` in a thread, as ThreadPoolExecutor.submit, noting it."""

        def noted() -> Any:
            key = threading.get_ident()
            with self._lock:
                self._running[key] = fn
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self._running.pop(key, None)

        return super().submit(noted)

    def running(self, site_dir: Path | None = None) -> list[str]:
        """The functions running in the threads now, named for a person: "load() of
        app/slow/page.py" (the file relative to `site_dir` when it is inside).
        """
        with self._lock:
            functions = list(self._running.values())
        return sorted(describe_function(fn, site_dir) for fn in functions)


def describe_function(fn: Callable[..., Any], site_dir: Path | None = None) -> str:
    """`fn` named as "load() of app/slow/page.py", through the wrappers `asyncio.to_thread`
    puts around it (functools.partial of a context's run)."""
    while isinstance(fn, functools.partial):
        inner = fn.args[0] if fn.args else None
        runs_in_context = isinstance(getattr(fn.func, "__self__", None), contextvars.Context)
        fn = inner if runs_in_context and callable(inner) else fn.func
    name = getattr(fn, "__qualname__", None) or repr(fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return f"{name}()"
    source = code.co_filename
    if site_dir is not None:
        relative = os.path.relpath(source, site_dir)
        if not relative.startswith(".."):
            source = relative
    return f"{name}() of {source}"
