"""ssg.revalidate_path / ssg.revalidate_tag: reach the server's revalidator, or degrade at build."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ssg.data.memo import RequestMemo
from ssg.data.response import FetchResponse
from ssg.data.store import DataStore
from ssg.errors import OutsideRenderError, RevalidateError
from ssg.isr.api import revalidate_path, revalidate_tag
from ssg.revalidate import Revalidate
from ssg.scope import DataServices, DynamicMode, RenderScope, ServiceMode, enter_scope


class FakeRevalidator:
    """The server's revalidator as the API sees it: plain calls, no await."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def revalidate_path(self, url_path: str, type: str | None = None) -> int:
        self.calls.append(("path", url_path, str(type)))
        return 2

    def revalidate_tag(self, tag: str) -> int:
        self.calls.append(("tag", tag))
        return 3


class NoDispatch:
    async def __call__(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> FetchResponse:
        raise AssertionError("not used")


def scope_with(services: DataServices) -> RenderScope:
    return RenderScope(
        route_pattern="/api/hook",
        url_path="/api/hook",
        dynamic=DynamicMode.AUTO,
        config_file="app/api/hook/route.py",
        services=services,
        memo=RequestMemo(),
    )


def test_calls_are_plain_calls_that_reach_the_servers_revalidator() -> None:
    revalidator = FakeRevalidator()
    services = DataServices(
        mode=ServiceMode.SERVE, clock=lambda: 0.0, dispatch=NoDispatch(), revalidator=revalidator
    )

    with enter_scope(scope_with(services)):
        marked_path = revalidate_path("/blog/[slug]", "page")
        marked_tag = revalidate_tag("posts")

    assert (marked_path, marked_tag) == (2, 3)
    assert revalidator.calls == [("path", "/blog/[slug]", "page"), ("tag", "posts")]


def test_during_a_build_tag_drops_data_and_path_is_a_logged_no_op(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = DataStore(tmp_path / "data", clock=lambda: 100.0)
    store.set("k1", "v", revalidate=Revalidate.NEVER, tags=["posts"])
    services = DataServices(
        mode=ServiceMode.SERVE, clock=lambda: 100.0, dispatch=NoDispatch(), store=store
    )

    try:
        with enter_scope(scope_with(services)), caplog.at_level(logging.INFO, logger="ssg.isr"):
            assert revalidate_tag("posts") == 0
            assert revalidate_path("/blog/a") == 0
        assert store.get("k1") is None
    finally:
        store.close()
    assert "nothing to revalidate" in caplog.text


def test_outside_a_render_is_an_error_naming_where_to_call_it() -> None:
    with pytest.raises(OutsideRenderError, match="inside a route handler") as info:
        revalidate_path("/")
    assert info.value.call == "revalidate_path()"
    with pytest.raises(RuntimeError, match="outside a render"):
        revalidate_tag("x")


def test_pattern_without_type_is_an_error() -> None:
    services = DataServices(
        mode=ServiceMode.SERVE,
        clock=lambda: 0.0,
        dispatch=NoDispatch(),
        revalidator=FakeRevalidator(),
    )

    with (
        enter_scope(scope_with(services)),
        pytest.raises(RevalidateError, match='type "page"') as info,
    ):
        revalidate_path("/blog/[slug]")
    assert (info.value.call, info.value.value) == ("revalidate_path", "/blog/[slug]")
    assert isinstance(info.value, ValueError)
