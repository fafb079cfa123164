"""dypnsapi number authentication through the official SDKs on a real socket: one-click login, number
verification, H5 and fusion flows, verify schemes, errors, accounts, scenarios and restarts with --db."""

from __future__ import annotations

import json
import re

import pytest
from alibabacloud_dypnsapi20170525 import models as m
from alibabacloud_dypnsapi20170525.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException
from aliyunsdkdypnsapi.request.v20170525.GetAuthTokenRequest import GetAuthTokenRequest
from aliyunsdkdypnsapi.request.v20170525.GetMobileRequest import GetMobileRequest
from aliyunsdkdypnsapi.request.v20170525.GetPhoneWithTokenRequest import GetPhoneWithTokenRequest
from aliyunsdkdypnsapi.request.v20170525.VerifyMobileRequest import VerifyMobileRequest
from aliyunsdkdypnsapi.request.v20170525.VerifyPhoneWithTokenRequest import VerifyPhoneWithTokenRequest

from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.admin_helpers import new_account
from tests.conftest import admin, advance, tea_config
from tests.dypns_helpers import legacy_call
from tests.number_auth_helpers import auth_token, exchanges, get_mobile, mint, verify_mobile

CARRIERS = [("13912345678", "cm", 120), ("18612345678", "cu", 1800), ("18912345678", "ct", 600)]


# App one-click login --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("phone", "carrier", "ttl"), CARRIERS)
def test_login_token_gives_the_number_once_for_each_carrier(dypns, emulator, phone, carrier, ttl):
    token = mint(emulator, phone)
    body = get_mobile(dypns, token, out_id="login-1")
    assert (body.code, body.get_mobile_result_dto.mobile) == ("OK", phone)
    assert re.fullmatch(r"[0-9A-F-]{36}", body.request_id)
    again = get_mobile(dypns, token)                     # HTTP 200, the code in the body
    assert (again.code, again.get_mobile_result_dto) == ("isv.TOKEN_INVALID", None)
    [first, second] = exchanges(emulator, phone=phone)
    assert (first["action"], first["code"], first["carrier"], first["out_id"]) == ("GetMobile", "OK", carrier,
                                                                                  "login-1")
    assert (second["code"], second["masked"]) == ("isv.TOKEN_INVALID", phone[:3] + "****" + phone[7:])


@pytest.mark.parametrize(("phone", "carrier", "ttl"), CARRIERS)
def test_tokens_expire_on_their_carriers_schedule(dypns, emulator, phone, carrier, ttl):
    early, late = mint(emulator, phone), mint(emulator, phone)
    advance(emulator, ttl - 1)
    assert get_mobile(dypns, early).code == "OK"
    advance(emulator, 1)
    assert get_mobile(dypns, late).code == "isv.TOKEN_INVALID"


def test_a_verification_token_is_refused_by_the_login_api_and_still_verifies(dypns, emulator):
    token = mint(emulator, "13912345670", kind="verify")
    assert get_mobile(dypns, token).code == "isv.TOKEN_UNAUTHORIZED_USED"
    body = verify_mobile(dypns, token, "13912345670")
    assert (body.code, body.gate_verify_result_dto.verify_result) == ("OK", "PASS")
    assert re.fullmatch(r"\d{18}", body.gate_verify_result_dto.verify_id)


@pytest.mark.parametrize(("typed", "code", "verdict"), [
    ("13912345671", "OK", "PASS"),
    ("+8613912345671", "OK", "PASS"),
    ("13812345679", "OK", "REJECT"),                 # the same carrier, another number
    ("18612345671", "isv.PARAMETERS_MISMATCH", None),   # another carrier than the SIM's
    ("1391234", "isv.MOBILE_NUMBER_ILLEGAL", None),
])
def test_verify_mobile_verdicts(dypns, emulator, typed, code, verdict):
    body = verify_mobile(dypns, mint(emulator, "13912345671", kind="verify"), typed)
    assert body.code == code
    assert (body.gate_verify_result_dto.verify_result if body.gate_verify_result_dto else None) == verdict


def test_a_number_no_carrier_serves(dypns, emulator):
    """17x virtual-operator numbers: GetMobile cannot tell the carrier, VerifyMobile's verdict is UNKNOWN."""
    login = get_mobile(dypns, mint(emulator, "17012345678"))
    assert (login.code, login.message) == ("isv.INVALID_PARAMETERS", "无法识别运营商 (170 is no China Mobile, "
                                                                     "Unicom or Telecom segment)")
    verify = verify_mobile(dypns, mint(emulator, "17012345678", kind="verify"), "17012345678")
    assert verify.gate_verify_result_dto.verify_result == "UNKNOWN"


def test_a_ported_number_keeps_the_carrier_it_was_minted_with(dypns, emulator):
    token = mint(emulator, "13912345672", carrier="ct")
    advance(emulator, 599)                                   # Telecom's 10 minutes, not Mobile's 2
    assert get_mobile(dypns, token).get_mobile_result_dto.mobile == "13912345672"


@pytest.mark.parametrize(("token", "message"), [
    (None, "AccessToken参数不能为空"), ("", "AccessToken参数不能为空"), ("a b", "AccessToken格式不正确"),
    ("x" * 3000, "AccessToken格式不正确")])
def test_missing_or_malformed_tokens(dypns, emulator, token, message):
    body = dypns.get_mobile(m.GetMobileRequest(access_token=token)).body
    assert (body.code, body.message) == ("isv.INVALID_PARAMETERS", message)


def test_an_unknown_token_is_invalid(dypns, emulator):
    assert get_mobile(dypns, "NotATokenAnyPhoneEverHad").code == "isv.TOKEN_INVALID"
    [exchange] = exchanges(emulator, action="GetMobile")
    assert (exchange["token"], exchange["phone"]) == ("NotATokenAnyPhoneEverHad", None)


def test_two_accounts_cannot_use_each_others_tokens(emulator, dypns):
    other = new_account(emulator)
    client_b = Client(tea_config(emulator, access_key_id=other["access_key_id"],
                                 access_key_secret=other["access_key_secret"]))
    theirs = mint(emulator, "13912345673", account=other["name"])
    assert get_mobile(dypns, theirs).code == "isv.TOKEN_INVALID"     # the default account's back end
    assert get_mobile(client_b, theirs).get_mobile_result_dto.mobile == "13912345673"
    assert [e["account"] for e in exchanges(emulator, account=other["name"])] == [other["name"]]


def test_forgetting_an_account_forgets_its_tokens(emulator, dypns):
    other = new_account(emulator)
    token = mint(emulator, "13912345674", account=other["name"])
    assert admin(emulator, "POST", f"/_emulator/reset?what=messages&account={other['name']}")[0] == 200
    client = Client(tea_config(emulator, access_key_id=other["access_key_id"],
                               access_key_secret=other["access_key_secret"]))
    assert get_mobile(client, token).code == "isv.TOKEN_INVALID"


# H5 ---------------------------------------------------------------------------------------------------------


def test_h5_login_end_to_end(dypns, emulator):
    pair = auth_token(dypns, biz_type=1)
    assert pair.code == "OK" and pair.token_info.jwt_token.startswith("eyJ")
    sp_token = mint(emulator, "18912345675", kind="h5", access_token=pair.token_info.access_token)
    body = dypns.get_phone_with_token(m.GetPhoneWithTokenRequest(sp_token=sp_token)).body
    assert (body.code, body.data.mobile) == ("OK", "18912345675")
    assert dypns.get_phone_with_token(m.GetPhoneWithTokenRequest(sp_token=sp_token)).body.code == \
        "isv.TOKEN_INVALID"
    assert [e["action"] for e in exchanges(emulator)] == ["GetAuthToken", "GetPhoneWithToken", "GetPhoneWithToken"]


def test_h5_verification_token_verifies_and_cannot_log_in(dypns, emulator):
    pair = auth_token(dypns, biz_type=0)
    sp_token = mint(emulator, "18612345676", kind="h5", access_token=pair.token_info.access_token)
    assert dypns.get_phone_with_token(m.GetPhoneWithTokenRequest(sp_token=sp_token)).body.code == \
        "isv.TOKEN_UNAUTHORIZED_USED"
    body = dypns.verify_phone_with_token(m.VerifyPhoneWithTokenRequest(sp_token=sp_token,
                                                                       phone_number="18612345676")).body
    assert (body.code, body.gate_verify.verify_result) == ("OK", "PASS")


def test_an_app_token_is_no_sp_token(dypns, emulator):
    token = mint(emulator, "13912345677")
    assert dypns.get_phone_with_token(m.GetPhoneWithTokenRequest(sp_token=token)).body.code == "isv.TOKEN_INVALID"
    assert get_mobile(dypns, token).code == "OK"                     # refused, not spent


def test_the_access_token_lives_ten_minutes(dypns, emulator):
    access = auth_token(dypns).token_info.access_token
    advance(emulator, 600)
    status, body = admin(emulator, "POST", "/_emulator/number-auth/tokens",
                         {"phone": "13912345678", "kind": "h5", "access_token": access})
    assert status == 404 and "AccessToken" in body["error"]


@pytest.mark.parametrize(("kw", "code"), [
    ({"scene": "FC999999999999999"}, "isv.SCENE_QUERY_FAIL"),
    ({"scene": "FC100000000000002"}, "isv.SCENE_QUERY_FAIL"),      # an app scheme, not an H5 one
    ({"biz_type": 2}, "isv.INVALID_PARAMETERS"),
    ({"url": None}, "isv.INVALID_PARAMETERS"),
])
def test_get_auth_token_errors(dypns, emulator, kw, code):
    assert auth_token(dypns, **kw).code == code


def test_created_schemes_check_url_and_origin_and_can_be_described_and_deleted(dypns, emulator):
    created = dypns.create_verify_scheme(m.CreateVerifySchemeRequest(
        scheme_name="商城H5", app_name="shop", os_type="Web", url="https://shop.example/h5/",
        origin="https://shop.example")).body
    assert (created.code, created.success, created.http_status_code) == ("OK", True, 200)
    code = created.gate_verify_scheme_dto.scheme_code
    assert re.fullmatch(r"FC1\d{14}", code)
    assert auth_token(dypns, scene=code, url="https://shop.example/h5/login",
                      origin="https://shop.example").code == "OK"
    assert auth_token(dypns, scene=code, url="https://evil.example/h5/", origin="https://evil.example").code == \
        "isv.INVALID_PARAMETERS"
    described = dypns.describe_verify_scheme(m.DescribeVerifySchemeRequest(scheme_code=code)).body
    assert described.code == "OK" and described.scheme_query_result_dto.app_encrypt_info
    duplicate = dypns.create_verify_scheme(m.CreateVerifySchemeRequest(
        scheme_name="商城H5", app_name="shop", os_type="Web", url="https://a/", origin="https://a")).body
    assert duplicate.code == "isv.VERIFY_SCHEME_CONFLICT"
    deleted = dypns.delete_verify_scheme(m.DeleteVerifySchemeRequest(scheme_code=code)).body
    assert (deleted.code, deleted.result) == ("OK", True)
    assert dypns.describe_verify_scheme(m.DescribeVerifySchemeRequest(scheme_code=code)).body.code == \
        "isv.VERIFY_SCHEME_NOT_EXIST"
    assert auth_token(dypns, scene=code).code == "isv.SCENE_QUERY_FAIL"


@pytest.mark.parametrize(("kw", "message"), [
    ({"os_type": "Android", "pack_name": "com.shop"}, "PackSign参数不能为空"),
    ({"os_type": "iOS"}, "BundleId参数不能为空"),
    ({"os_type": "Symbian"}, "OsType必须为Android、iOS、Harmony、Web之一"),
])
def test_create_scheme_needs_what_its_os_needs(dypns, emulator, kw, message):
    body = dypns.create_verify_scheme(m.CreateVerifySchemeRequest(scheme_name="app", app_name="a", **kw)).body
    assert (body.code, body.message) == ("isv.INVALID_PARAMETERS", message)


def test_schemes_are_per_account_and_listed(emulator, dypns):
    code = dypns.create_verify_scheme(m.CreateVerifySchemeRequest(
        scheme_name="app", app_name="a", os_type="Android", pack_name="com.a", pack_sign="ff")).body \
        .gate_verify_scheme_dto.scheme_code
    other = new_account(emulator)
    status, mine = admin(emulator, "GET", "/_emulator/number-auth/schemes")
    assert status == 200 and code in [s["code"] for s in mine["schemes"]]
    status, theirs = admin(emulator, "GET", f"/_emulator/number-auth/schemes?account={other['name']}")
    assert [s["code"] for s in theirs["schemes"]] == ["FC100000000000001", "FC100000000000002"]


# Fusion -----------------------------------------------------------------------------------------------------


def test_fusion_flow(dypns, emulator):
    init = dypns.get_fusion_auth_token(m.GetFusionAuthTokenRequest(
        scheme_code="FC100000000000002", platform="Android", package_name="com.shop", package_sign="ab",
        duration_seconds=900)).body
    assert (init.code, init.success) == ("OK", True) and len(init.model) == 96
    token = mint(emulator, "13912345679", kind="fusion")
    body = dypns.verify_with_fusion_auth_token(m.VerifyWithFusionAuthTokenRequest(verify_token=token)).body
    assert (body.code, body.success, body.model.verify_result, body.model.phone_number) == \
        ("OK", True, "PASS", "13912345679")
    again = dypns.verify_with_fusion_auth_token(m.VerifyWithFusionAuthTokenRequest(verify_token=token)).body
    assert (again.code, again.model.verify_result, again.model.phone_number) == ("OK", "UNKNOWN", None)


def test_fusion_errors_are_http_400_like_the_rest_of_their_family(dypns, emulator):
    with pytest.raises(ClientException) as info:
        dypns.get_fusion_auth_token(m.GetFusionAuthTokenRequest(
            scheme_code="FC000", platform="iOS", bundle_id="com.shop", duration_seconds=900))
    assert info.value.code == "isp.VERIFY_SCHEME_NOT_EXIST"
    with pytest.raises(ClientException) as info:
        dypns.get_fusion_auth_token(m.GetFusionAuthTokenRequest(
            scheme_code="FC100000000000002", platform="iOS", duration_seconds=900))
    assert info.value.code == "INVALID_PARAMETERS"


# Legacy SDK -------------------------------------------------------------------------------------------------


def _legacy(request_class, **params: str):
    request = request_class()
    request.set_protocol_type("http")      # GetMobileRequest and VerifyMobileRequest default to https
    for name, value in params.items():
        getattr(request, f"set_{name}")(value)
    return request


def test_legacy_sdk_login_verify_and_h5(legacy, emulator):
    token = mint(emulator, "13312345670")
    answer = legacy_call(legacy, _legacy(GetMobileRequest, AccessToken=token, OutId="o-9"))
    assert (answer["Code"], answer["GetMobileResultDTO"]) == ("OK", {"Mobile": "13312345670"})
    assert legacy_call(legacy, _legacy(GetMobileRequest, AccessToken=token))["Code"] == "isv.TOKEN_INVALID"
    verify = legacy_call(legacy, _legacy(VerifyMobileRequest, AccessCode=mint(emulator, "13312345670", kind="verify"),
                                         PhoneNumber="13312345670"))
    assert verify["GateVerifyResultDTO"]["VerifyResult"] == "PASS"
    pair = legacy_call(legacy, _legacy(GetAuthTokenRequest, Url="https://a.example/", Origin="https://a.example",
                                       SceneCode="FC100000000000001", BizType=1))["TokenInfo"]
    sp = mint(emulator, "13312345670", kind="h5", access_token=pair["AccessToken"])
    assert legacy_call(legacy, _legacy(GetPhoneWithTokenRequest, SpToken=sp))["Data"] == {"Mobile": "13312345670"}
    sp = mint(emulator, "13312345670", kind="h5", access_token=pair["AccessToken"])
    checked = legacy_call(legacy, _legacy(VerifyPhoneWithTokenRequest, SpToken=sp, PhoneNumber="13312345671"))
    assert checked["GateVerify"]["VerifyResult"] == "REJECT"


# Scenarios and magic tokens --------------------------------------------------------------------------------


def test_scenario_rules_match_the_number_a_token_stands_for_and_leave_it_unspent(dypns, emulator, scenario):
    scenario("rules:\n  - match: {action: GetMobile, phone: '13912340000'}\n    then: {error: isp.SYSTEM_ERROR}\n")
    token = mint(emulator, "13912340000")
    assert get_mobile(dypns, token).code == "isp.SYSTEM_ERROR"
    assert get_mobile(dypns, mint(emulator, "13912340001")).code == "OK"
    admin(emulator, "DELETE", "/_emulator/scenario")
    assert get_mobile(dypns, token).get_mobile_result_dto.mobile == "13912340000"


@pytest.mark.parametrize(("phone", "code"), [("13800000009", "isp.SYSTEM_ERROR"), ("13800000007", "isp.QPS_LIMIT")])
def test_default_scenario_magic_numbers(dypns, emulator, phone, code):
    assert get_mobile(dypns, mint(emulator, phone)).code == code


def test_default_scenario_magic_token_always_fails(dypns, emulator):
    assert get_mobile(dypns, "MAGIC_TOKEN_INVALID").code == "isv.TOKEN_INVALID"
    assert verify_mobile(dypns, "MAGIC_TOKEN_INVALID", "13912345678").code == "isv.TOKEN_INVALID"
    sp = dypns.get_phone_with_token(m.GetPhoneWithTokenRequest(sp_token="MAGIC_TOKEN_INVALID")).body
    assert sp.code == "isv.TOKEN_INVALID"


# Admin API --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{}, {"phone": "85212345678"}, {"phone": "13912345678", "kind": "sms"},
                                  {"phone": "13912345678", "carrier": "cmcc"}, {"phone": "13912345678", "ttl": "x"},
                                  {"phone": "13912345678", "ttl": 0}, {"phone": 13912345678},
                                  # null is no account name (it minted for the default account: schemathesis)
                                  {"phone": "13912345678", "account": None}, {"phone": "13912345678", "kind": None},
                                  {"phone": "13912345678", "ttl": None}])
def test_mint_refuses_bad_bodies(emulator, body):
    status, answer = admin(emulator, "POST", "/_emulator/number-auth/tokens", body)
    assert status == 400 and answer["error"]


def test_mint_answers_what_the_page_shows(emulator):
    status, token = admin(emulator, "POST", "/_emulator/number-auth/tokens", {"phone": "+8613912345678"})
    assert status == 201
    assert (token["phone"], token["masked"], token["carrier_name"], token["kind"], token["live"]) == \
        ("13912345678", "139****5678", "中国移动", "login", True)
    assert token["expires_at"] - token["issued_at"] == 120
    assert admin(emulator, "POST", "/_emulator/number-auth/tokens", {"phone": "13912345678",
                                                                      "account": "nobody"})[0] == 404
    status, listing = admin(emulator, "GET", "/_emulator/number-auth/tokens?phone=139-1234-5678")
    assert [t["token"] for t in listing["tokens"]] == [token["token"]]


def test_tokens_are_deterministic_with_a_seed():
    def first_token() -> str:
        server = EmulatorServer(Settings(port=0, quiet=True, seed=42)).start()
        try:
            return mint(server, "13912345678")
        finally:
            server.stop()

    assert first_token() == first_token()


# Persistence ------------------------------------------------------------------------------------------------


def test_a_restart_between_minting_and_exchanging(tmp_path):
    db = tmp_path / "state.db"
    first = EmulatorServer(Settings(port=0, quiet=True, db=str(db))).start()
    try:
        client = Client(tea_config(first))
        login, spent = mint(first, "18612340001"), mint(first, "18612340002")
        assert get_mobile(client, spent).code == "OK"
        code = client.create_verify_scheme(m.CreateVerifySchemeRequest(
            scheme_name="h5", app_name="a", os_type="Web", url="https://a/", origin="https://a")).body \
            .gate_verify_scheme_dto.scheme_code
        access = auth_token(client, scene=code, url="https://a/x", origin="https://a").token_info.access_token
    finally:
        first.stop()
    second = EmulatorServer(Settings(port=0, quiet=True, db=str(db))).start()
    try:
        client = Client(tea_config(second))
        assert get_mobile(client, login).get_mobile_result_dto.mobile == "18612340001"
        assert get_mobile(client, spent).code == "isv.TOKEN_INVALID"       # still spent
        sp = mint(second, "18612340003", kind="h5", access_token=access)      # the H5 session came back
        assert client.get_phone_with_token(m.GetPhoneWithTokenRequest(sp_token=sp)).body.data.mobile == "18612340003"
        assert auth_token(client, scene=code, url="https://a/x", origin="https://a").code == "OK"
        seqs = [e["seq"] for e in exchanges(second)]
        assert seqs == sorted(set(seqs)) and len(seqs) == 6                  # numbering continued
        assert json.dumps(exchanges(second)[0], ensure_ascii=False)
    finally:
        second.stop()
