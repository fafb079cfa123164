"""Small helpers for driving dypnsapi through the official SDKs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alibabacloud_dypnsapi20170525 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException

from emulator.server import EmulatorServer
from tests.conftest import admin

SYSTEM = {"sign_name": "速通互联验证码", "template_code": "100001"}
GENERATED = '{"code":"##code##","min":"5"}'
SYSTEM_TEXT = "【速通互联验证码】您的验证码为{code}。尊敬的客户，以上验证码5分钟内有效，请注意保密，切勿告知他人。"


def send(client: Any, phone: str, **kw: Any) -> Any:
    """SendSmsVerifyCode with the system sign and template and a generated code, unless overridden."""
    args = {**SYSTEM, "template_param": GENERATED} | kw
    return client.send_sms_verify_code(m.SendSmsVerifyCodeRequest(phone_number=phone, **args)).body


def send_code(client: Any, phone: str, **kw: Any) -> str:
    """Send and return the generated code (asked for with ReturnVerifyCode)."""
    body = send(client, phone, return_verify_code=True, **kw)
    assert body.code == "OK", body
    return body.model.verify_code


def send_error(client: Any, phone: str, **kw: Any) -> ClientException:
    with pytest.raises(ClientException) as info:
        send(client, phone, **kw)
    return info.value


def check(client: Any, phone: str, code: str, **kw: Any) -> str:
    body = client.check_sms_verify_code(m.CheckSmsVerifyCodeRequest(phone_number=phone, verify_code=code, **kw)).body
    assert (body.code, body.success) == ("OK", True)     # a wrong code is a verdict, never an error
    return body.model.verify_result


def latest_code(server: EmulatorServer, phone: str) -> tuple[int, Any]:
    return admin(server, "GET", f"/_emulator/codes/latest?phone={phone.replace('+', '%2B')}")


def legacy_call(client: Any, request: Any) -> dict[str, Any]:
    """The legacy AcsClient returns the raw body bytes; parse them as an application would."""
    return json.loads(client.do_action_with_exception(request))
