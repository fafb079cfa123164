"""Jobs due at a virtual time: deliveries, receipts, callback retries.

Jobs are plain data (`kind` + JSON-able `payload`), never closures, so the queue can be listed, persisted
and restored. One background task sleeps until the earliest job is due; moving the clock wakes it, and
`run_due()` lets a caller (the clock-advance endpoint) wait until everything due has been handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.core.clock import VirtualClock

log = logging.getLogger("sms_emulator.scheduler")

Handler = Callable[[dict[str, Any]], Awaitable[None]]
#: Told `("scheduled", job)`, `("done", job)` once a job has been handled (or skipped), `("cleared", None)`.
Watcher = Callable[[str, "Job | None"], None]


@dataclass(eq=False)
class Job:
    due: float
    seq: int
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    cancelled: bool = False


class Scheduler:
    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        #: (due, seq, job): tuples, so the heap orders jobs in C (every send schedules one)
        self._heap: list[tuple[float, int, Job]] = []
        self._seq = itertools.count()
        self._handlers: dict[str, Handler] = {}
        #: what the background task sleeps on; resolved by `wake()` or by the timer of the earliest due job
        self._waiter: asyncio.Future[None] | None = None
        self._lock: asyncio.Lock | None = None
        self._task: asyncio.Task[None] | None = None
        self._watchers: list[Watcher] = []
        clock.subscribe(self.wake)

    def watch(self, watcher: Watcher) -> None:
        """Follow the queue as it changes (persistence keeps it on disk this way, without rescanning it)."""
        self._watchers.append(watcher)

    def _tell(self, event: str, job: Job | None) -> None:
        for watcher in self._watchers:
            watcher(event, job)

    def on(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    def schedule(self, due: float, kind: str, payload: dict[str, Any]) -> Job:
        job = Job(due, next(self._seq), kind, payload)
        entry = (due, job.seq, job)
        heapq.heappush(self._heap, entry)
        if self._watchers:
            self._tell("scheduled", job)
        if self._heap[0] is entry:
            self.wake()     # due before everything else: the sleeping loop must shorten its sleep
        return job

    def pending(self, kind: str | None = None) -> list[Job]:
        """Jobs still to run, earliest first."""
        return [job for _, _, job in sorted(self._heap) if not job.cancelled and (kind is None or job.kind == kind)]

    def clear(self) -> None:
        self._heap.clear()
        self._tell("cleared", None)

    def wake(self) -> None:
        _resolve(self._waiter)

    async def run_due(self) -> int:
        """Handle every job due now, including jobs those jobs schedule for no later than now."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        handled = 0
        async with self._lock:
            while self._heap and self._heap[0][0] <= self.clock.now():
                job = heapq.heappop(self._heap)[2]
                if job.cancelled:
                    self._tell("done", job)
                    continue
                handler = self._handlers.get(job.kind)
                if handler is None:
                    log.error("no handler for scheduled job kind %s", job.kind)
                    self._tell("done", job)
                    continue
                try:
                    await handler(job.payload)
                except Exception:  # a broken job must not stop the queue
                    log.exception("scheduled job %s failed", job.kind)
                # Only now: a job whose handler was cut short by a crash is still on disk and runs again.
                self._tell("done", job)
                handled += 1
        return handled

    async def step_to(self, target: float, settle: Callable[[], Awaitable[int]] | None = None) -> int:
        """Move the clock to `target`, stopping at every due time on the way and running what is due there.

        One large jump must behave like many small ones: a delivery due 3 s after its send is stamped 3 s
        after it, and a report retried after 1, 5 and 10 minutes is attempted at those virtual times, even
        when a test jumps ten minutes at once. So the clock is set to each job's due time in turn (earliest
        first, including jobs the previous ones scheduled, such as retries), `settle` (the reports' drain) is
        awaited there, and only then the clock moves on. Works backwards too (`clock/set` into the past):
        nothing lies between, so it just runs what is due at the target. Returns how many jobs ran.
        """
        handled = 0
        while self._heap and self._heap[0][0] <= target:
            due = self._heap[0][0]
            if due > self.clock.now():
                self.clock.set(due)
            handled += await self.run_due()
            if settle is not None:
                handled += await settle()
        self.clock.set(target)
        handled += await self.run_due()
        if settle is not None:
            handled += await settle()
        return handled

    async def run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self.run_due()
            # One future and at most one timer per sleep: `asyncio.wait_for` on an Event wrapped each sleep in
            # a task of its own, and with one delivery per send that was ~5 % of a request's CPU at c=1.
            waiter = self._waiter = loop.create_future()
            timer = None
            if self._heap:
                timer = loop.call_later(max(0.0, self._heap[0][0] - self.clock.now()), _resolve, waiter)
            try:
                await waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def _resolve(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)
