"""The job queue on the virtual clock: order, waking, and what moving the clock does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from emulator.core.clock import VirtualClock
from emulator.core.scheduler import Scheduler


def _recording(scheduler: Scheduler) -> list[str]:
    ran: list[str] = []

    async def handler(payload: dict) -> None:
        ran.append(payload["name"])

    scheduler.on("job", handler)
    return ran


async def test_jobs_run_in_due_order_whatever_order_they_were_scheduled_in():
    clock = VirtualClock()
    scheduler = Scheduler(clock)
    ran = _recording(scheduler)
    now = clock.now()
    for name, offset in [("c", 30), ("a", 10), ("d", 40), ("b", 20), ("b2", 20)]:
        scheduler.schedule(now + offset, "job", {"name": name})
    assert [j.payload["name"] for j in scheduler.pending()] == ["a", "b", "b2", "c", "d"]
    clock.advance(25)
    assert await scheduler.run_due() == 3
    assert ran == ["a", "b", "b2"]
    assert [j.payload["name"] for j in scheduler.pending("job")] == ["c", "d"]


@pytest.fixture
async def running() -> AsyncIterator[tuple[VirtualClock, Scheduler, list[str]]]:
    """A scheduler whose loop runs (sleeping until the next job is due), with what its jobs ran."""
    clock = VirtualClock()
    scheduler = Scheduler(clock)
    ran = _recording(scheduler)
    scheduler.start()
    yield clock, scheduler, ran
    await scheduler.stop()


async def _until_something_ran(ran: list[str]) -> None:
    for _ in range(100):
        if ran:
            return
        await asyncio.sleep(0.01)


async def test_a_job_due_sooner_than_the_one_the_loop_sleeps_for_runs_on_time(running):
    clock, scheduler, ran = running
    scheduler.schedule(clock.now() + 3600, "job", {"name": "later"})
    await asyncio.sleep(0.02)                   # the loop now sleeps for an hour
    scheduler.schedule(clock.now() + 0.05, "job", {"name": "soon"})
    scheduler.schedule(clock.now() + 1800, "job", {"name": "between"})   # no reason to wake it
    await _until_something_ran(ran)
    assert ran == ["soon"]


async def test_moving_the_clock_wakes_the_loop_for_what_became_due(running):
    clock, scheduler, ran = running
    scheduler.schedule(clock.now() + 600, "job", {"name": "in ten minutes"})
    await asyncio.sleep(0.02)
    clock.advance(601)
    await _until_something_ran(ran)
    assert ran == ["in ten minutes"]
