"""Bad input never crashes the Alibaba gateway: no 5xx, always the provider's JSON envelope, state intact."""

from __future__ import annotations

import json
import string
from urllib.parse import quote

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from emulator.providers.dypns.errors import DYPNS_ERRORS
from emulator.providers.dysms.errors import DYSMS_ERRORS
from tests.conftest import assert_state_consistent, messages
from tests.rawhttp import build_request, send_raw
from tests.signing import signed_query

ACTIONS = ["SendSms", "SendBatchSms", "QuerySendDetails", "SendCardSms", "CheckMobilesCardSupport",
           "QuerySendStatistics", "QuerySmsTemplate", "QuerySmsTemplateList", "QuerySmsSign", "QuerySmsSignList",
           "SendSmsVerifyCode", "CheckSmsVerifyCode", "GetSmsAuthTokens", "Nope", ""]
PARAM_NAMES = ["PhoneNumbers", "PhoneNumber", "SignName", "TemplateCode", "TemplateParam", "PhoneNumberJson",
               "SignNameJson", "TemplateParamJson", "SendDate", "PageSize", "CurrentPage", "BizId", "OutId",
               "CardTemplateCode", "FallbackType", "CardObjects", "CardObjects.1.mobile", "Mobiles.1.mobile",
               "IsGlobe", "StartDate", "EndDate", "PageIndex", "TemplateType", "SmsTemplateCode",
               # dypnsapi
               "VerifyCode", "SchemeName", "CodeLength", "CodeType", "ValidTime", "Interval", "DuplicatePolicy",
               "ReturnVerifyCode", "AutoRetry", "CaseAuthPolicy", "SmsUpExtendCode", "BizType", "ExpireTime"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
header_texts = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
values = st.one_of(
    texts,
    st.sampled_from(["13912345678", "13800000001", "13800000003", "+8613912345678", "阿里云短信测试", "驴游",
                     "SMS_154950909", "SMS_900000001", "CARD_SMS_70", '{"code":"1234"}', "[]", "[1,2", "{}",
                     '["13912345678"]', '["驴游"]', '[{"code":"1"}]', "20261123", "1", "0", "-1", "51",
                     "99999999999999999999", "SMS", "NONE", "DIGITALSMS", "x" * 5000, "x" * 9000]),
    # what the hardening issue found the fuzzers missing: nesting, non-finite numbers, integers of thousands of
    # digits, each where JSON is read (TemplateParam, the *Json lists) and as a bare value
    st.integers(1, 4500).map(lambda depth: '{"code":' + "[" * depth + "]" * depth + "}"),
    st.integers(1, 4500).map(lambda depth: "[" * depth + "]" * depth),
    st.sampled_from(['{"code":NaN}', '{"code":Infinity}', '{"code":-Infinity}', "[1e999]", "[NaN]", "NaN",
                     "Infinity", "1e999", '{"code":' + "9" * 5000 + "}", "[" + "9" * 5000 + "]", "9" * 5000,
                     "-" + "9" * 30]),
)


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
       action=st.sampled_from(ACTIONS), query=st.lists(st.tuples(texts, values), max_size=6),
       raw_tail=st.binary(max_size=40), body=st.binary(max_size=300),
       content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/json", "", "text/plain"]),
       authorization=st.one_of(st.none(), header_texts, st.just("ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host,"
                                                          "Signature=00")))
def test_unsigned_garbage_gets_a_json_gateway_error(emulator, method, action, query, raw_tail, body, content_type,
                                                    authorization):
    target = "/?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query)
    target += "&" + "".join(f"%{b:02X}" if b > 0x7E or b < 0x21 or chr(b) in "#% " else chr(b) for b in raw_tail)
    headers = [("Host", emulator.endpoint), ("x-acs-action", action), ("x-acs-version", "2017-05-25"),
               ("Content-Length", str(len(body)))]
    if content_type:
        headers.append(("Content-Type", content_type))
    if authorization is not None:
        headers.append(("Authorization", authorization))
    response = send_raw(emulator.host, emulator.port, build_request(method, target, headers, body))
    assert response.status < 500
    if len(target) > 65536:     # beyond the request-line bound (README, Limits): the HTTP parser's plain 400
        assert response.status == 400
        return
    answer = response.json()
    assert answer["Code"] and answer["Message"] and answer["RequestId"]
    assert answer["Code"] != "OK"
    assert response.headers["content-type"] == "application/json;charset=utf-8"


@FUZZ
@given(name=st.sampled_from(["Authorization", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256",
                             "x-acs-action", "x-acs-version", "Content-Type", "x-acs-security-token"]),
       raw=st.binary(min_size=1, max_size=40).filter(lambda b: b"\r" not in b and b"\n" not in b),
       prefix=st.sampled_from([b"", b"ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=", b"SendSms "]))
def test_raw_bytes_in_headers_get_a_json_gateway_error(emulator, name, raw, prefix):
    """Any byte in a header the gateway reads (0xFF in `Authorization` answered 500), never a 5xx."""
    request = build_request("POST", "/?Action=SendSms&Version=2017-05-25",
                            [("Host", emulator.endpoint), ("Content-Length", "0")])
    line_end = request.index(b"\r\n") + 2
    request = request[:line_end] + name.encode() + b": " + prefix + raw + b"\r\n" + request[line_end:]
    response = send_raw(emulator.host, emulator.port, request)
    assert response.status < 500, response.body
    if response.headers.get("content-type", "").startswith("application/json"):
        answer = response.json()
        assert answer["Code"] and answer["Code"] != "OK" and answer["RequestId"]
    else:            # refused by the HTTP parser itself (a byte no header may hold), before any handler
        assert response.status == 400


#: A well-formed request of every action; the fuzzer starts from these and breaks them a little, so most examples
#: get past the parameter checks into the actions themselves (and some are accepted and stored).
VALID = {
    "SendSms": {"PhoneNumbers": "{phone}", "SignName": "阿里云短信测试", "TemplateCode": "SMS_154950909",
                "TemplateParam": '{"code":"1234"}'},
    "SendBatchSms": {"PhoneNumberJson": '["{phone}","{phone2}"]',
                     "SignNameJson": '["阿里云短信测试","阿里云短信测试"]', "TemplateCode": "SMS_154950909",
                     "TemplateParamJson": '[{"code":"1111"},{"code":"2222"}]'},
    "QuerySendDetails": {"PhoneNumber": "{phone}", "SendDate": "{today}", "PageSize": "10", "CurrentPage": "1"},
    "SendCardSms": {"CardTemplateCode": "CARD_SMS_70", "SignName": "阿里云短信测试", "FallbackType": "SMS",
                    "SmsTemplateCode": "SMS_154950909", "CardObjects.1.mobile": "{phone}",
                    "CardObjects.1.customUrl": "https://example.com/a"},
    "CheckMobilesCardSupport": {"TemplateCode": "CARD_SMS_70", "Mobiles.1.mobile": "{phone}"},
    "QuerySendStatistics": {"IsGlobe": "1", "StartDate": "{today}", "EndDate": "{today}", "PageIndex": "1",
                            "PageSize": "10"},
    "QuerySmsTemplate": {"TemplateCode": "SMS_154950909"},
    "QuerySmsTemplateList": {"PageIndex": "1", "PageSize": "10"},
    "QuerySmsSign": {"SignName": "阿里云短信测试"},
    "QuerySmsSignList": {"PageIndex": "1", "PageSize": "10"},
    "SendSmsVerifyCode": {"PhoneNumber": "{phone}", "SignName": "速通互联验证码", "TemplateCode": "100001",
                          "TemplateParam": '{"code":"##code##","min":"5"}', "ReturnVerifyCode": "true"},
    "CheckSmsVerifyCode": {"PhoneNumber": "{phone}", "VerifyCode": "1234"},
    "GetSmsAuthTokens": {"OsType": "Android", "SceneCode": "s1", "SmsTemplateCode": "100001", "Expire": "900",
                         "SignName": "速通互联验证码", "PackageName": "com.example"},
}


@settings(FUZZ, max_examples=400)
@given(data=st.data(), action=st.sampled_from(sorted(VALID)), method=st.sampled_from(["GET", "POST"]),
       phones=st.tuples(st.integers(0, 99), st.integers(0, 99)).map(lambda p: [f"139123456{n:02d}" for n in p]))
def test_signed_requests_with_random_values_never_break_the_state(emulator, data, action, method, phones):
    """dysmsapi and dypnsapi actions, correctly signed, each a valid request with some parameters dropped or
    replaced: answered in the product's shape, a message stored only when the answer says so, and every
    invariant of the state intact afterwards."""
    backend = emulator.backend
    today = emulator.call(backend.clock.china_datetime).strftime("%Y%m%d")
    base = {k: v.replace("{today}", today).replace("{phone}", phones[0]).replace("{phone2}", phones[1])
            for k, v in VALID[action].items()}
    dropped = data.draw(st.sets(st.sampled_from(sorted(base)), max_size=2), label="dropped")
    changed = data.draw(st.dictionaries(st.sampled_from(sorted(base) + PARAM_NAMES), values, max_size=3),
                        label="changed")
    params = {**{k: v for k, v in base.items() if k not in dropped}, **changed}
    before = emulator.call(lambda: len(backend.messages))
    query = signed_query(action, params, emulator.call(backend.clock.now), method=method)
    if len(query) > 60_000:     # deep values beyond the request-line bound: a POST carries them in its body
        if method == "GET":
            return
        request = build_request("POST", "/", [("Host", emulator.endpoint), ("Content-Length", str(len(query))),
                                              ("Content-Type", "application/x-www-form-urlencoded")],
                                query.encode())
    else:
        request = build_request(method, "/?" + query, [("Host", emulator.endpoint), ("Content-Length", "0")])
    response = send_raw(emulator.host, emulator.port, request)
    assert response.status < 500, response.body
    answer = response.json()
    after = emulator.call(lambda: len(backend.messages))
    event(f"{action} -> {answer['Code']}")
    if answer["Code"] == "OK" and action.startswith("Send"):
        assert after > before
    else:
        assert after == before, answer
        known = DYPNS_ERRORS if action in ("SendSmsVerifyCode", "CheckSmsVerifyCode", "GetSmsAuthTokens") \
            else DYSMS_ERRORS
        assert answer["Code"] == "OK" or answer["Code"] in known or response.status >= 400, answer
    assert_state_consistent(emulator)


def test_a_huge_body_gets_the_json_error_shape(emulator):
    body = b"PhoneNumbers=" + b"1" * (2 * 1024 * 1024)
    response = send_raw(emulator.host, emulator.port, build_request(
        "POST", "/", [("Host", emulator.endpoint), ("x-acs-action", "SendSms"),
                      ("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", str(len(body)))], body))
    assert response.status == 413
    assert response.json()["Code"] == "RequestEntityTooLarge"


def test_duplicated_and_badly_encoded_parameters_are_named(emulator):
    headers = [("Host", emulator.endpoint), ("Content-Length", "0")]
    dup = send_raw(emulator.host, emulator.port, build_request("POST", "/?Action=SendSms&Action=QuerySmsSign", headers))
    assert (dup.status, dup.json()["Code"]) == (400, "InvalidParameter")
    assert "Action" in dup.json()["Message"]
    bad = send_raw(emulator.host, emulator.port, build_request("POST", "/?Action=%FF%FE", headers))
    assert (bad.status, bad.json()["Code"]) == (400, "InvalidParameter")
    assert "UTF-8" in bad.json()["Message"]


def test_the_gateway_still_works_after_fuzzing(dysms, emulator):
    from tests.dysms_helpers import send

    assert send(dysms, "13912399999").code == "OK"
    assert [m["phone"] for m in messages(emulator)] == ["13912399999"]


def test_bytes_that_are_not_http_are_refused_with_400(emulator, caplog):
    response = send_raw(emulator.host, emulator.port,
                        build_request("GET", "/", [("Host", "x"), ("Authorization", "\x1f")]))
    assert response.status == 400
    assert not [r for r in caplog.records if r.exc_info]


def test_printable_garbage_paths_do_not_crash(emulator):
    for path in ["/%00", "/" + string.punctuation.replace("#", "").replace("%", "").replace("?", ""), "//", "/a/b"]:
        response = send_raw(emulator.host, emulator.port, build_request("GET", path, [("Host", "x")]))
        assert response.status < 500
        json.loads(response.body)
