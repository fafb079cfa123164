"""dysmsapi through the official tea SDK (ACS3 and RPC v1 signatures) on a real loopback port."""

from __future__ import annotations

import json

import pytest
from alibabacloud_dysmsapi20170525 import models as m
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.conftest import advance, messages, tea_config
from tests.dysms_helpers import NOTICE, details, send, set_account

Card = m.SendCardSmsRequestCardObjects


def test_send_then_query_follows_the_status_lifecycle(dysms, emulator):
    body = send(dysms, "13912340001", code="8888", out_id="order-42")
    assert (body.code, body.message) == ("OK", "OK")
    [waiting] = details(dysms, emulator, "13912340001").sms_send_detail_dtos.sms_send_detail_dto
    assert waiting.send_status == 1
    assert waiting.content == ("【阿里云短信测试】您正在使用阿里云短信测试服务，体验验证码是：8888，"
                               "如非本人操作，请忽略本短信！")
    assert waiting.out_id == "order-42" and waiting.template_code == "SMS_154950909"
    assert waiting.receive_date is None

    advance(emulator, 3)
    result = details(dysms, emulator, "13912340001")
    assert result.total_count == 1
    [done] = result.sms_send_detail_dtos.sms_send_detail_dto
    assert (done.send_status, done.err_code) == (3, "DELIVERED")
    assert done.receive_date >= done.send_date


def test_numbers_with_country_prefixes_are_one_send_with_one_biz_id(dysms, emulator):
    body = send(dysms, "+8613912340002,008613912340003,8613912340004,13912340005", **NOTICE,
                template_param='{"order":"A1","days":"2"}')
    assert body.code == "OK"
    stored = messages(emulator, provider="dysms")
    assert sorted(s["phone"] for s in stored) == ["13912340002", "13912340003", "13912340004", "13912340005"]
    assert {s["biz_id"] for s in stored} == {body.biz_id}
    assert stored[0]["content"] == "【驴游】您的订单A1已发货，预计2天内送达。"
    assert stored[0]["code"] is None   # a notification carries no verification code


def test_magic_numbers(dysms, emulator):
    illegal = send(dysms, "13800000001")
    assert (illegal.code, illegal.biz_id) == ("isv.MOBILE_NUMBER_ILLEGAL", None)
    limited = send(dysms, "13800000002")
    assert limited.code == "isv.BUSINESS_LIMIT_CONTROL"
    failing = send(dysms, "13800000003")
    assert failing.code == "OK"
    advance(emulator, 3)
    [dto] = details(dysms, emulator, "13800000003").sms_send_detail_dtos.sms_send_detail_dto
    assert (dto.send_status, dto.err_code) == (2, "MN:0001")
    assert messages(emulator, phone="13800000003")[0]["status"] == "failed"
    assert messages(emulator, phone="13800000001") == []


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"sign_name": "不存在的签名"}, "isv.SMS_SIGNATURE_ILLEGAL"),
    ({"sign_name": "审核中签名", "template_code": "SMS_900000001", "template_param": '{"order":"1","days":"1"}'},
     "isv.SMS_SIGNATURE_ILLEGAL"),
    ({"template_code": "SMS_000000000"}, "isv.SMS_TEMPLATE_ILLEGAL"),
    ({"template_code": "SMS_900000002", "sign_name": "驴游"}, "isv.SMS_TEMPLATE_ILLEGAL"),
    ({"template_code": "SMS_900000001", "template_param": '{"order":"1","days":"1"}'},
     "isv.SMS_SIGNATURE_SCENE_ILLEGAL"),
    ({"template_param": '{"other":"1"}'}, "isv.TEMPLATE_MISSING_PARAMETERS"),
    ({"template_param": "{not json"}, "isv.INVALID_JSON_PARAM"),
    ({"template_param": '{"code": 1234}'}, "isv.INVALID_JSON_PARAM"),
    ({"template_param": json.dumps({"code": "1" * 36})}, "isv.PARAM_LENGTH_LIMIT"),
    ({"template_param": '{"code":"http://x.cn"}'}, "isv.PARAM_NOT_SUPPORT_URL"),
])
def test_business_errors_are_http_200_with_the_code(dysms, emulator, kwargs, code):
    body = send(dysms, "13912340010", **kwargs)
    assert body.code == code
    assert body.message and body.request_id and body.biz_id is None
    assert messages(emulator) == []


def test_malformed_and_too_many_numbers(dysms, emulator):
    assert send(dysms, "1391234").code == "isv.MOBILE_NUMBER_ILLEGAL"
    assert send(dysms, "13912340011,abc").code == "isv.MOBILE_NUMBER_ILLEGAL"
    many = ",".join(f"139{i:08d}" for i in range(1001))
    assert send(dysms, many).code == "isv.MOBILE_COUNT_OVER_LIMIT"
    assert messages(emulator) == []


def test_frequency_control_per_number_minute_hour_day(dysms, emulator):
    assert send(dysms, "13912340020").code == "OK"
    second = send(dysms, "13912340020")
    assert (second.code, second.message) == ("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")
    assert send(dysms, "13912340021").code == "OK"          # another number is not affected
    for _ in range(4):
        advance(emulator, 61)
        assert send(dysms, "13912340020").code == "OK"
    advance(emulator, 61)
    assert send(dysms, "13912340020").message == "触发小时级流控Permits:5"
    assert len(messages(emulator, phone="13912340020")) == 5


def test_notification_limit_is_per_sign_and_template(dysms, emulator):
    set_account(emulator, limits={"notification": {"day": 2}})
    args = {**NOTICE, "template_param": '{"order":"1","days":"1"}'}
    assert [send(dysms, "13912340030", **args).code for _ in range(3)] == ["OK", "OK", "isv.BUSINESS_LIMIT_CONTROL"]
    assert send(dysms, "13912340030", **args).message == "触发天级流控Permits:2"


def test_balance_is_charged_per_segment_and_runs_out(dysms, emulator):
    set_account(emulator, balance=3)
    long_text = json.dumps({"order": "X" * 35, "days": "9" * 35})   # 【驴游】 + text: 89 characters, two segments
    body = send(dysms, "13912340040", **NOTICE, template_param=long_text)
    assert body.code == "OK"
    [stored] = messages(emulator, phone="13912340040")
    assert stored["segments"] == 2
    assert emulator.backend.accounts.get("default").balance == 1
    poor = send(dysms, "13912340041", **NOTICE, template_param=long_text)
    assert poor.code == "isv.AMOUNT_NOT_ENOUGH"
    assert send(dysms, "13912340042", **NOTICE, template_param='{"order":"1","days":"1"}').code == "OK"
    assert emulator.backend.accounts.get("default").balance == 0


def test_send_batch_sms_is_index_aligned(dysms, emulator):
    body = dysms.send_batch_sms(m.SendBatchSmsRequest(
        phone_number_json='["13912340050","13912340051"]', sign_name_json='["驴游","驴游"]',
        template_code="SMS_900000001",
        template_param_json='[{"order":"A","days":"1"},{"order":"B","days":"2"}]', out_id="batch-1")).body
    assert body.code == "OK" and body.biz_id
    stored = {s["phone"]: s for s in messages(emulator)}
    assert stored["13912340050"]["params"] == {"order": "A", "days": "1"}
    assert stored["13912340051"]["content"] == "【驴游】您的订单B已发货，预计2天内送达。"
    assert {s["out_id"] for s in stored.values()} == {"batch-1"}


@pytest.mark.parametrize(("phones", "signs", "params", "code"), [
    ('["13912340052","13912340053"]', '["驴游"]', '[{"order":"A","days":"1"},{"order":"B","days":"1"}]',
     "isv.INVALID_PARAMETERS"),
    ("[1,", '["驴游"]', "[]", "isv.INVALID_JSON_PARAM"),
    (json.dumps([f"139{i:08d}" for i in range(101)]), json.dumps(["驴游"] * 101),
     json.dumps([{"order": "A", "days": "1"}] * 101), "isv.MOBILE_COUNT_OVER_LIMIT"),
    ('["13912340054"]', '["驴游"]', None, "isv.TEMPLATE_MISSING_PARAMETERS"),
])
def test_send_batch_sms_errors(dysms, emulator, phones, signs, params, code):
    body = dysms.send_batch_sms(m.SendBatchSmsRequest(phone_number_json=phones, sign_name_json=signs,
                                                      template_code="SMS_900000001",
                                                      template_param_json=params)).body
    assert body.code == code
    assert messages(emulator) == []


def test_query_send_details_pages_and_filters_by_biz_id(dysms, emulator):
    bodies = []
    for i in range(3):
        bodies.append(send(dysms, "13912340060", **NOTICE, template_param=json.dumps({"order": f"O{i}", "days": "1"})))
    page1 = details(dysms, emulator, "13912340060", page_size=2, current_page=1)
    page2 = details(dysms, emulator, "13912340060", page_size=2, current_page=2)
    assert page1.total_count == page2.total_count == 3
    contents = [d.content for d in page1.sms_send_detail_dtos.sms_send_detail_dto + page2.sms_send_detail_dtos.
                sms_send_detail_dto]
    assert [c[8:10] for c in contents] == ["O2", "O1", "O0"]   # newest first
    one = details(dysms, emulator, "13912340060", biz_id=bodies[1].biz_id)
    assert [d.content[8:10] for d in one.sms_send_detail_dtos.sms_send_detail_dto] == ["O1"]


@pytest.mark.parametrize("kwargs", [{"send_date": "2026-11-23"}, {"send_date": "20200101"}, {"page_size": 51},
                                    {"current_page": 0}])
def test_query_send_details_rejects_bad_paging_and_dates(dysms, emulator, kwargs):
    assert details(dysms, emulator, "13912340061", **kwargs).code == "isv.INVALID_PARAMETERS"


def test_send_card_sms_with_fallback_for_numbers_without_card_support(dysms, emulator):
    request = m.SendCardSmsRequest(
        card_objects=[Card(mobile="13912340070", dync_params='{"title":"双十一"}', custom_url="https://a.cn"),
                      Card(mobile="13800000004", dync_params='{"title":"双十一"}')],
        card_template_code="CARD_SMS_70", sign_name="驴游", fallback_type="SMS",
        sms_template_code="SMS_900000001", sms_template_param='{"order":"C","days":"3"}')
    body = dysms.send_card_sms(request).body
    assert (body.code, body.success) == ("OK", True)
    assert body.data.media_mobiles == "13912340070"
    assert body.data.not_media_mobiles == "13800000004"
    assert body.data.biz_card_id and body.data.biz_sms_id and body.data.card_tmp_state == 1
    card, = messages(emulator, phone="13912340070")
    fallback, = messages(emulator, phone="13800000004")
    assert card["extra"]["kind"] == "card" and card["content"] == "【驴游】【卡片短信】双十一"
    assert fallback["extra"]["kind"] == "sms" and fallback["template"] == "SMS_900000001"


def test_send_card_sms_without_fallback_sends_nothing_to_unsupported_numbers(dysms, emulator):
    body = dysms.send_card_sms(m.SendCardSmsRequest(
        card_objects=[Card(mobile="13800000004", dync_params="{}")], card_template_code="CARD_SMS_70",
        sign_name="驴游", fallback_type="NONE")).body
    assert body.code == "OK" and body.data.not_media_mobiles == "13800000004"
    assert body.data.biz_card_id is None
    assert messages(emulator) == []


def test_card_sms_switched_off_is_forbidden(dysms, emulator):
    set_account(emulator, functions={"card_sms": False})
    body = dysms.send_card_sms(m.SendCardSmsRequest(
        card_objects=[Card(mobile="13912340071")], card_template_code="CARD_SMS_70", sign_name="驴游",
        fallback_type="NONE")).body
    assert body.code == "ForbiddenAction"


def test_check_mobiles_card_support(dysms, emulator):
    body = dysms.check_mobiles_card_support(m.CheckMobilesCardSupportRequest(
        template_code="CARD_SMS_70", mobiles=[{"mobile": "13912340072"}, {"mobile": "13800000004"}])).body
    assert body.code == "OK"
    assert [(r.mobile, r.support) for r in body.data.query_result] == [("13912340072", True),
                                                                      ("13800000004", False)]


def test_query_send_statistics_counts_per_day_and_outcome(dysms, emulator):
    send(dysms, "13912340080")
    send(dysms, "13800000003")
    advance(emulator, 3)
    send(dysms, "13912340081")
    day = details(dysms, emulator, "13912340080").sms_send_detail_dtos.sms_send_detail_dto[0].send_date[:10]
    day = day.replace("-", "")
    body = dysms.query_send_statistics(m.QuerySendStatisticsRequest(
        is_globe=1, start_date=day, end_date=day, page_index=1, page_size=10)).body
    assert body.code == "OK" and body.data.total_size == 1
    [row] = body.data.target_list
    assert (row.send_date, row.total_count, row.responded_success_count, row.responded_fail_count,
            row.no_responded_count) == (day, 3, 1, 1, 1)


def test_template_and_sign_queries(dysms, emulator):
    template = dysms.query_sms_template(m.QuerySmsTemplateRequest(template_code="SMS_462056166")).body
    assert (template.template_content, template.template_status, template.template_type) == (
        "您的验证码是${code}，5分钟内有效，请勿泄露。", 1, 0)
    listed = dysms.query_sms_template_list(m.QuerySmsTemplateListRequest(page_index=1, page_size=50)).body
    assert "SMS_154950909" in [t.template_code for t in listed.sms_template_list]
    sign = dysms.query_sms_sign(m.QuerySmsSignRequest(sign_name="审核中签名")).body
    assert sign.sign_status == 0
    signs = dysms.query_sms_sign_list(m.QuerySmsSignListRequest()).body
    assert {"阿里云短信测试", "驴游"} <= {s.sign_name for s in signs.sms_sign_list}
    missing = dysms.query_sms_template(m.QuerySmsTemplateRequest(template_code="SMS_1")).body
    assert missing.code == "isv.SMS_TEMPLATE_ILLEGAL"


# Gateway errors: real HTTP statuses, raised by the SDK --------------------------------------------------------

def _raises(client: Client, **kw) -> ClientException:
    with pytest.raises(ClientException) as info:
        send(client, "13912340090", **kw)
    return info.value


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_wrong_secret_is_signature_does_not_match(emulator, algorithm):
    error = _raises(Client(tea_config(emulator, algorithm, access_key_secret="nope")))
    assert (error.code, error.status_code) == ("SignatureDoesNotMatch", 400)
    assert "server string to sign is:" in error.data["Message"]
    assert error.data["HostId"] == "dysmsapi.aliyuncs.com"
    assert error.data["Recommend"].startswith("https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch")


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_unknown_access_key_is_404(emulator, algorithm):
    error = _raises(Client(tea_config(emulator, algorithm, access_key_id="LTAIunknown")))
    assert (error.code, error.status_code) == ("InvalidAccessKeyId.NotFound", 404)


def test_disabled_access_key(emulator):
    emulator.call(lambda: emulator.backend.accounts.get("default").disabled_keys.add("testid"))
    error = _raises(Client(tea_config(emulator)))
    assert error.code == "InvalidAccessKeyId.Inactive"


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_sdk_calls_keep_working_after_the_virtual_clock_moves_a_day(emulator, algorithm):
    client = Client(tea_config(emulator, algorithm))
    assert send(client, "13912340095").code == "OK"
    advance(emulator, 86400 + 60)
    assert send(client, "13912340095").code == "OK"      # day window passed, and the SDK's timestamp is accepted


def test_missing_required_parameter(dysms, emulator):
    with pytest.raises(ClientException) as info:
        dysms.send_sms(m.SendSmsRequest(phone_numbers="13912340091", template_code="SMS_154950909"))
    assert (info.value.code, info.value.status_code) == ("MissingSignName", 400)
    assert info.value.data["Message"] == "SignName is mandatory for this action."


def test_throttling_above_the_account_qps(dysms, emulator):
    set_account(emulator, qps=2)
    emulator.call(lambda: emulator.backend.clock.set(int(emulator.backend.clock.now()) + 0.01))
    codes = []
    for i in range(3):
        try:
            codes.append(send(dysms, f"1391234010{i}").code)
        except ClientException as error:
            codes.append(error.code)
    assert codes.count("Throttling.User") >= 1
    assert "OK" in codes
