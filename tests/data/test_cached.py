"""@ssg.cache: memoization and the data cache for sync and async functions."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections import Counter
from collections.abc import Callable

import pytest

from ssg.data.decorator import cache
from ssg.errors import DynamicUsage
from ssg.revalidate import Revalidate
from ssg.scope import DataServices, RenderScope, enter_scope

from .conftest import FakeClock

calls: Counter[str] = Counter()
"""Counts real runs of the functions below; reset per test."""


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


@cache
async def get_post(slug: str, lang: str = "en") -> dict[str, str]:
    calls["get_post"] += 1
    await asyncio.sleep(0)  # let concurrent callers arrive while it runs
    return {"slug": slug, "lang": lang}


@cache
def word_count(text: str) -> int:
    calls["word_count"] += 1
    return len(text.split())


@cache(revalidate=60, tags=["posts"])
async def list_posts(page: int) -> list[int]:
    calls["list_posts"] += 1
    return [page, calls["list_posts"]]


@cache(revalidate=False, tags=["authors"])
def author_names() -> list[str]:
    calls["author_names"] += 1
    return ["ada"]


@cache(revalidate=60)
async def make_lock() -> threading.Lock:
    calls["make_lock"] += 1
    return threading.Lock()


@cache(revalidate=0)
async def live_price() -> int:
    calls["live_price"] += 1
    return 1


@cache
def failing(n: int) -> int:
    calls["failing"] += 1
    raise ValueError(n)


async def test_concurrent_async_calls_with_the_same_arguments_run_once(
    make_scope: Callable[..., RenderScope],
) -> None:
    with enter_scope(make_scope()):
        results = await asyncio.gather(*(get_post("hello") for _ in range(4)))
    assert calls["get_post"] == 1
    assert results == [{"slug": "hello", "lang": "en"}] * 4


async def test_different_arguments_run_separately(
    make_scope: Callable[..., RenderScope],
) -> None:
    with enter_scope(make_scope()):
        await get_post("hello")
        await get_post("world")
    assert calls["get_post"] == 2


async def test_positional_keyword_and_default_arguments_share_a_key(
    make_scope: Callable[..., RenderScope],
) -> None:
    with enter_scope(make_scope()):
        await get_post("hello")
        await get_post(slug="hello")
        await get_post("hello", lang="en")
    assert calls["get_post"] == 1


async def test_decorated_async_function_stays_async_and_sync_stays_sync() -> None:
    assert inspect.iscoroutinefunction(get_post)
    assert not inspect.iscoroutinefunction(word_count)
    assert word_count.__name__ == "word_count"


async def test_sync_function_is_memoized_per_scope(
    make_scope: Callable[..., RenderScope],
) -> None:
    with enter_scope(make_scope()):
        assert word_count("a b c") == 3
        assert word_count("a b c") == 3
    with enter_scope(make_scope()):
        word_count("a b c")
    assert calls["word_count"] == 2


async def test_outside_a_render_the_function_is_simply_called() -> None:
    await get_post("hello")
    await get_post("hello")
    word_count("a")
    assert (calls["get_post"], calls["word_count"]) == (2, 1)


async def test_revalidate_stores_the_result_across_reopened_stores(
    make_services: Callable[[], DataServices], make_scope: Callable[..., RenderScope]
) -> None:
    first = make_services()
    with enter_scope(make_scope(on=first)):
        await list_posts(1)
    await first.aclose()
    with enter_scope(make_scope(on=make_services())):
        assert await list_posts(1) == [1, 1]
    assert calls["list_posts"] == 1


async def test_stored_result_is_recomputed_after_it_expires(
    make_scope: Callable[..., RenderScope], clock: FakeClock
) -> None:
    with enter_scope(make_scope()):
        await list_posts(1)
    clock.advance(61)
    with enter_scope(make_scope()):
        assert await list_posts(1) == [1, 2]


async def test_sync_function_with_revalidate_false_is_stored(
    make_scope: Callable[..., RenderScope],
) -> None:
    for _render in range(2):
        with enter_scope(make_scope()):
            author_names()
    assert calls["author_names"] == 1


async def test_revalidate_tag_drops_the_stored_result(
    make_scope: Callable[..., RenderScope], services: DataServices
) -> None:
    with enter_scope(make_scope()):
        await list_posts(1)
    assert services.store is not None
    assert services.store.revalidate_tag("posts") == 1
    with enter_scope(make_scope()):
        await list_posts(1)
    assert calls["list_posts"] == 2


async def test_calls_record_revalidate_and_tags_into_the_scope(
    make_scope: Callable[..., RenderScope],
) -> None:
    scope = make_scope()
    with enter_scope(scope):
        await list_posts(1)
        author_names()
    assert (scope.revalidate, scope.tags) == (Revalidate.after(60), {"posts", "authors"})


async def test_unpicklable_argument_raises_type_error_naming_the_function(
    make_scope: Callable[..., RenderScope],
) -> None:
    with (
        enter_scope(make_scope()),
        pytest.raises(TypeError, match=r"get_post was called with an argument that cannot"),
    ):
        await get_post(threading.Lock())  # type: ignore[arg-type]
    assert calls["get_post"] == 0


async def test_unpicklable_result_is_memoized_but_not_stored_with_a_warning(
    make_scope: Callable[..., RenderScope], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ssg.data"), enter_scope(make_scope()):
        first = await make_lock()
        assert await make_lock() is first
    with enter_scope(make_scope()):
        await make_lock()
    assert calls["make_lock"] == 2
    assert "make_lock: the result is not stored in the data cache" in caplog.text


async def test_revalidate_zero_makes_the_route_dynamic(
    make_scope: Callable[..., RenderScope],
) -> None:
    with enter_scope(make_scope()), pytest.raises(DynamicUsage) as caught:
        await live_price()
    assert caught.value.call == "live_price() with @ssg.cache(revalidate=0)"
    assert calls["live_price"] == 0


async def test_exceptions_are_not_memoized(make_scope: Callable[..., RenderScope]) -> None:
    with enter_scope(make_scope()):
        for _attempt in range(2):
            with pytest.raises(ValueError):
                failing(1)
    assert calls["failing"] == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tags": "posts"}, r'must be a list of strings, e.g. tags=\["posts"\]'),
        ({"revalidate": -1}, "must be 0 or more seconds"),
        ({"revalidate": "60"}, "is not a number of seconds"),
    ],
    ids=["bare-string-tags", "negative-revalidate", "string-revalidate"],
)
def test_bad_options_raise_value_error_at_decoration(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cache(**options)  # type: ignore[call-overload]


async def test_calls_without_arguments_share_a_key_and_bad_calls_keep_raising(
    make_scope: Callable[..., RenderScope],
) -> None:
    with enter_scope(make_scope()):
        assert author_names() == author_names() == ["ada"]
        for _ in range(2):  # a call missing its argument is never keyed as a call without any
            with pytest.raises(TypeError):
                word_count()  # type: ignore[call-arg]
        assert word_count("a b") == 2
    assert (calls["author_names"], calls["word_count"]) == (1, 1)


FILTER = {"tag": "python"}


@cache
def tagged(options: dict[str, str] = FILTER) -> str:
    calls["tagged"] += 1
    return options["tag"]


async def test_a_mutated_default_argument_is_part_of_the_key(
    make_scope: Callable[..., RenderScope],
) -> None:
    with enter_scope(make_scope()):
        assert tagged() == "python"
        FILTER["tag"] = "rust"
        try:
            assert tagged() == "rust"
        finally:
            FILTER["tag"] = "python"
    assert calls["tagged"] == 2
