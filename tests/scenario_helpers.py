"""Helpers for scenario tests: load scenarios over HTTP, read the engine's state, send through each provider."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from alibabacloud_dysmsapi20170525 import models as m

from emulator.server import EmulatorServer
from tests.conftest import admin

VERIFY = {"sign_name": "阿里云短信测试", "template_code": "SMS_154950909"}


def put_scenario(server: EmulatorServer, text: str, content_type: str = "application/yaml") -> tuple[int, Any]:
    req = urllib.request.Request(f"{server.url}/_emulator/scenario", data=text.encode(), method="PUT",
                                 headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def scenario_state(server: EmulatorServer) -> dict[str, Any]:
    status, body = admin(server, "GET", "/_emulator/scenario")
    assert status == 200, body
    return body


def applied(server: EmulatorServer) -> list[int]:
    """How many calls each rule applied to, in rule order."""
    return [rule["applied"] for rule in scenario_state(server)["rules"]]


def sms(client: Any, phone: str, code: str = "1234", **kw: Any) -> Any:
    """SendSms through a tea client; returns the body (business errors are HTTP 200 with a Code)."""
    args = {**VERIFY, "template_param": json.dumps({"code": code})} | kw
    return client.send_sms(m.SendSmsRequest(phone_numbers=phone, **args)).body


def set_receipts(server: EmulatorServer, **urls: str | None) -> None:
    status, body = admin(server, "PATCH", "/_emulator/accounts/default", {"receipts": urls})
    assert status == 200, body


def callbacks(server: EmulatorServer) -> list[dict[str, Any]]:
    status, body = admin(server, "GET", "/_emulator/callbacks")
    assert status == 200, body
    return body["attempts"]
