"""An incremental build updates out/ in place under a journal: killed at any step, out/ ends up
the old build or the new one, never a mix, and a server's pinned files never change."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ssg.builder import journal, writer
from ssg.builder.builder import build_site
from ssg.builder.journal import journal_file
from ssg.builder.out_folder import recover_output
from ssg.config import load_config
from ssg.errors import OutputDirError
from ssg.server.pins import pin_build
from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.builder.test_crash_safety import dead_pid
from tests.conftest import MakeSite

POSTS_PAGE_PY = """
from ssg.content import load_collection
def generate_static_params(params):
    return [{'slug': p.slug} for p in load_collection('posts')]
def load(params):
    return {'post': load_collection('posts').get(params['slug'])}
"""

SITE = {
    "ssg.toml": "trailing_slash = true\n",  # a page per folder: folders come and go
    "app/layout.html": ROOT_LAYOUT,
    "app/page.html": "<h1>home</h1>",
    "app/blog/[slug]/page.py": POSTS_PAGE_PY,
    "app/blog/[slug]/page.html": "<h1>{{ post.title }}</h1>{{ post.html }}",
    "posts/a.md": "---\ntitle: A\ndate: 2020-01-01\n---\nBody of a.\n",
    "posts/b.md": "---\ntitle: B\ndate: 2020-01-02\n---\nBody of b.\n",
    "posts/c.md": "---\ntitle: C\ndate: 2020-01-03\n---\nBody of c, removed by the edit.\n",
    "public/robots.txt": "User-agent: *\n",
    "public/keep.txt": "kept\n",
}


def edit(site: Path) -> None:
    """One edit that changes, adds (in a new folder) and removes pages (and their folders)."""
    (site / "posts/b.md").write_text("---\ntitle: B\ndate: 2020-01-02\n---\nNew body.\n")
    (site / "posts/c.md").unlink()
    (site / "posts/d.md").write_text("---\ntitle: D\ndate: 2020-01-04\n---\nBody of d.\n")
    (site / "public/robots.txt").write_text("User-agent: *\nDisallow: /x\n")


def contents(out: Path) -> dict[str, object]:
    """What a visitor or a static host sees in out/: every file's bytes (the manifest
    without its build id and times, which differ between two builds of the same sources)."""
    found: dict[str, object] = {}
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(out).as_posix()
        if name == "_ssg/manifest.json":
            manifest = json.loads(path.read_text())
            manifest.pop("build_id")
            manifest.pop("generated_at")
            for page in manifest["pages"].values():
                page.pop("generated_at", None)
            found[name] = manifest
        else:
            found[name] = path.read_bytes()
    return found


# Run in a child process: the build, up to its commit; then the commit in a fork of the build,
# killed (SIGKILL, no clean-up) at its step N, for N = kill_at only, or (kill_at 0) for
# N = 1, 2, ... until a commit has fewer steps: out/ and its neighbours as each kill left
# them are moved to STATES/N, and those before the commit copied back for the next fork.
# One build for every step: a build per step (a process start, imports, a render) took most
# of a minute on a loaded machine.
KILLED_BUILD = """
import os, shutil, signal, sys, warnings
from pathlib import Path
from ssg.builder import journal, writer
from ssg.cli import cli

site, states, kill_at = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
real_commit = journal.commit_in_place
# The fork runs only the commit (file system calls), none of the build's other threads' work.
warnings.filterwarnings("ignore", ".*fork", DeprecationWarning)


def out_entries():
    return [path for path in site.iterdir() if path.name == "out" or path.name.startswith(".out")]


def killed_at(step, out_dir, staging_dir, moves, deletions):
    # The commit in a fork killed at its step `step`: None, or its steps if it finished.
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        steps = 0

        def counted(function):
            def call(*args, **kwargs):
                nonlocal steps
                steps += 1
                if steps == step:
                    os.kill(os.getpid(), signal.SIGKILL)
                return function(*args, **kwargs)
            return call

        for name in ("replace", "unlink", "rmdir"):
            setattr(os, name, counted(getattr(os, name)))
        journal.sync_file_system = counted(journal.sync_file_system)
        real_commit(out_dir, staging_dir, moves, deletions)
        os.write(write, str(steps).encode())
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read) as stream:
        finished = stream.read()
    if finished:
        return int(finished)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status
    return None


def commit_in_place(out_dir, staging_dir, moves, deletions, *, expected=None):
    assert journal.output_identity(out_dir) == expected  # no other build meanwhile
    moves, deletions = list(moves), list(deletions)
    before = states / "before"
    for path in out_entries() if not kill_at else []:
        shutil.copytree(path, before / path.name, symlinks=True)
    step = kill_at or 1
    while (finished := killed_at(step, out_dir, staging_dir, moves, deletions)) is None:
        if kill_at:
            os.kill(os.getpid(), signal.SIGKILL)  # the build dies with its commit
        (states / str(step)).mkdir(parents=True)
        for path in out_entries():
            os.replace(path, states / str(step) / path.name)
        for path in before.iterdir():
            shutil.copytree(path, site / path.name, symlinks=True)
        step += 1
    print("COMMITTED", finished)


writer.commit_in_place = commit_in_place
cli(["build", str(site)])
"""


def killed_build(site: Path, kill_at: int, states: Path | None = None) -> int | None:
    """Build `site` in a child whose commit is killed at its step `kill_at`; the commit's
    step count when it finished instead (it had fewer steps), else None (out/ as the kill
    left it).

    With `kill_at` 0, the commit is killed at each step in turn, in forks of one build,
    and out/ and its neighbours as the kill at step N left them are in `states`/N; the
    build then ends with the commit done; returns its step count.
    """
    done = subprocess.run(
        [sys.executable, "-c", KILLED_BUILD, str(site), str(states or site.parent), str(kill_at)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0:
        assert "COMMITTED" in done.stdout, done.stdout  # an in-place update, not a full render
        return int(done.stdout.split("COMMITTED ")[1].split()[0])
    assert done.returncode == -9 and kill_at, done.stdout + done.stderr
    return None


async def test_a_build_killed_at_any_step_of_its_commit_leaves_the_old_or_the_new_out(
    make_site: MakeSite, build: Build, tmp_path: Path
) -> None:
    site = make_site(SITE)
    await build(site)
    old = contents(site / "out")
    edit(site)
    await build(site)
    new = contents(site / "out")
    assert old != new and "blog/d/index.html" in new and "blog/c/index.html" not in new
    assert not (site / "out/blog/c").exists()
    # Back to the first build, then the edit again, killed at each step of its commit.
    shutil.rmtree(site)
    site = make_site(SITE)
    await build(site)
    edit(site)
    states = tmp_path / "killed"

    finished = killed_build(site, 0, states)

    assert finished is not None
    seen = []
    for step in range(1, finished + 1):
        killed = states / str(step)  # out/ and its neighbours as the kill at `step` left them
        recover_output(killed / "out")  # as the next build or `ssg serve` does first
        after = contents(killed / "out")
        seen.append("old" if after == old else "new" if after == new else "mix")
        assert not journal_file(killed / "out").exists()
        assert sorted(p.name for p in killed.glob(".out.*")) == []
    assert contents(site / "out") == new  # the build ends with its commit done
    # Killed before the journal is in place (the flush, its rename): the old build; after: the new.
    assert seen[:2] == ["old", "old"]
    assert set(seen[2:]) == {"new"}
    assert finished >= 9  # flush, journal, deletion, pruning, 4 moves, flush...


async def test_the_next_build_finishes_a_killed_commit_then_builds(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(SITE)
    await build(site)
    edit(site)
    assert killed_build(site, 5) is None  # committed (the journal is in place), half moved
    (site / "posts/a.md").write_text("---\ntitle: A\ndate: 2020-01-01\n---\nNew a.\n")

    await build(site)

    out = site / "out"
    assert "New a." in (out / "blog/a/index.html").read_text()
    assert "New body." in (out / "blog/b/index.html").read_text()
    assert (out / "blog/d/index.html").is_file() and not (out / "blog/c").exists()
    assert not journal_file(out).exists()


def test_a_journal_that_does_not_parse_is_removed_and_out_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("old")
    staging = tmp_path / f".out.staging-{dead_pid()}"
    staging.mkdir()
    (staging / "index.html").write_text("new")
    journal_file(out).write_text('{"format": 1, "staging": ".out.sta')  # damaged, or not ours

    assert recover_output(out) == [staging]
    assert (out / "index.html").read_text() == "old"
    assert not journal_file(out).exists()


async def test_an_in_place_update_never_changes_a_file_a_server_pinned(
    make_site: MakeSite, build: Build, tmp_path: Path
) -> None:
    site = make_site(SITE)
    await build(site)
    pin = pin_build(site / "out", tmp_path / "pins")
    assert pin is not None
    pinned = contents(pin)
    edit(site)

    result = await build(site)

    assert result.pages_reused > 0  # an incremental build, in place
    assert contents(pin) == pinned
    assert "New body." in (site / "out/blog/b/index.html").read_text()


async def test_a_pin_made_while_a_commit_is_left_unfinished_finishes_it_first(
    make_site: MakeSite, build: Build, tmp_path: Path
) -> None:
    site = make_site(SITE)
    await build(site)
    edit(site)
    assert killed_build(site, 5) is None  # committed, half moved: out/ is a mix

    pin = pin_build(site / "out", tmp_path / "pins")

    assert pin is not None
    assert "New body." in (pin / "blog/b/index.html").read_text()
    assert (pin / "blog/d/index.html").is_file() and not (pin / "blog/c").exists()


async def test_a_full_render_is_flushed_to_disk_then_swapped_in(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ssg.builder import writer

    site = make_site(SITE)
    config = load_config(site)
    await build_site(config)
    steps: list[str] = []
    real_exchange = writer.exchange_paths

    def exchange(first: Path, second: Path) -> bool:
        steps.append(f"switch {Path(first).name} {Path(second).name}")
        return real_exchange(first, second)

    monkeypatch.setattr(
        writer, "sync_file_system", lambda path: steps.append(f"sync {Path(path).name}")
    )
    monkeypatch.setattr(writer, "exchange_paths", exchange)
    (site / "app/page.html").write_text("<h1>v2</h1>")
    await build_site(config, force=True)

    pid = os.getpid()
    assert steps == [f"sync .out.staging-{pid}", f"switch .out.staging-{pid} out"]
    assert "<h1>v2</h1>" in (site / "out/index.html").read_text()


async def test_an_incremental_build_flushes_its_files_and_journal_before_changing_out(
    make_site: MakeSite, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(SITE)
    await build(site)
    steps: list[str] = []
    real_replace = os.replace

    def replace(source: str, target: str) -> None:
        name = Path(target).relative_to(site).as_posix()
        if name.startswith(("out/", ".out.journal")):
            steps.append(f"move {name}")
        real_replace(source, target)

    def sync(path: Path) -> None:
        steps.append("sync")

    monkeypatch.setattr(journal, "sync_file_system", sync)
    monkeypatch.setattr(journal.os, "replace", replace)
    (site / "posts/a.md").write_text("---\ntitle: A\ndate: 2020-01-01\n---\nNew a.\n")
    await build(site)

    assert steps == [
        "sync",
        "move .out.journal",
        "move out/blog/a/index.html",
        "move out/_ssg/manifest.json",  # last: whoever sees it sees every new file
        "sync",
    ]


async def test_a_commit_that_fails_after_its_journal_is_finished_by_the_next_build(
    make_site: MakeSite, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(SITE)
    await build(site)
    edit(site)
    real_replace = os.replace
    moved: list[str] = []

    def disk_full_on_the_second_move(source: str, target: str) -> None:
        if Path(target).is_relative_to(site / "out"):
            moved.append(target)
            if len(moved) == 2:
                raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(journal.os, "replace", disk_full_on_the_second_move)
    with pytest.raises(OutputDirError, match=r"journal \.out\.journal is kept"):
        await build(site)
    monkeypatch.setattr(journal.os, "replace", real_replace)
    assert journal_file(site / "out").exists()  # out/ is half updated, and says so

    await build(site)

    assert "New body." in (site / "out/blog/b/index.html").read_text()
    assert (site / "out/blog/d/index.html").is_file() and not (site / "out/blog/c").exists()
    assert not journal_file(site / "out").exists()


async def test_an_incremental_build_that_another_build_overtook_changes_nothing(
    make_site: MakeSite, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(SITE)
    await build(site)
    edit(site)
    real_commit = writer.OutputWriter._commit_in_place
    manifest = site / "out/_ssg/manifest.json"

    def overtaken(self: writer.OutputWriter) -> None:
        # Another build commits between this one's start and its commit.
        replacement = manifest.with_name("other.json")
        replacement.write_bytes(manifest.read_bytes())
        os.replace(replacement, manifest)
        real_commit(self)

    monkeypatch.setattr(writer.OutputWriter, "_commit_in_place", overtaken)
    before = contents(site / "out")

    with pytest.raises(OutputDirError, match="changed while this build ran"):
        await build(site)

    assert contents(site / "out") == before
    assert sorted(p.name for p in site.glob(".out.*")) == []  # no journal, no staging
