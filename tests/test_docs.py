"""docs/ is an ssg site: it builds with --strict under a base path, and its references are
generated from the package (every public name, every ssg.toml key, every CLI option)."""

from __future__ import annotations

import html
import inspect
from pathlib import Path

import pytest

import ssg
import ssg.content
from ssg.builder.builder import build_site
from ssg.config import SETTINGS, load_config

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


@pytest.fixture(scope="module")
def docs_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import asyncio

    out = tmp_path_factory.mktemp("docs") / "out"
    config = load_config(
        DOCS, out_dir=out, base_path="/ssg", base_url="https://o.github.io", environ={}
    )
    # --strict: a broken link (or a content problem) fails the build.
    result = asyncio.run(build_site(config, strict=True))
    assert result.broken_links == []
    return out


def page(out: Path, name: str) -> str:
    return html.unescape((out / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "name",
    [
        "index.html",
        "getting-started.html",
        "files.html",
        "api.html",
        "config.html",
        "cli.html",
        "deploy.html",
        "coming-from.html",
    ],
)
def test_every_docs_page_is_built_under_the_base_path(docs_out: Path, name: str) -> None:
    text = page(docs_out, name)
    assert 'href="/ssg/getting-started"' in text  # the nav, under the base path
    assert 'href="/ssg/_assets/style.' in text


def test_the_api_page_has_every_public_name_with_signature_and_docstring(docs_out: Path) -> None:
    text = page(docs_out, "api.html")
    for module in (ssg, ssg.content):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not callable(obj):
                continue
            assert f"{module.__name__}.{name}" in text, name
            try:
                signature = f"{name}{inspect.signature(obj)}"
            except ValueError:  # an exception class without its own __init__
                signature = name
            assert signature in text, name
            first_line = (inspect.getdoc(obj) or "").splitlines()[0]
            assert first_line in text, name


def test_the_config_page_has_every_key(docs_out: Path) -> None:
    text = page(docs_out, "config.html")
    for setting in SETTINGS:
        assert f'<tr id="{setting.key}">' in text and setting.doc in text


def test_the_cli_page_is_the_commands_own_help(docs_out: Path) -> None:
    text = page(docs_out, "cli.html")
    for option in ("--base-path", "--base-url", "--strict", "--export", "--port", "--workers"):
        assert option in text


def test_the_deploy_guides_and_comparisons_are_there(docs_out: Path) -> None:
    deploy = page(docs_out, "deploy.html")
    for heading in ("Netlify", "GitHub Pages", "behind a CDN", "Docker"):
        assert heading in deploy
    coming = page(docs_out, "coming-from.html")
    for tool in ("Next.js", "Hugo", "Pelican", "MkDocs"):
        assert f">{tool}" in coming


def test_the_readme_links_to_the_documentation() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "(docs/)" in readme
