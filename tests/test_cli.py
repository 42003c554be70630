"""The ssg command line: --version, --help, build output, and user errors without tracebacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from ssg import __version__
from tests.conftest import MakeSite

LAYOUT = "<html><body>{{ children }}</body></html>"


def run_ssg(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ssg", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def test_version_prints_the_package_version() -> None:
    result = run_ssg("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_every_command_has_help() -> None:
    for command in ([], ["build"], ["serve"]):
        result = run_ssg(*command, "--help")
        assert result.returncode == 0, result.stderr
        assert "Usage:" in result.stdout


ISR_SITE = {
    "app/layout.html": LAYOUT,
    "app/page.html": "home",
    "app/blog/[slug]/page.html": "{{ params.slug }}",
    "app/blog/[slug]/page.py": "revalidate = 60\n"
    "def generate_static_params(params):\n    return [{'slug': 'a'}, {'slug': 'b'}]\n",
}


def test_build_prints_the_route_table(make_site: MakeSite) -> None:
    site = make_site(
        {**ISR_SITE, "app/api/x/route.py": "def GET(request, params):\n    return {}\n"}
    )
    result = run_ssg("build", str(site))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("○") and " / " in f"{line} " for line in lines)
    assert any(line.startswith("ISR 60s") and "/blog/[slug]" in line for line in lines)
    assert any(line.startswith("ƒ") and "/api/x" in line for line in lines)
    assert "pages/s" in result.stdout
    # The summary counts routes in the legend's words ("prerendered", not "ssg").
    assert "Built 3 routes (1 dynamic, 1 ISR, 1 static)," in result.stdout
    assert (site / "out/blog/a.html").is_file()


def test_a_one_page_build_is_summed_up_in_the_singular(make_site: MakeSite) -> None:
    site = make_site({"app/layout.html": LAYOUT, "app/page.html": "home"})
    result = run_ssg("build", str(site))
    assert result.returncode == 0, result.stderr
    assert "Link check: " in result.stdout and ", 0 broken links" in result.stdout
    assert "Rendered 1 page, reused 0 (full render: no previous build)" in result.stdout
    (built,) = [line for line in result.stdout.splitlines() if line.startswith("Built ")]
    assert re.fullmatch(
        r"Built 1 route \(1 static\), 1 page in \d+\.\d\d s \((1 page|[\d.,]+ pages)/s\) -> .*",
        built,
    ), built
    assert not re.search(r"(?<![\d.,])1 pages\b|\(s\)", result.stdout + result.stderr)


def test_a_revalidate_longer_than_expire_seconds_is_warned_of(make_site: MakeSite) -> None:
    site = make_site({**ISR_SITE, "ssg.toml": "expire_seconds = 10\n"})
    result = run_ssg("build", str(site))
    assert result.returncode == 0, result.stderr
    assert (
        "Warning: /blog/[slug]: revalidate 60s is longer than expire_seconds = 10 in "
        "ssg.toml, so its pages expire before they go stale; raise expire_seconds or lower "
        "the revalidate" in " ".join(result.stdout.split())
    )


def test_urls_that_differ_only_in_case_are_warned_of(make_site: MakeSite) -> None:
    site = make_site(
        {
            **ISR_SITE,
            "app/blog/[slug]/page.py": "def generate_static_params(params):\n"
            "    return [{'slug': 'Governance-wg'}, {'slug': 'governance-wg'}, {'slug': 'b'}]\n",
        }
    )
    result = run_ssg("build", str(site))
    assert result.returncode == 0, result.stderr
    assert (
        "Warning: /blog/Governance-wg and /blog/governance-wg differ only in case: one file "
        "overwrites the other on macOS and Windows; rename one" in " ".join(result.stdout.split())
    )


def test_a_page_module_with_metadata_and_generate_metadata_fails_naming_both(
    make_site: MakeSite,
) -> None:
    # As Next.js: "metadata and generateMetadata cannot be exported at the same time".
    site = make_site(
        {
            **ISR_SITE,
            "app/about/page.html": "about",
            "app/about/page.py": "metadata = {'title': 'A'}\n"
            "def generate_metadata(params):\n    return {'title': 'B'}\n",
        }
    )
    result = run_ssg("build", str(site))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: 1 site module could not be loaded:",
        "  - app/about/page.py: sets both metadata and generate_metadata, and "
        "generate_metadata's answer would silently win: keep one (put static values in what "
        "generate_metadata returns)",
    ]


def test_a_misspelt_include_gets_the_closest_template_name(make_site: MakeSite) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/footer.html": "footer",
            "app/page.html": "{% include 'footr.html' %}",
        }
    )
    result = run_ssg("build", str(site))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: /: app/page.html:1: template 'footr.html' not found in app/ or the theme "
        "(default/templates); check the name in {% extends %} / {% include %}; did you mean "
        "'footer.html'?"
    ]


def test_an_export_shows_isr_routes_as_prerendered_once(make_site: MakeSite) -> None:
    # Files on a static host are never regenerated: "ISR 60s" would promise what an
    # export cannot do.
    site = make_site(ISR_SITE)
    result = run_ssg("build", str(site), "--export")
    assert result.returncode == 0, result.stderr
    (row,) = [line for line in result.stdout.splitlines() if "/blog/[slug]" in line]
    assert row.startswith("●") and "ISR" not in row
    assert (
        "The revalidate of 1 route applies under ssg serve only: an export's files are "
        "never regenerated" in result.stdout
    )
    assert "ISR Ns" not in result.stdout  # the legend explains no ISR either
    assert "Built 2 routes (1 prerendered, 1 static)," in result.stdout


def test_user_error_prints_message_without_traceback(make_site: MakeSite) -> None:
    site = make_site({"app/page.html": "no root layout", "app/[a]/[…b]/page.html": "x"})
    result = run_ssg("build", str(site))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Error:" in result.stderr
    assert "app/layout.html" in result.stderr
    assert "[...b]" in result.stderr


def test_a_failed_static_page_is_named_by_its_url_once(make_site: MakeSite) -> None:
    site = make_site({"app/layout.html": LAYOUT, "app/page.html": "{{ 1 / 0 }}"})
    result = run_ssg("build", str(site))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: /: app/page.html:1: ZeroDivisionError: division by zero"
    ]


def test_failed_pages_of_a_dynamic_route_name_the_urls_and_the_route(
    make_site: MakeSite,
) -> None:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/about/page.html": "{{ 1 / 0 }}",
            "app/blog/[slug]/page.html": "{{ missing.attr }}",
            "app/blog/[slug]/page.py": "def generate_static_params(params):\n"
            "    return [{'slug': s} for s in ('a', 'b', 'c d', 'e')]\n",
        }
    )
    result = run_ssg("build", str(site))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: 5 pages failed to render:",
        "  - /about: app/about/page.html:1: ZeroDivisionError: division by zero",
        "  - /blog/a, /blog/b and 2 more pages (route /blog/[slug]): "
        "app/blog/[slug]/page.html:1: UndefinedError: 'missing' is undefined",
    ]


def test_a_misspelt_config_key_fails_with_the_fix(make_site: MakeSite) -> None:
    site = make_site(
        {"ssg.toml": 'titel = "Mine"\n', "app/layout.html": LAYOUT, "app/page.html": "x"}
    )
    result = run_ssg("build", str(site))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "ssg.toml" in result.stderr
    assert "unknown key 'titel': did you mean 'title'?" in result.stderr


def test_base_url_comes_from_the_environment_and_the_flag_beats_it(make_site: MakeSite) -> None:
    site = make_site(
        {
            "ssg.toml": 'base_url = "https://file.example"\n',
            "app/layout.html": LAYOUT,
            "app/page.html": "{{ site.base_url }}",
        }
    )
    env = {"SSG_BASE_URL": "https://env.example"}
    assert run_ssg("build", str(site), env=env).returncode == 0
    assert (site / "out/index.html").read_text() == "<html><body>https://env.example</body></html>"
    result = run_ssg("build", str(site), "--base-url", "https://flag.example", env=env)
    assert result.returncode == 0, result.stderr
    assert (site / "out/index.html").read_text() == "<html><body>https://flag.example</body></html>"


def test_out_option_writes_elsewhere(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"app/layout.html": LAYOUT, "app/page.html": "home"})
    result = run_ssg("build", str(site), "--out", str(tmp_path / "public_html"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "public_html/index.html").read_text() == "<html><body>home</body></html>"


def test_build_exit_keeps_output_files_and_atexit_handlers(make_site: MakeSite) -> None:
    # The CLI speeds up the interpreter's teardown after a build; what a user sees must not
    # change: the whole route table on a pipe, the exit status, a file a site module left
    # open (flushed at teardown), and atexit handlers of site modules.
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/page.py": "import atexit, pathlib\n"
            "HERE = pathlib.Path(__file__).parent\n"
            "atexit.register((HERE / 'atexit-ran.txt').write_text, 'ok')\n"
            "LOG = open(HERE / 'load.log', 'w')\n"
            "def load(params):\n    LOG.write('loaded')\n    return {}\n",
        }
    )
    result = run_ssg("build", str(site))
    assert result.returncode == 0, result.stderr
    assert "Built 1 route (1 static), 1 page in" in result.stdout
    assert result.stdout.rstrip().endswith("out")  # the summary's last word: the output folder
    assert (site / "app/atexit-ran.txt").read_text() == "ok"
    assert (site / "app/load.log").read_text() == "loaded"


def test_build_command_does_not_import_the_http_client() -> None:
    # aiohttp costs ~0.1 s to import; a build that fetches only its own routes never needs it.
    code = "import sys, ssg.cli, ssg.commands.build; print('aiohttp' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False"


def test_handler_returning_an_aiohttp_response_builds_in_a_fresh_process(
    make_site: MakeSite,
) -> None:
    # aiohttp is imported lazily: in a fresh ssg process a handler that imported only
    # aiohttp.web_response (not aiohttp.web) must still have its response recognised.
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/page.html": "home",
            "app/api.json/route.py": "from aiohttp.web_response import json_response\n"
            "dynamic = 'force-static'\n"
            "def GET(request, params):\n    return json_response({'ok': True})\n",
        }
    )
    result = run_ssg("build", str(site))
    assert result.returncode == 0, result.stderr
    assert json.loads((site / "out/api.json").read_text()) == {"ok": True}


def test_version_and_help_load_no_command() -> None:
    # `ssg --version` and `ssg --help` answer from click alone: the exception tree and
    # logging are imported once a command runs.
    for flag in ("--version", "--help"):
        code = (
            "import sys\nfrom ssg.cli import main\n"
            f"sys.argv = ['ssg', {flag!r}]\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('loaded:', [name for name in ('ssg.errors', 'logging') if name in sys.modules])"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
        assert "loaded: []" in result.stdout, result.stdout + result.stderr
