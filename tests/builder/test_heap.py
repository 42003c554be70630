"""The collector during a build: what the build keeps is frozen while it runs, nothing after."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ssg.builder.heap import frozen_heap
from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.conftest import MakeSite

SITE = {
    "app/layout.html": ROOT_LAYOUT,
    "app/[n]/page.py": "import gc\n"
    "def generate_static_params(params):\n"
    "    return [{'n': 'a'}, {'n': 'b'}]\n"
    "def load(params):\n"
    "    return {'frozen': gc.get_freeze_count()}\n",
    "app/[n]/page.html": "frozen={{ frozen }}=",
}


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()  # a test before may have left objects frozen
    yield
    gc.unfreeze()


async def test_objects_alive_after_planning_are_frozen_while_pages_load(
    make_site: MakeSite, build: Build, unfrozen: None
) -> None:
    site = make_site(SITE)

    await build(site)

    counts = [int((site / f"out/{n}.html").read_text().split("=")[1]) for n in "ab"]
    assert min(counts) > 1000  # the site, its modules, the planned pages


async def test_a_build_leaves_nothing_frozen(
    make_site: MakeSite, build: Build, unfrozen: None
) -> None:
    site = make_site(SITE)

    await build(site)

    assert gc.get_freeze_count() == 0


async def test_a_build_keeps_the_callers_frozen_objects_frozen(
    make_site: MakeSite, build: Build, unfrozen: None
) -> None:
    gc.freeze()
    before = gc.get_freeze_count()

    await build(make_site(SITE))

    assert gc.get_freeze_count() >= before


def test_nested_blocks_leave_unfreezing_to_the_outermost(unfrozen: None) -> None:
    with frozen_heap() as outer:
        outer.freeze()
        with frozen_heap() as inner:
            inner.freeze()
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
