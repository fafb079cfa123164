"""GetSmsAuthTokens and the STS credentials it issues, used through every SDK until they expire."""

from __future__ import annotations

import re
from typing import Any

import pytest
from alibabacloud_dypnsapi20170525 import models as m
from alibabacloud_dypnsapi20170525.client import Client
from alibabacloud_dysmsapi20170525.client import Client as Dysms
from alibabacloud_dysmsapi20170525.models import SendSmsRequest
from alibabacloud_tea_openapi.exceptions import ClientException
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkdypnsapi.request.v20170525.CheckSmsVerifyCodeRequest import CheckSmsVerifyCodeRequest
from aliyunsdkdypnsapi.request.v20170525.GetSmsAuthTokensRequest import GetSmsAuthTokensRequest
from aliyunsdkdysmsapi.request.v20170525.SendSmsRequest import SendSmsRequest as LegacySendSms

from emulator.server import EmulatorServer
from tests.conftest import advance, messages, tea_config
from tests.dypns_helpers import check, legacy_call, send_code

ANDROID = {"os_type": "Android", "scene_code": "FC100000000000000", "sms_template_code": "100001",
           "sign_name": "速通互联验证码", "package_name": "com.example.app"}


def tokens(client: Any, expire: int = 900, **kw: Any) -> Any:
    return client.get_sms_auth_tokens(m.GetSmsAuthTokensRequest(expire=expire, **(ANDROID | kw))).body


def sts_config(server: EmulatorServer, data: Any, algorithm: str | None, **kw: Any) -> Any:
    return tea_config(server, algorithm, access_key_id=kw.pop("access_key_id", data.sts_access_key_id),
                      access_key_secret=kw.pop("access_key_secret", data.sts_access_key_secret),
                      security_token=kw.pop("security_token", data.sts_token))


def sms(client: Dysms, phone: str) -> str:
    return client.send_sms(SendSmsRequest(phone_numbers=phone, sign_name="阿里云短信测试",
                                          template_code="SMS_154950909", template_param='{"code":"5678"}')).body.code


def refused(call: Any) -> ClientException:
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def legacy_sts(server: EmulatorServer, data: Any) -> AcsClient:
    client = AcsClient(region_id="cn-hangzhou", credential=StsTokenCredential(
        data.sts_access_key_id, data.sts_access_key_secret, data.sts_token))
    client.add_endpoint("cn-hangzhou", "Dypnsapi", server.endpoint)
    client.add_endpoint("cn-hangzhou", "Dysmsapi", server.endpoint)
    return client


def legacy_check(phone: str, code: str) -> CheckSmsVerifyCodeRequest:
    request = CheckSmsVerifyCodeRequest()
    request.set_PhoneNumber(phone)
    request.set_VerifyCode(code)
    return request


def legacy_sms(phone: str) -> LegacySendSms:
    request = LegacySendSms()
    request.set_PhoneNumbers(phone)
    request.set_SignName("阿里云短信测试")
    request.set_TemplateCode("SMS_154950909")
    request.set_TemplateParam('{"code":"5678"}')
    return request


# Issuing ------------------------------------------------------------------------------------------------------


def test_tokens_have_the_shape_of_the_real_answer(dypns, emulator):
    now = advance(emulator, 0)["now"]
    body = tokens(dypns, expire=3600)
    assert (body.code, body.message) == ("OK", "OK")
    data = body.data
    assert re.fullmatch(r"STS\.[A-Za-z0-9]{25}", data.sts_access_key_id)
    assert re.fullmatch(r"[A-Za-z0-9]{44}", data.sts_access_key_secret)
    assert data.sts_token.startswith("CAIS") and len(data.sts_token) > 400
    assert re.fullmatch(r"[A-Za-z0-9+/=]+", data.sts_token) and data.biz_token
    assert data.expire_time % 1000 == 0                                    # epoch milliseconds
    assert abs(data.expire_time / 1000 - (now + 3600)) < 2                 # on the virtual clock
    other = tokens(dypns).data
    assert other.sts_access_key_id != data.sts_access_key_id and other.sts_token != data.sts_token


def test_ios_needs_a_bundle_id(dypns, emulator):
    ios = {"os_type": "iOS", "sign_name": None, "package_name": None}
    assert tokens(dypns, **ios, bundle_id="com.example.ios").code == "OK"
    error = refused(lambda: tokens(dypns, **ios))
    assert (error.code, error.status_code, error.data["Success"]) == ("INVALID_PARAMETERS", 400, False)


@pytest.mark.parametrize("kw", [
    {"expire": 899}, {"expire": 43201}, {"os_type": "Windows"}, {"package_name": None}, {"sign_name": None},
], ids=str)
def test_invalid_token_requests(dypns, emulator, kw):
    error = refused(lambda: tokens(dypns, **kw))
    assert (error.code, error.status_code) == ("INVALID_PARAMETERS", 400)


def test_bounds_of_expire_are_accepted(dypns, emulator):
    assert tokens(dypns, expire=900).code == "OK"
    assert tokens(dypns, expire=43200).code == "OK"


def test_legacy_answer_has_no_success_field(legacy, emulator):
    request = GetSmsAuthTokensRequest()
    for name, value in {"OsType": "Android", "SceneCode": "FC1", "SmsTemplateCode": "100001", "Expire": 900,
                        "SignName": "速通互联验证码", "PackageName": "com.example.app"}.items():
        getattr(request, f"set_{name}")(value)
    body = legacy_call(legacy, request)
    assert body["Code"] == "OK" and "Success" not in body
    assert set(body["Data"]) == {"BizToken", "StsAccessKeyId", "StsAccessKeySecret", "StsToken", "ExpireTime"}


# Using the credentials ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_sts_credentials_work_for_both_products_until_they_expire(emulator, algorithm):
    data = tokens(Client(tea_config(emulator)), expire=900).data
    app = Client(sts_config(emulator, data, algorithm))
    sms_app = Dysms(sts_config(emulator, data, algorithm))

    code = send_code(app, "13912360001")
    assert check(app, "13912360001", code) == "PASS"
    assert sms(sms_app, "13912360002") == "OK"
    assert {m["account"] for m in messages(emulator)} == {"default"}       # the issuing account's

    advance(emulator, 880)
    assert check(app, "13912360001", "0000") == "UNKNOWN"                   # still accepted
    advance(emulator, 30)                                                   # past ExpireTime
    for call in (lambda: check(app, "13912360001", "0000"), lambda: sms(sms_app, "13912360003")):
        error = refused(call)
        assert (error.code, error.status_code) == ("InvalidSecurityToken.Expired", 400)
    assert len(messages(emulator)) == 2


def test_legacy_sdk_with_sts_credentials(legacy, emulator):
    data = tokens(Client(tea_config(emulator)), expire=1800).data
    app = legacy_sts(emulator, data)
    assert legacy_call(app, legacy_check("13912360010", "1234"))["Model"]["VerifyResult"] == "UNKNOWN"
    assert legacy_call(app, legacy_sms("13912360011"))["Code"] == "OK"
    advance(emulator, 1801)
    for request in (legacy_check("13912360010", "1234"), legacy_sms("13912360012")):
        with pytest.raises(ServerException) as info:
            app.do_action_with_exception(request)
        assert (info.value.get_error_code(), info.value.get_http_status()) == ("InvalidSecurityToken.Expired", 400)


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_tampered_or_foreign_tokens_are_refused(emulator, algorithm):
    issuer = Client(tea_config(emulator))
    mine, theirs = tokens(issuer).data, tokens(issuer).data
    token = mine.sts_token
    tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]

    def call(**kw: Any) -> ClientException:
        client = Client(sts_config(emulator, mine, algorithm, **kw))
        return refused(lambda: check(client, "13912360020", "1234"))

    assert (call(security_token=tampered).code, call(security_token=tampered).status_code) == (
        "InvalidSecurityToken.Malformed", 400)
    assert call(security_token=theirs.sts_token).code == "InvalidSecurityToken.MismatchWithAccessKey"
    assert call(access_key_secret=theirs.sts_access_key_secret).code == "SignatureDoesNotMatch"
    assert call(security_token=None).code == "MissingSecurityToken"
    assert check(Client(sts_config(emulator, mine, algorithm)), "13912360020", "1234") == "UNKNOWN"


def test_reset_revokes_issued_credentials(emulator):
    data = tokens(Client(tea_config(emulator))).data
    emulator.call(lambda: emulator.backend.reset("messages"))
    error = refused(lambda: check(Client(sts_config(emulator, data, None)), "13912360030", "1234"))
    assert error.code == "InvalidSecurityToken.Malformed"
