"""Fixtures for ssg.content: write a content folder, and run code inside a render scope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

import pytest

from ssg.data.memo import RequestMemo
from ssg.data.response import FetchResponse
from ssg.scope import DataServices, DynamicMode, RenderScope, ServiceMode, enter_scope

WritePosts = Callable[[dict[str, str]], Path]


class FakeClock:
    """A clock tests move by hand: `clock.now += 5`; it starts in 2033, after every test post."""

    def __init__(self, now: float = 2_000_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class InScope(Protocol):
    """`in_scope(site_dir, clock=..., building=..., include_drafts=..., strict=...)`: make a
    render current."""

    def __call__(
        self,
        site_dir: Path,
        *,
        clock: FakeClock | None = None,
        building: bool = False,
        include_drafts: bool = False,
        strict: bool = False,
    ) -> AbstractContextManager[RenderScope]: ...


@pytest.fixture
def write_posts(tmp_path: Path) -> WritePosts:
    """Return `write(files) -> folder`: write each relative path's text under tmp_path/posts."""

    def write(files: dict[str, str]) -> Path:
        folder = tmp_path / "posts"
        folder.mkdir(exist_ok=True)
        for relative, text in files.items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return folder

    return write


async def _no_dispatch(
    method: str, url: str, headers: dict[str, str], body: bytes | None
) -> FetchResponse:
    raise AssertionError(f"unexpected in-process fetch {method} {url}")


@pytest.fixture
def in_scope() -> InScope:
    """Return `in_scope(site_dir, clock=None, building=False)`: make a page render current.

    `building=True` gives the services a build-wide memo, as a build has; otherwise
    they are a server's; `include_drafts=True` is what `ssg dev` and `--drafts` set, `strict=True` what `--strict` sets. The clock defaults to a `FakeClock` that
    never moves.
    """

    @contextmanager
    def enter(
        site_dir: Path,
        *,
        clock: FakeClock | None = None,
        building: bool = False,
        include_drafts: bool = False,
        strict: bool = False,
    ) -> Iterator[RenderScope]:
        memo = RequestMemo()
        services = DataServices(
            mode=ServiceMode.BUILD if building else ServiceMode.SERVE,
            clock=clock or FakeClock(),
            dispatch=_no_dispatch,
            site_dir=site_dir,
            build_memo=memo if building else None,
            include_drafts=include_drafts,
            strict=strict,
        )
        scope = RenderScope(
            route_pattern="/blog/[slug]",
            url_path="/blog/hello",
            dynamic=DynamicMode.AUTO,
            config_file="app/blog/[slug]/page.py",
            services=services,
            memo=memo,
        )
        with enter_scope(scope):
            yield scope

    return enter
