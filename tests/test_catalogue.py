"""Templates and signs as a living catalogue: both API generations, review on the virtual clock, sending."""

from __future__ import annotations

import json
from typing import Any

from alibabacloud_dysmsapi20170525 import models as m
from aliyunsdkdysmsapi.request.v20170525 import AddSmsTemplateRequest, QuerySmsTemplateRequest

from emulator.core.catalogue import ReviewPolicy
from tests.admin_helpers import new_account
from tests.conftest import advance, tea_config


def _policy(server, mode: str, account: str = "default") -> None:
    server.call(lambda: server.backend.catalogue.set_policy(account, ReviewPolicy(mode)))


def _decide(server, kind: str, key: str, decision: str, reason: str = "", account: str = "default") -> None:
    server.call(lambda: server.backend.catalogue.decide(account, kind, key, decision, reason))


def _create(client, content: str = "您的订单${order}已发货。", name: str = "订单通知") -> Any:
    return client.create_sms_template(m.CreateSmsTemplateRequest(
        template_name=name, template_content=content, template_type=1, remark="发货通知")).body


def _send(client, template_code: str, sign: str = "驴游") -> str:
    return client.send_sms(m.SendSmsRequest(phone_numbers="13912345678", sign_name=sign, template_code=template_code,
                                            template_param=json.dumps({"order": "A1", "days": "3"}))).body.code


def test_created_template_is_sendable_only_once_approved(dysms, emulator):
    _policy(emulator, "manual")
    created = _create(dysms)
    assert created.code == "OK" and created.template_code.startswith("SMS_") and created.order_id
    got = dysms.get_sms_template(m.GetSmsTemplateRequest(template_code=created.template_code)).body
    assert got.template_status == "0" and got.template_type == "1" and got.order_id == created.order_id
    assert _send(dysms, created.template_code) == "isv.SMS_TEMPLATE_ILLEGAL"
    _decide(emulator, "template", created.template_code, "approve")
    old = dysms.query_sms_template(m.QuerySmsTemplateRequest(template_code=created.template_code)).body
    assert old.template_status == 1 and old.template_type == 1
    assert _send(dysms, created.template_code) == "OK"


def test_default_review_finishes_after_two_virtual_hours(dysms, emulator):
    created = _create(dysms)
    advance(emulator, 3600)
    assert dysms.get_sms_template(m.GetSmsTemplateRequest(template_code=created.template_code)).body \
        .template_status == "0"
    advance(emulator, 3601)
    assert dysms.get_sms_template(m.GetSmsTemplateRequest(template_code=created.template_code)).body \
        .template_status == "1"


def test_rejected_template_shows_its_reason_and_only_it_can_be_updated(dysms, emulator):
    _policy(emulator, "manual")
    code = _create(dysms).template_code
    update = m.UpdateSmsTemplateRequest(template_code=code, template_name="订单通知", template_type=1,
                                        template_content="您的订单${order}已发出。")
    assert dysms.update_sms_template(update).body.code == "isv.SMS_TEMPLATE_ILLEGAL"    # under review
    _decide(emulator, "template", code, "reject", "变量缺少说明")
    got = dysms.get_sms_template(m.GetSmsTemplateRequest(template_code=code)).body
    assert got.template_status == "2" and got.audit_info.reject_info == "变量缺少说明"
    listed = dysms.query_sms_template_list(m.QuerySmsTemplateListRequest(page_size=50)).body.sms_template_list
    assert [t.audit_status for t in listed if t.template_code == code] == ["AUDIT_STATE_NOT_PASS"]
    advance(emulator, 30)
    updated = dysms.update_sms_template(update).body
    assert updated.code == "OK" and updated.order_id and updated.order_id != got.order_id
    assert dysms.get_sms_template(m.GetSmsTemplateRequest(template_code=code)).body.template_status == "0"


def test_delete_refused_under_review_and_cancelled_state_spelling(dysms, emulator):
    _policy(emulator, "manual")
    code = _create(dysms).template_code
    assert dysms.delete_sms_template(m.DeleteSmsTemplateRequest(template_code=code)).body.code \
        == "isv.SMS_TEMPLATE_ILLEGAL"
    _decide(emulator, "template", code, "cancel")
    listed = dysms.query_sms_template_list(m.QuerySmsTemplateListRequest(page_size=50)).body.sms_template_list
    assert [t.audit_status for t in listed if t.template_code == code] == ["AUDIT_SATE_CANCEL"]
    assert dysms.delete_sms_template(m.DeleteSmsTemplateRequest(template_code=code)).body.template_code == code
    assert dysms.get_sms_template(m.GetSmsTemplateRequest(template_code=code)).body.code == "isv.SMS_TEMPLATE_ILLEGAL"


def test_provider_rules_spacing_and_lengths(dysms, emulator):
    assert _create(dysms, name="x" * 31).code == "isv.TEMPLATE_OVER_LIMIT"
    assert _create(dysms, content="x" * 501).code == "isv.TEMPLATE_OVER_LIMIT"
    assert _create(dysms).code == "OK"
    assert _create(dysms).code == "isv.BUSINESS_LIMIT_CONTROL"      # 30 seconds apart
    advance(emulator, 30)
    assert _create(dysms).code == "OK"


def test_signs_need_a_qualification_and_review_before_sending(dysms, emulator):
    _policy(emulator, "manual")
    missing = m.CreateSmsSignRequest(sign_name="新店铺", sign_source=0)
    try:
        dysms.create_sms_sign(missing)
        raise AssertionError("CreateSmsSign without QualificationId was accepted")
    except Exception as exc:            # HTTP 400: the tea SDK raises
        assert "MissingQualificationId" in str(exc)
    created = dysms.create_sms_sign(m.CreateSmsSignRequest(sign_name="新店铺", sign_source=0,
                                                           qualification_id=1001)).body
    assert created.code == "OK" and created.order_id
    assert dysms.get_sms_sign(m.GetSmsSignRequest(sign_name="新店铺")).body.sign_status == 0
    assert _send(dysms, "SMS_900000001", sign="新店铺") == "isv.SMS_SIGNATURE_ILLEGAL"
    _decide(emulator, "sign", "新店铺", "approve")
    assert dysms.get_sms_sign(m.GetSmsSignRequest(sign_name="新店铺")).body.sign_status == 1
    assert _send(dysms, "SMS_900000001", sign="新店铺") == "OK"


def test_legacy_sdk_sees_the_same_catalogue(legacy, emulator):
    _policy(emulator, "immediate")
    add = AddSmsTemplateRequest.AddSmsTemplateRequest()
    add.set_TemplateType(1)
    add.set_TemplateName("旧接口模板")
    add.set_TemplateContent("您的订单${order}已签收。")
    add.set_Remark("legacy")
    code = json.loads(legacy.do_action_with_exception(add))["TemplateCode"]
    query = QuerySmsTemplateRequest.QuerySmsTemplateRequest()
    query.set_TemplateCode(code)
    answer = json.loads(legacy.do_action_with_exception(query))
    assert answer["TemplateStatus"] == 1 and answer["TemplateName"] == "旧接口模板"


def test_two_accounts_do_not_see_each_others_catalogue(dysms, emulator):
    from alibabacloud_dysmsapi20170525.client import Client

    code = _create(dysms).template_code
    account = new_account(emulator)
    other = Client(tea_config(emulator, access_key_id=account["access_key_id"],
                              access_key_secret=account["access_key_secret"]))
    assert other.get_sms_template(m.GetSmsTemplateRequest(template_code=code)).body.code == "isv.SMS_TEMPLATE_ILLEGAL"
    assert other.get_sms_template(m.GetSmsTemplateRequest(template_code="SMS_900000001")).body.code == "OK"


def test_a_review_in_progress_survives_a_restart_with_db(tmp_path):
    from alibabacloud_dysmsapi20170525.client import Client

    from emulator.server import EmulatorServer
    from emulator.settings import Settings

    db = tmp_path / "state.db"
    first = EmulatorServer(Settings(port=0, quiet=True, db=str(db))).start()
    try:
        code = _create(Client(tea_config(first))).template_code
        advance(first, 3600)
    finally:
        first.stop()
    second = EmulatorServer(Settings(port=0, quiet=True, db=str(db))).start()
    try:
        client = Client(tea_config(second))
        assert client.get_sms_template(m.GetSmsTemplateRequest(template_code=code)).body.template_status == "0"
        advance(second, 3601)       # the review job came back with the queue and falls due
        assert client.get_sms_template(m.GetSmsTemplateRequest(template_code=code)).body.template_status == "1"
    finally:
        second.stop()
