"""scan_routes: app/ folders -> RouteDefinitions, and every routing problem reported at once."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ssg.errors import RouteProblem, RouteScanError
from ssg.routing.definitions import RouteDefinition, RouteKind, SegmentKind
from ssg.routing.scanner import scan_routes

MakeSite = Callable[[dict[str, str]], Path]  # the `make_site` fixture of tests/conftest.py
ROOT = {"app/layout.html": "<html><body>{{ children }}</body></html>"}


def _scan(make_site: MakeSite, files: dict[str, str]) -> tuple[Path, list[RouteDefinition]]:
    site_dir = make_site({**ROOT, **files})
    return site_dir, scan_routes(site_dir / "app")


def _problems(make_site: MakeSite, files: dict[str, str], match: str) -> list[RouteProblem]:
    site_dir = make_site(files)
    with pytest.raises(RouteScanError, match=match) as info:
        scan_routes(site_dir / "app")
    return info.value.problems


def _by_pattern(routes: list[RouteDefinition]) -> dict[str, RouteDefinition]:
    return {r.route_pattern: r for r in routes}


# -- what a scan finds ------------------------------------------------------------------


def test_scan_finds_pages_handlers_and_patterns(make_site: MakeSite) -> None:
    _, routes = _scan(
        make_site,
        {
            "app/page.html": "",
            "app/blog/page.html": "",
            "app/blog/[slug]/page.html": "",
            "app/blog/[slug]/page.py": "",
            "app/docs/[...parts]/page.md": "",
            "app/shop/[[...path]]/page.html": "",
            "app/(marketing)/about/page.md": "",
            "app/feed.xml/route.py": "",
        },
    )
    assert [r.route_pattern for r in routes] == [
        "/",
        "/about",
        "/blog",
        "/blog/[slug]",
        "/docs/[...parts]",
        "/feed.xml",
        "/shop/[[...path]]",
    ]
    by = _by_pattern(routes)
    assert by["/blog/[slug]"].kind is RouteKind.PAGE
    assert by["/blog/[slug]"].module_file == by["/blog/[slug]"].segment_dir / "page.py"
    assert by["/blog"].module_file is None
    assert by["/about"].page_file is not None and by["/about"].page_file.name == "page.md"
    feed = by["/feed.xml"]
    assert (feed.kind, feed.page_file, feed.module_file) == (
        RouteKind.HANDLER,
        None,
        feed.segment_dir / "route.py",
    )
    assert by["/docs/[...parts]"].param_names == ("parts",)


def test_scan_records_segments_and_dir_chain_through_groups(make_site: MakeSite) -> None:
    site_dir, routes = _scan(make_site, {"app/(shop)/shop/[[...path]]/page.html": ""})
    route = _by_pattern(routes)["/shop/[[...path]]"]
    app = site_dir / "app"
    assert [s.kind for s in route.segments] == [SegmentKind.STATIC, SegmentKind.OPTIONAL_CATCH_ALL]
    assert route.dir_chain == (app, app / "(shop)", app / "(shop)/shop", route.segment_dir)


def test_scan_collects_layouts_root_first_including_groups(make_site: MakeSite) -> None:
    site_dir, routes = _scan(
        make_site,
        {
            "app/(blog)/layout.html": "",
            "app/(blog)/layout.py": "",
            "app/(blog)/blog/layout.html": "",
            "app/(blog)/blog/[slug]/page.html": "",
            "app/about/page.html": "",
        },
    )
    app = site_dir / "app"
    by = _by_pattern(routes)
    layouts = by["/blog/[slug]"].layouts
    assert [layout.segment_dir for layout in layouts] == [app, app / "(blog)", app / "(blog)/blog"]
    assert layouts[1].module_file == app / "(blog)/layout.py"
    assert layouts[0].module_file is None
    assert [layout.segment_dir for layout in by["/about"].layouts] == [app]


def test_scan_makes_slots_of_the_layout_beside_them(make_site: MakeSite) -> None:
    site_dir, routes = _scan(
        make_site,
        {
            "app/dashboard/layout.html": "{{ slots.team }}",
            "app/dashboard/page.html": "",
            "app/dashboard/settings/page.html": "",
            "app/dashboard/@team/page.html": "",
            "app/dashboard/@team/settings/page.html": "",
            "app/dashboard/@team/(g)/members/page.html": "",
            "app/dashboard/@team/default.html": "",
            "app/dashboard/@stats/page.html": "",
        },
    )
    dashboard = site_dir / "app/dashboard"
    assert [r.route_pattern for r in routes] == ["/dashboard", "/dashboard/settings"]
    slots = _by_pattern(routes)["/dashboard"].layouts[-1].slots
    assert sorted(slots) == ["stats", "team"]
    team = slots["team"]
    assert team.slot_dir == dashboard / "@team"
    assert {"/".join(s.name for s in key): file for key, file in team.pages.items()} == {
        "": dashboard / "@team/page.html",
        "members": dashboard / "@team/(g)/members/page.html",
        "settings": dashboard / "@team/settings/page.html",
    }
    assert team.default_file == dashboard / "@team/default.html"
    assert slots["stats"].default_file is None


def test_scan_uses_the_nearest_not_found_and_error_files(make_site: MakeSite) -> None:
    site_dir, routes = _scan(
        make_site,
        {
            "app/not-found.html": "",
            "app/error.html": "",
            "app/page.html": "",
            "app/(g)/blog/not-found.html": "",
            "app/(g)/blog/[slug]/page.html": "",
        },
    )
    app = site_dir / "app"
    by = _by_pattern(routes)
    assert by["/"].not_found_file == app / "not-found.html"
    assert by["/blog/[slug]"].not_found_file == app / "(g)/blog/not-found.html"
    assert by["/blog/[slug]"].error_file == app / "error.html"


def test_scan_skips_private_folders_and_dotfiles(make_site: MakeSite) -> None:
    _, routes = _scan(
        make_site,
        {
            "app/page.html": "",
            "app/_partials/page.html": "",
            "app/_partials/[bad-name]/x/page.html": "",
            "app/.hidden/page.html": "",
            "app/__pycache__/page.html": "",
        },
    )
    assert [r.route_pattern for r in routes] == ["/"]


def test_scan_is_deterministic(make_site: MakeSite) -> None:
    files = {f"app/{name}/page.html": "" for name in ("b", "a", "[x]", "c")}
    site_dir, first = _scan(make_site, files)
    assert scan_routes(site_dir / "app") == first


# -- problems ---------------------------------------------------------------------------


def test_missing_app_folder_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(make_site, {"ssg.toml": ""}, "There is no app/ folder")
    assert "Create" in problem.message
    assert problem.source_files == ("app",)


def test_missing_root_layout_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {"app/page.html": ""},
        re.escape("create app/layout.html with <html> and <body> and {{ children }}"),
    )
    assert problem.source_files == ("app/layout.html",)


def test_missing_root_layout_suggests_a_typo(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site, {"app/page.html": "", "app/layuot.html": ""}, "app/layout.html is missing"
    )
    assert "Did you mean to name 'layuot.html' 'layout.html'?" in problem.message


def test_same_url_across_groups_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/(a)/about/page.html": "", "app/(b)/about/page.md": ""},
        re.escape("move the files of app/(b)/about into app/(a)/about"),
    )
    assert "resolve to the same URL /about" in problem.message
    assert "rename one of them (e.g. app/(b)/about -> app/(b)/about-2)" in problem.message
    assert problem.source_files == ("app/(a)/about/page.html", "app/(b)/about/page.md")


def test_same_dynamic_route_in_two_groups_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/(a)/[slug]/page.html": "", "app/(b)/[slug]/route.py": ""},
        re.escape("Keep one: move the files of app/(b)/[slug] into app/(a)/[slug]"),
    )
    assert problem.source_files == ("app/(a)/[slug]/page.html", "app/(b)/[slug]/route.py")


def test_page_beside_route_handler_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/api/page.html": "", "app/api/route.py": ""},
        re.escape("Move route.py into a child folder (e.g. app/api/data/route.py)"),
    )
    assert problem.source_files == ("app/api/page.html", "app/api/route.py")


def test_page_html_beside_page_md_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/about/page.html": "", "app/about/page.md": ""},
        "Keep one of them",
    )
    assert problem.source_files == ("app/about/page.html", "app/about/page.md")


def test_different_param_names_at_one_level_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/blog/[id]/edit/page.html": "", "app/blog/[slug]/page.html": ""},
        re.escape("Use [id] in both: rename app/blog/[slug] to app/blog/[id]"),
    )
    assert "one level of the URL /blog/..." in problem.message
    assert problem.source_files == ("app/blog/[id]", "app/blog/[slug]")


def test_different_param_names_across_groups_is_a_problem(make_site: MakeSite) -> None:
    problems = _problems(
        make_site,
        {
            **ROOT,
            "app/(a)/[slug]/page.html": "",
            "app/(a)/[slug]/x/page.html": "",
            "app/(b)/[name]/page.html": "",
        },
        re.escape("Use [slug] in both: rename app/(b)/[name] to app/(b)/[slug]"),
    )
    names = [p for p in problems if "Different param names" in p.message]
    assert names[0].source_files == ("app/(a)/[slug]", "app/(b)/[name]")


def test_catch_all_that_is_not_last_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/docs/[...parts]/page.html": "", "app/docs/[...parts]/edit/page.html": ""},
        re.escape("or use [parts] to match a single segment"),
    )
    assert problem.source_files == ("app/docs/[...parts]", "app/docs/[...parts]/edit/page.html")


def test_optional_catch_all_that_is_not_last_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/[[...all]]/x/route.py": ""},
        "must be the last URL segment",
    )
    assert problem.source_files == ("app/[[...all]]", "app/[[...all]]/x/route.py")


def test_ellipsis_instead_of_three_dots_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/docs/[\u2026parts]/page.html": ""},
        re.escape("rename the folder to [...parts]"),
    )
    assert "U+2026" in problem.message
    assert problem.source_files == ("app/docs/[\u2026parts]",)


def test_param_that_is_not_an_identifier_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/blog/[my-slug]/page.html": ""},
        re.escape("rename the folder to [my_slug]"),
    )
    assert problem.source_files == ("app/blog/[my-slug]",)


def test_repeated_param_name_in_one_route_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/[id]/x/[id]/page.html": ""},
        re.escape("Rename the inner folder (e.g. app/[id]/x/[id] -> app/[id]/x/[id2])"),
    )
    assert problem.source_files == ("app/[id]", "app/[id]/x/[id]")


def test_optional_catch_all_clashing_with_its_bare_page_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/docs/page.html": "", "app/docs/[[...parts]]/page.html": ""},
        re.escape("Delete app/docs/page.html and let [[...parts]] render /docs"),
    )
    assert "both render /docs" in problem.message
    assert problem.source_files == ("app/docs/page.html", "app/docs/[[...parts]]/page.html")


def test_catch_all_beside_optional_catch_all_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/docs/[...a]/page.html": "", "app/docs/[[...b]]/page.html": ""},
        "Keep one of them",
    )
    assert problem.source_files == ("app/docs/[...a]", "app/docs/[[...b]]")


def test_slot_without_a_layout_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/x/page.html": "", "app/x/@team/page.html": ""},
        re.escape("Add app/x/layout.html using {{ slots.team }}"),
    )
    assert problem.source_files == ("app/x/@team",)


def test_markdown_page_in_a_slot_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/@team/page.md": ""},
        "rename page.md to page.html",
    )
    assert problem.source_files == ("app/@team",)


def test_layout_module_without_template_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/blog/layout.py": "", "app/blog/page.html": ""},
        re.escape("Add app/blog/layout.html with {{ children }}"),
    )
    assert problem.source_files == ("app/blog/layout.py",)


def test_page_module_without_template_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/blog/page.py": "", "app/blog/pgae.html": ""},
        "rename page.py to route.py for a route handler",
    )
    assert "Did you mean to name 'pgae.html' 'page.html'?" in problem.message
    assert problem.source_files == ("app/blog/page.py",)


def test_misnamed_special_file_is_a_problem(make_site: MakeSite) -> None:
    (problem,) = _problems(
        make_site,
        {**ROOT, "app/page.html": "", "app/not_found.html": ""},
        "rename it to not-found.html",
    )
    assert problem.source_files == ("app/not_found.html",)


def test_every_problem_is_reported_at_once(make_site: MakeSite) -> None:
    problems = _problems(
        make_site,
        {
            "app/(a)/about/page.html": "",
            "app/(b)/about/page.html": "",
            "app/api/page.html": "",
            "app/api/route.py": "",
            "app/blog/[my-slug]/page.html": "",
            "app/docs/[\u2026parts]/page.html": "",
        },
        "Found 5 routing problem",
    )
    assert [p.source_files[0] for p in problems] == [
        "app/layout.html",
        "app/api/page.html",
        "app/blog/[my-slug]",
        "app/docs/[\u2026parts]",
        "app/(a)/about/page.html",
    ]


def test_problems_below_a_badly_named_folder_are_reported_too(make_site: MakeSite) -> None:
    problems = _problems(
        make_site,
        {**ROOT, "app/[\u2026parts]/x/page.html": ""},
        "routing problem",
    )
    assert [p.source_files for p in problems] == [
        ("app/[\u2026parts]",),
        ("app/[\u2026parts]", "app/[\u2026parts]/x/page.html"),
    ]


def test_intercepting_folders_are_accepted_and_add_no_route(make_site: MakeSite) -> None:
    """A Next.js app with (.)/(..)/(...) folders scans as it is (parallel-routes docs:
    intercepting routes apply only to client-side navigation)."""
    _, routes = _scan(
        make_site,
        {
            "app/page.html": "feed",
            "app/layout.html": "<html><body>{{ children }}{{ slots.modal }}</body></html>",
            "app/photo/[id]/page.html": "photo",
            "app/@modal/(.)photo/[id]/page.html": "modal",
            "app/@modal/default.html": "",
            "app/feed/(..)photo/[id]/page.html": "intercepted",
            "app/feed/(...)about/page.html": "intercepted",
            "app/feed/page.html": "feed page",
            "app/feed/loading.html": "Loading…",
            "app/global-error.html": "<html><body>failed</body></html>",
        },
    )

    assert sorted(_by_pattern(routes)) == ["/", "/feed", "/photo/[id]"]
    slot = _by_pattern(routes)["/"].layouts[0].slots["modal"]
    assert slot.pages == {}


def test_next_js_metadata_files_are_warned_of_with_the_fix(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    files = {
        "app/layout.html": "{{ children }}",
        "app/page.html": "home",
        "app/favicon.ico": "",
        "app/blog/page.html": "blog",
        "app/blog/opengraph-image.png": "",
        "app/blog/notes.txt": "",
    }
    with caplog.at_level("WARNING", logger="ssg.routing"):
        _scan(make_site, files)
    assert [r.getMessage() for r in caplog.records] == [
        "app/favicon.ico is a Next.js file convention that ssg ignores: put it in public/ "
        "(served at the same URL under the site's root).",
        "app/blog/opengraph-image.png is a Next.js file convention that ssg ignores: put it "
        "in public/ (served at the same URL under the site's root) and set its URL in "
        "metadata (image).",
    ]
