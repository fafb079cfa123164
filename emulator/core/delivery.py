"""The message lifecycle on the virtual clock: waiting -> delivered | failed.

Providers accept a message and hand its `DeliveryPlan` here; when the plan's delay has passed on the virtual
clock the message takes its final status and every registered receipt hook runs (the providers' delivery
reports go out through those hooks).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from emulator.core.clock import VirtualClock
from emulator.core.messages import Message, MessageStore
from emulator.core.outcomes import DeliveryPlan
from emulator.core.scheduler import Scheduler

FinalHook = Callable[[Message], Awaitable[None]]


class DeliveryService:
    def __init__(self, clock: VirtualClock, store: MessageStore, scheduler: Scheduler) -> None:
        self.clock = clock
        self.store = store
        self.scheduler = scheduler
        self._hooks: dict[str, list[FinalHook]] = {}
        scheduler.on("deliver", self._deliver)

    def on_final(self, provider: str, hook: FinalHook) -> None:
        """Run `hook` whenever a message of `provider` reaches its final status."""
        self._hooks.setdefault(provider, []).append(hook)

    def schedule(self, message: Message, plan: DeliveryPlan, success_code: str, failure_code: str) -> None:
        err_code = plan.err_code or (success_code if plan.delivered else failure_code)
        payload: dict[str, Any] = {"message": message.id, "delivered": plan.delivered, "err_code": err_code}
        self.scheduler.schedule(message.sent_at + max(0.0, plan.delay), "deliver", payload)

    async def _deliver(self, payload: dict[str, Any]) -> None:
        message = self.store.get(payload["message"])
        if message is None or message.status != "waiting":
            return  # pruned or reset meanwhile
        self.store.update(message, status="delivered" if payload["delivered"] else "failed",
                          delivered_at=self.clock.now(), err_code=payload["err_code"])
        for hook in self._hooks.get(message.provider, []):
            await hook(message)
