"""generate_static_params: top-down nesting, bottom-up returns, and shape errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ssg.errors import PagesFailedError, ParamsError
from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.conftest import MakeSite

COUNTING = """
import json, pathlib
LOG = pathlib.Path(__file__).resolve().parents[{up}] / "calls.log"
def note(name, params):
    with LOG.open("a") as f:
        f.write(json.dumps([name, params]) + "\\n")
"""


def calls(site_dir: Path) -> list[list[object]]:
    log = site_dir / "calls.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


async def test_child_params_run_once_per_parent_combination(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/shop/[cat]/layout.html": "{{ children }}",
            "app/shop/[cat]/layout.py": COUNTING.format(up=3)
            + "def generate_static_params(params):\n"
            "    note('cat', params)\n"
            "    return [{'cat': 'tea'}, {'cat': 'cups'}]\n",
            "app/shop/[cat]/[item]/page.html": "{{ params.cat }}/{{ params.item }}",
            "app/shop/[cat]/[item]/page.py": COUNTING.format(up=4)
            + "async def generate_static_params(params):\n"
            "    note('item', params)\n"
            "    return [{'item': params['cat'] + '-1'}, {'item': params['cat'] + '-2'}]\n",
        }
    )
    result = await build(site)
    assert calls(site) == [
        ["cat", {}],
        ["item", {"cat": "tea"}],
        ["item", {"cat": "cups"}],
    ]
    assert sorted(result.manifest.pages) == [
        "/shop/cups/cups-1",
        "/shop/cups/cups-2",
        "/shop/tea/tea-1",
        "/shop/tea/tea-2",
    ]
    assert (site / "out/shop/tea/tea-2.html").read_text().endswith("tea/tea-2</body></html>")


async def test_layout_params_are_shared_by_every_route_below(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/[lang]/layout.html": "{{ children }}",
            "app/[lang]/layout.py": COUNTING.format(up=2) + "def generate_static_params(params):\n"
            "    note('lang', params)\n"
            "    return [{'lang': 'en'}, {'lang': 'fr'}]\n",
            "app/[lang]/page.html": "home {{ params.lang }}",
            "app/[lang]/about/page.html": "about {{ params.lang }}",
        }
    )
    result = await build(site)
    assert calls(site) == [["lang", {}]]
    assert sorted(result.manifest.pages) == ["/en", "/en/about", "/fr", "/fr/about"]


async def test_bottom_up_function_returns_parent_keys_and_runs_once(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/[year]/[slug]/page.html": "{{ params.year }} {{ params.slug }}",
            "app/[year]/[slug]/page.py": COUNTING.format(up=3)
            + "def generate_static_params(params):\n"
            "    note('all', params)\n"
            "    return [{'year': '2024', 'slug': 'a'}, {'year': '2025', 'slug': 'b'}]\n",
        }
    )
    result = await build(site)
    assert calls(site) == [["all", {}]]
    assert sorted(result.manifest.pages) == ["/2024/a", "/2025/b"]


async def test_catch_all_params_are_lists(make_site: MakeSite, build: Build) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/docs/[[...parts]]/page.html": "{{ params.parts | default(['root']) | join('>') }}",
            "app/docs/[[...parts]]/page.py": "def generate_static_params(params):\n"
            "    return [{}, {'parts': ['a']}, {'parts': ['a', 'b c']}]\n",
        }
    )
    result = await build(site)
    assert sorted(result.manifest.pages) == ["/docs", "/docs/a", "/docs/a/b%20c"]
    assert (site / "out/docs/a/b c.html").read_text().endswith("a&gt;b c</body></html>")
    assert (site / "out/docs.html").read_text().endswith("root</body></html>")


@pytest.mark.parametrize(
    ("body", "fix"),
    [
        ("return {'slug': 'a'}", "must return a list of dicts"),
        ("return ['a']", "each item must be a dict"),
        ("return [{'id': 'a'}]", "returned the key 'id', but the route takes 'slug'"),
        ("return [{}]", "without the key 'slug'"),
        ("return [{'slug': 3}]", r"\[x\] segments take a str"),
        ("return [{'slug': 'a/b'}]", "cannot hold '/'"),
        ("return None", "must return a list of dicts"),
    ],
    ids=["dict", "not-dicts", "extra-key", "missing-key", "non-string", "slash", "none"],
)
async def test_wrong_return_names_file_route_and_value(
    make_site: MakeSite, build: Build, body: str, fix: str
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/blog/[slug]/page.html": "x",
            "app/blog/[slug]/page.py": f"def generate_static_params(params):\n    {body}\n",
        }
    )
    with pytest.raises(ParamsError, match=fix) as info:
        await build(site)
    assert info.value.source_file == "app/blog/[slug]/page.py"
    assert info.value.route_pattern == "/blog/[slug]"
    assert "app/blog/[slug]/page.py" in str(info.value)


async def test_catch_all_needs_a_list(make_site: MakeSite, build: Build) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/docs/[...parts]/page.html": "x",
            "app/docs/[...parts]/page.py": "def generate_static_params(params):\n"
            "    return [{'parts': 'a/b'}]\n",
        }
    )
    with pytest.raises(ParamsError, match="catch-all segments take a list of str"):
        await build(site)


async def test_empty_list_produces_no_pages(make_site: MakeSite, build: Build) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/blog/[slug]/page.html": "x",
            "app/blog/[slug]/page.py": "def generate_static_params(params):\n    return []\n",
        }
    )
    result = await build(site)
    assert result.manifest.pages == {}
    (row,) = [r for r in result.routes if r.route.route_pattern == "/blog/[slug]"]
    assert row.params_count == 0


async def test_functions_may_leave_out_the_params_they_do_not_use(
    make_site: MakeSite, build: Build
) -> None:
    # As Next.js's generateStaticParams() and a page that ignores its props.
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/[slug]/page.html": "{{ slug }}",
            "app/[slug]/page.py": "def generate_static_params():\n    return [{'slug': 'a'}]\n"
            "def load():\n    return {'slug': 'from load'}\n",
        }
    )
    await build(site)
    assert "<body>from load</body>" in (site / "out/a.html").read_text()


async def test_a_function_that_needs_more_arguments_names_its_file_and_the_fix(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/page.html": "x",
            "app/page.py": "import ssg\n\ndef load(params, request):\n    return {}\n",
            "app/k/page.html": "x",
            "app/k/page.py": "def load(*, params):\n    return {}\n",
        }
    )
    with pytest.raises(PagesFailedError) as info:
        await build(site)
    message = str(info.value)
    assert "app/page.py:3" in message and "app/k/page.py:1" in message
    assert "'load' needs arguments ssg does not pass (it passes params): " in message
    assert "define it as def load(params)" in message
