"""cache="no-store" / revalidate=0 make the route dynamic, per the route's `dynamic` mode."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ssg.data.fetch import fetch
from ssg.errors import DynamicUsage, DynamicUsageError
from ssg.revalidate import Revalidate
from ssg.scope import RenderScope, enter_scope

from .conftest import Upstream


async def test_no_store_in_auto_mode_raises_dynamic_usage_before_fetching(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    url = upstream.url("/a")
    with enter_scope(make_scope(dynamic="auto")), pytest.raises(DynamicUsage) as caught:
        await fetch(url, cache="no-store")
    assert caught.value.call == f'fetch("{url}", cache="no-store")'
    assert upstream.hits["/a"] == 0


async def test_revalidate_zero_in_auto_mode_raises_dynamic_usage(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    url = upstream.url("/a")
    with enter_scope(make_scope(dynamic="auto")), pytest.raises(DynamicUsage) as caught:
        await fetch(url, revalidate=0)
    assert caught.value.call == f'fetch("{url}", revalidate=0)'


async def test_no_store_in_error_mode_raises_dynamic_usage_error_with_the_fix(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    url = upstream.url("/a")
    with enter_scope(make_scope(dynamic="error")), pytest.raises(DynamicUsageError) as caught:
        await fetch(url, cache="no-store")
    assert str(caught.value) == (
        f"Route /x couldn't be rendered statically because it used "
        f'fetch("{url}", cache="no-store"). Set dynamic = "force-dynamic" in app/x/page.py '
        "to render it per request, or stop reading the request."
    )
    assert (caught.value.route_pattern, caught.value.source_file) == ("/x", "app/x/page.py")


async def test_no_store_under_force_static_fetches_without_storing(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    for _render in range(2):
        with enter_scope(make_scope(dynamic="force-static")):
            response = await fetch(upstream.url("/a"), cache="no-store")
    assert response.status == 200
    assert upstream.hits["/a"] == 2


async def test_no_store_in_a_request_render_fetches_and_records_the_call(
    upstream: Upstream, make_scope: Callable[..., RenderScope]
) -> None:
    scope = make_scope(request=object())
    with enter_scope(scope):
        await fetch(upstream.url("/a"), cache="no-store")
    assert upstream.hits["/a"] == 1
    assert scope.dynamic_calls == [f'fetch("{upstream.url("/a")}", cache="no-store")']
    assert scope.revalidate == Revalidate.NEVER
