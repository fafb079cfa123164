"""Pre-signed raw HTTP requests for the load generator (each one unique: nonces may be used only once)."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from urllib.parse import quote

from emulator.core.clock import iso_utc
from emulator.protocols.aliyun.encoding import canonical_query
from emulator.protocols.aliyun.signature import (
    acs3_canonical_request,
    acs3_signature,
    acs3_string_to_sign,
    rpc_signature,
    rpc_string_to_sign,
)

KEY, SECRET = "testid", "testsecret"
VERSION = "2017-05-25"


def _raw(method: str, target: str, headers: list[tuple[str, str]]) -> str:
    return f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"


def _query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def rpc_v1(host: str, action: str, params: dict[str, str], now: float) -> str:
    pairs = [
        *params.items(), ("Action", action), ("Version", VERSION), ("Format", "JSON"), ("AccessKeyId", KEY),
        ("SignatureMethod", "HMAC-SHA1"), ("SignatureVersion", "1.0"), ("SignatureNonce", uuid.uuid4().hex),
        ("Timestamp", iso_utc(now)), ("RegionId", "cn-hangzhou")]
    pairs.append(("Signature", rpc_signature(SECRET, rpc_string_to_sign("POST", pairs))))
    return _raw("POST", "/?" + _query(pairs), [("Host", host), ("x-acs-action", action),
                                                ("x-acs-version", VERSION), ("Content-Length", "0")])


def acs3(host: str, action: str, params: dict[str, str], now: float) -> str:
    headers = {"host": host, "x-acs-action": action, "x-acs-version": VERSION, "x-acs-date": iso_utc(now),
               "x-acs-signature-nonce": uuid.uuid4().hex, "accept": "application/json",
               "x-acs-content-sha256": hashlib.sha256(b"").hexdigest()}
    signed = sorted(headers)
    query = list(params.items())
    canonical = acs3_canonical_request("POST", "/", query, {k: [v] for k, v in headers.items()}, signed,
                                       headers["x-acs-content-sha256"])
    signature = acs3_signature(SECRET, acs3_string_to_sign(canonical))
    headers["Authorization"] = (f"ACS3-HMAC-SHA256 Credential={KEY},SignedHeaders={';'.join(signed)},"
                                f"Signature={signature}")
    target = "/?" + canonical_query(query)
    return _raw("POST", target, [*headers.items(), ("Content-Length", "0")])


def _phone(i: int) -> str:
    return f"139{i % 100_000_000:08d}"


def send_sms(signer: Callable[..., str]) -> Callable[[str, int, float], str]:
    def build(host: str, i: int, now: float) -> str:
        return signer(host, "SendSms", {"PhoneNumbers": _phone(i), "SignName": "驴游",
                                        "TemplateCode": "SMS_462056166",
                                        "TemplateParam": json.dumps({"code": f"{i % 10000:04d}"})}, now)
    return build


def verify_code_pair(host: str, i: int, now: float) -> str:
    """Alternating SendSmsVerifyCode and CheckSmsVerifyCode for the same number (a login flow)."""
    phone = _phone(i // 2)
    if i % 2 == 0:
        return acs3(host, "SendSmsVerifyCode", {"PhoneNumber": phone, "SignName": "速通互联验证码",
                                                "TemplateCode": "100001",
                                                "TemplateParam": '{"code":"##code##","min":"5"}'}, now)
    return acs3(host, "CheckSmsVerifyCode", {"PhoneNumber": phone, "VerifyCode": "0000"}, now)


def onecloud_send(host: str, i: int, now: float) -> str:
    target = f"/?module=sms&file=send&action=send&mobphone={_phone(i)}&code={i % 10000:04d}&smstemplate=1001"
    return _raw("GET", target, [("Host", host), ("Authorization", "testappsecret")])


def get_sms_template(host: str, i: int, now: float) -> str:
    """The management half: reading a template from the catalogue (review status, reason, content)."""
    return acs3(host, "GetSmsTemplate", {"TemplateCode": "SMS_462056166"}, now)


def get_auth_token(host: str, i: int, now: float) -> str:
    """The number-authentication half: an H5 page asking for its one-click-login token pair."""
    return acs3(host, "GetAuthToken", {"Url": f"https://shop.example.com/login/{i}", "Origin": "https://shop.example.com",
                                       "SceneCode": "FC100000000000001", "BizType": "1"}, now)


WORKLOADS: dict[str, Callable[[str, int, float], str]] = {
    "SendSms ACS3": send_sms(acs3),
    "SendSms RPC v1": send_sms(rpc_v1),
    "SendSmsVerifyCode+Check": verify_code_pair,
    "1oc send": onecloud_send,
    "GetSmsTemplate": get_sms_template,
    "GetAuthToken": get_auth_token,
}


def write(path: str, workload: str, host: str, count: int, first: int = 0) -> None:
    """`count` requests numbered from `first` (the number picks the phone: other numbers, other phones)."""
    build = WORKLOADS[workload]
    now = time.time()
    with open(path, "w", encoding="utf-8", newline="") as out:
        for i in range(first, first + count):
            out.write(build(host, i, now))
            out.write("\0")
