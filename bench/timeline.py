"""Where a cold `ssg build` spends its time: phases per process, wall and CPU seconds.

    python bench/timeline.py SITE            # rm -rf SITE/out SITE/.ssg, then one build
    python bench/timeline.py SITE --runs 3   # medians of 3 cold builds
    python bench/timeline.py SITE --sched    # and where a core idles (perf sched, as root)

Runs the build in a child process that wraps the build's phase functions and prints a
line when each starts and ends (wall seconds since the interpreter started, the process's
CPU seconds); content-pool chunks, the render worker and the children writing what the
next build reads report from their own processes ("[child process]").
The parent is a child subreaper, so the CPU of the whole process tree (orphans included:
a fork server, the old-build remover) is counted. Prints per phase the wall and CPU
seconds of the build process, the other processes' CPU, and the load average. Indented
labels are parts of the phase above them (or of no phase: they are then in "outside
every phase"). The phases are wrapped once the build's modules are imported, before the
build starts: the early content parse of a cold `ssg build` (`ssg.content.early`), which
runs while a plain `ssg build` imports them, overlaps no imports here.

`--sched` records the scheduler's switches (`perf sched record`, which needs perf and
root or kernel.perf_event_paranoid <= 1) and adds, per phase of the build process, the
idle core-seconds: the machine's cores (`--cores`, default 2) minus the build's processes
that were running or waiting for a core, summed over the phase. A phase with idle
core-seconds near its wall time runs on one core: the place to fill the other one. The
figure counts what the build's processes could use, so it does not grow with the load
other jobs put on the machine (their phases stretch, though). The total CPU then includes
perf's own: take CPU figures from runs without `--sched`.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
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
    ("  scan content", "ssg.content.scan", "scan_content"),
    ("  content parse", "ssg.content.pool", "load_files"),
    ("  early parse: wait for its parsers", "ssg.content.early", "EarlyParse.take"),
    ("  pool set-up: import parsers", "ssg.content.pool", "import_parsers"),
    ("  pool set-up: fence languages", "ssg.content.pool", "fence_languages"),
    ("  pool set-up: preload lexers", "ssg.content.highlight", "preload_lexers"),
    ("prepare pages (data)", "ssg.builder.prepare", "prepare_all"),
    ("render + write pages", "ssg.builder.parallel", "finish_pages"),
    ("  compile templates (before the fork)", "ssg.render.templates", "load_templates"),
    ("  wait for the render worker's report", "ssg.builder.worker", "RenderWorker.report"),
    ("  records: add pages", "ssg.builder.records_writer", "RecordsWriter.add_page"),
    ("public/, 404, manifest", "ssg.builder.site_files", "write_site_files"),
    ("link check", "ssg.builder.link_check", "check_links"),
    ("switch out/", "ssg.builder.writer", "OutputWriter.commit"),
    (
        "records: digests, before the rest is known",
        "ssg.builder.records_writer",
        "RecordsWriter.warm_digests",
    ),
    ("records for next build", "ssg.builder.records_writer", "RecordsWriter.save"),
    ("links for next build", "ssg.builder.links", "write_known_links"),
    ("content read, for the server", "ssg.content.memo", "write_collection_specs"),
    ("input stamps for next build", "ssg.builder.next_build", "keep_snapshot"),
    ("summary", "ssg.builder.report", "print_report"),
    ("wait for the records child", "ssg.builder.keeper", "Keeper.wait"),
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
    ("ssg.content.parsing", "load_entries", "chunk"),
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
    parser.add_argument(
        "--sched", action="store_true", help="idle core-seconds per phase (perf sched record)"
    )
    parser.add_argument("--cores", type=int, default=2, help="cores the idle figures count")
    args = parser.parse_args()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    runs = [
        run_once(args.site.resolve(), args.cores if args.sched else 0) for _ in range(args.runs)
    ]
    report(runs)


def run_once(site: Path, sched_cores: int = 0) -> dict[str, float]:
    """One cold build; with `sched_cores`, under `perf sched record` (see `idle_cores`)."""
    for name in ("out", ".ssg"):
        shutil.rmtree(site / name, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    trace = Path(tempfile.mkdtemp(prefix="ssg-timeline-")) / "perf.data"
    started, started_monotonic = time.time(), time.monotonic()
    env = {**os.environ, "SSG_TIMELINE_T0": repr(started)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as bench/compare.py: .pyc files are kept
    code = f"PHASES = {PHASES!r}\n{CHILD}"
    command = [sys.executable, "-c", code, str(site)]
    if sched_cores:
        # CLOCK_MONOTONIC: the switches' times compare with time.monotonic() here.
        command = [
            *("perf", "sched", "record", "-q", "-k", "CLOCK_MONOTONIC"),
            *("-e", "sched:sched_process_fork", "-o", str(trace), "--", *command),
        ]
    child = subprocess.Popen(
        command,
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
    main_pid = int(next(line for line in err.splitlines() if line.startswith("@@ ")).split()[1])
    figures = phases(err, main_pid)
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
    if sched_cores:
        figures.update(idle_cores(err, main_pid, trace, started_monotonic, sched_cores))
    shutil.rmtree(trace.parent, ignore_errors=True)
    return figures


_SWITCH = re.compile(
    r"\s*(?P<at>[\d.]+)\s+\[\d+\]\s+.*\[(?P<tid>\d+)(?:/\d+)?\]\s+"
    r"(?P<wait>[\d.]+)\s+(?P<delay>[\d.]+)\s+(?P<run>[\d.]+)\s+(?P<state>\S+)"
)
_FORK = re.compile(r"sched_process_fork:.*?\bpid=(\d+).*?\bchild_pid=(\d+)")


def idle_cores(log: str, main_pid: int, trace: Path, zero: float, cores: int) -> dict[str, float]:
    """Idle core-seconds per phase of the build process, from a `perf sched record` trace.

    A thread of the build (the build process, its threads and every process forked
    from them) counts as wanting a core while it runs or waits for one: from its wakeup,
    or from being preempted, to its switch-out (`perf sched timehist --state`). Each
    instant adds `cores` minus that count (at least 0) to the phase the build process is
    in then (its innermost traced one), to "start-up (interpreter, imports)" before the
    imports are done, to "exit, after main" after main is done.
    """

    def perf(*arguments: str) -> str:
        done = subprocess.run(
            ["perf", *arguments, "-i", str(trace)], capture_output=True, text=True, check=True
        )
        return done.stdout

    tree = {main_pid}
    for line in perf("script", "-F", "event,trace").splitlines():
        found = _FORK.search(line)
        if found and int(found.group(1)) in tree:  # in time order: parents come first
            tree.add(int(found.group(2)))
    changes: list[tuple[float, int, str]] = []  # (seconds after launch, +1/-1 want, "")
    preempted: set[int] = set()
    for line in perf("sched", "timehist", "--state").splitlines():
        switch = _SWITCH.match(line)
        if switch is None or int(switch["tid"]) not in tree:
            continue
        tid, end = int(switch["tid"]), float(switch["at"]) - zero
        wanted = float(switch["run"]) + float(switch["delay"])
        if tid in preempted:  # it was runnable all the time it was switched out
            wanted += float(switch["wait"])
        (preempted.add if switch["state"] == "R" else preempted.discard)(tid)
        changes += [(end - wanted / 1000, +1, ""), (end, -1, "")]
    for line in log.splitlines():  # the build process's phases, in order
        if line.startswith("@@ ") and int(line.split()[1]) == main_pid:
            _at, _pid, wall_text, _cpu, event = line.split(" ", 4)
            changes.append((float(wall_text), 0, event))
    changes.sort(key=lambda change: change[0])
    idle: dict[str, float] = defaultdict(float)
    wanting, opened, stage = 0, [], "start-up (interpreter, imports)"
    last = 0.0
    for at, step, event in changes:
        where = opened[-1] if opened else stage
        idle[f"idle cores during: {where.strip()} (core-s)"] += max(0, cores - wanting) * (
            at - last
        )
        last, wanting = at, wanting + step
        if event in ("imports done", "main done"):
            stage = "outside every phase" if event == "imports done" else "exit, after main"
        elif event.startswith("< "):
            opened.append(event[2:])
        elif event.startswith("> ") and opened:
            opened.pop()
    idle[f"idle cores, all phases (core-s, {cores} cores)"] = sum(idle.values())
    return idle


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
        print(f"{key:<64} {statistics.median(values):8.3f}")


if __name__ == "__main__":
    main()
