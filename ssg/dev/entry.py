"""The function a dev worker process starts with: light to import for the supervisor that names it."""

from __future__ import annotations

from typing import Any


def run_worker(*args: Any) -> None:
    """Import the worker (aiohttp, the renderer...) in the new process only, then run it.

    The supervisor only passes this function to multiprocessing, so it never
    imports the server stack itself (its start-up is part of `ssg dev`'s).

    Args:
        args: those of `ssg.dev.worker.worker_main`.
    """
    from ssg.dev.worker import worker_main

    worker_main(*args)
