"""The admin API is not drivable by web pages: cross-site requests and DNS rebinding, over real sockets.

Raw requests, because a browser's requests are what is being imitated: its `Origin`, its `Host`, its "simple"
content types."""

from __future__ import annotations

import json

import pytest

from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.admin_helpers import send_1oc
from tests.conftest import admin, messages
from tests.rawhttp import RawResponse, build_request, send_raw


def _raw(server: EmulatorServer, method: str, path: str, headers: dict[str, str] | None = None,
         body: bytes = b"", host: str | None = None) -> RawResponse:
    all_headers = [("Host", host or server.endpoint), ("Content-Length", str(len(body))), *(headers or {}).items()]
    return send_raw(server.host, server.port, build_request(method, path, all_headers, body))


def _offset(server: EmulatorServer) -> float:
    return admin(server, "GET", "/_emulator/clock")[1]["offset"]


# Cross-site requests ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "text/plain;charset=UTF-8"])
def test_a_simple_cross_site_post_does_not_move_the_clock(emulator, content_type):
    """What a `<form>` or a no-cors `fetch` on any web page can send without a preflight."""
    response = _raw(emulator, "POST", "/_emulator/clock/advance", {"Content-Type": content_type,
                                                                   "Origin": "https://evil.example"},
                    b'{"seconds": 86400}')
    assert response.status == 403 and "cross-site" in response.json()["error"]
    # Without an Origin (an old browser, a privacy extension): the content type alone is refused.
    response = _raw(emulator, "POST", "/_emulator/clock/advance", {"Content-Type": content_type},
                    b'{"seconds": 86400}')
    assert response.status == 415 and "application/json" in response.json()["error"]
    assert _offset(emulator) == 0


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://192.168.1.20:8767"])
def test_a_foreign_origin_cannot_reset(emulator, origin):
    send_1oc(emulator, phone="13912340021")
    response = _raw(emulator, "POST", "/_emulator/reset", {"Origin": origin})
    assert response.status == 403
    response = _raw(emulator, "DELETE", "/_emulator/scenario", {"Origin": origin})
    assert response.status == 403
    assert [m["phone"] for m in messages(emulator)] == ["13912340021"]


def test_the_inbox_and_loopback_pages_still_drive_it(emulator):
    """The inbox is same-origin (its `reset` button POSTs without a body); a dev page on localhost may too."""
    for origin in (f"http://{emulator.endpoint}", "http://localhost:3000", "http://127.0.0.1:5173"):
        send_1oc(emulator, phone="13912340022")
        assert _raw(emulator, "POST", "/_emulator/reset?what=messages", {"Origin": origin}).status == 200
        assert messages(emulator) == []
    body = json.dumps({"seconds": 5}).encode()
    response = _raw(emulator, "POST", "/_emulator/clock/advance",
                    {"Origin": f"http://{emulator.endpoint}", "Content-Type": "application/json"}, body)
    assert response.status == 200 and _offset(emulator) == 5


def test_a_report_never_drives_the_admin_api(emulator):
    response = _raw(emulator, "POST", "/_emulator/reset", {"User-Agent": "sms-emulator-callbacks"})
    assert response.status == 403 and "never a report receiver" in response.json()["error"]


# DNS rebinding --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8767", "127.0.0.1.nip.io", "attacker.com."])
def test_a_foreign_host_gets_no_secrets(emulator, host):
    response = _raw(emulator, "GET", "/_emulator/accounts/default", host=host)
    assert response.status == 403 and b"testsecret" not in response.body
    assert "--allowed-host" in response.json()["error"]
    assert _raw(emulator, "GET", "/_emulator/", host=host).status == 403          # nor the inbox page


@pytest.mark.parametrize("host", ["127.0.0.1:8767", "localhost", "LOCALHOST:1", "[::1]:8767", "app.localhost",
                                  "sms-emulator:8767", "sms-emulator", "dysmsapi.aliyuncs.com", "sms.1oc.cn:443",
                                  "10.0.0.5:8767", "192.168.1.20", "host.docker.internal:8767",
                                  "sms-emulator.default.svc.cluster.local"])
def test_local_names_docker_services_and_provider_hosts_are_answered(emulator, host):
    response = _raw(emulator, "GET", "/_emulator/accounts/default", host=host)
    assert response.status == 200 and response.json()["access_key_secret"] == "testsecret"


def test_provider_requests_answer_any_host(emulator):
    response = _raw(emulator, "GET", "/?module=sms&file=send&action=send&mobphone=13912340023&code=1"
                                     "&smstemplate=1001", {"Authorization": "testappsecret"}, host="evil.example")
    assert response.status == 200 and response.json()["code"] == 200


@pytest.mark.parametrize(("allowed", "host", "status"), [
    ("emulator.test.example", "emulator.test.example:8767", 200),
    ("a.example, *.corp.example", "sms.dev.corp.example", 200),
    ("*.corp.example", "corp.example.evil", 403),
    ("*", "anything.example", 200),
])
def test_allowed_hosts_extend_the_list(allowed, host, status):
    with EmulatorServer(Settings(port=0, quiet=True, allowed_hosts=allowed)) as server:
        assert _raw(server, "GET", "/_emulator/health", host=host).status == status


def test_the_configured_host_is_answered():
    from emulator.admin.guard import HostPolicy

    assert HostPolicy(Settings(host="box.example").admin_hosts()).answers_for("box.example:8767")
    assert not HostPolicy(Settings().admin_hosts()).answers_for("box.example:8767")


def test_allowed_hosts_from_the_flag_and_the_environment(tmp_path):
    from tests.ship_helpers import clean_env, serve

    cli = serve(tmp_path, "--allowed-host", "flag.example", "--allowed-host", "*.env2.example",
                env=clean_env(SMS_EMULATOR_ALLOWED_HOSTS="ignored.example")).start()
    try:
        for host, status in (("flag.example", 200), ("x.env2.example", 200), ("other.example", 403)):
            response = send_raw("127.0.0.1", cli.port, build_request("GET", "/_emulator/health", [("Host", host)]))
            assert response.status == status, host
    finally:
        cli.terminate()
    cli = serve(tmp_path, env=clean_env(SMS_EMULATOR_ALLOWED_HOSTS="env.example,b.example")).start()
    try:
        response = send_raw("127.0.0.1", cli.port, build_request("GET", "/_emulator/health", [("Host", "b.example")]))
        assert response.status == 200
    finally:
        cli.terminate()
