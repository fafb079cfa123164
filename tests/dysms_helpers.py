"""Small helpers for driving dysmsapi through each SDK generation."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from alibabacloud_dysmsapi20170525 import models as m

from emulator.server import EmulatorServer

CHINA = timezone(timedelta(hours=8))
VERIFY = {"sign_name": "阿里云短信测试", "template_code": "SMS_154950909"}
NOTICE = {"sign_name": "驴游", "template_code": "SMS_900000001"}


def today(server: EmulatorServer) -> str:
    return datetime.fromtimestamp(server.backend.clock.now(), CHINA).strftime("%Y%m%d")


def send(client: Any, phones: str, code: str = "1234", **kw: Any) -> Any:
    args = {**VERIFY, "template_param": json.dumps({"code": code})} | kw
    return client.send_sms(m.SendSmsRequest(phone_numbers=phones, **args)).body


def details(client: Any, server: EmulatorServer, phone: str, **kw: Any) -> Any:
    args = {"send_date": today(server), "page_size": 10, "current_page": 1} | kw
    return client.query_send_details(m.QuerySendDetailsRequest(phone_number=phone, **args)).body


def set_account(server: EmulatorServer, name: str = "default", **attrs: Any) -> None:
    def apply() -> None:
        account = server.backend.accounts.get(name)
        for key, value in attrs.items():
            setattr(account, key, value)

    server.call(apply)
