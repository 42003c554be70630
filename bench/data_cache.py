"""Benchmark the disk data cache's `revalidate_tag` with many entries under other tags.

Fills a `DataStore` in a temp dir with `--entries` entries (`--tagged` of them
under the tag "target", the others spread over 1,000 other tags, some with two
tags), then times `revalidate_tag("target")` (wall and CPU), a `get` of a
dropped and of a kept entry, and the expiry sweep the server's scheduler runs.
Prints the load average with the figures: this machine is shared.

    python bench/data_cache.py                    # 100,000 entries, 10 tagged
    python bench/data_cache.py --entries 20000 --tagged 500
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from ssg.data.store import DataStore
from ssg.revalidate import Revalidate


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(function):  # type: ignore[no-untyped-def]
    """Run `function()`; return (its result, wall ms, CPU ms)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--tagged", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ssg-bench-data-") as root:
        store = DataStore(Path(root) / "data", clock=time.time)
        try:
            started = time.perf_counter()
            revalidate = Revalidate.after(3600)
            for number in range(args.entries):
                if number < args.tagged:
                    tags = ["target", f"other-{number % 1000}"]
                elif number % 3 == 0:
                    tags = [f"other-{number % 1000}", "everything"]
                else:
                    tags = [f"other-{number % 1000}"]
                store.set(f"bench-{number}", {"n": number}, revalidate=revalidate, tags=tags)
            filled = time.perf_counter() - started
            print(
                f"{args.entries:,} entries stored in {filled:.1f} s "
                f"({args.entries / filled:,.0f}/s); load average {load_average()}"
            )
            dropped, wall, cpu = timed(lambda: store.revalidate_tag("target"))
            print(
                f"revalidate_tag dropped {dropped} of {args.entries:,} entries: "
                f"{wall:.1f} ms wall, {cpu:.1f} ms CPU"
            )
            _, wall, cpu = timed(lambda: store.revalidate_tag("unused"))
            print(f"revalidate_tag of an unused tag: {wall:.1f} ms wall, {cpu:.1f} ms CPU")
            gone, wall_gone, _ = timed(lambda: store.get("bench-0"))
            kept, wall_kept, _ = timed(lambda: store.get(f"bench-{args.entries - 1}"))
            assert gone is None and kept is not None, "revalidate_tag dropped the wrong entries"
            print(f"get: dropped entry {wall_gone:.2f} ms, kept entry {wall_kept:.2f} ms")
            removed, wall, cpu = timed(store.expire)
            print(
                f"expiry sweep (scheduler): removed {removed}, {wall:.0f} ms wall, "
                f"{cpu:.0f} ms CPU; load average {load_average()}"
            )
        finally:
            store.close()


if __name__ == "__main__":
    main()
