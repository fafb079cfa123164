"""Alibaba's HTTP-push receipts for dysmsapi: SmsReport (delivery) and SmsUp (replies from phones).

Both are POSTed as a JSON array to the account's configured receiver (`receipts.sms_report`,
`receipts.sms_up`); the receiver must answer HTTP 200 with a numeric `code`, otherwise the callback dispatcher
re-pushes after 1, 5 and 10 minutes. The emulator pushes one item per request; receivers must accept arrays
of any length, as the real platform batches.
"""

from __future__ import annotations

from typing import Any

from emulator.core.accounts import Account
from emulator.core.backend import Backend
from emulator.core.clock import china_time_str
from emulator.core.messages import Message
from emulator.core.outbox import report_options
from emulator.providers.dysms.errors import DELIVERED, RECEIPT_TEXTS

SMS_REPORT = "SmsReport"
SMS_UP = "SmsUp"
#: The success rule of every Alibaba push: HTTP 200 and a JSON body whose `code` is a number.
RULE = "aliyun"


def report_item(message: Message) -> dict[str, Any]:
    """One SmsReport (or DypnsSmsVerifyReport: same fields) item, field for field as the documentation."""
    delivered = message.status == "delivered"
    err_code = message.err_code or (DELIVERED if delivered else "UNDELIV")
    reported = message.delivered_at if message.delivered_at is not None else message.sent_at
    return {
        "phone_number": message.phone,
        "send_time": china_time_str(message.sent_at),
        "report_time": china_time_str(reported),
        "success": delivered,
        "err_code": err_code,
        "err_msg": RECEIPT_TEXTS.get(err_code, err_code),
        "sms_size": str(message.segments),
        "biz_id": message.biz_id or "",
        "out_id": message.out_id or "",
    }


def push_report(backend: Backend, message: Message, receipt: str, kind: str) -> str | None:
    """Queue a report of `message` to the account's `receipts[receipt]` URL, if it has one."""
    account = backend.accounts.get(message.account)
    url = account.receipts.get(receipt) if account else None
    if not url:
        return None
    return backend.callbacks.enqueue(url, [report_item(message)], kind=kind, rule=RULE, account=message.account,
                                     message=message.id, **report_options(message))


def install(backend: Backend) -> None:
    """SmsReport after every final dysmsapi message (SendSms, SendBatchSms, SendCardSms and its fallbacks)."""

    async def on_final(message: Message) -> None:
        push_report(backend, message, "sms_report", SMS_REPORT)

    backend.deliveries.on_final("dysms", on_final)


def sms_up_item(backend: Backend, phone: str, content: str, dest_code: str = "") -> dict[str, Any]:
    return {
        "phone_number": phone,
        "content": content,
        "send_time": china_time_str(backend.clock.now()),
        "dest_code": dest_code,
        "sequence_id": str(backend.ids.rng.randrange(10**9, 10**10)),
    }


def push_sms_up(backend: Backend, account: Account, phone: str, content: str,
                dest_code: str = "") -> tuple[str, dict[str, Any]] | None:
    """Queue an inbound reply to `receipts.sms_up`; None when the account has no such receiver."""
    url = account.receipts.get("sms_up")
    if not url:
        return None
    item = sms_up_item(backend, phone, content, dest_code)
    return backend.callbacks.enqueue(url, [item], kind=SMS_UP, rule=RULE, account=account.name), item
