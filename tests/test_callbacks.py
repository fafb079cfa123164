"""The callback dispatcher over real sockets: retries with backoff, Alibaba receipts, inspection, shutdown."""

from __future__ import annotations

import itertools
import re
import urllib.request
from datetime import datetime
from typing import Any

import pytest
from alibabacloud_dysmsapi20170525.models import SendSmsRequest

from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.conftest import admin, advance, tea_config
from tests.receiver import Receiver, closed_port_url
from tests.test_onecloud import onecloud, send_query

REPORT_FIELDS = {"phone_number", "send_time", "report_time", "success", "err_code", "err_msg", "sms_size",
                 "biz_id", "out_id"}
TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def callbacks(server: EmulatorServer, **query: str) -> dict[str, Any]:
    from urllib.parse import urlencode

    status, body = admin(server, "GET", f"/_emulator/callbacks?{urlencode(query)}")
    assert status == 200
    return body


def set_receipts(server: EmulatorServer, **urls: str | None) -> None:
    status, body = admin(server, "PATCH", "/_emulator/accounts/default", {"receipts": urls})
    assert status == 200, body


# Retries -------------------------------------------------------------------------------------------------


def test_receiver_failing_twice_gets_the_report_on_the_third_try(emulator, receiver):
    receiver.respond(500, 503)
    mid = onecloud(emulator, send_query(returnurl=receiver.url))[1]["mid"]
    advance(emulator, 3.5)                       # delivered at +3: attempt 1 (500)
    assert [r.answered for r in receiver.wait_for(1)] == [500]
    [first] = callbacks(emulator)["attempts"]
    assert first["status"] == 500 and first["error"] == "HTTP 500" and first["state"] == "retrying"
    assert first["next_try"] == pytest.approx(first["due"] + 60)
    [queued] = callbacks(emulator)["pending"]
    assert queued["attempt"] == 2 and queued["state"] == "queued" and queued["due"] == first["next_try"]

    advance(emulator, 50)                        # +53.5: the 1-minute retry is not due yet
    assert len(receiver.requests) == 1
    advance(emulator, 15)                        # +68.5: attempt 2 (503)
    assert [r.answered for r in receiver.wait_for(2)] == [500, 503]
    advance(emulator, 200)                       # +268.5: the 5-minute retry (+363) is not due yet
    assert len(receiver.requests) == 2
    advance(emulator, 100)                       # +368.5: attempt 3 succeeds
    assert [r.answered for r in receiver.wait_for(3)] == [500, 503, 200]

    advance(emulator, 7200)                      # nothing more: not lost, not duplicated
    assert len(receiver.requests) == 3
    assert [r.body for r in receiver.accepted()] == [{"mid": mid, "stat": "DELIVRD"}]
    attempts = callbacks(emulator)["attempts"]
    assert [(a["attempt"], a["status"], a["ok"]) for a in attempts] == [(1, 500, False), (2, 503, False),
                                                                         (3, 200, True)]
    assert len({a["id"] for a in attempts}) == 1 and attempts[-1]["next_try"] is None
    assert callbacks(emulator)["pending"] == []


def test_one_big_clock_jump_catches_up_on_every_retry_then_gives_up(emulator, receiver):
    receiver.respond(500, 500, 500, 500, 500)
    onecloud(emulator, send_query(returnurl=receiver.url))
    advance(emulator, 4)                         # delivered at +3: attempt 1
    assert len(receiver.wait_for(1)) == 1
    advance(emulator, 1000)                      # +63, +363, +963 counted from attempt 1: three more at once
    assert len(receiver.wait_for(4)) == 4
    attempts = callbacks(emulator)["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3, 4]
    assert [round(b["due"] - a["due"]) for a, b in itertools.pairwise(attempts)] == [60, 300, 600]
    assert attempts[-1]["state"] == "gave_up" and attempts[-1]["max_attempts"] == 4
    advance(emulator, 10_000)
    assert len(receiver.requests) == 4


def test_refused_connection_is_recorded_and_retried(emulator):
    url = closed_port_url()
    onecloud(emulator, send_query(returnurl=url))
    advance(emulator, 4)
    [attempt] = callbacks(emulator)["attempts"]
    assert attempt["url"] == url and attempt["status"] is None
    assert attempt["error"].startswith("connection failed") and attempt["next_try"] is not None
    advance(emulator, 61)
    assert [a["attempt"] for a in callbacks(emulator)["attempts"]] == [1, 2]


def test_an_https_receiver_is_reached_when_its_ca_is_trusted(tmp_path):
    """A test receiver with a certificate of its own CA: refused by default (as a real platform would), reached
    once the emulator is told to trust that CA (--callback-ca)."""
    from emulator.ops.tls import prepare_tls

    material = prepare_tls("127.0.0.1", ca_out=str(tmp_path / "receiver-ca.pem"))
    receiver = Receiver(tls=material.context).start()
    try:
        for trust, delivered in ((None, False), (str(material.ca_path), True)):
            with EmulatorServer(Settings(port=0, quiet=True, callback_ca=trust)) as server:
                onecloud(server, send_query(returnurl=f"{receiver.url}/report"))
                advance(server, 4)
                [attempt] = callbacks(server)["attempts"]
                assert attempt["ok"] is delivered, attempt
                if not delivered:
                    assert "certificate" in attempt["error"].lower()
        assert [r.path for r in receiver.requests] == ["/report"]
    finally:
        receiver.stop()


def test_timeout_is_a_failure_and_retried(emulator, receiver):
    emulator.call(lambda: emulator.backend.callbacks.configure(timeout=0.3))
    receiver.respond("hang")
    mid = onecloud(emulator, send_query(returnurl=receiver.url))[1]["mid"]
    advance(emulator, 4)
    [attempt] = callbacks(emulator)["attempts"]
    assert attempt["error"] == "timeout after 0.3 s" and attempt["status"] is None
    advance(emulator, 61)
    assert callbacks(emulator)["attempts"][-1]["ok"] is True
    assert [r.body for r in receiver.accepted()] == [{"mid": mid, "stat": "DELIVRD"}]


def test_connection_reset_by_the_receiver_is_retried(emulator, receiver):
    receiver.respond("reset")
    onecloud(emulator, send_query(returnurl=receiver.url))
    advance(emulator, 4)
    advance(emulator, 61)
    attempts = callbacks(emulator)["attempts"]
    assert [a["ok"] for a in attempts] == [False, True] and attempts[0]["status"] is None


def test_backoff_is_configurable(emulator, receiver):
    emulator.call(lambda: emulator.backend.callbacks.configure(backoff=(10,)))
    receiver.respond(500, 500)
    onecloud(emulator, send_query(returnurl=receiver.url))
    advance(emulator, 4)
    advance(emulator, 10)
    attempts = callbacks(emulator)["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2] and attempts[-1]["state"] == "gave_up"


def test_reset_forgets_attempts_queue_and_settings(emulator, receiver):
    emulator.call(lambda: emulator.backend.callbacks.configure(timeout=1, backoff=()))
    receiver.respond(500)
    onecloud(emulator, send_query(returnurl=receiver.url))
    advance(emulator, 4)
    assert callbacks(emulator)["attempts"]
    emulator.call(lambda: emulator.backend.reset("messages"))
    assert callbacks(emulator) == {"attempts": [], "pending": []}
    dispatcher = emulator.backend.callbacks
    assert (dispatcher.timeout, dispatcher.backoff) == (5.0, (60.0, 300.0, 600.0))


def test_callbacks_can_be_filtered(emulator, receiver):
    onecloud(emulator, send_query(returnurl=f"{receiver.url}/a"))
    onecloud(emulator, send_query(returnurl=f"{receiver.url}/b"))
    advance(emulator, 4)
    assert len(callbacks(emulator)["attempts"]) == 2
    [only] = callbacks(emulator, url=f"{receiver.url}/b")["attempts"]
    assert only["url"].endswith("/b")
    assert len(callbacks(emulator, kind="onecloud_report", account="default")["attempts"]) == 2
    assert callbacks(emulator, kind="SmsReport")["attempts"] == []


# Alibaba pushes ------------------------------------------------------------------------------------------


def test_sms_report_arrives_in_the_documented_shape(dysms, emulator, receiver):
    set_receipts(emulator, sms_report=f"{receiver.url}/sms-report")
    resp = dysms.send_sms(SendSmsRequest(phone_numbers="13912345678", sign_name="阿里云短信测试",
                                         template_code="SMS_154950909", template_param='{"code":"4321"}',
                                         out_id="order-42"))
    assert resp.body.code == "OK"
    advance(emulator, 1)
    assert receiver.requests == []
    advance(emulator, 3)
    [push] = receiver.wait_for(1)
    assert push.method == "POST" and push.path == "/sms-report"
    assert push.headers["Content-Type"].startswith("application/json")
    [item] = push.body
    assert set(item) == REPORT_FIELDS
    assert item["phone_number"] == "13912345678" and item["success"] is True
    assert (item["err_code"], item["err_msg"]) == ("DELIVERED", "用户接收成功")
    assert item["sms_size"] == "1" and item["biz_id"] == resp.body.biz_id and item["out_id"] == "order-42"
    assert TIME.match(item["send_time"]) and TIME.match(item["report_time"])
    sent, reported = (datetime.strptime(item[k], "%Y-%m-%d %H:%M:%S") for k in ("send_time", "report_time"))
    assert 2 <= (reported - sent).total_seconds() <= 5
    [attempt] = callbacks(emulator, kind="SmsReport")["attempts"]
    assert attempt["ok"] and attempt["body"] == [item]


def test_sms_report_of_a_failed_delivery(dysms, emulator, receiver):
    set_receipts(emulator, sms_report=receiver.url)
    dysms.send_sms(SendSmsRequest(phone_numbers="13800000003", sign_name="阿里云短信测试",
                                  template_code="SMS_154950909", template_param='{"code":"4321"}'))
    advance(emulator, 4)
    [item] = receiver.wait_for(1)[0].body
    assert (item["success"], item["err_code"], item["err_msg"], item["out_id"]) == (False, "MN:0001", "空号", "")


def test_send_batch_sms_reports_every_number(emulator, receiver):
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_dysmsapi20170525.models import SendBatchSmsRequest

    set_receipts(emulator, sms_report=receiver.url)
    client = Client(tea_config(emulator))
    resp = client.send_batch_sms(SendBatchSmsRequest(
        phone_number_json='["13912345670","13912345671"]', sign_name_json='["驴游","驴游"]',
        template_code="SMS_900000001", template_param_json='[{"order":"A1","days":"2"},{"order":"A2","days":"3"}]'))
    assert resp.body.code == "OK"
    advance(emulator, 4)
    items = [r.body[0] for r in receiver.wait_for(2)]
    assert sorted(i["phone_number"] for i in items) == ["13912345670", "13912345671"]
    assert {i["biz_id"] for i in items} == {resp.body.biz_id}


@pytest.mark.parametrize(("answer", "why"), [
    ((200, "OK"), "answer is not JSON"),
    ((200, {"msg": "接收成功"}), "answer has no numeric `code`"),
    ((200, {"code": "0"}), "answer has no numeric `code`"),
    ((201, {"code": 0}), "HTTP 201"),
])
def test_alibaba_receivers_must_answer_200_with_a_numeric_code(dysms, emulator, receiver, answer, why):
    set_receipts(emulator, sms_report=receiver.url)
    receiver.respond(answer)
    dysms.send_sms(SendSmsRequest(phone_numbers="13912345678", sign_name="阿里云短信测试",
                                  template_code="SMS_154950909", template_param='{"code":"4321"}'))
    advance(emulator, 4)
    [attempt] = callbacks(emulator)["attempts"]
    assert not attempt["ok"] and attempt["error"].startswith(why)
    advance(emulator, 61)                        # the receiver answers {"code":0,...} now
    assert [a["ok"] for a in callbacks(emulator)["attempts"]] == [False, True]
    assert len(receiver.requests) == 2           # the same report again, as the real platform does


def test_dypns_verify_report_arrives_after_send_sms_verify_code(emulator, receiver):
    from alibabacloud_dypnsapi20170525.client import Client
    from alibabacloud_dypnsapi20170525.models import SendSmsVerifyCodeRequest

    set_receipts(emulator, dypns_report=f"{receiver.url}/dypns")
    client = Client(tea_config(emulator))
    body = client.send_sms_verify_code(SendSmsVerifyCodeRequest(
        phone_number="13912345678", sign_name="速通互联验证码", template_code="100001",
        template_param='{"code":"##code##","min":"5"}', out_id="login-7")).body
    assert body.code == "OK"
    advance(emulator, 4)
    [push] = receiver.wait_for(1)
    [item] = push.body
    assert push.path == "/dypns" and set(item) == REPORT_FIELDS
    assert item["biz_id"] == body.model.biz_id and item["out_id"] == "login-7" and item["success"] is True
    assert callbacks(emulator)["attempts"][0]["kind"] == "DypnsSmsVerifyReport"


def test_no_receipt_url_means_no_push(dysms, emulator):
    dysms.send_sms(SendSmsRequest(phone_numbers="13912345678", sign_name="阿里云短信测试",
                                  template_code="SMS_154950909", template_param='{"code":"4321"}'))
    advance(emulator, 4)
    assert callbacks(emulator) == {"attempts": [], "pending": []}


def test_inbound_reply_is_pushed_as_sms_up(emulator, receiver):
    set_receipts(emulator, sms_up=f"{receiver.url}/up")
    status, body = admin(emulator, "POST", "/_emulator/inbound",
                         {"phone": "+8613912345678", "content": "TD", "dest_code": "1234"})
    assert status == 200, body
    advance(emulator, 0)
    [push] = receiver.wait_for(1)
    [item] = push.body
    assert set(item) == {"phone_number", "content", "send_time", "dest_code", "sequence_id"}
    assert (item["phone_number"], item["content"], item["dest_code"]) == ("13912345678", "TD", "1234")
    assert TIME.match(item["send_time"]) and item["sequence_id"].isdigit()
    assert item == body["item"]
    assert callbacks(emulator, kind="SmsUp")["attempts"][0]["ok"]


@pytest.mark.parametrize(("body", "status"), [
    ({"phone": "13912345678", "content": "hi"}, 409),            # no sms_up receiver configured
    ({"phone": "13912345678"}, 400),
    ({"phone": "not a phone", "content": "hi"}, 400),
    ({"phone": "13912345678", "content": "hi", "account": "nobody"}, 404),
    ([1, 2], 400),
])
def test_inbound_rejects_bad_input(emulator, body, status):
    assert admin(emulator, "POST", "/_emulator/inbound", body)[0] == status


@pytest.mark.parametrize(("body", "status"), [
    ({"return_url": "ftp://x"}, 400),
    ({"receipts": {"sms_report": 5}}, 400),
    ({"receipts": {"unknown": "http://x/y"}}, 400),
    ({"balance": -1}, 400),
    ({"app_secret": "x"}, 400),
    ({"return_url": None, "receipts": {"sms_up": None}, "balance": None}, 200),
])
def test_account_patch_validates(emulator, body, status):
    assert admin(emulator, "PATCH", "/_emulator/accounts/default", body)[0] == status


def test_account_patch_of_an_unknown_account_is_404(emulator):
    assert admin(emulator, "PATCH", "/_emulator/accounts/nobody", {"balance": 1})[0] == 404


# Shutdown ------------------------------------------------------------------------------------------------


def test_graceful_shutdown_does_not_drop_a_report_in_flight():
    receiver = Receiver().start()
    try:
        receiver.respond(("slow", 1.0))
        server = EmulatorServer(Settings(port=0, quiet=True)).start()
        mid = onecloud(server, send_query(returnurl=receiver.url))[1]["mid"]
        server.call(lambda: server.backend.clock.advance(4))   # the scheduler sends it on its own
        receiver.wait_for(1)                                   # the receiver has it and is still answering
        server.stop()
        [attempt] = server.backend.callbacks.list()
        assert attempt["ok"] and attempt["status"] == 200 and attempt["body"] == {"mid": mid, "stat": "DELIVRD"}
    finally:
        receiver.stop()


def test_the_admin_api_lists_attempts_over_http(emulator, receiver):
    onecloud(emulator, send_query(returnurl=receiver.url))
    advance(emulator, 4)
    with urllib.request.urlopen(f"{emulator.url}/_emulator/callbacks", timeout=30) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("application/json")
