"""ssg.toml: one table of settings, every problem reported at once with its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssg.config import SETTINGS, load_config
from ssg.errors import ConfigError, SiteNotFoundError, SsgError
from tests.conftest import MakeSite


def _load(make_site: MakeSite, toml: str, **overrides: object):
    site_dir = make_site({"ssg.toml": toml, "app/page.html": "hi"})
    overrides.setdefault("environ", {})
    return load_config(site_dir, **overrides)  # type: ignore[arg-type]


def test_defaults_come_from_the_settings_table(make_site: MakeSite) -> None:
    config = _load(make_site, "")
    for setting in SETTINGS:
        if setting.theme:
            assert config.theme_values[setting.key] == setting.default
    assert config.base_url == ""
    assert config.base_path == ""
    assert config.out_dir == config.site_dir / "out"
    assert config.cache_dir == config.site_dir / ".ssg"
    assert config.output == "server"
    assert config.expire_seconds == 31_536_000
    assert config.params == {}


# (toml, key, message, fix): each problem users make, and the fix the error gives.
PROBLEMS = [
    pytest.param(
        'titel = "x"\n', "titel", "unknown key 'titel'", "did you mean 'title'?", id="typo"
    ),
    pytest.param(
        'baseURL = "https://a.example"\n',
        "baseURL",
        "unknown key 'baseURL'",
        "did you mean 'base_url'?",
        id="hugo-spelling",
    ),
    pytest.param(
        "trailingSlash = true\n",
        "trailingSlash",
        "unknown key 'trailingSlash'",
        "did you mean 'trailing_slash'?",
        id="nextjs-spelling",
    ),
    pytest.param(
        'site_name = "Docs"\n',
        "site_name",
        "unknown key 'site_name'",
        "did you mean 'title'?",
        id="mkdocs-site-name",
    ),
    pytest.param(
        'SITEURL = "https://a.example"\n',
        "SITEURL",
        "unknown key 'SITEURL'",
        "did you mean 'base_url'?",
        id="pelican-siteurl",
    ),
    pytest.param(
        'color = "red"\n',
        "color",
        "unknown key 'color'",
        "move the site's own values under [params] (read as site.params.color)",
        id="site-value-outside-params",
    ),
    pytest.param(
        'trailing_slash = "yes"\n',
        "trailing_slash",
        "trailing_slash = 'yes' must be a boolean",
        "trailing_slash: /a is written as a.html (false) or a/index.html",
        id="wrong-type",
    ),
    pytest.param(
        "expire_seconds = true\n",
        "expire_seconds",
        "expire_seconds = True must be an integer",
        "expire_seconds: how long",
        id="bool-is-not-int",
    ),
    pytest.param(
        "expire_seconds = -1\n",
        "expire_seconds",
        "expire_seconds = -1 is below 0",
        "use 0 or more (seconds)",
        id="negative-seconds",
    ),
    pytest.param(
        'output = "exprt"\n',
        "output",
        'output = \'exprt\' must be "server" or "export"',
        'did you mean "export"?',
        id="output-typo",
    ),
    pytest.param(
        'base_url = "example.org"\n',
        "base_url",
        "base_url = 'example.org' is not an absolute",
        'write it as "https://example.org"',
        id="relative-base-url",
    ),
    pytest.param(
        'base_path = "https://a.example/repo"\n',
        "base_path",
        "is a URL, not a path",
        "put the origin in base_url and only the path in base_path",
        id="base-path-url",
    ),
    pytest.param(
        'base_path = "/a/../b"\n',
        "base_path",
        "has an invalid segment '..'",
        'without "?", "#", spaces',
        id="base-path-dots",
    ),
    pytest.param(
        'base_path = "repo"\n',
        "base_path",
        "base_path = 'repo' must start with \"/\"",
        'write it as "/repo" (as Next.js\'s basePath',
        id="base-path-relative",
    ),
    pytest.param(
        'base_path = "/repo/"\n',
        "base_path",
        "base_path = '/repo/' must not end with \"/\"",
        'write it as "/repo"',
        id="base-path-trailing-slash",
    ),
    pytest.param(
        'base_path = "/"\n',
        "base_path",
        "base_path = '/' must not end with \"/\"",
        'write "" to serve the site at the root',
        id="base-path-root",
    ),
    pytest.param(
        'base_path = "/a//b"\n',
        "base_path",
        "base_path = '/a//b' has an empty segment",
        'write it as "/a/b"',
        id="base-path-empty-segment",
    ),
    pytest.param(
        'base_path = "/my repo"\n',
        "base_path",
        "has an invalid segment 'my repo'",
        'e.g. "/repo"',
        id="base-path-space",
    ),
    pytest.param(
        'base_url = "https://owner.github.io/repo/"\n',
        "base_url",
        "has the path /repo but base_path is empty",
        'set base_path = "/repo" if the site is served under /repo',
        id="base-url-path-without-base-path",
    ),
    pytest.param(
        'cache_url = "http://localhost:6379"\n',
        "cache_url",
        "is not a Redis URL",
        '"redis://host:6379/0"',
        id="cache-url-scheme",
    ),
    pytest.param(
        'cdn_tag_header = "Cache Tag"\n',
        "cdn_tag_header",
        "is not an HTTP header name",
        '"Cache-Tag" or "Surrogate-Key"',
        id="header-name",
    ),
    pytest.param(
        'purge_webhook = "/hook"\n',
        "purge_webhook",
        "is not an absolute http(s) URL",
        "https://example.org",
        id="webhook-url",
    ),
    pytest.param(
        'language = "english please"\n',
        "language",
        "is not a language tag",
        '"en" or "pt-BR"',
        id="language-tag",
    ),
    pytest.param(
        'nav = ["/blog"]\n',
        "nav",
        "nav item '/blog' needs a string title and url",
        '{ title = "Blog", url = "/blog" }',
        id="nav-item",
    ),
    pytest.param(
        'params = "x"\n',
        "params",
        "params = 'x' must be a table",
        "write [params] then keys",
        id="params-not-a-table",
    ),
    pytest.param("title = \n", "", "not valid TOML", "at line 1", id="bad-toml"),
    pytest.param("nav = [\n", "", "not valid TOML", "near the end of the file", id="toml-unclosed"),
]


@pytest.mark.parametrize(("toml", "key", "message", "fix"), PROBLEMS)
def test_each_problem_names_the_file_the_key_and_the_fix(
    make_site: MakeSite, toml: str, key: str, message: str, fix: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(make_site, toml)
    error = caught.value
    assert error.source_file.name == "ssg.toml"
    (problem,) = error.problems
    assert problem.key == key
    assert message in problem.message
    assert fix in str(problem)
    assert problem.line == (1 if key else None)  # bad TOML: tomllib's message has the line
    assert str(error).startswith(f"{error.source_file}: 1 problem in the config")
    assert message in str(error)


def test_every_problem_is_reported_at_once(make_site: MakeSite) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(make_site, 'titel = "x"\nexpire_seconds = "1"\noutput = "static"\n')
    assert [p.key for p in caught.value.problems] == ["titel", "expire_seconds", "output"]
    assert [p.line for p in caught.value.problems] == [1, 2, 3]


def test_a_problem_names_the_line_of_its_key_in_ssg_toml(make_site: MakeSite) -> None:
    toml = '# the site\n\n"title" = "T"\n  base_path = "docs"  # a project site\n[params]\nx = 1\n'
    with pytest.raises(ConfigError) as caught:
        _load(make_site, toml)
    (problem,) = caught.value.problems
    assert problem.line == 4
    assert (
        str(caught.value)
        .splitlines()[1]
        .startswith('  - line 4: base_path = \'docs\' must start with "/": write it as "/docs"')
    )


def test_site_values_under_params_reach_templates_as_site_params(make_site: MakeSite) -> None:
    config = _load(make_site, 'title = "T"\n[params]\ncolor = "red"\n')
    values = config.template_values()
    assert values["title"] == "T"
    assert values["params"] == {"color": "red"}
    assert "color" not in values


@pytest.mark.parametrize("written", ["", "/repo", "/a/b"])
def test_a_base_path_in_next_js_form_is_kept(make_site: MakeSite, written: str) -> None:
    assert _load(make_site, f'base_path = "{written}"\n').base_path == written


@pytest.mark.parametrize(
    ("environ", "key", "value"),
    [
        pytest.param(
            {"SSG_BASE_URL": "https://env.example"},
            "base_url",
            "https://env.example",
            id="ssg-base-url",
        ),
        pytest.param({"SSG_BASE_PATH": "/docs"}, "base_path", "/docs", id="ssg-base-path"),
        pytest.param(
            {"SSG_CACHE_URL": "redis://r:6379/1"},
            "cache_url",
            "redis://r:6379/1",
            id="ssg-cache-url",
        ),
        pytest.param(
            {
                "NETLIFY": "true",
                "CONTEXT": "production",
                "URL": "https://site.example",
                "DEPLOY_PRIME_URL": "https://main--site.example",
            },
            "base_url",
            "https://site.example",
            id="netlify-production-url",
        ),
        pytest.param(
            {
                "NETLIFY": "true",
                "CONTEXT": "deploy-preview",
                "URL": "https://site.example",
                "DEPLOY_PRIME_URL": "https://deploy-preview-4--site.example",
            },
            "base_url",
            "https://deploy-preview-4--site.example",
            id="netlify-preview-prime-url",
        ),
        pytest.param(
            {
                "NETLIFY": "true",
                "CONTEXT": "production",
                "URL": "https://site.example",
                "SSG_BASE_URL": "https://mine.example",
            },
            "base_url",
            "https://mine.example",
            id="ssg-base-url-beats-netlify",
        ),
        pytest.param(
            {"URL": "https://stray.example"},
            "base_url",
            "https://file.example",
            id="url-outside-netlify-is-ignored",
        ),
    ],
)
def test_environment_overrides_the_file(
    make_site: MakeSite, environ: dict[str, str], key: str, value: str
) -> None:
    toml = 'base_url = "https://file.example"\nbase_path = "/file"\n'
    assert getattr(_load(make_site, toml, environ=environ), key) == value


def test_command_line_base_url_beats_the_environment(make_site: MakeSite) -> None:
    config = _load(
        make_site,
        "",
        environ={"SSG_BASE_URL": "https://env.example"},
        base_url="https://flag.example/",
    )
    assert config.base_url == "https://flag.example"


def test_a_bad_environment_value_names_the_variable(make_site: MakeSite) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(make_site, "", environ={"SSG_BASE_PATH": "/a b"})
    (problem,) = caught.value.problems
    assert problem.key == "base_path"
    assert "SSG_BASE_PATH" in problem.message


def test_a_missing_site_folder_is_a_site_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(SiteNotFoundError, match="does not exist") as caught:
        load_config(tmp_path / "nope", environ={})
    assert isinstance(caught.value, SsgError)
    assert isinstance(caught.value, FileNotFoundError)
    assert caught.value.site_dir == tmp_path / "nope"


def test_a_base_url_path_is_fine_with_a_base_path(make_site: MakeSite) -> None:
    toml = 'base_url = "https://owner.github.io/repo/"\nbase_path = "/repo"\n'
    assert _load(make_site, toml).site_url == "https://owner.github.io/repo"


def test_a_base_url_path_from_the_environment_names_the_variable(make_site: MakeSite) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(make_site, "", environ={"SSG_BASE_URL": "https://x.org/docs"})
    assert str(caught.value).splitlines() == [
        "1 problem in the config:",
        "  - base_url = 'https://x.org/docs' (from the environment variable SSG_BASE_URL) has "
        "the path /docs but base_path is empty, so the links and assets of every page would "
        'miss /docs while feeds and sitemaps carry it: set base_path = "/docs" if the site is '
        "served under /docs (a GitHub Pages project site), or drop the path from base_url",
    ]


@pytest.mark.parametrize(
    ("toml", "line"),
    [
        (
            'title = "a"\nbase_url = "https://x.org"\ntitle = "b"\n',
            "  - line 3: title is set twice, on lines 1 and 3",
        ),
        ("[params]\nx = 1\nx = 2\n", "  - line 3: params.x is set twice, on lines 2 and 3"),
    ],
    ids=["top-level", "in-a-table"],
)
def test_a_key_set_twice_is_named_with_both_lines(
    make_site: MakeSite, toml: str, line: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(make_site, toml)
    assert str(caught.value).splitlines()[1] == (
        f"{line}: keep one of them (TOML allows a key once in a table)"
    )
