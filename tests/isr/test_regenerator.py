"""Regenerator: one render per URL at a time, shared on-demand renders, failure backoff."""

from __future__ import annotations

import asyncio
import logging

import pytest

from ssg.errors import RenderTimeoutError
from ssg.isr.regenerator import Regenerator
from ssg.revalidate import Revalidate


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Work:
    """Counts calls; each call waits for `gate` and fails while `error` is set."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.error: Exception | None = None

    async def __call__(self, url_path: str, background: bool) -> str:
        self.calls.append(url_path)
        await self.gate.wait()
        if self.error is not None:
            raise self.error
        return f"page {url_path} #{len(self.calls)}"


async def test_many_regenerate_calls_start_one_render_per_url() -> None:
    work = Work()
    work.gate.clear()
    regenerator = Regenerator(work, clock=Clock())

    started = [regenerator.regenerate("/a", "/[x]", Revalidate.after(60)) for _ in range(50)]
    regenerator.regenerate("/b", "/[x]", Revalidate.after(60))
    work.gate.set()
    await regenerator.wait_idle()

    assert all(started)
    assert sorted(work.calls) == ["/a", "/b"]
    assert regenerator.regenerations_started == 2
    assert regenerator.in_flight == {}


async def test_concurrent_on_demand_renders_share_one_task() -> None:
    work = Work()
    work.gate.clear()
    regenerator = Regenerator(work, clock=Clock())

    waiters = [asyncio.create_task(regenerator.render("/a", "/[x]")) for _ in range(20)]
    work.gate.set()
    outcomes = await asyncio.gather(*waiters)

    assert work.calls == ["/a"]
    assert {o.value for o in outcomes} == {"page /a #1"}
    assert regenerator.on_demand_started == 1


async def test_failed_regeneration_backs_off_until_the_clock_passes_the_retry_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    work = Work()
    work.error = RuntimeError("upstream down")
    regenerator = Regenerator(work, clock=clock)

    with caplog.at_level(logging.ERROR, logger="ssg.isr"):
        regenerator.regenerate("/a", "/[x]", Revalidate.after(10))
        await regenerator.wait_idle()
    failure = regenerator.failures["/a"]
    clock.now += 9.9
    during_backoff = regenerator.regenerate("/a", "/[x]", Revalidate.after(10))
    clock.now += 0.1
    after_backoff = regenerator.regenerate("/a", "/[x]", Revalidate.after(10))
    await regenerator.wait_idle()

    assert "Regenerating /a (route /[x]) failed: upstream down" in caplog.text
    assert (failure.retry_at - failure.failed_at, failure.attempts) == (10.0, 1)
    assert (during_backoff, after_backoff) == (False, True)
    assert len(work.calls) == 2
    assert regenerator.failures["/a"].attempts == 2


async def test_success_clears_the_failure_record() -> None:
    clock = Clock()
    work = Work()
    work.error = RuntimeError("boom")
    regenerator = Regenerator(work, clock=clock)
    regenerator.regenerate("/a", "/[x]", Revalidate.after(1))
    await regenerator.wait_idle()

    work.error = None
    clock.now += 3
    regenerator.regenerate("/a", "/[x]", Revalidate.after(1))
    await regenerator.wait_idle()

    assert regenerator.failures == {}


async def test_on_demand_failure_is_returned_to_every_waiter_not_raised() -> None:
    work = Work()
    work.error = RuntimeError("template broke")
    regenerator = Regenerator(work, clock=Clock())

    outcome = await regenerator.render("/a", "/[x]")

    assert isinstance(outcome.error, RuntimeError)
    assert regenerator.failures["/a"].background is False


async def test_close_cancels_renders_that_outlive_the_grace_period() -> None:
    work = Work()
    work.gate.clear()
    regenerator = Regenerator(work, clock=Clock())
    regenerator.regenerate("/a", "/[x]", Revalidate.after(60))
    task = regenerator.in_flight["/a"]

    await regenerator.close(grace_seconds=0.01)

    assert task.cancelled()
    assert regenerator.in_flight == {}


async def test_close_lets_renders_finish_within_the_grace_period() -> None:
    work = Work()
    regenerator = Regenerator(work, clock=Clock())
    regenerator.regenerate("/a", "/[x]", Revalidate.after(60))
    task = regenerator.in_flight["/a"]

    await regenerator.close(grace_seconds=5)

    assert task.result().value == "page /a #1"


async def test_a_render_past_the_timeout_fails_naming_the_route_and_frees_its_waiters() -> None:
    work = Work()
    work.gate.clear()  # never opened: the render hangs
    regenerator = Regenerator(work, clock=Clock(), timeout_seconds=0.05)

    outcomes = await asyncio.gather(*(regenerator.render("/a", "/[x]") for _ in range(5)))

    assert [type(o.error).__name__ for o in outcomes] == ["RenderTimeoutError"] * 5
    assert isinstance(outcomes[0].error, RenderTimeoutError)
    assert (outcomes[0].error.url_path, outcomes[0].error.route_pattern) == ("/a", "/[x]")
    assert "render_timeout_seconds = 0.05 s" in regenerator.failures["/a"].error
    assert work.calls == ["/a"]


async def test_a_timeout_raised_by_the_page_itself_is_not_called_a_render_timeout() -> None:
    work = Work()
    work.error = TimeoutError("upstream said so")
    regenerator = Regenerator(work, clock=Clock(), timeout_seconds=60)

    outcome = await regenerator.render("/a", "/[x]")

    assert not isinstance(outcome.error, RenderTimeoutError)


async def test_failure_records_are_bounded_keeping_the_newest() -> None:
    work = Work()
    work.error = RuntimeError("boom")
    regenerator = Regenerator(work, clock=Clock(), failures_kept=3)

    for index in range(10):
        await regenerator.render(f"/{index}", "/[x]")
    await regenerator.render("/7", "/[x]")  # fails again: now the newest

    assert list(regenerator.failures) == ["/8", "/9", "/7"]
    assert regenerator.failures["/7"].attempts == 2
