"""Driving the review from a test, over real sockets: the admin verbs, the pytest plugin's helpers, the review
reports pushed to the account's receivers, the daily cap, and the legacy SDK through the whole lifecycle."""

from __future__ import annotations

import importlib
import json
from typing import Any
from urllib.parse import quote

import pytest
from alibabacloud_dysmsapi20170525 import models as m

from emulator.admin.pytest_plugin import MessageNotReceived, SmsEmulator
from emulator.core.catalogue import TEMPLATE_DAILY_CAP
from tests.conftest import admin, advance
from tests.scenario_helpers import put_scenario, set_receipts


def _create(client, content: str = "您的订单${order}已发货。", name: str = "订单通知") -> Any:
    return client.create_sms_template(m.CreateSmsTemplateRequest(
        template_name=name, template_content=content, template_type=1, remark="发货通知")).body


def _send(client, template_code: str, sign: str = "驴游") -> str:
    return client.send_sms(m.SendSmsRequest(phone_numbers="13912345678", sign_name=sign, template_code=template_code,
                                            template_param=json.dumps({"order": "A1"}))).body.code


def _policy(server, mode: str, **extra: Any) -> dict[str, Any]:
    status, body = admin(server, "PUT", "/_emulator/catalogue/review-policy", {"mode": mode, **extra})
    assert status == 200, body
    return body


# The admin verbs ------------------------------------------------------------------------------------------

def test_approve_over_the_admin_api_makes_a_template_sendable(dysms, emulator):
    assert _policy(emulator, "manual") == {"account": "default", "policy": {"mode": "manual", "delay": 7200.0}}
    code = _create(dysms).template_code
    status, catalogue = admin(emulator, "GET", "/_emulator/catalogue")
    assert status == 200 and catalogue["policy"]["mode"] == "manual"
    [mine] = [t for t in catalogue["templates"] if t["code"] == code]
    assert (mine["status"], mine["usable"], mine["content"]) == ("pending", False, "您的订单${order}已发货。")
    assert _send(dysms, code) == "isv.SMS_TEMPLATE_ILLEGAL"
    status, approved = admin(emulator, "POST", f"/_emulator/catalogue/templates/{code}/approve")
    assert status == 200 and approved["status"] == "approved" and approved["audit_date"]
    assert _send(dysms, code) == "OK"


def test_reject_with_a_reason_is_what_both_generations_show(dysms, emulator):
    _policy(emulator, "manual")
    code = _create(dysms).template_code
    status, _ = admin(emulator, "POST", f"/_emulator/catalogue/templates/{code}/reject",
                      {"reason": "变量内容不符合规范"})
    assert status == 200
    got = dysms.get_sms_template(m.GetSmsTemplateRequest(template_code=code)).body
    assert got.template_status == "2" and got.audit_info.reject_info == "变量内容不符合规范"
    old = dysms.query_sms_template(m.QuerySmsTemplateRequest(template_code=code)).body
    assert old.template_status == 2 and old.reason == "变量内容不符合规范"


def test_a_sign_is_reviewed_by_name_even_a_chinese_one(dysms, emulator):
    _policy(emulator, "manual")
    created = dysms.create_sms_sign(m.CreateSmsSignRequest(sign_name="审核测试", sign_source=0,
                                                           qualification_id=1001, remark="测试")).body
    assert created.code == "OK"
    status, body = admin(emulator, "POST", f"/_emulator/catalogue/signs/{quote('审核测试')}/cancel")
    assert status == 200 and body["status"] == "cancelled"
    assert dysms.get_sms_sign(m.GetSmsSignRequest(sign_name="审核测试")).body.sign_status == 10


@pytest.mark.parametrize(("path", "body", "status", "says"), [
    ("/_emulator/catalogue/templates/SMS_000000000/approve", None, 404, "template SMS_000000000 does not exist"),
    ("/_emulator/catalogue/templates/SMS_154950909/approve", None, 409, "is not under review (it is approved)"),
    ("/_emulator/catalogue/templates/SMS_154950909/reject", {"reason": 5}, 400, "reason"),
    ("/_emulator/catalogue/templates/SMS_154950909/approve?account=nobody", None, 404, "no account 'nobody'"),
    ("/_emulator/catalogue/widgets/x/approve", None, 404, "no such catalogue action"),
    ("/_emulator/catalogue/templates/x/bless", None, 404, "no such catalogue action"),
])
def test_decisions_that_cannot_be_made_say_why(emulator, path, body, status, says):
    answered, answer = admin(emulator, "POST", path, body)
    assert answered == status and says in answer["error"], answer


@pytest.mark.parametrize("body", [{"mode": "sometimes"}, {"mode": "after", "delay": -1},
                                  {"mode": "after", "delay": "1"}, {"mode": "after", "delay": 1e12},
                                  {"mode": "after", "later": 1}, {}])
def test_a_review_policy_that_is_not_one_is_refused(emulator, body):
    status, answer = admin(emulator, "PUT", "/_emulator/catalogue/review-policy", body)
    assert status == 400 and "mode" in answer["error"]


def test_the_policy_delay_is_the_virtual_time_a_review_takes(dysms, emulator):
    _policy(emulator, "after", delay=60)
    code = _create(dysms).template_code
    advance(emulator, 59)
    assert dysms.get_sms_template(m.GetSmsTemplateRequest(template_code=code)).body.template_status == "0"
    advance(emulator, 2)
    assert dysms.get_sms_template(m.GetSmsTemplateRequest(template_code=code)).body.template_status == "1"


# Review reports -------------------------------------------------------------------------------------------

def test_review_reports_reach_the_receivers_in_the_documented_shape(dysms, emulator, receiver):
    set_receipts(emulator, template_report=f"{receiver.url}/template", sign_report=f"{receiver.url}/sign")
    _policy(emulator, "manual")
    code = _create(dysms).template_code
    dysms.create_sms_sign(m.CreateSmsSignRequest(sign_name="报告签名", sign_source=3, sign_type=0,
                                                 qualification_id=1001, remark="公众号"))
    admin(emulator, "POST", f"/_emulator/catalogue/templates/{code}/reject", {"reason": "内容含有营销信息"})
    admin(emulator, "POST", f"/_emulator/catalogue/signs/{quote('报告签名')}/approve")
    template_push, sign_push = receiver.wait_for(2)
    assert template_push.path == "/template" and template_push.body == [{
        "template_type": "短信通知", "reason": "内容含有营销信息", "template_name": "订单通知",
        "orderId": template_push.body[0]["orderId"], "template_content": "您的订单${order}已发货。",
        "template_status": "rejected", "remark": "发货通知", "template_code": code,
        "create_date": template_push.body[0]["create_date"]}]
    assert template_push.body[0]["orderId"] == dysms.get_sms_template(
        m.GetSmsTemplateRequest(template_code=code)).body.order_id
    assert sign_push.path == "/sign" and sign_push.body[0] | {"orderId": "", "create_date": ""} == {
        "sign_source": "公众号或小程序的全称或简称", "reason": "", "sign_name": "报告签名", "orderId": "",
        "sign_status": "approved", "remark": "公众号", "sign_scene": "验证码", "create_date": ""}
    status, pushed = admin(emulator, "GET", "/_emulator/callbacks?kind=TemplateSmsReport")
    assert status == 200 and [a["kind"] for a in pushed["attempts"]] == ["TemplateSmsReport"]


def test_a_failing_receiver_gets_the_review_report_again_a_minute_later(dysms, emulator, receiver):
    set_receipts(emulator, template_report=f"{receiver.url}/template")
    _policy(emulator, "after", delay=60)
    receiver.respond(500)
    code = _create(dysms).template_code
    advance(emulator, 61)                      # the review ends: first push, answered 500
    assert [r.answered for r in receiver.wait_for(1)] == [500]
    advance(emulator, 61)                      # the 1-minute retry
    assert [r.answered for r in receiver.wait_for(2)] == [500, 200]
    assert receiver.requests[1].body[0]["template_code"] == code
    assert receiver.requests[1].body[0]["template_status"] == "approved"


def test_a_cancelled_application_ends_no_review_and_reports_nothing(dysms, emulator, receiver):
    set_receipts(emulator, template_report=f"{receiver.url}/template")
    _policy(emulator, "manual")
    code = _create(dysms).template_code
    admin(emulator, "POST", f"/_emulator/catalogue/templates/{code}/cancel")
    advance(emulator, 1)
    assert receiver.requests == []


# The daily cap ---------------------------------------------------------------------------------------------

def test_the_hundred_and_first_template_application_of_a_day_is_refused(dysms, emulator):
    status, _ = admin(emulator, "POST", "/_emulator/clock/set", {"time": "2026-12-07T16:05:00Z"})   # 00:05 in China
    assert status == 200
    _policy(emulator, "manual")
    for n in range(TEMPLATE_DAILY_CAP):
        assert _create(dysms, name=f"通知{n}").code == "OK", n
        advance(emulator, 31)                    # the 30-second spacing between applications
    refused = _create(dysms, name="再一个")
    assert refused.code == "isv.TEMPLATE_COUNT_OVER_LIMIT"
    advance(emulator, 24 * 3600)                 # the next China calendar day
    assert _create(dysms, name="明天的").code == "OK"


# The legacy SDK through the whole lifecycle ---------------------------------------------------------------

def _legacy(legacy, action: str, **params: str) -> dict[str, Any]:
    """One call through the legacy SDK's own generated request class for `action` (aliyun-python-sdk-dysmsapi)."""
    module = importlib.import_module(f"aliyunsdkdysmsapi.request.v20170525.{action}Request")
    request = getattr(module, f"{action}Request")()
    for key, value in params.items():
        getattr(request, f"set_{key}")(value)
    return json.loads(legacy.do_action_with_exception(request))


def test_legacy_add_reject_modify_approve_send(legacy, emulator):
    _policy(emulator, "manual")
    added = _legacy(legacy, "AddSmsTemplate", TemplateType="1", TemplateName="旧接口", TemplateContent="您好${name}",
                    Remark="旧代码")
    code = added["TemplateCode"]
    assert _legacy(legacy, "QuerySmsTemplate", TemplateCode=code)["TemplateStatus"] == 0
    admin(emulator, "POST", f"/_emulator/catalogue/templates/{code}/reject", {"reason": "请补充场景"})
    queried = _legacy(legacy, "QuerySmsTemplate", TemplateCode=code)
    assert (queried["TemplateStatus"], queried["Reason"]) == (2, "请补充场景")
    early = _legacy(legacy, "ModifySmsTemplate", TemplateCode=code, TemplateType="1", TemplateName="旧接口",
                    TemplateContent="您好${name}", Remark="太快了")
    assert early["Code"] == "isv.BUSINESS_LIMIT_CONTROL"      # template applications are 30 s apart
    advance(emulator, 31)
    modified = _legacy(legacy, "ModifySmsTemplate", TemplateCode=code, TemplateType="1", TemplateName="旧接口",
                       TemplateContent="您好${name}，欢迎回来", Remark="补充了场景")
    assert modified["Code"] == "OK"
    assert _legacy(legacy, "QuerySmsTemplate", TemplateCode=code)["TemplateStatus"] == 0
    admin(emulator, "POST", f"/_emulator/catalogue/templates/{code}/approve")
    sent = _legacy(legacy, "SendSms", PhoneNumbers="13912345678", SignName="驴游", TemplateCode=code,
                   TemplateParam='{"name":"张三"}')
    assert sent["Code"] == "OK"


# The pytest plugin's helpers ------------------------------------------------------------------------------

def test_plugin_helpers_review_templates_and_signs(sms_emulator: SmsEmulator):
    client = sms_emulator.dysms_client()
    sms_emulator.review_policy("manual")
    code = _create(client).template_code
    assert sms_emulator.template_status(code) == "pending"
    assert sms_emulator.approve_template(code)["status"] == "approved"
    assert _send(client, code) == "OK"
    sms_emulator.advance(31)                       # template applications are 30 s apart
    other = _create(client, name="第二个")
    sms_emulator.reject_template(other.template_code, "不合规")
    assert client.get_sms_template(m.GetSmsTemplateRequest(template_code=other.template_code)).body \
        .audit_info.reject_info == "不合规"
    client.create_sms_sign(m.CreateSmsSignRequest(sign_name="插件签名", sign_source=0, qualification_id=1,
                                                  remark="x"))
    assert sms_emulator.sign_status("插件签名") == "pending"
    sms_emulator.approve_sign("插件签名")
    assert sms_emulator.wait_for_sign_status("插件签名", "approved", timeout=1)["usable"] is True
    assert sms_emulator.template_status("SMS_NOPE") is None


def test_wait_for_template_status_follows_the_virtual_clock(sms_emulator: SmsEmulator):
    client = sms_emulator.dysms_client()
    sms_emulator.review_policy("after", delay=120)
    code = _create(client).template_code
    with pytest.raises(MessageNotReceived, match=r"not approved within 0.2 s \(it is pending\)"):
        sms_emulator.wait_for_template_status(code, "approved", timeout=0.2)
    sms_emulator.advance(121)
    assert sms_emulator.wait_for_template_status(code, "approved")["code"] == code


def test_two_tests_accounts_review_separately(sms_emulator: SmsEmulator):
    """The plugin's account is not the shared default one: the default account has no such template."""
    client = sms_emulator.dysms_client()
    sms_emulator.review_policy("manual")
    code = _create(client).template_code
    answer = sms_emulator.admin.call("POST", f"/catalogue/templates/{code}/approve", {}, expect=(404,))
    assert f"template {code} does not exist (account 'default')" in answer["error"]
    assert sms_emulator.approve_template(code)["status"] == "approved"


# Scenario rules that decide reviews -----------------------------------------------------------------------

REVIEWS = """
name: reviews
reviews:
  - name: loans are refused
    match: {kind: template, content: "*贷款*"}
    decide: reject
    reason: 涉及金融营销，请补充资质
    after: 10m
  - match: {kind: sign, name: "人工*"}
    decide: manual
  - match: {kind: template, name: "秒批*"}
    decide: approve
"""


def test_scenario_review_rules_decide_by_content_and_name(dysms, emulator, scenario, receiver):
    set_receipts(emulator, template_report=f"{receiver.url}/template")
    scenario(REVIEWS)
    loan = _create(dysms, content="低息贷款${amount}元，点击办理", name="贷款推广").template_code
    advance(emulator, 31)
    quick = _create(dysms, name="秒批通知").template_code
    advance(emulator, 31)
    plain = _create(dysms, name="普通通知").template_code      # no rule: the account's policy (2 h)
    assert dysms.get_sms_template(m.GetSmsTemplateRequest(template_code=quick)).body.template_status == "1"
    assert dysms.get_sms_template(m.GetSmsTemplateRequest(template_code=loan)).body.template_status == "0"
    advance(emulator, 600)                     # ten minutes after the loan template: the rule's rejection
    got = dysms.get_sms_template(m.GetSmsTemplateRequest(template_code=loan)).body
    assert got.template_status == "2" and got.audit_info.reject_info == "涉及金融营销，请补充资质"
    assert dysms.get_sms_template(m.GetSmsTemplateRequest(template_code=plain)).body.template_status == "0"
    reports = {r.body[0]["template_code"]: r.body[0]["template_status"] for r in receiver.wait_for(2)}
    assert reports == {quick: "approved", loan: "rejected"}
    dysms.create_sms_sign(m.CreateSmsSignRequest(sign_name="人工审核", sign_source=0, qualification_id=1,
                                                 remark="x"))
    advance(emulator, 3 * 3600)                # manual: no clock ends it (the plain template's 2 h did)
    assert dysms.get_sms_sign(m.GetSmsSignRequest(sign_name="人工审核")).body.sign_status == 0
    assert dysms.get_sms_template(m.GetSmsTemplateRequest(template_code=plain)).body.template_status == "1"
    status, state = admin(emulator, "GET", "/_emulator/scenario")
    assert status == 200 and [r["applied"] for r in state["reviews"]] == [1, 1, 1]


@pytest.mark.parametrize(("text", "says"), [
    ("reviews:\n  - {decide: approve, reason: x}\n", "a reason goes with `decide: reject`"),
    ("reviews:\n  - {match: {kind: sign, content: '*'}, decide: reject}\n", "only templates have a content"),
    ("reviews:\n  - {decide: manual, after: 5m}\n", "never decided by the clock"),
    ("reviews:\n  - {decide: later}\n", "decide"),
    ("reviews:\n  - {match: {kind: widget}, decide: approve}\n", "kind"),
])
def test_review_rules_that_cannot_work_are_refused_with_where_and_why(emulator, text, says):
    status, body = put_scenario(emulator, text)
    assert status == 400 and any(says in p for p in body["problems"]), body


def test_legacy_signs_and_lists_through_the_lifecycle(legacy, emulator):
    """Every old-generation management action the legacy SDK has, on the one catalogue the new APIs see."""
    _policy(emulator, "manual")
    added = _legacy(legacy, "AddSmsSign", SignName="旧签名", SignSource=0, Remark="旧代码申请")
    assert added["Code"] == "OK" and added["SignName"] == "旧签名"
    assert _legacy(legacy, "QuerySmsSign", SignName="旧签名")["SignStatus"] == 0
    refused = _legacy(legacy, "DeleteSmsSign", SignName="旧签名")
    assert refused["Code"] == "isv.SMS_SIGNATURE_ILLEGAL" and "under review" in refused["Message"]
    admin(emulator, "POST", f"/_emulator/catalogue/signs/{quote('旧签名')}/reject", {"reason": "资质不符"})
    queried = _legacy(legacy, "QuerySmsSign", SignName="旧签名")
    assert (queried["SignStatus"], queried["Reason"]) == (2, "资质不符")
    assert _legacy(legacy, "ModifySmsSign", SignName="旧签名", SignSource=0, Remark="补充资质")["Code"] == "OK"
    assert _legacy(legacy, "QuerySmsSign", SignName="旧签名")["SignStatus"] == 0
    listed = _legacy(legacy, "QuerySmsSignList", PageIndex=1, PageSize=50)["SmsSignList"]
    assert {s["SignName"]: s["AuditStatus"] for s in listed}["旧签名"] == "AUDIT_STATE_INIT"
    admin(emulator, "POST", f"/_emulator/catalogue/signs/{quote('旧签名')}/approve")
    assert _legacy(legacy, "DeleteSmsSign", SignName="旧签名")["Code"] == "OK"
    assert _legacy(legacy, "QuerySmsSign", SignName="旧签名")["Code"] == "isv.SMS_SIGNATURE_ILLEGAL"

    code = _legacy(legacy, "AddSmsTemplate", TemplateType=1, TemplateName="旧列表", TemplateContent="您好${name}",
                   Remark="x")["TemplateCode"]
    templates = _legacy(legacy, "QuerySmsTemplateList", PageIndex=1, PageSize=50)["SmsTemplateList"]
    assert {t["TemplateCode"]: t["AuditStatus"] for t in templates}[code] == "AUDIT_STATE_INIT"
    admin(emulator, "POST", f"/_emulator/catalogue/templates/{code}/cancel")
    templates = _legacy(legacy, "QuerySmsTemplateList", PageIndex=1, PageSize=50)["SmsTemplateList"]
    assert {t["TemplateCode"]: t["AuditStatus"] for t in templates}[code] == "AUDIT_SATE_CANCEL"   # sic
    assert _legacy(legacy, "DeleteSmsTemplate", TemplateCode=code)["Code"] == "OK"
