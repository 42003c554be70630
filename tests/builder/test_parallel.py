"""Phase B on two cores: a forked child finishes and writes every other page."""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import ssg.builder.finish
import ssg.builder.parallel
import ssg.builder.worker
from ssg.builder.builder import build_site
from ssg.config import load_config
from ssg.errors import BuildError, PagesFailedError, SsgError, TemplateError, WorkerExitError
from ssg.render.rendered_page import RenderedPage
from ssg.render.renderer import PreparedPage
from ssg.site import Site
from tests.builder.conftest import ROOT_LAYOUT, Build
from tests.builder.test_golden import FIXTURE, GOLDEN, normalise_manifest, snapshot
from tests.conftest import MakeSite

NUMBERED = {
    "app/layout.html": ROOT_LAYOUT,
    "app/[n]/page.html": "n={{ params.n }}\n{% if params.n == fail %}{{ missing.attr }}{% endif %}",
    "app/[n]/page.py": "def generate_static_params(p):\n"
    "    return [{'n': str(i)} for i in range(10)]\n"
    "def load(p):\n    return {'fail': 'none'}\n",
}
"""Ten pages /0 ... /9 in one output folder, one page a chunk: the child starts with /9."""


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Take the parallel path from 2 pages on; the list collects each forked child's pid."""
    monkeypatch.setattr(ssg.builder.parallel, "PARALLEL_MIN_PAGES", 2)
    monkeypatch.setattr(ssg.builder.parallel, "_should_fork", lambda count: count >= 2)
    pids: list[int] = []
    fork = ssg.builder.worker.RenderWorker.fork

    def spy(*args: Any) -> ssg.builder.worker.RenderWorker:
        child = fork(*args)
        pids.append(child.pid)
        return child

    monkeypatch.setattr(ssg.builder.worker.RenderWorker, "fork", spy)
    return pids


def in_child(parent_pid: int) -> bool:
    return os.getpid() != parent_pid


def tree(out_dir: Path) -> dict[str, bytes]:
    """Every output file's bytes; the manifest without its build id and times."""
    files: dict[str, bytes] = {}
    for file in sorted(out_dir.rglob("*")):
        if file.is_file():
            relative = file.relative_to(out_dir).as_posix()
            data = file.read_bytes()
            if relative == "_ssg/manifest.json":
                data = normalise_manifest(data.decode()).encode()
            files[relative] = data
    return files


VARIED = {
    "app/layout.html": ROOT_LAYOUT,
    "app/layout.py": "metadata = {'title': {'default': 'Site', 'template': '%s | Site'}}\n",
    "app/page.html": "<h1>Home</h1>",
    "app/about/page.md": "---\ntitle: About\n---\n# About *us*\n",
    "app/feed.xml/route.py": "from aiohttp import web\ndynamic = 'force-static'\n"
    "def GET(request, params):\n"
    "    return web.Response(text='<feed/>', content_type='application/xml')\n",
    "app/dash/layout.html": "[{{ slots.team }}]{{ children }}",
    "app/dash/page.html": "main",
    "app/dash/@team/default.html": "team-default",
    "app/posts/[slug]/page.html": "{{ title }} {{ shout(params.slug) }}",
    "app/posts/[slug]/page.py": "import ssg\nrevalidate = 60\n"
    "def generate_static_params(p):\n    return [{'slug': f'p{i}'} for i in range(40)]\n"
    "async def generate_metadata(p):\n    return {'title': 'Post ' + p['slug']}\n"
    "def load(p):\n"
    "    if p['slug'] == 'p3':\n        ssg.not_found()\n"
    "    if p['slug'] == 'p4':\n        ssg.permanent_redirect('/posts/p5')\n"
    "    return {'title': p['slug'].upper(), 'shout': shout}\n"
    "@ssg.cache(tags=['shout'])\ndef shout(slug):\n    return slug + '!'\n",
}


async def test_parallel_output_is_byte_identical_to_one_process(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, forks: list[int]
) -> None:
    site = make_site(VARIED)
    monkeypatch.setattr(ssg.builder.parallel, "_should_fork", lambda count: False)
    single = await build_site(load_config(site, out_dir=tmp_path / "single"))
    monkeypatch.setattr(ssg.builder.parallel, "_should_fork", lambda count: count >= 2)
    parallel = await build_site(load_config(site, out_dir=tmp_path / "parallel"))
    assert len(forks) == 1
    assert tree(tmp_path / "parallel") == tree(tmp_path / "single")
    assert parallel.pages_written == single.pages_written == 43  # 39 posts (p3: not found) + 4
    assert "/posts/p3" not in parallel.manifest.pages
    tags = {parallel.manifest.pages[f"/posts/p{i}"].tags == ("shout",) for i in range(5, 40)}
    assert tags == {True}  # recorded while the templates ran, in both processes
    redirects = {url: (p.location, p.status) for url, p in parallel.manifest.redirects.items()}
    assert redirects == {"/posts/p4": ("/posts/p5", 308)}


async def test_golden_fixture_is_unchanged_on_the_parallel_path(
    tmp_path: Path, build: Build, forks: list[int]
) -> None:
    site = tmp_path / "golden_site"
    shutil.copytree(FIXTURE, site)
    await build(site)
    expected = {
        f.relative_to(GOLDEN).as_posix(): f.read_text(encoding="utf-8")
        for f in sorted(GOLDEN.rglob("*"))
        if f.is_file()
    }
    assert snapshot(site / "out") == expected
    assert len(forks) == 1


async def test_template_error_in_a_child_page_names_the_template_file_and_line(
    make_site: MakeSite, build: Build, forks: list[int]
) -> None:
    site = make_site(
        {**NUMBERED, "app/[n]/page.py": NUMBERED["app/[n]/page.py"].replace("none", "9")}
    )
    with pytest.raises(BuildError, match=r"/9 \(route /\[n\]\): .*app/\[n\]/page.html:2") as info:
        await build(site)
    assert (info.value.route_pattern, info.value.url_path) == ("/[n]", "/9")
    assert (info.value.source_file, info.value.line) == ("app/[n]/page.html", 2)
    cause = info.value.__cause__
    assert isinstance(cause, TemplateError)
    assert (cause.template_file, cause.line) == ("app/[n]/page.html", 2)
    assert "render worker process" in str(cause)  # it was the child's page
    assert not (site / "out").exists()


async def test_errors_of_both_processes_are_listed_by_url(
    make_site: MakeSite, build: Build, forks: list[int]
) -> None:
    template = "n={{ params.n }}\n{% if params.n in ('2', '9') %}{{ missing.attr }}{% endif %}"
    site = make_site({**NUMBERED, "app/[n]/page.html": template})
    with pytest.raises(PagesFailedError, match=r"2 pages failed to render") as info:
        await build(site)
    # One template error, two pages: one line naming both, by URL.
    assert "/2 and /9 (route /[n]): " in str(info.value)
    failures = info.value.failures
    assert all(isinstance(f, BuildError) for f in failures)
    assert [(f.url_path, f.source_file, f.line) for f in failures] == [
        ("/2", "app/[n]/page.html", 2),
        ("/9", "app/[n]/page.html", 2),
    ]


async def test_not_found_from_a_template_writes_no_file(
    make_site: MakeSite, build: Build, forks: list[int]
) -> None:
    site = make_site(
        {
            **NUMBERED,
            "app/[n]/page.html": "{% if params.n in ('4', '7') %}{{ gone() }}{% endif %}ok",
            "app/[n]/page.py": NUMBERED["app/[n]/page.py"].replace(
                "{'fail': 'none'}", "{'gone': ssg.not_found}"
            )
            + "import ssg\n",
        }
    )
    result = await build(site)
    assert sorted(result.manifest.pages) == [f"/{n}" for n in (0, 1, 2, 3, 5, 6, 8, 9)]
    assert not (site / "out/7.html").exists()
    assert (site / "out/9.html").read_text().endswith("<body>ok</body></html>")


async def test_two_urls_from_both_processes_writing_different_bytes_to_one_file(
    make_site: MakeSite, build: Build, forks: list[int]
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/[...alias]/page.html": "{{ url_path }}",
            "app/[...alias]/page.py": "def generate_static_params(p):\n"
            "    return [{'alias': ['x.html']}, {'alias': ['x']}]\n",
        }
    )
    with pytest.raises(SsgError, match=r"/x\.html .* and /x .* written to x.html with different"):
        await build(site)
    assert forks


async def test_a_failed_page_does_not_claim_its_output_file(
    make_site: MakeSite, build: Build, forks: list[int]
) -> None:
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/[...alias]/page.html": "{% if url_path == '/x.html' %}{{ missing.attr }}"
            "{% endif %}{{ url_path }}",
            "app/[...alias]/page.py": "def generate_static_params(p):\n"
            "    return [{'alias': ['x.html']}, {'alias': ['x']}]\n",
        }
    )
    with pytest.raises(BuildError) as info:
        await build(site)
    assert info.value.url_path == "/x.html"


async def test_progress_counts_the_pages_of_both_processes(
    make_site: MakeSite, forks: list[int]
) -> None:
    site = make_site(NUMBERED)
    seen: list[tuple[int, int]] = []
    await build_site(load_config(site), on_progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (10, 10)
    assert [done for done, _total in seen] == sorted(done for done, _total in seen)


async def test_the_child_leaves_the_data_store_alone(
    make_site: MakeSite, build: Build, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ssg.data.store import DataStore

    site = make_site(
        {
            **NUMBERED,
            "app/[n]/page.html": "{{ square(params.n) }}",
            "app/[n]/page.py": NUMBERED["app/[n]/page.py"].replace(
                "{'fail': 'none'}", "{'square': square}"
            )
            + "import ssg\n@ssg.cache(revalidate=60)\ndef square(n):\n    return int(n) ** 2\n",
        }
    )
    calls = site / "store-calls.txt"  # the child's calls would not reach a list in this process
    get, set_ = DataStore.get, DataStore.set

    def spy(method: Any) -> Any:
        def record(self: DataStore, *args: Any, **kwargs: Any) -> Any:
            with calls.open("a") as file:
                file.write(f"{os.getpid()}\n")
            return method(self, *args, **kwargs)

        return record

    monkeypatch.setattr(DataStore, "get", spy(get))
    monkeypatch.setattr(DataStore, "set", spy(set_))
    await build(site)
    assert (site / "out/9.html").read_text().endswith("<body>81</body></html>")
    assert set(calls.read_text().split()) == {str(os.getpid())}


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[str, Counter[str]]]:
    """A JSON server on 127.0.0.1 (ephemeral port) counting requests per path."""
    hits: Counter[str] = Counter()

    async def handle(request: web.Request) -> web.Response:
        hits[request.path] += 1
        return web.json_response({"name": "Shop"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", hits
    await runner.cleanup()


async def test_a_fetch_shared_by_400_pages_is_made_once_with_two_processes(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, upstream: tuple[str, Counter[str]]
) -> None:
    base, hits = upstream
    forked: list[int] = []
    fork = ssg.builder.worker.RenderWorker.fork
    monkeypatch.setattr(
        ssg.builder.worker.RenderWorker,
        "fork",
        lambda *args: forked.append(1) or fork(*args),
    )
    monkeypatch.setattr(ssg.builder.parallel, "_should_fork", lambda count: count >= 300)
    site = make_site(
        {
            "app/layout.html": ROOT_LAYOUT,
            "app/[n]/page.html": "{{ name }} {{ params.n }}",
            "app/[n]/page.py": "import ssg\n"
            "def generate_static_params(p):\n    return [{'n': str(i)} for i in range(400)]\n"
            f"async def load(p):\n    return (await ssg.fetch('{base}/catalog')).json()\n",
        }
    )
    result = await build_site(load_config(site))
    assert forked == [1]
    assert hits["/catalog"] == 1
    assert result.pages_written == 400
    assert (site / "out/399.html").read_text().endswith("<body>Shop 399</body></html>")


@pytest.mark.parametrize(
    ("die", "message"),
    [
        (lambda: os._exit(1), "exited with status 1"),
        (lambda: os.kill(os.getpid(), signal.SIGKILL), "was killed by signal 9"),
    ],
    ids=["exit", "sigkill"],
)
async def test_a_dying_child_fails_the_build_and_keeps_the_previous_output(
    make_site: MakeSite,
    build: Build,
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
    die: Any,
    message: str,
) -> None:
    site = make_site(NUMBERED)
    first = await build(site)
    before = tree(site / "out")
    finish = ssg.builder.finish.finish_page
    parent = os.getpid()

    def dying(site: Site, prepared: PreparedPage) -> RenderedPage:
        if in_child(parent):
            die()
        return finish(site, prepared)

    monkeypatch.setattr(ssg.builder.finish, "finish_page", dying)
    with pytest.raises(
        WorkerExitError, match=f"render worker process .* {message} before sending"
    ) as info:
        await build_site(load_config(site), force=True)  # every page rendered again
    assert len(info.value.exit_codes) == 1
    assert tree(site / "out") == before
    manifest = json.loads((site / "out/_ssg/manifest.json").read_text())
    assert manifest["build_id"] == first.manifest.build_id
    assert [p.name for p in site.iterdir() if "staging" in p.name] == []


async def test_ctrl_c_in_the_child_stops_the_build_as_an_interrupt(
    make_site: MakeSite, build: Build, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C reaches the whole process group; the worker dies of SIGINT. The build stops
    # as interrupted (the CLI prints "Aborted!"), not with a crashed-worker message.
    site = make_site(NUMBERED)
    await build(site)
    before = tree(site / "out")
    finish = ssg.builder.finish.finish_page
    parent = os.getpid()

    def interrupted(site: Site, prepared: PreparedPage) -> RenderedPage:
        if in_child(parent):
            os.kill(os.getpid(), signal.SIGINT)
        return finish(site, prepared)

    monkeypatch.setattr(ssg.builder.finish, "finish_page", interrupted)
    with pytest.raises(KeyboardInterrupt):
        await build_site(load_config(site), force=True)  # every page rendered again
    assert tree(site / "out") == before
    assert [p.name for p in site.iterdir() if "staging" in p.name] == []


async def test_a_bug_in_the_child_is_raised_with_its_traceback(
    make_site: MakeSite, build: Build, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()
    finish = ssg.builder.finish.finish_page

    def broken(site: Site, prepared: PreparedPage) -> RenderedPage:
        if in_child(parent):
            raise AttributeError("internal bug")
        return finish(site, prepared)

    monkeypatch.setattr(ssg.builder.finish, "finish_page", broken)
    site = make_site(NUMBERED)
    with pytest.raises(
        RuntimeError, match=r"(?s)render worker process.*AttributeError: internal bug"
    ):
        await build(site)
    assert not (site / "out").exists()


@pytest.mark.parametrize(
    ("count", "size", "takes", "front", "back"),
    [
        (10, 4, "FFB", [slice(0, 4), slice(4, 8)], [2]),
        (10, 4, "FBB", [slice(0, 4)], [2, 1]),
        (10, 4, "BBBF", [], [2, 1, 0]),
        (8, 4, "BFFB", [slice(0, 4)], [1]),
    ],
    ids=["front-twice", "back-twice", "back-takes-all", "both-at-the-end"],
)
def test_chunks_are_handed_out_from_both_ends_once(
    count: int, size: int, takes: str, front: list[slice], back: list[int]
) -> None:
    from ssg.builder.worker import ChunkQueue

    queue = ChunkQueue(count, size)
    taken_front: list[slice] = []
    taken_back: list[int] = []
    for end in takes:
        if end == "F":
            chunk = queue.take_front()
            if chunk is not None:
                taken_front.append(chunk)
        elif (number := queue.take_back()) >= 0:
            taken_back.append(number)
    assert (taken_front, taken_back) == (front, back)


async def test_the_build_process_takes_the_chunks_a_slow_worker_has_not_asked_for(
    make_site: MakeSite, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker's first page waits until this process has run out of chunks: this
    # process renders every page but the worker's first chunk (/9) and the one it asked
    # for ahead (/8, when its question came before this process had taken that one too);
    # the worker then hears that none are left.
    site = make_site(
        {
            **NUMBERED,
            "app/[n]/page.html": "{{ pid() }}",
            "app/[n]/page.py": NUMBERED["app/[n]/page.py"].replace(
                "{'fail': 'none'}", "{'pid': os.getpid}"
            )
            + "import os\n",
        }
    )
    go_read, go_write = os.pipe()
    parent = os.getpid()
    finish = ssg.builder.finish.finish_page
    report = ssg.builder.worker.RenderWorker.report

    waited: list[bool] = []  # in the child's copy of the list: its first page waited

    def slow_in_child(site: Site, prepared: PreparedPage) -> RenderedPage:
        if in_child(parent) and not waited:
            waited.append(True)
            os.read(go_read, 1)
        return finish(site, prepared)

    def out_of_chunks(self: ssg.builder.worker.RenderWorker) -> Any:
        os.write(go_write, b"!")
        return report(self)

    monkeypatch.setattr(ssg.builder.finish, "finish_page", slow_in_child)
    monkeypatch.setattr(ssg.builder.worker.RenderWorker, "report", out_of_chunks)
    try:
        result = await build_site(load_config(site))
    finally:
        os.close(go_read)
        os.close(go_write)
    renderers = {n: (site / f"out/{n}.html").read_text()[-30:] for n in range(10)}
    child = forks[0]
    by_child = [n for n, text in renderers.items() if f">{child}<" in text]
    assert by_child in ([9], [8, 9])
    assert all(f">{parent}<" in renderers[n] for n in range(10) if n not in by_child)
    assert result.pages_written == 10
