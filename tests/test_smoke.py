"""The skeleton's promise: the emulator starts, answers health, and one SDK call lands in the inbox."""

from __future__ import annotations

from alibabacloud_dysmsapi20170525.models import SendSmsRequest

from tests.conftest import admin, messages


def test_health_answers_with_version(emulator):
    status, body = admin(emulator, "GET", "/_emulator/health")
    assert status == 200
    assert body["status"] == "ok" and body["version"]


def test_send_sms_through_the_official_sdk_is_stored(dysms, emulator):
    resp = dysms.send_sms(SendSmsRequest(phone_numbers="13912345678", sign_name="阿里云短信测试",
                                         template_code="SMS_154950909", template_param='{"code":"4321"}'))
    assert resp.status_code == 200
    assert resp.body.code == "OK"
    assert resp.body.biz_id.endswith("^0")
    [message] = messages(emulator, phone="13912345678")
    assert message["code"] == "4321"
    assert message["content"] == ("【阿里云短信测试】您正在使用阿里云短信测试服务，体验验证码是：4321，"
                                  "如非本人操作，请忽略本短信！")
    assert message["biz_id"] == resp.body.biz_id
