"""dypnsapi SMS verification codes through the official SDKs (tea ACS3 and RPC v1, legacy AcsClient)."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from alibabacloud_dypnsapi20170525 import models as m
from alibabacloud_dypnsapi20170525.client import Client
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkdypnsapi.request.v20170525.CheckSmsVerifyCodeRequest import CheckSmsVerifyCodeRequest
from aliyunsdkdypnsapi.request.v20170525.SendSmsVerifyCodeRequest import SendSmsVerifyCodeRequest

from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.conftest import advance, messages, tea_config
from tests.dypns_helpers import (
    GENERATED,
    SYSTEM,
    SYSTEM_TEXT,
    check,
    latest_code,
    legacy_call,
    send,
    send_code,
    send_error,
)

# Send and check ---------------------------------------------------------------------------------------------


def test_send_answers_like_the_seed_and_the_code_passes_once(dypns, emulator):
    body = send(dypns, "13912350001", return_verify_code=True, out_id="login-7")
    assert (body.code, body.message, body.success, body.access_denied_detail) == ("OK", "成功", True, "")
    code = body.model.verify_code
    assert re.fullmatch(r"\d{4}", code)                       # CodeType 1, CodeLength 4 by default
    assert re.fullmatch(r"\d{18}\^0", body.model.biz_id)
    assert body.model.out_id == "login-7"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", body.model.request_id)
    assert re.fullmatch(r"[0-9A-F-]{36}", body.request_id)

    [message] = messages(emulator, phone="13912350001")
    assert (message["provider"], message["action"], message["code"]) == ("dypns", "SendSmsVerifyCode", code)
    assert message["content"] == SYSTEM_TEXT.format(code=code)
    assert (message["biz_id"], message["out_id"], message["sign"]) == (body.model.biz_id, "login-7", "速通互联验证码")

    assert check(dypns, "13912350001", code) == "PASS"
    assert check(dypns, "13912350001", code) == "UNKNOWN"      # a passed code cannot pass twice


def test_verify_code_is_returned_only_when_asked(dypns, emulator):
    body = send(dypns, "13912350002")
    assert body.code == "OK"
    assert "VerifyCode" not in body.model.to_map()
    [message] = messages(emulator, phone="13912350002")
    assert re.fullmatch(r"\d{4}", message["code"])             # the phone got it all the same
    assert check(dypns, "13912350002", message["code"]) == "PASS"


def test_a_wrong_code_is_unknown_and_the_right_one_still_passes(dypns, emulator):
    code = send_code(dypns, "13912350003")
    wrong = "0000" if code != "0000" else "1111"
    assert check(dypns, "13912350003", wrong) == "UNKNOWN"
    assert check(dypns, "13912350004", code) == "UNKNOWN"     # another number
    assert check(dypns, "13912350003", code) == "PASS"


def test_check_echoes_out_id(dypns, emulator):
    code = send_code(dypns, "13912350005")
    body = dypns.check_sms_verify_code(m.CheckSmsVerifyCodeRequest(phone_number="13912350005", verify_code=code,
                                                                    out_id="chk-1")).body
    assert (body.model.verify_result, body.model.out_id) == ("PASS", "chk-1")


@pytest.mark.parametrize(("code_type", "alphabet"), [
    (1, string.digits), (2, string.ascii_uppercase), (3, string.ascii_lowercase), (4, string.ascii_letters),
    (5, string.digits + string.ascii_uppercase), (6, string.digits + string.ascii_lowercase),
    (7, string.digits + string.ascii_letters),
])
def test_code_type_and_length_shape_the_generated_code(emulator, code_type, alphabet):
    client = Client(tea_config(emulator))
    codes = [send_code(client, "13912350010", code_type=code_type, code_length=length, interval=0)
             for length in (4, 6, 8)]
    assert [len(c) for c in codes] == [4, 6, 8]
    assert all(set(c) <= set(alphabet) for c in codes)
    [message] = messages(emulator, phone="13912350010")[-1:]
    assert message["code"] == codes[-1] and codes[-1] in message["content"]


def test_a_code_in_the_middle_of_a_custom_template_variable_is_generated(dypns, emulator):
    """A custom sign + custom template pair is allowed; `##code##` may sit inside a longer value."""
    body = send(dypns, "13912350011", sign_name="阿里云短信测试", template_code="SMS_154950909",
                template_param='{"code":"##code##"}', return_verify_code=True)
    assert body.code == "OK"
    [message] = messages(emulator, phone="13912350011")
    assert message["content"].startswith("【阿里云短信测试】") and body.model.verify_code in message["content"]
    assert check(dypns, "13912350011", body.model.verify_code) == "PASS"


# Policies ---------------------------------------------------------------------------------------------------


def test_overwrite_policy_kills_the_older_code(dypns, emulator):
    first = send_code(dypns, "13912350020", code_length=8, interval=0)
    second = send_code(dypns, "13912350020", code_length=8, interval=0, duplicate_policy=1)
    assert first != second
    assert check(dypns, "13912350020", first) == "UNKNOWN"
    assert check(dypns, "13912350020", second) == "PASS"


def test_overwrite_is_the_default(dypns, emulator):
    first = send_code(dypns, "13912350021", code_length=8, interval=0)
    second = send_code(dypns, "13912350021", code_length=8, interval=0)
    assert check(dypns, "13912350021", first) == "UNKNOWN"
    assert check(dypns, "13912350021", second) == "PASS"


def test_keep_policy_lets_every_live_code_pass(dypns, emulator):
    first = send_code(dypns, "13912350022", code_length=8, interval=0, duplicate_policy=2)
    second = send_code(dypns, "13912350022", code_length=8, interval=0, duplicate_policy=2)
    assert first != second
    assert check(dypns, "13912350022", first) == "PASS"
    assert check(dypns, "13912350022", second) == "PASS"
    assert check(dypns, "13912350022", first) == "UNKNOWN"


def test_case_auth_policy(dypns, emulator):
    upper = send_code(dypns, "13912350023", code_type=2, code_length=6)
    assert check(dypns, "13912350023", upper.lower(), case_auth_policy=2) == "UNKNOWN"   # sensitive
    assert check(dypns, "13912350023", upper.lower(), case_auth_policy=1) == "PASS"      # insensitive


def test_case_sensitive_check_passes_the_exact_code(dypns, emulator):
    mixed = send_code(dypns, "13912350024", code_type=4, code_length=8)
    assert check(dypns, "13912350024", mixed.swapcase(), case_auth_policy=2) == "UNKNOWN"
    assert check(dypns, "13912350024", mixed, case_auth_policy=2) == "PASS"


def test_five_wrong_attempts_kill_the_code(dypns, emulator):
    survivor = send_code(dypns, "13912350025", code_length=8)
    killed = send_code(dypns, "13912350026", code_length=8)
    for _ in range(4):
        assert check(dypns, "13912350025", "wrong") == "UNKNOWN"
    assert check(dypns, "13912350025", survivor) == "PASS"
    for _ in range(5):
        assert check(dypns, "13912350026", "wrong") == "UNKNOWN"
    assert check(dypns, "13912350026", killed) == "UNKNOWN"
    assert latest_code(emulator, "13912350026")[0] == 404


def test_literal_code_is_sent_but_cannot_be_checked(dypns, emulator):
    body = send(dypns, "13912350027", template_param='{"code":"246810","min":"5"}')
    assert body.code == "OK"
    [message] = messages(emulator, phone="13912350027")
    assert message["code"] == "246810"
    assert message["content"] == SYSTEM_TEXT.format(code="246810")
    assert check(dypns, "13912350027", "246810") == "UNKNOWN"
    assert latest_code(emulator, "13912350027")[0] == 404


def test_schemes_keep_their_codes_apart(dypns, emulator):
    code = send_code(dypns, "13912350028", scheme_name="支付方案")
    assert check(dypns, "13912350028", code) == "UNKNOWN"                       # default scheme
    assert check(dypns, "13912350028", code, scheme_name="支付方案") == "PASS"


# Time: expiry, interval, daily limit ------------------------------------------------------------------------


def test_codes_expire_on_the_virtual_clock(dypns, emulator):
    early = send_code(dypns, "13912350030")
    late = send_code(dypns, "13912350031")
    short = send_code(dypns, "13912350032", valid_time=60)
    advance(emulator, 61)
    assert check(dypns, "13912350032", short) == "UNKNOWN"
    advance(emulator, 230)                                      # 291 s: inside the default 300
    assert check(dypns, "13912350030", early) == "PASS"
    advance(emulator, 10)                                       # 301 s
    assert check(dypns, "13912350031", late) == "UNKNOWN"
    assert latest_code(emulator, "13912350031")[0] == 404


def test_resend_inside_the_interval_is_frequency_fail(dypns, emulator):
    assert send(dypns, "13912350040").code == "OK"
    error = send_error(dypns, "13912350040")
    assert (error.code, error.status_code) == ("FREQUENCY_FAIL", 400)
    assert error.data["Message"].startswith("Check frequency fail.")
    assert error.data["Success"] is False
    assert send(dypns, "13912350041").code == "OK"             # another number is not affected
    advance(emulator, 59)
    assert send_error(dypns, "13912350040").code == "FREQUENCY_FAIL"
    advance(emulator, 1)
    assert send(dypns, "13912350040").code == "OK"
    assert len(messages(emulator, phone="13912350040")) == 2


def test_interval_is_per_request(dypns, emulator):
    assert send(dypns, "13912350042", interval=5).code == "OK"
    assert send_error(dypns, "13912350042", interval=5).code == "FREQUENCY_FAIL"
    advance(emulator, 5)
    assert send(dypns, "13912350042", interval=5).code == "OK"


def test_daily_limit_per_number(dypns, emulator):
    for _ in range(10):                                         # fixtures: dypns_daily 10
        assert send(dypns, "13912350043", interval=0).code == "OK"
    error = send_error(dypns, "13912350043", interval=0)
    assert (error.code, error.status_code, error.data["Success"]) == ("BUSINESS_LIMIT_CONTROL", 400, False)
    assert error.data["Message"].startswith("The number has exceeded the limit for the day.")
    assert send(dypns, "13912350044", interval=0).code == "OK"
    assert len(messages(emulator, phone="13912350043")) == 10


def test_refused_sends_do_not_count_against_the_daily_limit(emulator):
    client = Client(tea_config(emulator))
    for _ in range(5):
        assert send(client, "13912350045").code == "OK"
        assert send_error(client, "13912350045").code == "FREQUENCY_FAIL"
        advance(emulator, 60)
    for _ in range(5):
        assert send(client, "13912350045", interval=0).code == "OK"
    assert send_error(client, "13912350045", interval=0).code == "BUSINESS_LIMIT_CONTROL"


# Refusals ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("phone", "code"), [("13800000001", "MOBILE_NUMBER_ILLEGAL"),
                                              ("13800000002", "BUSINESS_LIMIT_CONTROL")])
def test_magic_numbers(dypns, emulator, phone, code):
    error = send_error(dypns, phone)
    assert (error.code, error.status_code) == (code, 400)
    assert error.data["Success"] is False and error.data["HostId"] == "dypnsapi.aliyuncs.com"
    assert messages(emulator, phone=phone) == []


def test_magic_number_with_a_country_prefix_is_still_matched(dypns, emulator):
    assert send_error(dypns, "+8613800000001").code == "MOBILE_NUMBER_ILLEGAL"


@pytest.mark.parametrize("kw", [
    {"sign_name": "速通互联验证码", "template_code": "SMS_154950909"},   # system sign, custom template
    {"sign_name": "阿里云短信测试", "template_code": "100001"},          # custom sign, system template
    {"sign_name": "没有这个签名"},
    {"sign_name": "驴游", "template_code": "SMS_900000001"},             # not a verification template
    {"country_code": "1"},
    {"scheme_name": "方" * 21},
    {"code_length": 3}, {"code_length": 9}, {"code_type": 0}, {"code_type": 8},
    {"duplicate_policy": 3}, {"valid_time": 0},
    {"template_param": '{"code":"##code##"}'},                           # the template also needs ${min}
    {"template_param": "not json"},
    {"template_param": '["##code##"]'},
], ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items())[:40])
def test_invalid_parameters(dypns, emulator, kw):
    error = send_error(dypns, "13912350050", **kw)
    assert (error.code, error.status_code, error.data["Success"]) == ("INVALID_PARAMETERS", 400, False)
    assert messages(emulator) == []
    assert send(dypns, "13912350050").code == "OK"              # a refused send does not start the interval


def test_illegal_numbers(dypns, emulator):
    for number in ("1391235", "23912350051", "447700900123"):
        error = send_error(dypns, number)
        assert (error.code, error.status_code) == ("MOBILE_NUMBER_ILLEGAL", 400)


def test_country_code_86_and_prefixed_numbers_are_one_scope(dypns, emulator):
    code = send_code(dypns, "+8613912350052", country_code="86")
    assert messages(emulator)[0]["phone"] == "13912350052"
    assert check(dypns, "13912350052", code) == "PASS"


# Delivery and inspection -------------------------------------------------------------------------------------


def test_messages_are_delivered_on_the_virtual_clock(dypns, emulator):
    send(dypns, "13912350060")
    send(dypns, "13800000003")                                  # magic: accepted, delivery fails
    assert {m["status"] for m in messages(emulator)} == {"waiting"}
    advance(emulator, 3)
    delivered, failed = messages(emulator, phone="13912350060")[0], messages(emulator, phone="13800000003")[0]
    assert (delivered["status"], delivered["err_code"]) == ("delivered", "DELIVERED")
    assert (failed["status"], failed["err_code"]) == ("failed", "MN:0001")


def test_latest_code_admin_endpoint(dypns, emulator):
    status, body = latest_code(emulator, "13912350061")
    assert status == 404 and "error" in body
    first = send_code(dypns, "13912350061", code_length=8, interval=0, duplicate_policy=2)
    second = send_code(dypns, "13912350061", code_length=8, interval=0, duplicate_policy=2)
    status, body = latest_code(emulator, "13912350061")
    assert status == 200
    assert (body["code"], body["phone"], body["scheme"]) == (second, "13912350061", "默认方案")
    assert body["expires_at"] - body["issued_at"] == 300
    assert latest_code(emulator, "+8613912350061")[1]["code"] == second
    assert check(dypns, "13912350061", second) == "PASS"
    assert latest_code(emulator, "13912350061")[1]["code"] == first   # the older one is still live
    assert check(dypns, "13912350061", first) == "PASS"
    assert latest_code(emulator, "13912350061")[0] == 404


def test_reset_forgets_codes_and_intervals(dypns, emulator):
    code = send_code(dypns, "13912350062")
    emulator.call(lambda: emulator.backend.reset("messages"))
    assert check(dypns, "13912350062", code) == "UNKNOWN"
    assert send(dypns, "13912350062").code == "OK"


# Repeatability ------------------------------------------------------------------------------------------------


def _codes_of_a_seeded_run(seed: int | None) -> list[str]:
    with EmulatorServer(Settings(port=0, seed=seed, quiet=True)) as server:
        client = Client(tea_config(server))
        return [send_code(client, f"1391235007{i}", code_length=8, code_type=7) for i in range(3)]


def test_codes_repeat_with_a_seed_and_differ_without():
    assert _codes_of_a_seeded_run(7) == _codes_of_a_seeded_run(7)
    assert _codes_of_a_seeded_run(7) != _codes_of_a_seeded_run(8)
    assert _codes_of_a_seeded_run(None) != _codes_of_a_seeded_run(None)


# Accounts with the function switched off (fixtures) --------------------------------------------------------


@pytest.fixture(scope="module")
def switched() -> Iterator[EmulatorServer]:
    fixtures = Path(__file__).parent / "fixtures" / "dypns-off"
    with EmulatorServer(Settings(port=0, quiet=True, fixtures=str(fixtures))) as server:
        yield server


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_function_not_opened(switched, algorithm):
    off = Client(tea_config(switched, algorithm, access_key_id="offid", access_key_secret="offsecret"))
    error = send_error(off, "13912350080")
    assert (error.code, error.status_code, error.data["Success"]) == ("FUNCTION_NOT_OPENED", 400, False)
    assert error.data["Message"] == "You have not opened this function."
    on = Client(tea_config(switched, algorithm, access_key_id="onid", access_key_secret="onsecret"))
    assert send(on, f"1391235008{1 if algorithm else 2}").code == "OK"


def test_daily_limit_comes_from_the_account(switched):
    on = Client(tea_config(switched, access_key_id="onid", access_key_secret="onsecret"))
    assert [send(on, "13912350083", interval=0).code for _ in range(2)] == ["OK", "OK"]
    assert send_error(on, "13912350083", interval=0).code == "BUSINESS_LIMIT_CONTROL"


# Legacy AcsClient (aliyun-python-sdk-dypnsapi) ------------------------------------------------------------------


def _legacy_send(phone: str, **params: object) -> SendSmsVerifyCodeRequest:
    request = SendSmsVerifyCodeRequest()
    request.set_PhoneNumber(phone)
    request.set_SignName(SYSTEM["sign_name"])
    request.set_TemplateCode(SYSTEM["template_code"])
    request.set_TemplateParam(GENERATED)
    for name, value in params.items():
        getattr(request, f"set_{name}")(value)
    return request


def _legacy_check(phone: str, code: str, **params: object) -> CheckSmsVerifyCodeRequest:
    request = CheckSmsVerifyCodeRequest()
    request.set_PhoneNumber(phone)
    request.set_VerifyCode(code)
    for name, value in params.items():
        getattr(request, f"set_{name}")(value)
    return request


def test_legacy_send_and_check(legacy: AcsClient, emulator):
    body = legacy_call(legacy, _legacy_send("13912350090", ReturnVerifyCode=True, CodeLength=6, OutId="o-1"))
    assert (body["Code"], body["Message"], body["Success"], body["AccessDeniedDetail"]) == ("OK", "成功", True, "")
    assert set(body["Model"]) == {"VerifyCode", "BizId", "OutId", "RequestId"}
    code = body["Model"]["VerifyCode"]
    assert re.fullmatch(r"\d{6}", code) and body["Model"]["OutId"] == "o-1"
    assert messages(emulator, phone="13912350090")[0]["code"] == code
    result = legacy_call(legacy, _legacy_check("13912350090", code))
    assert (result["Code"], result["Success"], result["Model"]["VerifyResult"]) == ("OK", True, "PASS")
    assert legacy_call(legacy, _legacy_check("13912350090", code))["Model"]["VerifyResult"] == "UNKNOWN"


def test_legacy_policies_and_expiry(legacy: AcsClient, emulator):
    first = legacy_call(legacy, _legacy_send("13912350091", ReturnVerifyCode=True, CodeLength=8, Interval=0,
                                             DuplicatePolicy=2))["Model"]["VerifyCode"]
    second = legacy_call(legacy, _legacy_send("13912350091", ReturnVerifyCode=True, CodeLength=8, Interval=0,
                                              DuplicatePolicy=1, ValidTime=100))["Model"]["VerifyCode"]
    assert legacy_call(legacy, _legacy_check("13912350091", first))["Model"]["VerifyResult"] == "UNKNOWN"
    advance(emulator, 101)
    assert legacy_call(legacy, _legacy_check("13912350091", second))["Model"]["VerifyResult"] == "UNKNOWN"
    upper = legacy_call(legacy, _legacy_send("13912350092", ReturnVerifyCode=True, CodeType=2))["Model"]["VerifyCode"]
    result = legacy_call(legacy, _legacy_check("13912350092", upper.lower(), CaseAuthPolicy=2))
    assert result["Model"]["VerifyResult"] == "UNKNOWN"
    result = legacy_call(legacy, _legacy_check("13912350092", upper.lower(), CaseAuthPolicy=1))
    assert result["Model"]["VerifyResult"] == "PASS"


@pytest.mark.parametrize(("phone", "params", "code"), [
    ("13800000001", {}, "MOBILE_NUMBER_ILLEGAL"),
    ("13800000002", {}, "BUSINESS_LIMIT_CONTROL"),
    ("13912350093", {"CodeLength": 12}, "INVALID_PARAMETERS"),
])
def test_legacy_business_errors_raise_server_exception(legacy: AcsClient, emulator, phone, params, code):
    with pytest.raises(ServerException) as info:
        legacy.do_action_with_exception(_legacy_send(phone, **params))
    assert (info.value.get_error_code(), info.value.get_http_status()) == (code, 400)
    assert info.value.get_request_id()


def test_legacy_frequency_fail(legacy: AcsClient, emulator):
    legacy_call(legacy, _legacy_send("13912350094"))
    with pytest.raises(ServerException) as info:
        legacy.do_action_with_exception(_legacy_send("13912350094"))
    assert (info.value.get_error_code(), info.value.get_http_status()) == ("FREQUENCY_FAIL", 400)
    assert info.value.get_error_msg().startswith("Check frequency fail.")
