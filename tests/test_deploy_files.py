"""The deploy files build examples/blog as a static export and publish it with sane caching."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_DIR = Path(__file__).resolve().parent.parent
BUILD_COMMAND = "ssg build examples/blog --export"
PAGES_BUILD_COMMAND = f'{BUILD_COMMAND} --base-url "${{{{ steps.pages.outputs.base_url }}}}"'
PUBLISH_DIR = "examples/blog/out"
HTML_CACHE_CONTROL = "public, max-age=0, must-revalidate"
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def netlify() -> dict[str, Any]:
    return tomllib.loads((REPO_DIR / "netlify.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load((REPO_DIR / ".github/workflows/deploy.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def workflow_triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict)
    return triggers


def cache_control_for(netlify: dict[str, Any], rule_path: str) -> str:
    rules = [rule for rule in netlify["headers"] if rule["for"] == rule_path]
    assert len(rules) == 1, f"expected one [[headers]] rule for {rule_path!r}"
    return rules[0]["values"]["Cache-Control"]


def test_netlify_builds_the_example_as_a_static_export(netlify: dict[str, Any]) -> None:
    command = netlify["build"]["command"]
    assert command.startswith("pip install .")
    assert command.endswith(BUILD_COMMAND)


def test_netlify_publishes_the_export_folder(netlify: dict[str, Any]) -> None:
    assert netlify["build"]["publish"] == PUBLISH_DIR


def test_netlify_pins_python_311(netlify: dict[str, Any]) -> None:
    assert netlify["build"]["environment"]["PYTHON_VERSION"] == "3.11"


def test_netlify_caches_fingerprinted_assets_for_a_year(netlify: dict[str, Any]) -> None:
    assert cache_control_for(netlify, "/_assets/*") == ASSET_CACHE_CONTROL


@pytest.mark.parametrize("rule_path", ["/", "/*.html"])
def test_netlify_revalidates_html_on_every_visit(netlify: dict[str, Any], rule_path: str) -> None:
    assert cache_control_for(netlify, rule_path) == HTML_CACHE_CONTROL


def test_netlify_html_rules_never_match_assets(netlify: dict[str, Any]) -> None:
    # Netlify applies every matching header rule: a catch-all "/*" would add a
    # second Cache-Control to the fingerprinted assets.
    assert "/*" not in [rule["for"] for rule in netlify["headers"]]


def test_workflow_runs_on_push_to_main_manually_and_nightly(workflow: dict[Any, Any]) -> None:
    triggers = workflow_triggers(workflow)
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers
    crons = [entry["cron"] for entry in triggers["schedule"]]
    assert len(crons) == 1
    assert len(crons[0].split()) == 5


def test_workflow_has_pages_permissions_and_one_deploy_at_a_time(
    workflow: dict[Any, Any],
) -> None:
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"]["group"] == "pages"


def test_workflow_builds_the_example_as_a_static_export(workflow: dict[Any, Any]) -> None:
    build = workflow["jobs"]["build"]
    runs = [step.get("run", "") for step in build["steps"]]
    assert "pip install ." in runs
    assert PAGES_BUILD_COMMAND in runs
    uses = [step.get("uses", "") for step in build["steps"]]
    assert "actions/checkout@v4" in uses
    assert "actions/setup-python@v5" in uses
    assert "actions/configure-pages@v5" in uses
    setup_python = next(s for s in build["steps"] if s.get("uses") == "actions/setup-python@v5")
    assert str(setup_python["with"]["python-version"]) == "3.11"


def test_workflow_uploads_the_export_folder(workflow: dict[Any, Any]) -> None:
    upload = next(
        step
        for step in workflow["jobs"]["build"]["steps"]
        if step.get("uses") == "actions/upload-pages-artifact@v3"
    )
    assert upload["with"]["path"] == PUBLISH_DIR


def test_workflow_deploys_after_the_build(workflow: dict[Any, Any]) -> None:
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"
    step = next(s for s in deploy["steps"] if s.get("uses") == "actions/deploy-pages@v4")
    assert step["id"] == "deployment"


def test_workflow_builds_before_it_uploads(workflow: dict[Any, Any]) -> None:
    steps = workflow["jobs"]["build"]["steps"]
    names = [step.get("run") or step.get("uses") for step in steps]
    assert names.index("pip install .") < names.index(PAGES_BUILD_COMMAND)
    # configure-pages gives the site's address, which the build needs for absolute URLs.
    assert names.index("actions/configure-pages@v5") < names.index(PAGES_BUILD_COMMAND)
    assert names.index(PAGES_BUILD_COMMAND) < names.index("actions/upload-pages-artifact@v3")
