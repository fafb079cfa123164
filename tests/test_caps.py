"""The emulator's size caps over real sockets: each surface refuses what is too big in its own error shape.

README "Limits" lists every cap; the per-feature bounds (long-polls, live-feed clients, slow readers) are
tested with their features in test_admin_inspect.py and test_admin_events.py.
"""

from __future__ import annotations

import pytest

from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.rawhttp import build_request, send_raw

FORM = ("Content-Type", "application/x-www-form-urlencoded")


@pytest.fixture(scope="module")
def small_bodies():
    """An emulator that takes bodies of at most 4 KiB (SMS_EMULATOR_MAX_BODY)."""
    with EmulatorServer(Settings(port=0, quiet=True, max_body=4096)) as server:
        yield server


def _post(server: EmulatorServer, target: str, body: bytes, *headers: tuple[str, str], method: str = "POST"):
    return send_raw(server.host, server.port, build_request(
        method, target, [("Host", server.endpoint), ("Content-Length", str(len(body))), *headers], body))


def test_alibaba_requests_over_the_body_cap_get_request_entity_too_large(small_bodies):
    response = _post(small_bodies, "/", b"PhoneNumbers=" + b"1" * 5000, ("x-acs-action", "SendSms"), FORM)
    assert response.status == 413
    assert response.json()["Code"] == "RequestEntityTooLarge"
    assert "SMS_EMULATOR_MAX_BODY" in response.json()["Message"]
    assert _post(small_bodies, "/", b"PhoneNumbers=" + b"1" * 3000, ("x-acs-action", "SendSms"), FORM).status == 400


def test_1oc_requests_over_the_body_cap_get_its_414_with_http_200(small_bodies):
    response = _post(small_bodies, "/?module=sms&file=send&action=send", b"code=" + b"1" * 5000,
                     ("Authorization", "testappsecret"), FORM)
    assert response.status == 200
    assert response.json()["code"] == 414 and "too large" in response.json()["msg"]


@pytest.mark.parametrize(("method", "path"), [("POST", "/_emulator/accounts"), ("PUT", "/_emulator/scenario"),
                                              ("POST", "/_emulator/inbound"), ("POST", "/_emulator/clock/advance")])
def test_admin_requests_over_the_body_cap_get_413_in_the_admin_shape(small_bodies, method, path):
    body = b'{"name": "' + b"a" * 5000 + b'"}'
    response = _post(small_bodies, path, body, ("Content-Type", "application/json"), method=method)
    assert response.status == 413
    assert "SMS_EMULATOR_MAX_BODY" in response.json()["error"]


def test_a_request_line_of_1000_numbers_passes_and_one_over_64_kib_is_refused(emulator):
    numbers = ",".join(f"139{i:08d}" for i in range(1000))       # ~12 KB: how the tea SDK sends SendSms
    fits = send_raw(emulator.host, emulator.port, build_request(
        "POST", f"/?Action=SendSms&PhoneNumbers={numbers}", [("Host", emulator.endpoint), ("Content-Length", "0")]))
    assert fits.status == 400 and fits.json()["Code"] == "MissingVersion"      # parsed, then refused on its merits
    too_long = send_raw(emulator.host, emulator.port, build_request(
        "POST", "/?Action=SendSms&x=" + "1" * 70_000, [("Host", emulator.endpoint), ("Content-Length", "0")]))
    assert too_long.status == 400                  # aiohttp's parser, before any handler: plain text, not JSON
