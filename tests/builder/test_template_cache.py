"""Compiled templates are kept in SITE/.ssg/templates: a start does not compile them again."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import MakeSite

from .conftest import ROOT_LAYOUT, Build


async def test_compiled_templates_are_kept_and_an_edited_one_is_compiled_again(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site({"app/layout.html": ROOT_LAYOUT, "app/page.html": "<p>first</p>"})
    await build(site)
    folder = site / ".ssg" / "templates"
    before = {file: file.read_bytes() for file in folder.rglob("*.cache")}
    assert before  # the layout, the page, the not-found page
    (site / "app" / "page.html").write_text("<p>second</p>", encoding="utf-8")
    await build(site)
    assert "<p>second</p>" in (site / "out" / "index.html").read_text(encoding="utf-8")
    after = {file: file.read_bytes() for file in folder.rglob("*.cache")}
    assert after.keys() == before.keys()
    changed = [file for file in after if after[file] != before[file]]
    assert len(changed) == 1  # the page's code, compiled again; the others were reused


async def test_a_cache_folder_that_cannot_be_written_only_costs_the_compile(
    make_site: MakeSite, build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site({"app/layout.html": ROOT_LAYOUT, "app/page.html": "<p>hello</p>"})
    (site / ".ssg").mkdir()
    (site / ".ssg" / "templates").write_text("a file where the folder would go")
    with caplog.at_level(logging.WARNING, logger="ssg.render"):
        await build(site)
    assert "<p>hello</p>" in (site / "out" / "index.html").read_text(encoding="utf-8")
    warnings = [r.getMessage() for r in caplog.records if "compiled templates" in r.getMessage()]
    assert len(warnings) == 1 and str(site / ".ssg" / "templates") in warnings[0]


async def test_a_damaged_compiled_template_is_compiled_again(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site({"app/layout.html": ROOT_LAYOUT, "app/page.html": "<p>hello</p>"})
    await build(site)
    for file in (site / ".ssg" / "templates").rglob("*.cache"):
        file.write_bytes(file.read_bytes()[:20])  # torn after the magic bytes
    (site / "out" / "index.html").unlink()
    await build(site)
    assert "<p>hello</p>" in (site / "out" / "index.html").read_text(encoding="utf-8")
