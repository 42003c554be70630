"""What a build keeps for the next one is written by a forked child; the block waits for it."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ssg.builder.keeper import Keeper
from ssg.builder.pipeline import BACKGROUND_KEEP_MIN_PAGES
from ssg.errors import SsgError
from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.builder.test_crash_safety import wait_exit
from tests.conftest import MakeSite


def test_leaving_the_block_waits_for_the_childs_writes(tmp_path: Path) -> None:
    go_read, go_write = os.pipe()
    target = tmp_path / "kept.txt"

    def work() -> None:
        os.close(go_write)  # the child's copy: the read below ends when the parent closes its own
        os.read(go_read, 1)
        target.write_text(str(os.getpid()))

    with Keeper() as keeper:
        keeper.run(work)
        os.close(go_write)  # the child writes only from now on, as the block ends
    os.close(go_read)

    assert target.read_text() not in ("", str(os.getpid()))  # another process wrote it


def test_a_bug_in_the_child_is_raised_with_its_traceback() -> None:
    def work() -> None:
        raise ValueError("a bug in the records")

    with pytest.raises(RuntimeError, match="exited with status 1") as caught, Keeper() as keeper:
        keeper.run(work)

    assert "ValueError: a bug in the records" in str(caught.value)
    assert "Traceback" in str(caught.value)


def test_a_killed_child_is_reported() -> None:
    def work() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(RuntimeError, match="was killed by signal 9"), Keeper() as keeper:
        keeper.run(work)


def test_started_work_runs_early_then_late_with_the_data_handed(tmp_path: Path) -> None:
    early_file, late_file = tmp_path / "early.txt", tmp_path / "late.txt"
    go_read, go_write = os.pipe()

    def early() -> None:
        early_file.write_text(str(os.getpid()))
        os.write(go_write, b"!")  # tells the test that early() ran

    def late(data: bytes) -> None:
        late_file.write_text(f"{os.getpid()} {data.decode()}")

    with Keeper() as keeper:
        handoff = keeper.start(early, late)
        assert os.read(go_read, 1) == b"!"  # early() runs before the data is handed
        assert not late_file.exists()
        handoff.finish(b"the manifest")
    os.close(go_read)
    os.close(go_write)

    child = early_file.read_text()
    assert child != str(os.getpid())  # another process ran both
    assert late_file.read_text() == f"{child} the manifest"


@pytest.mark.parametrize("how", ["cancel", "never handed"])
def test_started_work_is_not_finished_after_a_cancel(tmp_path: Path, how: str) -> None:
    late_file = tmp_path / "late.txt"

    def late(data: bytes) -> None:
        late_file.write_text(data.decode())

    with Keeper() as keeper:
        handoff = keeper.start(lambda: None, late)
        if how == "cancel":
            handoff.cancel()  # a failed build; leaving the block then waits for the child

    assert not late_file.exists()


def test_started_work_runs_here_where_no_child_can_be_forked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []

    def no_fork() -> int:
        raise OSError("no process left")

    monkeypatch.setattr(os, "fork", no_fork)
    with Keeper() as keeper:
        handoff = keeper.start(lambda: ran.append("early"), lambda data: ran.append(data.decode()))
        assert ran == []
        handoff.finish(b"late")

    assert ran == ["early", "late"]


HANGING_KEEPER = """
import os, sys
from pathlib import Path
from ssg.builder.keeper import Keeper
from ssg.builder.pipeline import BACKGROUND_KEEP_MIN_PAGES

pids = Path(sys.argv[1])
def work():
    (pids / str(os.getpid())).touch()
    os.read(os.pipe()[0], 1)  # never answered: blocks until killed

with Keeper() as keeper:
    keeper.run(work)
"""


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfds")
async def test_the_child_dies_with_a_killed_build(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    build = await asyncio.create_subprocess_exec(sys.executable, "-c", HANGING_KEEPER, str(pids))
    children: list[int] = []
    try:
        while not list(pids.iterdir()):
            await asyncio.sleep(0.05)
        children = [int(p.name) for p in pids.iterdir()]
        build.send_signal(signal.SIGKILL)
        await build.wait()
        gone = [await wait_exit(pid, timeout=20) for pid in children]
    finally:
        if build.returncode is None:
            build.kill()
            await build.wait()
        for pid in children:
            if Path(f"/proc/{pid}").exists():
                os.kill(pid, signal.SIGKILL)

    assert gone == [True]


@pytest.mark.parametrize("pages", [1, BACKGROUND_KEEP_MIN_PAGES], ids=["here", "in-a-child"])
def test_the_next_build_command_finds_what_the_last_one_kept(
    make_site: MakeSite, pages: int
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/page.html": "<h1>home</h1>",
            "app/n/[n]/page.py": "def generate_static_params(params):\n"
            f"    return [{{'n': str(n)}} for n in range({pages - 1})]\n",
            "app/n/[n]/page.html": "{{ params.n }}",
        }
    )
    command = [sys.executable, "-m", "ssg", "build", str(site)]

    first = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    second = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    assert first.returncode == 0, first.stderr
    assert f"Rendered {pages:,} page{'s' if pages > 1 else ''}, reused 0" in first.stdout
    assert second.returncode == 0, second.stderr
    # The records and input stamps were written before the first command exited.
    assert f"Rendered 0 pages, reused {pages:,}" in second.stdout
    assert (site / "out/index.html").read_text().count("<h1>home</h1>") == 1


POSTS_PAGE_PY = """
import ssg.content

def generate_static_params(params):
    return [{"slug": p.slug} for p in ssg.content.load_collection("posts")]

def load(params):
    return {"post": ssg.content.load_collection("posts").get(params["slug"])}
"""


def posts_site(make_site: MakeSite, count: int, page_html: str) -> Path:
    files = {
        "app/layout.html": ROOT_LAYOUT,
        "app/page.html": "home",
        "app/p/[slug]/page.py": POSTS_PAGE_PY,
        "app/p/[slug]/page.html": page_html,
    }
    for index in range(count):
        files[f"posts/post-{index}.md"] = f"---\ntitle: Post {index}\n---\nBody {index}.\n"
    return make_site(files)


async def test_a_large_parse_is_kept_for_the_next_build(
    make_site: MakeSite, build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    site = posts_site(make_site, 70, "{{ post.title }}")  # enough for a forked cache writer
    await build(site)
    (site / "app/p/[slug]/page.html").write_text("<b>{{ post.title }}</b>")  # no short cut

    caplog.set_level(logging.INFO, logger="ssg.content")
    await build(site)

    assert "70 files unchanged since parsed" in caplog.text
    assert (site / "out/p/post-3.html").read_text().count("<b>Post 3</b>") == 1


async def test_the_content_a_failed_build_parsed_is_kept(
    make_site: MakeSite, build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    site = posts_site(make_site, 70, "{{ post.title | no_such_filter }}")
    with pytest.raises(SsgError, match="no_such_filter"):
        await build(site)
    (site / "app/p/[slug]/page.html").write_text("{{ post.title }}")

    caplog.set_level(logging.INFO, logger="ssg.content")
    await build(site)

    assert "70 files unchanged since parsed" in caplog.text


async def test_content_first_loaded_by_a_page_is_kept_too(
    make_site: MakeSite, build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    files = {
        "app/layout.html": ROOT_LAYOUT,
        "app/page.py": "import ssg.content\n\ndef load(params):\n"
        "    return {'posts': ssg.content.load_collection('posts')}\n",
        "app/page.html": "{% for p in posts %}{{ p.title }};{% endfor %}",
    }
    for index in range(70):  # loaded after planning: no child is writing the cache then
        files[f"posts/post-{index}.md"] = f"---\ntitle: Post {index}\n---\nBody {index}.\n"
    site = make_site(files)
    await build(site)
    (site / "app/page.html").write_text("{% for p in posts %}{{ p.title }},{% endfor %}")

    caplog.set_level(logging.INFO, logger="ssg.content")
    await build(site)

    assert "70 files unchanged since parsed" in caplog.text


def test_a_build_that_fails_after_its_pages_keeps_the_last_records(make_site: MakeSite) -> None:
    pages = BACKGROUND_KEEP_MIN_PAGES  # the records are digested by a child from the render on
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/page.html": "<h1>home</h1>",
            "app/n/[n]/page.py": "def generate_static_params(params):\n"
            f"    return [{{'n': str(n)}} for n in range({pages - 1})]\n",
            "app/n/[n]/page.html": "v1 {{ params.n }}",
        }
    )
    command = [sys.executable, "-m", "ssg", "build", "--strict", str(site)]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    page = site / "app/n/[n]/page.html"
    page.write_text('v2 {{ params.n }} <a href="/nowhere">x</a>')

    failed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    page.write_text("v1 {{ params.n }}")  # back to what the first build rendered
    fixed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    assert failed.returncode == 1
    assert "/nowhere" in failed.stderr + failed.stdout
    assert fixed.returncode == 0, fixed.stderr
    # The first build's records were kept, not the failed build's: nothing to render
    # (records of the failed build would have every page of /n/[n] rendered again).
    assert f"Rendered 0 pages, reused {pages:,}" in fixed.stdout
    assert (site / "out/n/7.html").read_text().count("v1 7") == 1
