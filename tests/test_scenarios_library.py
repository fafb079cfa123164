"""The shipped scenarios do what their comments promise (a quick tour through the SDKs, not a full matrix)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.conftest import advance, messages
from tests.scenario_helpers import sms
from tests.test_onecloud import onecloud, send_query

LIBRARY = Path(__file__).resolve().parents[1] / "scenarios"


def load(scenario, name: str) -> None:
    scenario((LIBRARY / f"{name}.yaml").read_text(encoding="utf-8"))


def test_happy_path_delivers_even_the_magic_numbers(scenario, dysms, emulator):
    load(scenario, "happy-path")
    assert sms(dysms, "13800000001").code == "OK"
    advance(emulator, 1.5)
    assert messages(emulator, phone="13800000001")[0]["status"] == "delivered"


def test_expiring_credentials_after_an_hour(scenario, dysms, emulator):
    load(scenario, "expiring-credentials")
    assert sms(dysms, "13900002001").code == "OK"
    assert onecloud(emulator, send_query())[1]["code"] == 200
    advance(emulator, 3601)
    with pytest.raises(ClientException) as info:
        sms(dysms, "13900002002")
    assert (info.value.code, info.value.status_code) == ("InvalidAccessKeyId.Inactive", 400)
    assert onecloud(emulator, send_query())[1] == {"code": 400, "msg": "校验失败", "mid": ""}


def test_balance_exhausted_after_five_segments(scenario, dysms, emulator):
    load(scenario, "balance-exhausted")
    codes = [sms(dysms, f"139000021{i:02d}").code for i in range(6)]
    assert codes == ["OK"] * 5 + ["isv.AMOUNT_NOT_ENOUGH"]


def test_rate_limited_and_carrier_failures(scenario, dysms, emulator):
    load(scenario, "rate-limited")
    assert sms(dysms, "13900000001").code == "isv.BUSINESS_LIMIT_CONTROL"
    assert sms(dysms, "13900010001").code == "OK"
    advance(emulator, 120)                           # past the minute window: the rule's day window still holds
    refused = sms(dysms, "13900010001")
    assert (refused.code, refused.message) == ("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:1")
    load(scenario, "carrier-failures")
    sms(dysms, "13900001234")
    advance(emulator, 4)
    [failed] = messages(emulator, phone="13900001234")
    assert (failed["status"], failed["err_code"]) == ("failed", "MN:0001")
