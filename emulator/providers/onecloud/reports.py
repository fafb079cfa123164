"""sms.1oc.cn delivery reports: `POST <returnurl>` with `{"mid": "...", "stat": "DELIVRD"}` once a message is final.

The URL is the message's own `returnurl` (the emulator's per-request override) or, failing that, the
application's `return_url` as configured when the report goes out, so changing it at run time takes effect
for messages still on their way. Sending, retrying and recording are the callback dispatcher's job.
"""

from __future__ import annotations

from typing import Any

from emulator.core.backend import Backend
from emulator.core.messages import Message
from emulator.core.outbox import report_options
from emulator.providers.onecloud.errors import report_stat

PROVIDER = "onecloud"
KIND = "onecloud_report"


def report_body(message: Message) -> dict[str, Any]:
    return {"mid": message.biz_id or "", "stat": report_stat(message.status == "delivered", message.err_code)}


def install(backend: Backend) -> None:
    """Queue a report for every 1oc message that reaches its final status."""

    async def on_final(message: Message) -> None:
        body = report_body(message)
        if body["stat"] != message.err_code:   # keep inspection in step with what the report says
            backend.messages.update(message, err_code=body["stat"])
        account = backend.accounts.get(message.account)
        url = message.extra.get("return_url") or (account.onecloud_return_url if account else None)
        if url:
            backend.callbacks.enqueue(url, body, kind=KIND, rule="2xx", account=message.account, message=message.id,
                                      **report_options(message))

    backend.deliveries.on_final(PROVIDER, on_final)
