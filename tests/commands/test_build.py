"""`ssg build`: the command around `build_site` (collector settings while it runs)."""

from __future__ import annotations

import gc
import subprocess
import sys
from typing import Any

import pytest
import rich.progress
from rich.console import Console

import ssg.commands.build
from ssg.commands.build import BUILD_GC_THRESHOLDS, run
from tests.conftest import MakeSite

SMALL = {
    "app/layout.html": "<html><body>{{ children }}</body></html>",
    "app/page.html": "home",
    "app/about/page.html": "about",
}


def test_the_build_runs_with_its_collector_thresholds_and_restores_the_callers(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {
            "app/page.py": "import gc\n\ndef load(params):\n"
            "    return {'during': list(gc.get_threshold())}\n",
            "app/layout.html": "<html><body>{{ children }}</body></html>",
            "app/page.html": "{{ during }}",
        }
    )
    before = gc.get_threshold()

    run(site, console=Console(record=True, width=200))

    assert str(list(BUILD_GC_THRESHOLDS)) in (site / "out" / "index.html").read_text()
    assert gc.get_threshold() == before


def test_a_terminal_shows_the_progress_bar_while_pages_render(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ssg.commands.build, "PROGRESS_MIN_PAGES", 1)
    site = make_site(SMALL)
    shown: list[tuple[int, int]] = []
    real_update = rich.progress.Progress.update

    def update(self: rich.progress.Progress, task: rich.progress.TaskID, **fields: Any) -> None:
        shown.append((fields["completed"], int(self.tasks[0].total or 0)))
        real_update(self, task, **fields)

    monkeypatch.setattr(rich.progress.Progress, "update", update)

    run(site, console=Console(force_terminal=True, record=True, width=200))

    assert shown[-1] == (2, 2)


def test_a_build_on_a_pipe_draws_no_progress_bar(make_site: MakeSite) -> None:
    # rich.progress is imported for a terminal only: a build piped to a log skips its import.
    site = make_site(SMALL)
    code = (
        "import sys\nfrom ssg.commands.build import run\n"
        f"run(__import__('pathlib').Path({str(site)!r}))\n"
        "print('rich.progress' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "False"
    assert "Rendering" not in result.stdout


def test_a_build_on_a_pipe_loads_rich_only_for_the_summary(make_site: MakeSite) -> None:
    # The route table needs rich; the build before it does not, on a pipe.
    site = make_site(
        {
            **SMALL,
            "app/page.py": "import sys\n\ndef load(params):\n"
            "    return {'rich': 'rich.console' in sys.modules}\n",
            "app/page.html": "rich loaded: {{ rich }}",
        }
    )
    code = f"from ssg.commands.build import run\nrun(__import__('pathlib').Path({str(site)!r}))\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "rich loaded: False" in (site / "out/index.html").read_text()
    assert "Built 2 routes" in result.stdout  # the summary, printed with rich


def test_a_build_with_nothing_changed_runs_no_event_loop(make_site: MakeSite) -> None:
    # The short cut answers before any event loop: asyncio (with ssl, sockets and
    # subprocess) is imported only by a build that renders; so is the route scanner.
    site = make_site(SMALL)
    for _ in range(2):
        run(site, console=Console(record=True, width=200))
    # The second build's pages are hard links to the first's, whose removal (in the
    # background, after the build) changes their link count, so their ctime; the first
    # build's files are in its own folder by then (swapped out of out/), as the twins.
    twins = site.parent / "swapped-out"
    twins.mkdir()
    for number, page in enumerate((site / "out").rglob("*.html")):
        twin = twins / f"{number}.html"
        twin.hardlink_to(page)
        twin.unlink()
    code = (
        "import sys\nfrom ssg.cli import cli\ntry:\n"
        f"    cli(['build', {str(site)!r}])\n"
        "except SystemExit:\n    pass\n"
        "names = ('asyncio', 'ssl', 'ssg.routing.scanner', 'ssg.routing.table')\n"
        "print('loaded:', [name for name in names if name in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "Rendered 0 pages, reused 2" in result.stdout, result.stdout + result.stderr
    assert "loaded: []" in result.stdout


def _build_and_list_modules(site: Any, names: tuple[str, ...]) -> str:
    """`ssg build SITE` in a fresh process; its output, then which of `names` it imported."""
    code = (
        "import sys\nfrom ssg.cli import cli\ntry:\n"
        f"    cli(['build', {str(site)!r}])\n"
        "except SystemExit:\n    pass\n"
        f"print('loaded:', [name for name in {names!r} if name in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return result.stdout + result.stderr


def test_markdown_without_fenced_code_is_rendered_without_pygments(make_site: MakeSite) -> None:
    # Pygments (its lexer tables) loads with the first fenced block to highlight: a site,
    # or an edited post, with no code never imports it.
    site = make_site({**SMALL, "app/notes/page.md": "# Notes\n\nNo code here.\n"})
    output = _build_and_list_modules(site, ("pygments.lexers", "ssg.content.highlight"))
    assert "loaded: []" in output, output
    assert '<h1 id="notes">Notes</h1>' in (site / "out/notes.html").read_text()


def test_a_fenced_block_still_loads_pygments_and_is_highlighted(make_site: MakeSite) -> None:
    site = make_site({**SMALL, "app/notes/page.md": "```python\nx = 1\n```\n"})
    output = _build_and_list_modules(site, ("pygments.lexers",))
    assert "loaded: ['pygments.lexers']" in output, output
    assert '<div class="highlight">' in (site / "out/notes.html").read_text()


def test_the_summary_prints_route_names_as_written_not_as_emoji(make_site: MakeSite) -> None:
    # rich would turn ":fire:" into an emoji; the summary prints what is on disk, and
    # rich's table of emoji names is not imported.
    site = make_site({**SMALL, "app/a:fire:b/page.html": "hot"})
    output = _build_and_list_modules(site, ("rich._emoji_codes",))
    assert "/a:fire:b" in output, output
    assert "\N{FIRE}" not in output
    assert "loaded: []" in output


def test_ctrl_c_in_a_page_function_prints_aborted_and_no_traceback(make_site: MakeSite) -> None:
    # The KeyboardInterrupt a Ctrl-C raises inside a sync load(), one page among several
    # being prepared, as a terminal's Ctrl-C lands: the tasks it ended stay quiet.
    site = make_site(
        {
            **SMALL,
            "app/p/[id]/page.html": "{{ params.id }}",
            "app/p/[id]/page.py": "def generate_static_params():\n"
            "    return [{'id': str(i)} for i in range(5)]\n"
            "def load(params):\n"
            "    if params['id'] == '3':\n        raise KeyboardInterrupt\n    return {}\n",
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "ssg", "build", str(site)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Aborted!" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert not (site / "out").exists()
