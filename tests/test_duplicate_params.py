"""A parameter sent twice with the same value is one parameter, signed once, as every SDK signs a map.

The Go legacy SDK puts `RegionId` in the query and, when the caller also sets it, in the form; the Python
SDKs below produce the same shape when told to, so the official signers prove the emulator's verification.
"""

from __future__ import annotations

import json

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

from tests.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, messages, tea_config
from tests.rawhttp import build_request, send_raw
from tests.signing import signed_query

SEND = {"PhoneNumbers": "13912380001", "SignName": "驴游", "TemplateCode": "SMS_462056166",
        "TemplateParam": '{"code":"4321"}'}


def _legacy_send_with_region_in_both(emulator, secret: str = ACCESS_KEY_SECRET) -> dict:
    client = AcsClient(ACCESS_KEY_ID, secret, "cn-hangzhou")
    request = CommonRequest(domain=emulator.endpoint, version="2017-05-25", action_name="SendSms")
    request.set_method("POST")
    request.set_accept_format("json")
    for name, value in SEND.items():
        request.add_query_param(name, value)
    request.add_query_param("RegionId", "cn-hangzhou")
    request.add_body_params("RegionId", "cn-hangzhou")        # what the Go legacy SDK sends
    return json.loads(client.do_action_with_exception(request))


def test_legacy_sdk_with_region_in_query_and_form_is_accepted(emulator):
    assert _legacy_send_with_region_in_both(emulator)["Code"] == "OK"
    assert [m["phone"] for m in messages(emulator)] == ["13912380001"]


def test_duplicates_are_still_signature_checked(emulator):
    with pytest.raises(ServerException) as info:
        _legacy_send_with_region_in_both(emulator, secret="not-the-secret")
    assert info.value.get_error_code() == "SignatureDoesNotMatch"
    assert messages(emulator) == []


def _tea_everything_in_query_and_body(emulator, algorithm: str | None) -> dict:
    """A hand-rolled-style call through the tea client's generic API: every parameter in both places."""
    from alibabacloud_tea_openapi.client import Client
    from alibabacloud_tea_openapi.models import OpenApiRequest, Params
    from alibabacloud_tea_util.models import RuntimeOptions

    client = Client(tea_config(emulator, algorithm))
    params = Params(action="SendSms", version="2017-05-25", protocol="HTTP", pathname="/", method="POST",
                    auth_type="AK", style="RPC", req_body_type="formData", body_type="json")
    answer = client.call_api(params, OpenApiRequest(query=dict(SEND), body=dict(SEND)), RuntimeOptions())
    return answer["body"]


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_tea_sdk_with_every_parameter_in_query_and_body(emulator, algorithm):
    assert _tea_everything_in_query_and_body(emulator, algorithm)["Code"] == "OK"
    assert len(messages(emulator)) == 1


def test_two_different_values_are_refused_naming_the_parameter(emulator):
    query = signed_query("SendSms", SEND, emulator.backend.clock.wall())
    body = b"PhoneNumbers=13912380002"
    response = send_raw(emulator.host, emulator.port, build_request(
        "POST", "/?" + query, [("Host", emulator.endpoint), ("Content-Type", "application/x-www-form-urlencoded"),
                               ("Content-Length", str(len(body)))], body))
    assert (response.status, response.json()["Code"]) == (400, "InvalidParameter")
    assert "PhoneNumbers" in response.json()["Message"] and "different values" in response.json()["Message"]
    assert messages(emulator) == []


def test_a_raw_identical_duplicate_signed_once_is_accepted(emulator):
    query = signed_query("SendSms", SEND, emulator.backend.clock.wall())
    body = b"SignName=%E9%A9%B4%E6%B8%B8&Version=2017-05-25"
    response = send_raw(emulator.host, emulator.port, build_request(
        "POST", "/?" + query, [("Host", emulator.endpoint), ("Content-Type", "application/x-www-form-urlencoded"),
                               ("Content-Length", str(len(body)))], body))
    assert (response.status, response.json()["Code"]) == (200, "OK")
