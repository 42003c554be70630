"""The container files: the Dockerfile runs ssg as a non-root user with a healthcheck, and
docker-compose.yml runs several instances behind nginx that share nothing but Redis.

No Docker engine runs the tests: hadolint and dclint lint these files in .ci/run; here
their meaning is checked (what a user relies on), and nginx checks its config when present.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

REPO_DIR = Path(__file__).resolve().parent.parent
NGINX_CONF = REPO_DIR / "deploy" / "nginx.conf"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments dropped."""
    text = (REPO_DIR / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            found.append((instruction.upper(), arguments.strip()))
    return found


def last(instruction: str) -> str:
    return [args for name, args in dockerfile_instructions() if name == instruction][-1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_image_runs_as_a_non_root_user() -> None:
    user = last("USER").split(":")[0]
    assert user not in ("root", "0")
    assert user.isdigit()  # numeric: resolvable without the image's /etc/passwd


def test_the_image_installs_ssg_with_the_redis_extra_and_builds_its_site_once() -> None:
    runs = [args for name, args in dockerfile_instructions() if name == "RUN"]
    assert any(re.search(r"pip install .*\[redis\]", run) for run in runs)
    assert any(run.startswith("ssg build /site") for run in runs)


def test_the_healthcheck_polls_health_on_the_port_the_image_serves() -> None:
    command = shlex.split(last("CMD").replace('", "', " ").strip('[]"'))
    port = command[command.index("--port") + 1]
    healthcheck = last("HEALTHCHECK")
    assert command[:2] == ["ssg", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert f"http://127.0.0.1:{port}/_ssg/health" in healthcheck
    assert last("EXPOSE") == port


def test_dockerignore_lets_in_every_folder_the_package_installs_from() -> None:
    allowed = {
        line[1:].rstrip("/")
        for line in (REPO_DIR / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    }
    project = tomllib.loads((REPO_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    package_dirs = set(project["tool"]["setuptools"]["package-dir"].values())
    default_site = last("ARG").partition("=")[2]
    assert {"pyproject.toml", project["project"]["readme"], "ssg"} | package_dirs <= allowed
    assert default_site.split("/")[0] in allowed and (REPO_DIR / default_site).is_dir()


def test_compose_runs_several_instances_that_share_only_redis(compose: dict[str, Any]) -> None:
    services = compose["services"]
    ssg = services["ssg"]
    cache = urlsplit(ssg["environment"]["SSG_CACHE_URL"])
    assert ssg["deploy"]["replicas"] >= 2
    assert ssg["build"]["context"] == "."
    assert "volumes" not in ssg  # each instance keeps its own out/ and .ssg/
    assert cache.scheme == "redis" and services[cache.hostname]["image"].startswith("redis:")
    assert "SSG_REVALIDATE_SECRET" in ssg["environment"]


def test_compose_puts_nginx_in_front_of_the_instances(compose: dict[str, Any]) -> None:
    lb = compose["services"]["lb"]
    conf = NGINX_CONF.read_text(encoding="utf-8")
    mounted = {volume.split(":")[0] for volume in lb["volumes"]}
    assert "./deploy/nginx.conf" in mounted
    assert lb["depends_on"]["ssg"]["condition"] == "service_healthy"
    assert re.search(r"server ssg:3000 resolve;", conf)
    assert "proxy_pass http://ssg;" in conf


def test_ci_lints_the_container_files() -> None:
    ci_run = (REPO_DIR / ".ci" / "run").read_text(encoding="utf-8")
    workflow = (REPO_DIR / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    for command in ("hadolint Dockerfile", ".ci/node_modules/.bin/dclint docker-compose.yml"):
        assert command in ci_run and command in workflow


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_load_balancer_config(tmp_path: Path) -> None:
    conf = NGINX_CONF.read_text(encoding="utf-8")
    # No Docker DNS here, and `resolve` needs nginx 1.27.3: check the rest against a
    # fixed address (what nginx would have resolved).
    conf = conf.replace("server ssg:3000 resolve;", "server 127.0.0.1:3000;")
    (tmp_path / "default.conf").write_text(conf, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path};\n"
        f"  include {tmp_path}/default.conf;\n}}\n",
        encoding="utf-8",
    )
    checked = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
