"""dysmsapi through the legacy `aliyun-python-sdk-core` AcsClient (RPC v1, everything in the query string)."""

from __future__ import annotations

import json

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from aliyunsdkdysmsapi.request.v20170525 import (
    QuerySendDetailsRequest,
    QuerySmsSignRequest,
    QuerySmsTemplateRequest,
    SendBatchSmsRequest,
    SendSmsRequest,
)

from tests.conftest import ACCESS_KEY_ID, advance, messages
from tests.dysms_helpers import today


def _send(client: AcsClient, phones: str, code: str = "1234", sign: str = "阿里云短信测试") -> dict:
    request = SendSmsRequest.SendSmsRequest()
    request.set_PhoneNumbers(phones)
    request.set_SignName(sign)
    request.set_TemplateCode("SMS_154950909")
    request.set_TemplateParam(json.dumps({"code": code}))
    return json.loads(client.do_action_with_exception(request))


def _common(server, action: str, method: str = "POST", **params: str) -> CommonRequest:
    request = CommonRequest(domain=server.endpoint, version="2017-05-25", action_name=action)
    request.set_method(method)
    for key, value in params.items():
        request.add_query_param(key, value)
    return request


def test_send_and_query_details(legacy, emulator):
    body = _send(legacy, "13912350001", code="2468")
    assert body["Code"] == "OK" and body["BizId"].endswith("^0")
    advance(emulator, 3)
    request = QuerySendDetailsRequest.QuerySendDetailsRequest()
    request.set_PhoneNumber("13912350001")
    request.set_SendDate(today(emulator))
    request.set_PageSize(10)
    request.set_CurrentPage(1)
    details = json.loads(legacy.do_action_with_exception(request))
    [dto] = details["SmsSendDetailDTOs"]["SmsSendDetailDTO"]
    assert (dto["SendStatus"], dto["ErrCode"], dto["PhoneNum"]) == (3, "DELIVERED", "13912350001")
    assert "2468" in dto["Content"]


def test_business_error_is_returned_not_raised(legacy, emulator):
    assert _send(legacy, "13800000001")["Code"] == "isv.MOBILE_NUMBER_ILLEGAL"
    assert _send(legacy, "13912350002", sign="没有这个签名")["Code"] == "isv.SMS_SIGNATURE_ILLEGAL"


def test_wrong_secret_is_reported_as_invalid_access_key_secret(emulator):
    client = AcsClient(ACCESS_KEY_ID, "wrong-secret", "cn-hangzhou")
    client.add_endpoint("cn-hangzhou", "Dysmsapi", emulator.endpoint)
    with pytest.raises(ServerException) as info:
        _send(client, "13912350003")
    # The SDK compares the server's StringToSign with its own and, when equal, blames the secret.
    assert (info.value.get_error_code(), info.value.get_http_status()) == ("InvalidAccessKeySecret", 400)
    assert messages(emulator) == []


def test_unknown_key_raises_server_exception_with_404(emulator):
    client = AcsClient("LTAInobody", "x", "cn-hangzhou")
    client.add_endpoint("cn-hangzhou", "Dysmsapi", emulator.endpoint)
    with pytest.raises(ServerException) as info:
        _send(client, "13912350004")
    assert (info.value.get_error_code(), info.value.get_http_status()) == ("InvalidAccessKeyId.NotFound", 404)
    assert info.value.get_request_id()


def test_send_batch_sms(legacy, emulator):
    request = SendBatchSmsRequest.SendBatchSmsRequest()
    request.set_PhoneNumberJson('["13912350010","13912350011"]')
    request.set_SignNameJson('["驴游","驴游"]')
    request.set_TemplateCode("SMS_462056166")
    request.set_TemplateParamJson('[{"code":"1111"},{"code":"2222"}]')
    assert json.loads(legacy.do_action_with_exception(request))["Code"] == "OK"
    assert {m["phone"]: m["code"] for m in messages(emulator)} == {"13912350010": "1111", "13912350011": "2222"}


def test_template_and_sign_queries(legacy, emulator):
    template = QuerySmsTemplateRequest.QuerySmsTemplateRequest()
    template.set_TemplateCode("SMS_154950909")
    assert json.loads(legacy.do_action_with_exception(template))["TemplateStatus"] == 1
    sign = QuerySmsSignRequest.QuerySmsSignRequest()
    sign.set_SignName("驴游")
    assert json.loads(legacy.do_action_with_exception(sign))["SignStatus"] == 1


def test_common_request_get_and_card_objects_as_one_json_parameter(legacy, emulator):
    body = json.loads(legacy.do_action_with_exception(_common(
        emulator, "SendSms", "GET", PhoneNumbers="13912350020", SignName="驴游", TemplateCode="SMS_462056166",
        TemplateParam='{"code":"7777"}')))
    assert body["Code"] == "OK"
    card = json.loads(legacy.do_action_with_exception(_common(
        emulator, "SendCardSms", CardTemplateCode="CARD_SMS_70", SignName="驴游", FallbackType="NONE",
        CardObjects=json.dumps([{"mobile": "13912350021", "dyncParams": '{"title":"T"}'}]))))
    assert card["Code"] == "OK" and card["Data"]["MediaMobiles"] == "13912350021"
    assert [m["phone"] for m in messages(emulator)] == ["13912350020", "13912350021"]


def test_unknown_action_and_version(legacy, emulator):
    with pytest.raises(ServerException) as info:
        legacy.do_action_with_exception(_common(emulator, "SendSmsPlease"))
    assert (info.value.get_error_code(), info.value.get_http_status()) == ("InvalidAction.NotFound", 404)
    request = _common(emulator, "SendSms", PhoneNumbers="13912350022")
    request.set_version("2099-01-01")
    with pytest.raises(ServerException) as info:
        legacy.do_action_with_exception(request)
    assert info.value.get_error_code() == "InvalidAction.NotFound"


def test_card_support_and_statistics_through_common_request(legacy, emulator):
    support = json.loads(legacy.do_action_with_exception(_common(
        emulator, "CheckMobilesCardSupport", TemplateCode="CARD_SMS_70",
        Mobiles=json.dumps([{"mobile": "13912350030"}, {"mobile": "13800000004"}]))))
    assert [r["support"] for r in support["Data"]["queryResult"]] == [True, False]
    _send(legacy, "13912350031")
    day = today(emulator)
    stats = json.loads(legacy.do_action_with_exception(_common(
        emulator, "QuerySendStatistics", IsGlobe="1", StartDate=day, EndDate=day, PageIndex="1", PageSize="10")))
    assert stats["Data"]["TargetList"][0]["TotalCount"] == 1
