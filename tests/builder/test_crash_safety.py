"""A killed build leaves no debris: out/ is switched in one step (a full render; an incremental
build: tests/builder/test_journal.py), leftovers and workers go."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ssg.builder.builder import build_site
from ssg.builder.out_folder import recover_output
from ssg.config import load_config
from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.conftest import MakeSite

SITE = {"app/layout.html": ROOT_LAYOUT, "app/page.html": "<h1>v1</h1>"}


def dead_pid() -> int:
    """The pid of a process that has exited (and was reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


async def test_a_kill_between_renames_cannot_leave_the_site_without_out(
    make_site: MakeSite, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(SITE)
    await build(site)
    (site / "app/page.html").write_text("<h1>v2</h1>")
    real_replace = os.replace

    def killed_before_renaming_into_out(source: object, target: object) -> None:
        if Path(str(target)) == site / "out":
            raise KeyboardInterrupt("killed")  # the process dies before this rename
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", killed_before_renaming_into_out)
    await build_site(load_config(site), force=True)  # a full render: swapped in whole

    assert "<h1>v2</h1>" in (site / "out/index.html").read_text()  # switched in one step


async def test_the_next_start_restores_out_and_removes_a_killed_builds_folders(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(SITE)
    await build(site)
    before = snapshot(site / "out")
    # What a build killed between two renames left: no out/, the old build aside,
    # and a staging folder of another killed build.
    os.replace(site / "out", site / f".out.old-{dead_pid()}")
    (site / f".out.staging-{dead_pid()}" / "blog").mkdir(parents=True)
    running = site / f".out.staging-{os.getppid()}"  # a build still running keeps its own
    running.mkdir()

    removed = recover_output(site / "out")

    assert snapshot(site / "out") == before
    assert [p.name.split("-")[0] for p in removed] == [".out.staging"]
    assert sorted(p.name for p in site.glob(".out.*")) == [running.name]


POOL_SCRIPT = """
import os, sys
from pathlib import Path
from ssg.content.pool import load_files

content = Path(sys.argv[1])
files = sorted(content.glob("*.md"))
load_files(files, content, workers=2, start_method=sys.argv[2], body_filter=("hang", "hang", sys.argv[3]))
"""

HANG_MODULE = """
import os, time
from pathlib import Path

def hang(body):
    marker = Path(__file__).parent / "pids" / str(os.getpid())
    marker.touch()
    time.sleep(3600)
    return body
"""


async def wait_exit(pid: int, timeout: float) -> bool:
    """True once process `pid` (not a child of this one) has exited: await its pidfd."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    loop = asyncio.get_running_loop()
    exited = asyncio.Event()
    loop.add_reader(fd, exited.set)
    try:
        await asyncio.wait_for(exited.wait(), timeout)
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(fd)
        os.close(fd)


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfds")
@pytest.mark.parametrize("start_method", ["fork", "forkserver"])
async def test_content_pool_workers_die_with_a_killed_parent(
    tmp_path: Path, start_method: str
) -> None:
    content = tmp_path / "posts"
    content.mkdir()
    for index in range(80):
        (content / f"p{index}.md").write_text(f"---\ntitle: p{index}\n---\nbody {index}\n")
    (tmp_path / "hang.py").write_text(textwrap.dedent(HANG_MODULE))
    pids = tmp_path / "pids"
    pids.mkdir()
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-c", POOL_SCRIPT, str(content), start_method, str(tmp_path)
    )
    try:
        # Three bodies are being filtered (hanging): the parent's and both workers'.
        while len(list(pids.iterdir())) < 3:
            await asyncio.sleep(0.05)
        workers = [int(p.name) for p in pids.iterdir() if int(p.name) != parent.pid]
        parent.send_signal(signal.SIGKILL)
        await parent.wait()
        gone = [await wait_exit(pid, timeout=10) for pid in workers]
    finally:
        for p in pids.iterdir():
            if int(p.name) != parent.pid and Path(f"/proc/{p.name}").exists():
                os.kill(int(p.name), signal.SIGKILL)

    assert len(workers) == 2
    assert gone == [True, True]


HANGING_RENDER_PY = """
import os, time
from pathlib import Path

SITE = Path(__file__).resolve().parents[3]


def hang():
    (SITE / "pids" / str(os.getpid())).touch()
    time.sleep(3600)
    return ""


def generate_static_params(params):
    return [{"n": str(n)} for n in range(400)]


def load(params):
    return {"hang": hang}
"""


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfds")
async def test_the_render_worker_dies_with_a_killed_build(make_site: MakeSite) -> None:
    site = make_site(
        {
            **SITE,
            "app/p/[n]/page.html": "{{ hang() }}",  # rendered by the build and its worker
            "app/p/[n]/page.py": HANGING_RENDER_PY,
        }
    )
    pids = site / "pids"
    pids.mkdir()
    build = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ssg",
        "build",
        str(site),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    try:
        # The build renders half of the pages itself and a forked worker the rest.
        while len(list(pids.iterdir())) < 2:
            await asyncio.sleep(0.05)
        workers = [int(p.name) for p in pids.iterdir() if int(p.name) != build.pid]
        build.send_signal(signal.SIGKILL)
        await build.wait()
        gone = [await wait_exit(pid, timeout=20) for pid in workers]
    finally:
        if build.returncode is None:
            build.kill()
            await build.wait()
        for pid in workers:
            if Path(f"/proc/{pid}").exists():
                os.kill(pid, signal.SIGKILL)

    assert len(workers) == 1
    assert gone == [True]
    assert not (site / "out").exists()  # no build finished: nothing half-written went live
