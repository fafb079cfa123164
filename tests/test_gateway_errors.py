"""Gateway errors no official SDK produces on its own, sent as raw requests: the real status and envelope."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote

import pytest

from tests.rawhttp import build_request, send_raw
from tests.signing import signed_query


def _post(server, target: str, headers: list[tuple[str, str]] | None = None):
    base = [("Host", server.endpoint), ("Content-Length", "0")]
    return send_raw(server.host, server.port, build_request("POST", target, base + (headers or [])))


def _query_without(query: str, *names: str, **replace: str) -> str:
    pairs = [(k, replace.get(k, v)) for k, v in parse_qsl(query, keep_blank_values=True) if k not in names]
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


SEND = {"PhoneNumbers": "13912360001", "SignName": "驴游", "TemplateCode": "SMS_462056166",
        "TemplateParam": '{"code":"1"}'}


def test_answers_carry_the_request_id_header_and_json_type(emulator):
    response = _post(emulator, "/?" + signed_query("SendSms", SEND, emulator.backend.clock.wall()))
    body = response.json()
    assert body["Code"] == "OK"
    assert response.headers["x-acs-request-id"] == body["RequestId"]
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(("drop", "replace", "status", "code"), [
    (("Signature",), {}, 400, "MissingSignature"),
    (("AccessKeyId",), {}, 400, "MissingAccessKeyId"),
    (("SignatureNonce",), {}, 400, "MissingSignatureNonce"),
    (("Timestamp",), {}, 400, "MissingTimestamp"),
    ((), {"SignatureMethod": "HMAC-SHA256"}, 400, "InvalidSignatureMethod"),
    ((), {"SignatureVersion": "2.0"}, 400, "InvalidSignatureVersion"),
    ((), {"Timestamp": "yesterday"}, 400, "InvalidTimeStamp.Format"),
    ((), {"Timestamp": "2026-02-31T00:00:00Z"}, 400, "InvalidTimeStamp.Format"),    # not read as March 3
    ((), {"Timestamp": "2020-01-01T00:00:00Z"}, 400, "InvalidTimeStamp.Expired"),
    ((), {"Action": "Nope"}, 404, "InvalidAction.NotFound"),
    (("Version",), {}, 400, "MissingVersion"),
])
def test_rpc_common_parameter_errors(emulator, drop, replace, status, code):
    query = _query_without(signed_query("SendSms", SEND, emulator.backend.clock.wall()), *drop, **replace)
    response = _post(emulator, "/?" + query)
    body = response.json()
    assert (response.status, body["Code"]) == (status, code)
    assert body["HostId"] and body["Recommend"].endswith(body["RequestId"]) and body["Message"]


@pytest.mark.parametrize(("authorization", "fragment"), [
    ("ACS3-HMAC-SHA256 Credential=testid", "lacks SignedHeaders, Signature"),
    ("ACS3-HMAC-SM3 Credential=testid,SignedHeaders=host,Signature=00", "not supported"),
    ("ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action,Signature=00", "must include"),
    ("Bearer abc", "not an ACS3 signature"),
])
def test_malformed_acs3_authorization_is_incomplete_signature(emulator, authorization, fragment):
    response = _post(emulator, "/?PhoneNumbers=1", [("x-acs-action", "SendSms"), ("x-acs-version", "2017-05-25"),
                                                   ("Authorization", authorization)])
    body = response.json()
    assert (response.status, body["Code"]) == (400, "IncompleteSignature")
    assert fragment in body["Message"]


def test_a_signed_header_that_is_not_sent_is_incomplete(emulator):
    headers = [("x-acs-action", "SendSms"), ("x-acs-version", "2017-05-25"), ("x-acs-date", "2026-01-01T00:00:00Z"),
               ("x-acs-signature-nonce", "n"), ("x-acs-content-sha256", "e3"),
               ("Authorization", "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;"
                                 "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version;x-custom,"
                                 "Signature=00")]
    body = _post(emulator, "/", headers).json()
    assert body["Code"] == "IncompleteSignature" and "x-custom" in body["Message"]


def test_a_security_token_must_belong_to_a_known_sts_credential(emulator):
    query = signed_query("SendSms", {**SEND, "SecurityToken": "garbage"}, emulator.backend.clock.wall())
    response = _post(emulator, "/?" + query)
    assert (response.status, response.json()["Code"]) == (400, "InvalidSecurityToken.Malformed")


_SIGNED = "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"


def _acs3_bytes(server, authorization: bytes, extra: bytes = b"") -> bytes:
    import time

    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()).encode()
    return (b"POST /?PhoneNumbers=1 HTTP/1.1\r\nHost: " + server.endpoint.encode() + b"\r\nx-acs-action: SendSms\r\n"
            b"x-acs-version: 2017-05-25\r\nx-acs-date: " + stamp + b"\r\nx-acs-signature-nonce: n1\r\n"
            b"x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\r\n" + extra +
            b"Authorization: " + authorization + b"\r\nContent-Length: 0\r\n\r\n")


@pytest.mark.parametrize(("authorization", "extra", "fragment"), [
    (b"ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=" + _SIGNED.encode() + b",Signature=ab\xff", b"",
     "Authorization header"),
    (b"ACS3-HMAC-SHA256 Credential=test\xffid,SignedHeaders=" + _SIGNED.encode() + b",Signature=ab", b"",
     "Authorization header"),
    (b"ACS3-\xff Credential=testid, SignedHeaders=host;x-\xff, Signature=00", b"", "Authorization header"),
    (b"ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=" + _SIGNED.encode() + b";x-custom,Signature=ab",
     b"x-custom: a\xff\xfeb\r\n", "Signed header x-custom"),
    (b"ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=" + _SIGNED.encode() + b",Signature=ab",
     b"X-Acs-Signature-Nonce: \xc3\x28\r\n", "Signed header x-acs-signature-nonce"),
])
def test_bytes_that_are_not_utf8_in_acs3_auth_are_a_400_envelope(emulator, authorization, extra, fragment):
    """Raw 0xFF in the Authorization header or a signed header once reached the hash and answered 500."""
    response = send_raw(emulator.host, emulator.port, _acs3_bytes(emulator, authorization, extra))
    body = response.json()
    assert (response.status, body["Code"]) == (400, "IncompleteSignature")
    assert fragment in body["Message"] and body["RequestId"] == response.headers["x-acs-request-id"]
    assert response.headers["content-type"] == "application/json;charset=utf-8"


def test_an_unsigned_header_with_raw_bytes_does_not_matter(emulator):
    """Only signed headers are checked: a proxy's header with odd bytes does not stop a request."""
    response = send_raw(emulator.host, emulator.port, _acs3_bytes(
        emulator, b"ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=" + _SIGNED.encode() + b",Signature=ab",
        b"X-Proxy-Note: \xff\r\n"))
    assert (response.status, response.json()["Code"]) == (400, "SignatureDoesNotMatch")
