"""Every outcome kind a scenario can ask for, observed the way an application sees it: through the official
SDKs (tea and legacy), the 1oc HTTP API, and a real webhook receiver. Scenarios are loaded with
PUT /_emulator/scenario (the `scenario` fixture) and time moves with the admin clock, never by sleeping."""

from __future__ import annotations

import json
import time

import pytest
from alibabacloud_dypnsapi20170525 import models as pns
from alibabacloud_dypnsapi20170525.client import Client as Dypns
from alibabacloud_dysmsapi20170525 import models as m
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.exceptions import ServerException as ServerError
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkdysmsapi.request.v20170525.SendSmsRequest import SendSmsRequest as LegacySendSms
from Tea.exceptions import TeaException

from emulator.core.outcomes import Call
from tests.conftest import admin, advance, messages, tea_config
from tests.dypns_helpers import send as send_code
from tests.dysms_helpers import details, today
from tests.scenario_helpers import callbacks, set_receipts, sms
from tests.test_onecloud import onecloud, send_query

# Errors: the provider's own table decides code, HTTP status and envelope ---------------------------------------

ERRORS = """
rules:
  - match: {phone: "13900000001", action: "Send*"}
    then: {error: SYSTEM_ERROR}
  - match: {phone: "13900000002", provider: [dysms, dypns]}
    then: {error: Throttling.User}
  - match: {phone: "13900000003", provider: dysms}
    then: {error: isv.DAY_LIMIT_CONTROL, message: "触发日发送限额 (scenario)"}
"""


def test_an_alias_resolves_to_each_providers_own_code_and_status(scenario, dysms, emulator):
    scenario(ERRORS)
    body = sms(dysms, "13900000001")
    assert (body.code, body.message, body.biz_id) == ("isp.SYSTEM_ERROR", "系统错误", None)   # dysmsapi: HTTP 200
    with pytest.raises(ServerError) as info:
        send_code(Dypns(tea_config(emulator)), "13900000001")
    assert (info.value.code, info.value.status_code) == ("SMS_SYSTEM_ERROR", 500)         # dypnsapi: HTTP 500
    assert onecloud(emulator, send_query(mobphone="13900000001")) == (200, {"code": 500, "msg": "系统繁忙",
                                                                            "mid": ""})
    assert messages(emulator) == []


def test_gateway_codes_and_message_overrides(scenario, dysms, emulator):
    scenario(ERRORS)
    with pytest.raises(ClientException) as info:
        sms(dysms, "13900000002")
    assert (info.value.code, info.value.status_code) == ("Throttling.User", 400)
    body = sms(dysms, "13900000003")
    assert (body.code, body.message) == ("isv.DAY_LIMIT_CONTROL", "触发日发送限额 (scenario)")


def test_the_legacy_sdk_sees_the_same_errors(scenario, legacy, emulator):
    scenario(ERRORS)
    request = LegacySendSms()
    request.set_PhoneNumbers("13900000002")
    request.set_SignName("阿里云短信测试")
    request.set_TemplateCode("SMS_154950909")
    request.set_TemplateParam('{"code":"1234"}')
    with pytest.raises(ServerException) as info:
        legacy.do_action_with_exception(request)
    assert (info.value.get_error_code(), info.value.get_http_status()) == ("Throttling.User", 400)
    request.set_PhoneNumbers("13900000001")
    assert json.loads(legacy.do_action_with_exception(request))["Code"] == "isp.SYSTEM_ERROR"


# Latency and network faults -----------------------------------------------------------------------------------

def test_fixed_latency_delays_the_answer(scenario, dysms, emulator):
    scenario("rules: [{match: {phone: '13900000010'}, then: {latency: 250ms}}]")
    started = time.monotonic()
    assert sms(dysms, "13900000010").code == "OK"
    assert time.monotonic() - started >= 0.25
    started = time.monotonic()
    assert sms(dysms, "13900000011").code == "OK"
    assert time.monotonic() - started < 0.25


def test_latency_distributions_are_drawn_from_the_scenarios_seed(scenario, emulator):
    scenario("seed: 3\nrules: [{then: {latency: {uniform: [0.05, 0.15]}}}]")
    started = time.monotonic()
    assert onecloud(emulator, send_query())[1]["code"] == 200
    assert time.monotonic() - started >= 0.05
    # the draws themselves (checked on the engine, as wall-clock timings are too coarse to compare)
    call = Call(provider="onecloud", action="Send", params={}, account="default")
    runs = []
    for _ in range(2):
        admin(emulator, "POST", "/_emulator/reset?what=scenario")
        runs.append([emulator.call(lambda: emulator.backend.policy.decide(call).latency) for _ in range(5)])
    assert runs[0] == runs[1] and len(set(runs[0])) == 5
    assert all(0.05 <= d <= 0.15 for d in runs[0])


FAULTS = """
rules:
  - {match: {phone: "13900000021"}, then: {fault: reset}}
  - {match: {phone: "13900000022"}, then: {fault: empty}}
  - {match: {phone: "13900000023"}, then: {fault: hang}}
  - {match: {phone: "13900000024"}, then: {fault: html_502}}
"""


@pytest.mark.parametrize(("phone", "says"), [
    ("13900000021", "Connection aborted"), ("13900000022", "Connection aborted"),
    ("13900000023", "Read timed out"), ("13900000024", "Failed to parse the value as json"),
])
def test_network_faults_reach_the_sdk_as_transport_errors(scenario, emulator, phone, says):
    scenario(FAULTS)
    client = Client(tea_config(emulator, read_timeout=400))       # a short client timeout for the hang
    started = time.monotonic()
    with pytest.raises(TeaException) as info:
        sms(client, phone)
    assert says in str(info.value)
    assert time.monotonic() - started < 5          # the hang lasts until the client gives up, not 2 minutes
    assert messages(emulator) == []
    # the server is fine afterwards
    assert sms(client, "13900000025").code == "OK"


# Delivery results and delays ----------------------------------------------------------------------------------

DELIVERY = """
rules:
  - match: {phone: "13900000031"}
    then: {delivery: {status: failed, err_code: "MK:0000", delay: 60s}}
  - match: {provider: onecloud, phone: "13900000032"}
    then: {delivery: {status: failed, err_code: "MA:0022"}}
  - match: {phone: "13900000033"}
    then: {delivery: {delay: 10m}}
"""


def test_failed_delivery_with_err_code_and_delay_shows_in_query_send_details(scenario, dysms, emulator):
    scenario(DELIVERY)
    assert sms(dysms, "13900000031").code == "OK"
    sent_on = today(emulator)        # the send's own China date: the 61 s below may cross midnight there
    advance(emulator, 30)
    [waiting] = details(dysms, emulator, "13900000031", send_date=sent_on).sms_send_detail_dtos.sms_send_detail_dto
    assert (waiting.send_status, waiting.err_code) == (1, "")
    advance(emulator, 31)
    [final] = details(dysms, emulator, "13900000031", send_date=sent_on).sms_send_detail_dtos.sms_send_detail_dto
    assert (final.send_status, final.err_code) == (2, "MK:0000")


def test_failed_delivery_is_pushed_as_an_sms_report(scenario, dysms, emulator, receiver):
    scenario(DELIVERY)
    set_receipts(emulator, sms_report=receiver.url)
    biz_id = sms(dysms, "13900000031").biz_id
    advance(emulator, 61)
    [report] = receiver.wait_for(1)[0].body
    assert (report["success"], report["err_code"], report["biz_id"]) == (False, "MK:0000", biz_id)


def test_delivery_delay_alone_keeps_the_message_waiting(scenario, dysms, emulator):
    scenario(DELIVERY)
    sms(dysms, "13900000033")
    advance(emulator, 599)
    assert messages(emulator, phone="13900000033")[0]["status"] == "waiting"
    advance(emulator, 2)
    assert messages(emulator, phone="13900000033")[0]["status"] == "delivered"


def test_onecloud_report_carries_the_scenarios_stat(scenario, emulator, receiver):
    scenario(DELIVERY)
    mid = onecloud(emulator, send_query(mobphone="13900000032", returnurl=receiver.url))[1]["mid"]
    advance(emulator, 4)
    assert receiver.wait_for(1)[0].body == {"mid": mid, "stat": "MA:0022"}


# Callbacks: delay and attempts counted as failed ----------------------------------------------------------------

def test_callback_delay_and_fail_first(scenario, dysms, emulator, receiver):
    scenario("rules: [{match: {phone: '13900000041'}, then: {callback: {delay: 30s, fail_first: 2}}}]")
    set_receipts(emulator, sms_report=receiver.url)
    sms(dysms, "13900000041")
    advance(emulator, 4)                      # delivered at +4: the report is due at +34
    advance(emulator, 20)
    assert receiver.requests == []
    advance(emulator, 15)                     # +39: attempt 1, answered 200 but counted as failed
    assert len(receiver.wait_for(1)) == 1
    advance(emulator, 60)                     # +99: attempt 2 (1 minute after attempt 1 was due)
    assert len(receiver.wait_for(2)) == 2
    advance(emulator, 300)                    # +399: attempt 3 (5 minutes after attempt 2), counts
    received = receiver.wait_for(3)
    advance(emulator, 3600)
    assert len(receiver.requests) == 3 and len({r.raw for r in received}) == 1   # the same report three times
    attempts = callbacks(emulator)
    assert [(a["attempt"], a["status"], a["ok"]) for a in attempts] == [(1, 200, False), (2, 200, False),
                                                                         (3, 200, True)]
    assert "fail_first" in attempts[0]["error"]
    assert attempts[0]["due"] - messages(emulator)[0]["delivered_at"] == pytest.approx(30, abs=0.01)


def test_callbacks_of_other_numbers_are_unaffected(scenario, emulator, receiver):
    scenario("rules: [{match: {phone: '13900000041'}, then: {callback: {fail_first: 4}}}]")
    onecloud(emulator, send_query(mobphone="13900000042", returnurl=receiver.url))
    advance(emulator, 4)
    assert [a["ok"] for a in callbacks(emulator)] == [True]


# Card SMS per number ------------------------------------------------------------------------------------------

CARD = "rules: [{match: {phone: {prefix: '1390000005'}}, then: {card: unsupported}}]"


def test_card_support_per_number_drives_check_and_fallback(scenario, dysms, emulator):
    scenario(CARD)
    checked = dysms.check_mobiles_card_support(m.CheckMobilesCardSupportRequest(
        template_code="CARD_SMS_70", mobiles=[{"mobile": "13900000051"}, {"mobile": "13900000061"}])).body
    assert [(r.mobile, r.support) for r in checked.data.query_result] == [("13900000051", False),
                                                                          ("13900000061", True)]
    sent = dysms.send_card_sms(m.SendCardSmsRequest(
        card_template_code="CARD_SMS_70", sign_name="阿里云短信测试", fallback_type="SMS",
        sms_template_code="SMS_154950909", sms_template_param='{"code":"1234"}',
        card_objects=[m.SendCardSmsRequestCardObjects(mobile="13900000051", dync_params='{"title":"x"}'),
                      m.SendCardSmsRequestCardObjects(mobile="13900000061", dync_params='{"title":"x"}')])).body
    assert (sent.data.media_mobiles, sent.data.not_media_mobiles) == ("13900000061", "13900000051")
    kinds = {msg["phone"]: msg["extra"]["kind"] for msg in messages(emulator)}
    assert kinds == {"13900000061": "card", "13900000051": "sms"}


# Rate-limit and balance overrides -------------------------------------------------------------------------------

def test_rule_limits_replace_the_accounts_frequency_windows(scenario, dysms, emulator):
    scenario("rules: [{match: {phone: '13900000071'}, then: {limits: {verification: {minute: 3}}}}]")
    codes = [sms(dysms, "13900000071").code for _ in range(4)]
    assert codes == ["OK", "OK", "OK", "isv.BUSINESS_LIMIT_CONTROL"]
    assert sms(dysms, "13900000071").message == "触发分钟级流控Permits:3"
    assert [sms(dysms, "13900000072").code for _ in range(2)] == ["OK", "isv.BUSINESS_LIMIT_CONTROL"]


def test_rule_limits_cap_dypns_daily_sends(scenario, dypns, emulator):
    scenario("rules: [{match: {provider: dypns, phone: '13900000073'}, then: {limits: {dypns_daily: 1}}}]")
    assert send_code(dypns, "13900000073", interval=0).code == "OK"
    with pytest.raises(ClientException) as info:
        send_code(dypns, "13900000073", interval=0)
    assert info.value.code == "BUSINESS_LIMIT_CONTROL"


def _pin_clock(emulator) -> None:
    """Start a fresh virtual second so a burst of requests falls into one."""
    emulator.call(lambda: emulator.backend.clock.set(int(emulator.backend.clock.now()) + 10))


def test_rule_qps_throttles_matched_calls_with_each_providers_code(scenario, dysms, emulator):
    scenario("rules: [{match: {action: [SendSms, Send]}, then: {qps: 2}}]")
    _pin_clock(emulator)
    assert [sms(dysms, f"1390000008{i}").code for i in range(2)] == ["OK", "OK"]
    with pytest.raises(ClientException) as info:
        sms(dysms, "13900000082")
    assert info.value.code == "Throttling.User"
    assert [onecloud(emulator, send_query())[1]["code"] for _ in range(3)] == [200, 200, 421]
    assert details(dysms, emulator, "13900000081").code == "OK"     # QuerySendDetails is not throttled


def test_account_overrides_balance_and_qps_until_unloaded(scenario, dysms, emulator):
    scenario("accounts: {default: {balance: 1, qps: 100}}\nrules: []")
    account = emulator.backend.accounts.get("default")
    assert (account.balance, account.qps) == (1, 100)
    assert sms(dysms, "13900000091").code == "OK"
    assert sms(dysms, "13900000092").code == "isv.AMOUNT_NOT_ENOUGH"
    with pytest.raises(ClientException) as info:
        send_code(Dypns(tea_config(emulator)), "13900000093")
    assert info.value.code == "RESOURCE_NOT_ENOUGH"
    assert onecloud(emulator, send_query())[1] == {"code": 420, "msg": "余额不足", "mid": ""}
    admin(emulator, "POST", "/_emulator/reset?what=messages")        # refilled to the scenario's balance
    assert emulator.backend.accounts.get("default").balance == 1
    admin(emulator, "DELETE", "/_emulator/scenario")                 # unloaded: the fixture's settings
    assert (emulator.backend.accounts.get("default").balance, emulator.backend.accounts.get("default").qps) == (
        100000, 5000)


def test_account_qps_override_throttles(scenario, dysms, emulator):
    scenario("accounts: {default: {qps: 1}}\nrules: []")
    _pin_clock(emulator)
    assert sms(dysms, "13900000094").code == "OK"
    with pytest.raises(ClientException) as info:
        sms(dysms, "13900000095")
    assert info.value.code == "Throttling.User"


# Probability -----------------------------------------------------------------------------------------------------

def test_probability_repeats_with_the_scenarios_seed(scenario, dysms, emulator):
    scenario("seed: 11\nrules: [{match: {probability: 0.5, action: SendSms}, then: {error: SYSTEM_ERROR}}]")
    runs = []
    for _ in range(2):
        admin(emulator, "POST", "/_emulator/reset?what=all")
        runs.append([sms(dysms, f"139000010{i:02d}").code for i in range(16)])
    assert runs[0] == runs[1]
    assert {"OK", "isp.SYSTEM_ERROR"} == set(runs[0])


# The default scenario's magic numbers -------------------------------------------------------------------------

def test_magic_13800000005_answers_slowly(emulator):
    started = time.monotonic()
    assert sms(Client(tea_config(emulator)), "13800000005").code == "OK"
    assert time.monotonic() - started >= 2


def test_magic_13800000006_reports_need_two_retries(emulator, receiver):
    mid = onecloud(emulator, send_query(mobphone="13800000006", returnurl=receiver.url))[1]["mid"]
    advance(emulator, 4)
    advance(emulator, 61)
    advance(emulator, 301)
    assert [r.body for r in receiver.wait_for(3)] == [{"mid": mid, "stat": "DELIVRD"}] * 3
    assert [a["ok"] for a in callbacks(emulator)] == [False, False, True]


def test_magic_13800000007_is_throttled_or_too_frequent(dysms, emulator):
    with pytest.raises(ClientException) as info:
        send_code(Dypns(tea_config(emulator)), "13800000007")
    assert info.value.code == "FREQUENCY_FAIL"
    with pytest.raises(ClientException) as info:
        sms(dysms, "13800000007")
    assert info.value.code == "Throttling.User"
    assert onecloud(emulator, send_query(mobphone="13800000007"))[1]["code"] == 421


def test_magic_13800000008_resets_and_09_is_a_transient_error(dysms, emulator):
    with pytest.raises(TeaException, match="Connection aborted"):
        sms(dysms, "13800000008")
    assert sms(dysms, "13800000009").code == "isp.SYSTEM_ERROR"


def test_magic_13800000010_is_delivered_late(dysms, emulator):
    sms(dysms, "13800000010")
    advance(emulator, 300)
    assert messages(emulator, phone="13800000010")[0]["status"] == "waiting"
    advance(emulator, 301)
    assert messages(emulator, phone="13800000010")[0]["status"] == "delivered"


def test_dypns_check_is_never_hit_by_send_rules(dypns, emulator):
    body = dypns.check_sms_verify_code(pns.CheckSmsVerifyCodeRequest(phone_number="13800000001", verify_code="1234"))
    assert body.body.model.verify_result == "UNKNOWN"
