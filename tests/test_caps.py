"""The emulator's size caps over real sockets: each surface refuses what is too big in its own error shape.

README "Limits" lists every cap; the per-feature bounds (long-polls, live-feed clients, slow readers) are
tested with their features in test_admin_inspect.py and test_admin_events.py.
"""

from __future__ import annotations

import pytest

from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.conftest import admin, messages, tea_config
from tests.rawhttp import build_request, send_raw
from tests.signing import signed_query

FORM = ("Content-Type", "application/x-www-form-urlencoded")


@pytest.fixture(scope="module")
def small_bodies():
    """An emulator that takes bodies of at most 4 KiB (SMS_EMULATOR_MAX_BODY)."""
    with EmulatorServer(Settings(port=0, quiet=True, max_body=4096)) as server:
        yield server


def _post(server: EmulatorServer, target: str, body: bytes, *headers: tuple[str, str], method: str = "POST"):
    return send_raw(server.host, server.port, build_request(
        method, target, [("Host", server.endpoint), ("Content-Length", str(len(body))), *headers], body))


def test_alibaba_requests_over_the_body_cap_get_request_entity_too_large(small_bodies):
    response = _post(small_bodies, "/", b"PhoneNumbers=" + b"1" * 5000, ("x-acs-action", "SendSms"), FORM)
    assert response.status == 413
    assert response.json()["Code"] == "RequestEntityTooLarge"
    assert "SMS_EMULATOR_MAX_BODY" in response.json()["Message"]
    assert _post(small_bodies, "/", b"PhoneNumbers=" + b"1" * 3000, ("x-acs-action", "SendSms"), FORM).status == 400


def test_1oc_requests_over_the_body_cap_get_its_414_with_http_200(small_bodies):
    response = _post(small_bodies, "/?module=sms&file=send&action=send", b"code=" + b"1" * 5000,
                     ("Authorization", "testappsecret"), FORM)
    assert response.status == 200
    assert response.json()["code"] == 414 and "too large" in response.json()["msg"]


@pytest.mark.parametrize(("method", "path"), [("POST", "/_emulator/accounts"), ("PUT", "/_emulator/scenario"),
                                              ("POST", "/_emulator/inbound"), ("POST", "/_emulator/clock/advance")])
def test_admin_requests_over_the_body_cap_get_413_in_the_admin_shape(small_bodies, method, path):
    body = b'{"name": "' + b"a" * 5000 + b'"}'
    response = _post(small_bodies, path, body, ("Content-Type", "application/json"), method=method)
    assert response.status == 413
    assert "SMS_EMULATOR_MAX_BODY" in response.json()["error"]


def test_a_request_line_of_1000_numbers_passes_and_one_over_64_kib_is_refused(emulator):
    numbers = ",".join(f"139{i:08d}" for i in range(1000))       # ~12 KB: how the tea SDK sends SendSms
    fits = send_raw(emulator.host, emulator.port, build_request(
        "POST", f"/?Action=SendSms&PhoneNumbers={numbers}", [("Host", emulator.endpoint), ("Content-Length", "0")]))
    assert fits.status == 400 and fits.json()["Code"] == "MissingVersion"      # parsed, then refused on its merits
    too_long = send_raw(emulator.host, emulator.port, build_request(
        "POST", "/?Action=SendSms&x=" + "1" * 70_000, [("Host", emulator.endpoint), ("Content-Length", "0")]))
    assert too_long.status == 400                  # aiohttp's parser, before any handler: plain text, not JSON


# Field lengths and the store's bytes (issue 17, item 8) ------------------------------------------------------

def test_an_out_id_beyond_the_documented_256_characters_is_refused_by_both_sdks_and_products(dysms, dypns,
                                                                                           emulator):
    """OutId is "< 256 characters" (SendSms, SendBatchSms): 256 is kept, 257 is the product's length error."""
    from alibabacloud_dypnsapi20170525 import models as pm
    from alibabacloud_dysmsapi20170525 import models as m
    from Tea.exceptions import TeaException

    def send(out_id: str):
        return dysms.send_sms(m.SendSmsRequest(phone_numbers="13900001801", sign_name="阿里云短信测试",
                                               template_code="SMS_154950909", template_param='{"code":"1"}',
                                               out_id=out_id)).body

    assert send("o" * 256).code == "OK"
    refused = send("o" * 257)
    assert refused.code == "isv.PARAM_LENGTH_LIMIT"
    assert refused.message == "参数超出长度限制: OutId has 257 characters, at most 256"
    with pytest.raises(TeaException) as caught:        # dypnsapi answers its parameter errors with HTTP 400
        dypns.send_sms_verify_code(pm.SendSmsVerifyCodeRequest(
            phone_number="13900001802", sign_name="速通互联验证码", template_code="100001",
            template_param='{"code":"##code##","min":"5"}', out_id="o" * 257))
    assert caught.value.code == "INVALID_PARAMETERS" and "OutId has 257 characters" in caught.value.message
    assert [m["out_id"] for m in messages(emulator, phone="13900001801")] == ["o" * 256]
    assert messages(emulator, phone="13900001802") == []


def test_a_template_param_beyond_its_bound_is_refused_before_it_is_read(dysms, emulator):
    from alibabacloud_dysmsapi20170525 import models as m

    huge_key = '{"code":"1","' + "k" * 8200 + '":"v"}'      # keys had no bound: each one was stored
    body = dysms.send_sms(m.SendSmsRequest(phone_numbers="13900001803", sign_name="阿里云短信测试",
                                           template_code="SMS_154950909", template_param=huge_key)).body
    assert body.code == "isv.PARAM_LENGTH_LIMIT" and "TemplateParam has 8219 characters, at most 8192" in body.message
    assert messages(emulator, phone="13900001803") == []


def test_sends_with_huge_out_ids_in_a_form_body_are_refused_and_keep_nothing(emulator):
    """The reproduction: 900 kB OutIds took resident memory from 54 to 315 MiB in 300 sends. Now each is refused
    whole, before any message is made."""
    before = emulator.call(lambda: (len(emulator.backend.messages), emulator.backend.messages.bytes))
    for _ in range(20):
        body = signed_query("SendSms", {"PhoneNumbers": "13900001804", "SignName": "阿里云短信测试",
                                        "TemplateCode": "SMS_154950909", "TemplateParam": '{"code":"1"}',
                                        "OutId": "o" * 900_000}, emulator.call(emulator.backend.clock.now))
        response = _post(emulator, "/", body.encode(), FORM)
        assert response.status == 200 and response.json()["Code"] == "isv.PARAM_LENGTH_LIMIT"
    assert emulator.call(lambda: (len(emulator.backend.messages), emulator.backend.messages.bytes)) == before


def test_the_store_is_bounded_by_bytes_as_well_as_by_count(tmp_path):
    """`--store-mb 1`: three sends of 1000 numbers each (about 1.5 KiB a message as stored) keep the newest
    messages within one MiB, the oldest pruned from memory and from the database alike."""
    from alibabacloud_dysmsapi20170525 import models as m
    from alibabacloud_dysmsapi20170525.client import Client

    db = tmp_path / "state.db"
    with EmulatorServer(Settings(port=0, quiet=True, store_mb=1, db=str(db))) as server:
        client = Client(tea_config(server))
        numbers = [f"139{i:08d}" for i in range(3000)]
        for start in range(0, 3000, 1000):
            body = client.send_sms(m.SendSmsRequest(phone_numbers=",".join(numbers[start:start + 1000]),
                                                    sign_name="阿里云短信测试", template_code="SMS_154950909",
                                                    template_param='{"code":"123456"}', out_id="x" * 200)).body
            assert body.code == "OK", body.message
        stored, held = server.call(lambda: (len(server.backend.messages), server.backend.messages.bytes))
        assert 300 < stored < 3000 and held <= 1024 * 1024
        newest = messages(server, phone=numbers[-1])
        assert len(newest) == 1
        assert messages(server, phone=numbers[0]) == []
        assert admin(server, "GET", "/_emulator/messages/1")[0] == 404
    with EmulatorServer(Settings(port=0, quiet=True, store_mb=1, db=str(db))) as again:
        assert again.call(lambda: len(again.backend.messages)) == stored
        assert len(messages(again, phone=numbers[-1])) == 1 and messages(again, phone=numbers[0]) == []


def test_a_store_size_below_one_mib_stops_the_start_with_one_line():
    with pytest.raises(ValueError, match=r"store size 0 MiB \(--store-mb, SMS_EMULATOR_STORE_MB\) must be at least 1"):
        Settings(store_mb=0)
