"""Golden output of tests/fixtures/golden_site; refresh with `pytest --update-golden`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.builder.conftest import Build

HERE = Path(__file__).resolve().parent
FIXTURE = HERE.parent / "fixtures" / "golden_site"
GOLDEN = HERE.parent / "golden" / "golden_site"
VOLATILE = ("build_id", "generated_at")


def normalise_manifest(text: str) -> str:
    """The manifest without the fields that change every build (ids and times)."""
    manifest: dict[str, Any] = json.loads(text)
    for key in VOLATILE:
        manifest[key] = f"<{key}>"
    for page in manifest["pages"].values():
        page["generated_at"] = "<generated_at>"
    return json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def snapshot(out_dir: Path) -> dict[str, str]:
    """Every output file's text, except /_assets/ (theme files copied verbatim; their
    fingerprinted names are pinned by the HTML that links them)."""
    files: dict[str, str] = {}
    for file in sorted(out_dir.rglob("*")):
        if file.is_file() and file.relative_to(out_dir).parts[0] != "_assets":
            relative = file.relative_to(out_dir).as_posix()
            text = file.read_text(encoding="utf-8")
            files[relative] = (
                normalise_manifest(text) if relative.endswith("manifest.json") else text
            )
    return files


async def test_fixture_site_output_matches_golden(
    tmp_path: Path, build: Build, request: pytest.FixtureRequest
) -> None:
    site = tmp_path / "golden_site"
    shutil.copytree(FIXTURE, site)
    await build(site)
    actual = snapshot(site / "out")
    if request.config.getoption("--update-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for relative, text in actual.items():
            target = GOLDEN / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    expected = {
        f.relative_to(GOLDEN).as_posix(): f.read_text(encoding="utf-8")
        for f in sorted(GOLDEN.rglob("*"))
        if f.is_file()
    }
    assert sorted(actual) == sorted(expected), "files differ: run pytest --update-golden"
    for href in ("style", "highlight", "favicon"):
        assert list((site / "out/_assets").glob(f"{href}.*")), href
    for relative, text in expected.items():
        assert actual[relative] == text, f"{relative} differs: run pytest --update-golden"
