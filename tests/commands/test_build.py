"""`ssg build`: the command around `build_site` (collector settings while it runs)."""

from __future__ import annotations

import gc

from rich.console import Console

from ssg.commands.build import BUILD_GC_THRESHOLDS, run
from tests.conftest import MakeSite


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
