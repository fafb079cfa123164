"""DypnsSmsVerifyReport: the receipt of SendSmsVerifyCode, pushed to the account's `receipts.dypns_report`.

Same JSON-array shape, success rule and retry schedule as dysmsapi's SmsReport (biz_id and out_id are
SendSmsVerifyCode's), so the item builder is shared.
"""

from __future__ import annotations

from emulator.core.backend import Backend
from emulator.core.messages import Message
from emulator.providers.dysms.receipts import push_report

DYPNS_REPORT = "DypnsSmsVerifyReport"


def install(backend: Backend) -> None:
    async def on_final(message: Message) -> None:
        push_report(backend, message, "dypns_report", DYPNS_REPORT)

    backend.deliveries.on_final("dypns", on_final)
