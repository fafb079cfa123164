"""The sms.1oc.cn gateway over real sockets: answers, delivery reports, concurrency and malformed input."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import socket
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.conftest import admin, advance, assert_state_consistent, messages
from tests.rawhttp import build_request, send_raw

SECRET = "testappsecret"
MID = re.compile(r"^[0-9A-F]{16}$")


def send_query(**overrides: str | None) -> str:
    params: dict[str, str | None] = {"module": "sms", "file": "send", "action": "send", "mobphone": "13912345678",
                                     "code": "1234", "smstemplate": "1001"}
    params.update(overrides)
    return urlencode({k: v for k, v in params.items() if v is not None})


def onecloud(server: EmulatorServer, query: str, secret: str | None = SECRET, method: str = "GET",
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """One request as the provider's samples make it: GET /?<query> with `Authorization: <AppSecret>`."""
    all_headers = dict(headers or {})
    if secret is not None:
        all_headers["Authorization"] = secret
    req = urllib.request.Request(f"{server.url}/?{query}", headers=all_headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.headers["Content-Type"].startswith("application/json")
        return resp.status, json.loads(resp.read())


def balance(server: EmulatorServer) -> int | None:
    return server.call(lambda: server.backend.accounts.get("default").balance)  # type: ignore[return-value]


# Answers ---------------------------------------------------------------------------------------------------


def test_send_answers_ok_with_a_mid_and_stores_the_message(emulator):
    before = balance(emulator)
    status, body = onecloud(emulator, send_query(code="8642"))
    assert status == 200
    assert body["code"] == 200 and body["msg"] == "ok" and MID.match(body["mid"])
    assert set(body) == {"code", "msg", "mid"}
    [message] = messages(emulator, provider="onecloud")
    assert message["phone"] == "13912345678"
    assert message["content"] == "【云通讯】您的验证码是8642，5分钟内有效，请勿泄露。"
    assert message["sign"] == "云通讯" and message["template"] == "1001" and message["code"] == "8642"
    assert message["biz_id"] == body["mid"] and message["status"] == "waiting"
    assert balance(emulator) == before - 1


def test_mids_are_unique(emulator):
    mids = {onecloud(emulator, send_query(mobphone=f"1391234{i:04d}"))[1]["mid"] for i in range(50)}
    assert len(mids) == 50


def test_plus86_number_is_accepted_and_stored_canonically(emulator):
    assert onecloud(emulator, send_query(mobphone="+8613912345678"))[1]["code"] == 200
    assert messages(emulator, provider="onecloud")[0]["phone"] == "13912345678"


@pytest.mark.parametrize("secret", ["wrong", "", None, " testappsecret-", "Bearer testappsecret"])
def test_bad_or_missing_secret_answers_400_verification_failed(emulator, secret):
    status, body = onecloud(emulator, send_query(), secret=secret)
    assert status == 200
    assert body == {"code": 400, "msg": "校验失败", "mid": ""}
    assert messages(emulator, provider="onecloud") == []


@pytest.mark.parametrize(("overrides", "code", "msg"), [
    ({"mobphone": None}, 410, "手机号码不能为空"),
    ({"mobphone": ""}, 410, "手机号码不能为空"),
    ({"mobphone": "12345"}, 411, "手机号码格式错误"),
    ({"mobphone": "1391234567x"}, 411, "手机号码格式错误"),
    ({"mobphone": "13912345678,13912345679"}, 411, "手机号码格式错误"),
    ({"mobphone": "85291234567"}, 411, "手机号码格式错误"),        # not a mainland number
    ({"mobphone": "13800000001"}, 411, "手机号码格式错误"),        # magic: MOBILE_NUMBER_ILLEGAL
    ({"mobphone": "13800000002"}, 421, "发送频率过快"),            # magic: BUSINESS_LIMIT_CONTROL
    ({"smstemplate": "9999"}, 412, "短信模板不存在"),
    ({"smstemplate": None}, 412, "短信模板不存在"),
    ({"code": None}, 413, "模板变量不能为空"),
    ({"code": ""}, 413, "模板变量不能为空"),
    ({"code": "9" * 33}, 414, "参数不合法"),
    ({"returnurl": "ftp://example.com/x"}, 414, "参数不合法"),
    ({"returnurl": "not a url"}, 414, "参数不合法"),
    ({"module": "user"}, 404, "接口不存在"),
    ({"file": "query"}, 404, "接口不存在"),
    ({"action": "Send"}, 404, "接口不存在"),
])
def test_documented_error_codes(emulator, overrides, code, msg):
    before = balance(emulator)
    status, body = onecloud(emulator, send_query(**overrides))
    assert status == 200
    assert body["code"] == code and body["msg"].startswith(msg) and body["mid"] == ""
    assert messages(emulator, provider="onecloud") == []
    assert balance(emulator) == before


def test_insufficient_balance_answers_420(emulator):
    assert admin(emulator, "PATCH", "/_emulator/accounts/default", {"balance": 1})[0] == 200
    assert onecloud(emulator, send_query())[1]["code"] == 200
    assert onecloud(emulator, send_query())[1] == {"code": 420, "msg": "余额不足", "mid": ""}
    assert balance(emulator) == 0


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_wrong_method_answers_405_in_the_body(emulator, method):
    assert onecloud(emulator, send_query(), method=method)[1] == {"code": 405, "msg": "请求方式错误: " + method,
                                                                   "mid": ""}


def test_post_with_query_parameters_works_like_get(emulator):
    assert onecloud(emulator, send_query(), method="POST")[1]["code"] == 200


def test_host_header_alone_routes_to_the_gateway(emulator):
    status, body = onecloud(emulator, "", headers={"Host": "sms.1oc.cn"})
    assert (status, body["code"]) == (200, 404)
    assert onecloud(emulator, send_query(), headers={"Host": "sms.1oc.cn:443"})[1]["code"] == 200


def test_alibaba_requests_still_reach_the_alibaba_gateway(emulator):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{emulator.url}/?Action=SendSms&Version=2017-05-25", timeout=30)
    assert "Code" in json.loads(err.value.read())


# Delivery reports ----------------------------------------------------------------------------------------


def test_report_arrives_after_the_delivery_delay(emulator, receiver):
    mid = onecloud(emulator, send_query(returnurl=f"{receiver.url}/report?app=1"))[1]["mid"]
    advance(emulator, 1)
    assert receiver.requests == []
    advance(emulator, 2.5)
    [report] = receiver.wait_for(1)
    assert report.method == "POST" and report.path == "/report"
    assert report.headers["Content-Type"].startswith("application/json")
    assert report.raw == json.dumps({"mid": mid, "stat": "DELIVRD"}, separators=(",", ":")).encode()
    [message] = messages(emulator, provider="onecloud")
    assert message["status"] == "delivered" and message["err_code"] == "DELIVRD"
    [attempt] = admin(emulator, "GET", "/_emulator/callbacks")[1]["attempts"]
    assert attempt["url"] == f"{receiver.url}/report?app=1" and attempt["body"] == {"mid": mid, "stat": "DELIVRD"}
    assert attempt["status"] == 200 and attempt["error"] is None and attempt["attempt"] == 1
    assert attempt["next_try"] is None and attempt["state"] == "delivered"


def test_magic_number_13800000003_gets_a_failure_stat(emulator, receiver):
    mid = onecloud(emulator, send_query(mobphone="13800000003", returnurl=receiver.url))[1]["mid"]
    advance(emulator, 4)
    [report] = receiver.wait_for(1)
    assert report.body == {"mid": mid, "stat": "MA:0005"}
    [message] = messages(emulator, provider="onecloud")
    assert message["status"] == "failed" and message["err_code"] == "MA:0005"


def test_account_return_url_is_used_when_the_request_names_none(emulator, receiver):
    status, account = admin(emulator, "PATCH", "/_emulator/accounts/default", {"return_url": f"{receiver.url}/acct"})
    assert status == 200 and account["return_url"] == f"{receiver.url}/acct"
    mid = onecloud(emulator, send_query())[1]["mid"]
    advance(emulator, 4)
    [report] = receiver.wait_for(1)
    assert report.path == "/acct" and report.body["mid"] == mid


def test_no_return_url_means_no_report(emulator):
    onecloud(emulator, send_query())
    advance(emulator, 4)
    assert messages(emulator, provider="onecloud")[0]["status"] == "delivered"
    assert admin(emulator, "GET", "/_emulator/callbacks")[1] == {"attempts": [], "pending": []}


def test_reset_restores_the_fixture_return_url(emulator, receiver):
    admin(emulator, "PATCH", "/_emulator/accounts/default", {"return_url": receiver.url})
    emulator.call(lambda: emulator.backend.reset("all"))
    assert emulator.call(lambda: emulator.backend.accounts.get("default").onecloud_return_url) is None


def test_500_concurrent_sends_produce_exactly_500_reports(emulator, receiver):
    url = f"{receiver.url}/bulk"

    async def send_all() -> list[dict[str, Any]]:
        async with aiohttp.ClientSession(headers={"Authorization": SECRET}) as session:
            async def one(i: int) -> dict[str, Any]:
                query = send_query(mobphone=f"1390000{i:04d}", code=f"{i:04d}", returnurl=url)
                async with session.get(f"{emulator.url}/?{query}") as resp:
                    assert resp.status == 200
                    return await resp.json(content_type=None)
            return await asyncio.gather(*(one(i) for i in range(500)))

    answers = asyncio.run(send_all())
    assert all(a["code"] == 200 for a in answers)
    mids = {a["mid"] for a in answers}
    assert len(mids) == 500
    advance(emulator, 4)
    received = receiver.wait_for(500, timeout=30)
    assert len(received) == 500
    assert sorted(r.body["mid"] for r in received) == sorted(mids)
    assert {r.body["stat"] for r in received} == {"DELIVRD"}
    advance(emulator, 3600)
    assert len(receiver.requests) == 500     # nothing re-sent
    attempts = admin(emulator, "GET", "/_emulator/callbacks")[1]["attempts"]
    assert len(attempts) == 500 and all(a["ok"] for a in attempts)
    assert len(messages(emulator, provider="onecloud", status="delivered")) == 500


# Scenario-driven outcomes (a second emulator with its own scenario) -----------------------------------------

SCENARIO = """
name: onecloud-test
rules:
  - match: {provider: onecloud, phone: "13900000001"}
    then: {delivery: {status: failed, err_code: "MA:0022"}}
  - match: {phone: "13900000002"}
    then: {delivery: {status: failed, err_code: "MN:0001"}}
  - match: {provider: onecloud, phone: "13900000003"}
    then: {delivery: {status: delivered, delay: 30}}
  - match: {provider: onecloud, phone: "13900000004"}
    then: {error: isv.SYSTEM_ERROR}
  - match: {provider: onecloud, phone: "13900000005"}
    then: {error: ServiceUnavailable}
  - match: {provider: onecloud, phone: "13900000006"}
    then: {error: AMOUNT_NOT_ENOUGH, message: "余额不足，请充值"}
  - match: {provider: onecloud, phone: "13900000007"}
    then: {fault: reset}
  - match: {provider: onecloud, phone: "13900000008"}
    then: {latency: 0.3}
"""


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory):
    path: Path = tmp_path_factory.mktemp("scenario") / "onecloud.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    with EmulatorServer(Settings(port=0, quiet=True, scenario=str(path))) as server:
        yield server


@pytest.fixture
def scenario_emulator(scripted):
    scripted.call(lambda: scripted.backend.reset("messages"))
    return scripted


@pytest.mark.parametrize(("phone", "stat"), [("13900000001", "MA:0022"), ("13900000002", "MA:0005")])
def test_scenario_err_code_becomes_the_stat_when_1oc_has_it(scenario_emulator, receiver, phone, stat):
    mid = onecloud(scenario_emulator, send_query(mobphone=phone, returnurl=receiver.url))[1]["mid"]
    advance(scenario_emulator, 4)
    assert receiver.wait_for(1)[0].body == {"mid": mid, "stat": stat}
    assert messages(scenario_emulator, phone=phone)[0]["err_code"] == stat


def test_scenario_delivery_delay_holds_the_report_back(scenario_emulator, receiver):
    onecloud(scenario_emulator, send_query(mobphone="13900000003", returnurl=receiver.url))
    advance(scenario_emulator, 20)
    assert receiver.requests == []
    advance(scenario_emulator, 15)
    assert receiver.wait_for(1)[0].body["stat"] == "DELIVRD"


@pytest.mark.parametrize(("phone", "answer"), [
    ("13900000004", {"code": 500, "msg": "系统繁忙", "mid": ""}),
    ("13900000005", {"code": 500, "msg": "系统繁忙", "mid": ""}),
    ("13900000006", {"code": 420, "msg": "余额不足，请充值", "mid": ""}),
])
def test_scenario_errors_resolve_through_the_1oc_table(scenario_emulator, phone, answer):
    assert onecloud(scenario_emulator, send_query(mobphone=phone)) == (200, answer)


def test_scenario_fault_and_latency(scenario_emulator):
    with pytest.raises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
        onecloud(scenario_emulator, send_query(mobphone="13900000007"))
    assert onecloud(scenario_emulator, send_query(mobphone="13900000008"))[1]["code"] == 200


# Malformed requests never crash the gateway -------------------------------------------------------------


def raw_request(server: EmulatorServer, data: bytes, head: bool = False) -> tuple[int, bytes]:
    with socket.create_connection((server.host, server.port), timeout=30) as sock:
        sock.sendall(data)
        resp = http.client.HTTPResponse(sock, method="HEAD" if head else "GET")
        resp.begin()
        return resp.status, resp.read()


def request_bytes(method: str, target: str, headers: list[tuple[str, str]] | None = None, body: bytes = b"",
                  raw_headers: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *[f"{k}: {v}" for k, v in
                                                                                      headers or []]]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join(lines).encode() + b"\r\n" + raw_headers + b"\r\n" + body


GOOD = "/?" + send_query()
AUTH = [("Authorization", SECRET)]
MALFORMED: list[tuple[str, bytes]] = [
    ("invalid utf-8 escapes", request_bytes("GET", "/?module=sms&file=send&action=send&mobphone=%FF%FE&code=%C3",
                                            AUTH)),
    ("broken escapes", request_bytes("GET", "/?module=sms&file=send&action=send&mobphone=%ZZ%&code=%", AUTH)),
    ("no values", request_bytes("GET", "/?module&file&action&mobphone&code&smstemplate", AUTH)),
    ("repeated params", request_bytes("GET", GOOD + "&module=x&mobphone=1&mobphone=13912345678", AUTH)),
    ("huge value", request_bytes("GET", "/?" + send_query(code="9" * 7000), AUTH)),
    ("request line too long", request_bytes("GET", "/?" + send_query(mobphone="1" * 20000), AUTH)),
    ("huge header", request_bytes("GET", GOOD, [("Authorization", "x" * 9000)])),
    ("non-ascii authorization", request_bytes("GET", GOOD, raw_headers=b"Authorization: \xff\xfe\xe4\xbd\xa0\r\n")),
    ("header without colon", request_bytes("GET", GOOD, AUTH, raw_headers=b"garbage header line\r\n")),
    ("control characters", request_bytes("GET", GOOD, raw_headers=b"Authorization: a\x01b\r\n")),
    ("garbage host", request_bytes("GET", "/?" + quote("\u4e2d"), [("X-Host", "sms.1oc.cn\x7f")])),
    ("post form body", request_bytes("POST", "/?module=sms", [*AUTH, ("Content-Type",
                                     "application/x-www-form-urlencoded")], b"file=send&action=send&mobphone=%FF")),
    ("post binary body", request_bytes("POST", GOOD, [*AUTH, ("Content-Type", "application/x-www-form-urlencoded")],
                                       bytes(range(256)))),
    ("post garbage content type", request_bytes("POST", GOOD, [*AUTH, ("Content-Type", ";;;=/")], b"{")),
    ("post huge body", request_bytes("POST", "/?module=sms", [*AUTH, ("Content-Type",
                                     "application/x-www-form-urlencoded")], b"a=" + b"b" * (2 * 1024 * 1024))),
    ("absolute-form target", request_bytes("GET", "http://sms.1oc.cn" + GOOD, AUTH)),
    ("lowercase method", request_bytes("get", GOOD, AUTH)),
    ("unknown method", request_bytes("BREW", GOOD, AUTH)),
    ("bad content-length", request_bytes("POST", GOOD, [*AUTH, ("Content-Length", "-1")])),
]


@pytest.mark.parametrize("data", [m[1] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_requests_never_produce_a_5xx(emulator, data):
    try:
        status, body = raw_request(emulator, data)
    except (ConnectionError, http.client.HTTPException):
        status, body = 400, b""        # the HTTP layer may refuse to parse and close: not a server error
    assert status < 500, body
    if status == 200 and body:
        answer = json.loads(body)
        assert set(answer) == {"code", "msg", "mid"} or "Code" in answer
    assert admin(emulator, "GET", "/_emulator/health")[0] == 200


def test_head_request_is_answered(emulator):
    status, _ = raw_request(emulator, request_bytes("HEAD", GOOD, AUTH), head=True)
    assert status == 200


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(["module", "file", "action", "mobphone", "code", "smstemplate",
                                                "returnurl", "x"]),
                              st.text(max_size=60), max_size=8),
       secret=st.sampled_from([SECRET, "", "x" * 50, "测试"]))
def test_arbitrary_parameters_always_get_the_json_shape(emulator, params, secret):
    query = urlencode({"module": "sms", **params})
    req = urllib.request.Request(f"{emulator.url}/?{query}", headers={"Authorization": quote(secret)})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
        answer = json.loads(resp.read())
    assert set(answer) == {"code", "msg", "mid"} and isinstance(answer["code"], int)
    assert (answer["code"] == 200) == bool(MID.match(answer["mid"]))
    assert_state_consistent(emulator)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
       phone=st.sampled_from(["13912345678", "+8613912345679", "13800000003", "139", ""]),
       form=st.dictionaries(st.sampled_from(["mobphone", "code", "smstemplate", "returnurl", "module"]),
                            st.text(max_size=40), max_size=4),
       content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain", ""]),
       raw=st.binary(max_size=80))
def test_any_method_and_body_gets_the_json_shape_and_leaves_the_state_consistent(emulator, method, phone, form,
                                                                                content_type, raw):
    """A valid send's query with a method, a form body, or bytes of any kind: always HTTP 200 and the gateway's
    JSON, a message stored exactly when the answer is code 200, and the state's invariants intact."""
    before = emulator.call(lambda: len(emulator.backend.messages))
    body = urlencode(form).encode() + (b"&" + raw if raw else b"")
    headers = [("Host", "sms.1oc.cn"), ("Authorization", SECRET), ("Content-Length", str(len(body)))]
    if content_type:
        headers.append(("Content-Type", content_type))
    target = "/?" + urlencode({"module": "sms", "file": "send", "action": "send", "mobphone": phone, "code": "1234",
                               "smstemplate": "1001"})
    response = send_raw(emulator.host, emulator.port, build_request(method, target, headers, body))
    assert response.status == 200
    answer = response.json()
    assert set(answer) == {"code", "msg", "mid"}
    stored = emulator.call(lambda: len(emulator.backend.messages)) - before
    assert stored == (1 if answer["code"] == 200 else 0), answer
    assert_state_consistent(emulator)


# Reports never drive the admin API ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/_emulator/reset", "/x/../_emulator/reset", "/%5Femulator/reset",
                                  "//_emulator/clock/advance"])
def test_a_returnurl_at_the_emulators_own_admin_api_is_refused(emulator, path):
    """A report POSTed to its own `/_emulator/reset` used to wipe everyone's messages and the clock."""
    send_1oc_first = onecloud(emulator, send_query(mobphone="13912340011"))[1]
    assert send_1oc_first["code"] == 200
    status, body = onecloud(emulator, send_query(mobphone="13912340012", returnurl=f"{emulator.url}{path}"))
    assert (status, body["code"]) == (200, 414) and "admin API" in body["msg"]
    advance(emulator, 10)
    assert [m["phone"] for m in messages(emulator, provider="onecloud")] == ["13912340011"]


def test_an_account_receiver_at_the_admin_api_is_refused_and_never_posted_to(emulator):
    status, body = admin(emulator, "PATCH", "/_emulator/accounts/default",
                         {"return_url": f"{emulator.url}/_emulator/reset"})
    assert status == 400 and "admin API" in body["error"]
    # A fixture file's receiver is not checked by the admin API: the dispatcher itself refuses to POST there.
    emulator.call(lambda: setattr(emulator.backend.accounts.default(), "onecloud_return_url",
                                  f"{emulator.url}/_emulator/reset"))
    try:
        onecloud(emulator, send_query(mobphone="13912340013"))
        advance(emulator, 10)
        [attempt] = admin(emulator, "GET", "/_emulator/callbacks")[1]["attempts"]
        assert "admin API" in attempt["error"] and attempt["status"] is None
        assert [m["phone"] for m in messages(emulator, provider="onecloud")] == ["13912340013"]
    finally:
        emulator.call(lambda: setattr(emulator.backend.accounts.default(), "onecloud_return_url", None))
