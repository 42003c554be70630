"""Where a cold `ssg build` spends its time: phases per process, wall and CPU seconds.

    python bench/timeline.py SITE            # rm -rf SITE/out SITE/.ssg, then one build
    python bench/timeline.py SITE --runs 3   # medians of 3 cold builds

Runs the build in a child process that wraps the build's phase functions and prints a
line when each starts and ends (wall seconds since the interpreter started, the process's
CPU seconds); content-pool chunks, the render worker and the children writing what the
next build reads report from their own processes ("[child process]").
The parent is a child subreaper, so the CPU of the whole process tree (orphans included:
a fork server, the old-build remover) is counted. Prints per phase the wall and CPU
seconds of the build process, the other processes' CPU, and the load average.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36

# The phases, in order: (label, defining module, function or Class.method), wrapped in the
# build process (and wherever another ssg module imported the function by name).
PHASES = (
    ("config", "ssg.config", "load_config"),
    ("short cut check", "ssg.builder.unchanged", "unchanged_build"),
    ("scan + import site", "ssg.site", "Site.load"),
    ("data services", "ssg.render.services", "make_services"),
    ("previous build", "ssg.builder.incremental", "PreviousBuild.__init__"),
    ("close data services", "ssg.scope", "DataServices.aclose"),
    ("plan (params, content)", "ssg.builder.planner", "plan_pages"),
    ("  content parse", "ssg.content.pool", "load_files"),
    ("prepare pages (data)", "ssg.builder.prepare", "prepare_all"),
    ("render + write pages", "ssg.builder.parallel", "finish_pages"),
    ("public/, 404, manifest", "ssg.builder.site_files", "write_site_files"),
    ("link check", "ssg.builder.link_check", "check_links"),
    ("switch out/", "ssg.builder.writer", "OutputWriter.commit"),
    ("records for next build", "ssg.builder.records_writer", "RecordsWriter.save"),
    ("links for next build", "ssg.builder.links", "write_known_links"),
    ("content read, for the server", "ssg.content.memo", "write_collection_specs"),
    ("input stamps for next build", "ssg.builder.next_build", "keep_snapshot"),
    ("summary", "ssg.builder.report", "print_report"),
    ("  content cache write", "ssg.content.cache", "ContentCache._write"),
)

CHILD = r"""
import functools, inspect, os, sys, time
T0 = float(os.environ["SSG_TIMELINE_T0"])
def ev(name):
    os.write(2, f"@@ {os.getpid()} {time.time() - T0:.4f} {time.process_time():.4f} {name}\n".encode())
ev("interpreter up")
import importlib
import ssg.cli, ssg.commands.build
for module in ("ssg.builder.pipeline", "ssg.builder.rendering", "ssg.content.memo"):
    try:  # what a build that does not take the short cut imports
        importlib.import_module(module)
    except ImportError:  # an older layout
        pass
ev("imports done")
def wrap(owner, attr, label):
    fn = getattr(owner, attr)
    if inspect.iscoroutinefunction(fn):
        async def w(*a, **k):
            ev("< " + label)
            try:
                return await fn(*a, **k)
            finally:
                ev("> " + label)
    else:
        def w(*a, **k):
            ev("< " + label)
            try:
                return fn(*a, **k)
            finally:
                ev("> " + label)
    setattr(owner, attr, functools.wraps(fn)(w))
def patch(module, attr, label, everywhere=True):
    owner = importlib.import_module(module)
    *path, name = attr.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = vars(owner)[name]
    wrap(owner, name, label)
    for loaded in list(sys.modules.values()) if everywhere else ():  # `from x import f` names
        names = getattr(loaded, "__dict__", {})
        if getattr(loaded, "__name__", "").startswith("ssg.") and names.get(name) is original:
            setattr(loaded, name, getattr(owner, name))
for label, module, attr in PHASES:
    try:
        patch(module, attr, label)
    except (ImportError, AttributeError, KeyError):
        ev("! not traced: " + label)
for args in (  # where an older ssg kept these (bench an old commit with PYTHONPATH)
    ("ssg.content.entry", "load_entries", "chunk"),
    ("ssg.builder.pipeline", "_write", "public/, 404, manifest"),
    ("ssg.builder.pipeline", "_check_links", "link check"),
    ("ssg.builder.pipeline", "_keep_snapshot", "input stamps for next build"),
    ("ssg.builder.incremental", "RecordsWriter.save", "records for next build"),
    ("ssg.builder.builder", "_plan", "plan (params, content)"),
    ("ssg.builder.builder", "_write", "public/, 404, manifest"),
    ("ssg.builder.builder", "_check_links", "link check"),
):
    try:
        patch(*args)
    except (ImportError, AttributeError, KeyError):
        pass
patch("ssg.builder.worker", "finish_in_process", "render worker share", everywhere=False)
sys.argv = ["ssg", "build", sys.argv[1]]
try:
    ssg.cli.main()
finally:
    ev("main done")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    runs = [run_once(args.site.resolve()) for _ in range(args.runs)]
    report(runs)


def run_once(site: Path) -> dict[str, float]:
    for name in ("out", ".ssg"):
        shutil.rmtree(site / name, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    started = time.time()
    env = {**os.environ, "SSG_TIMELINE_T0": repr(started)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as bench/compare.py: .pyc files are kept
    code = f"PHASES = {PHASES!r}\n{CHILD}"
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(site)],
        cwd=site,  # not this folder: `-c` puts the current folder first on sys.path
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    _out, err = child.communicate()
    wall = time.time() - started
    while True:  # orphans handed to this subreaper (a fork server, the old-build remover)
        try:
            os.wait()
        except ChildProcessError:
            break
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode != 0:
        sys.exit(f"build failed:\n{err[-3000:]}")
    figures = phases(err, child.pid)
    for unit in ("wall", "CPU"):
        inside = sum(
            value
            for key, value in figures.items()
            if key.endswith(f" ({unit})")
            and " at (" not in key
            and not key.startswith((" ", "render worker"))
            and "[child process]" not in key
        )
        figures[f"outside every phase ({unit})"] = (
            figures[f"main done at ({unit})"] - figures[f"imports done at ({unit})"] - inside
        )
    figures["exit, after main (wall)"] = wall - figures["main done at (wall)"]
    figures["total wall"] = wall
    figures["total CPU (all processes)"] = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    figures["load average"] = load
    return figures


def phases(log: str, main_pid: int) -> dict[str, float]:
    """Wall and CPU seconds per phase of the build process; the other processes' CPU."""
    figures: dict[str, float] = defaultdict(float)
    opened: dict[tuple[int, str], tuple[float, float]] = {}
    for line in log.splitlines():
        if not line.startswith("@@ "):
            continue
        _at, pid_text, wall_text, cpu_text, event = line.split(" ", 4)
        pid, wall, cpu = int(pid_text), float(wall_text), float(cpu_text)
        if event in ("interpreter up", "imports done", "main done"):
            figures[f"{event} at (wall)"] = wall
            figures[f"{event} at (CPU)"] = cpu
            continue
        mark, label = event[0], event[2:]
        if mark == "!":  # a phase this version of ssg does not have
            continue
        if mark == "<":
            opened[(pid, label)] = (wall, cpu)
            continue
        start_wall, start_cpu = opened.pop((pid, label), (wall, cpu))
        if label == "chunk":
            where = "build process" if pid == main_pid else "pool workers"
            figures[f"  content parse: CPU in the {where}"] += cpu - start_cpu
        elif pid != main_pid:  # the render worker, or a child writing for the next build
            where = "" if label == "render worker share" else " [child process]"
            figures[f"{label}{where} (wall)"] += wall - start_wall
            figures[f"{label}{where} (CPU)"] += cpu - start_cpu
        else:
            figures[f"{label} (wall)"] += wall - start_wall
            figures[f"{label} (CPU)"] += cpu - start_cpu
    return figures


def report(runs: list[dict[str, float]]) -> None:
    keys: list[str] = []
    for run in runs:
        keys.extend(key for key in run if key not in keys)
    print(f"cold ssg build, {len(runs)} run(s), medians (seconds)")
    for key in keys:
        values = [run[key] for run in runs if key in run]
        print(f"{key:<52} {statistics.median(values):8.3f}")


if __name__ == "__main__":
    main()
