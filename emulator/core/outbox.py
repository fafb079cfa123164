"""Accepting a message: the one path by which every provider stores an SMS and schedules its delivery."""

from __future__ import annotations

from typing import Any

from emulator.core.backend import Backend
from emulator.core.messages import Message
from emulator.core.outcomes import Call
from emulator.core.templates import find_code, segments


def accept_message(backend: Backend, call: Call, *, phone: str, content: str, sign: str | None,
                   template: str | None, params: dict[str, str], biz_id: str, out_id: str | None,
                   request_id: str, verification: bool, success_code: str, failure_code: str,
                   code: str | None = None, extra: dict[str, Any] | None = None) -> Message:
    """Store one message for one phone and schedule its delivery as the scenario plans it.

    `code` is given when the provider generated the verification code itself (dypnsapi); otherwise it is
    found in the parameters or text.
    """
    now = backend.clock.now()
    message = Message(
        id=backend.messages.next_id(), account=call.account, provider=call.provider, action=call.action,
        phone=phone, content=content, sign=sign, template=template, params=dict(params),
        code=code if code is not None else find_code(params, content, verification),
        status="waiting", biz_id=biz_id, out_id=out_id, request_id=request_id, sent_at=now,
        segments=segments(content), extra=dict(extra or {}),
    )
    backend.messages.add(message)
    plan = backend.policy.delivery(call, phone)
    if plan.callback_delay or plan.callback_failures:
        message.extra["callback"] = {"delay": plan.callback_delay, "fail_first": plan.callback_failures}
    backend.deliveries.schedule(message, plan, success_code, failure_code)
    return message


def report_options(message: Message) -> dict[str, Any]:
    """The scenario's callback behaviour for `message`'s report: keyword arguments of `CallbackDispatcher.enqueue`."""
    options = message.extra.get("callback") or {}
    return {"delay": float(options.get("delay", 0.0)), "fail_first": int(options.get("fail_first", 0))}
