"""HTTPS: the official SDK over TLS trusting the emulator's CA, the providers' hostnames, `--cert/--key`."""

from __future__ import annotations

import json
import socket
import ssl
import urllib.request

import pytest
from alibabacloud_dysmsapi20170525.client import Client as Dysms
from alibabacloud_dysmsapi20170525.models import SendSmsRequest
from alibabacloud_tea_openapi.models import Config
from cryptography import x509

from emulator.ops.tls import HOSTNAMES, key_path_for, prepare_tls
from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET
from tests.ship_helpers import serve

VERIFY = {"sign_name": "阿里云短信测试", "template_code": "SMS_154950909", "template_param": '{"code":"2468"}'}


@pytest.fixture(scope="module")
def https(tmp_path_factory):
    ca = tmp_path_factory.mktemp("tls") / "ca.pem"
    server = EmulatorServer(Settings(port=0, quiet=True, tls=True, ca_out=str(ca))).start()
    yield server, ca
    server.stop()


def sdk(server: EmulatorServer, ca: str | None) -> Dysms:
    return Dysms(Config(access_key_id=ACCESS_KEY_ID, access_key_secret=ACCESS_KEY_SECRET,
                        endpoint=f"localhost:{server.port}", protocol="https", ca=ca))


def test_the_official_sdk_sends_over_https_trusting_the_emulators_ca(https):
    server, ca = https
    assert server.url.startswith("https://")
    answer = sdk(server, str(ca)).send_sms(SendSmsRequest(phone_numbers="13912345001", **VERIFY)).body
    assert answer.code == "OK" and answer.biz_id.endswith("^0")
    stored = server.call(lambda: [m.biz_id for m in server.backend.messages.all()])
    assert answer.biz_id in stored


def test_without_the_ca_the_sdk_refuses_the_certificate(tmp_path):
    # An emulator of its own: the SDK pools connections per host and port, and a connection verified by an
    # earlier test would be reused without a new handshake.
    server = EmulatorServer(Settings(port=0, quiet=True, tls=True, ca_out=str(tmp_path / "ca.pem"))).start()
    try:
        with pytest.raises(Exception, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            sdk(server, None).send_sms(SendSmsRequest(phone_numbers="13912345002", **VERIFY))
    finally:
        server.stop()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")    # the legacy SDK's vendored urllib3
def test_the_legacy_sdk_sends_over_https_with_the_ca_as_its_verify_bundle(https):
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkdysmsapi.request.v20170525.SendSmsRequest import SendSmsRequest as Legacy

    server, ca = https
    client = AcsClient(ACCESS_KEY_ID, ACCESS_KEY_SECRET, "cn-hangzhou", verify=str(ca))
    client.add_endpoint("cn-hangzhou", "Dysmsapi", f"localhost:{server.port}")
    request = Legacy()
    request.set_protocol_type("https")
    request.set_PhoneNumbers("13912345003")
    request.set_SignName(VERIFY["sign_name"])
    request.set_TemplateCode(VERIFY["template_code"])
    request.set_TemplateParam(VERIFY["template_param"])
    answer = json.loads(client.do_action_with_exception(request))
    assert answer["Code"] == "OK", answer


def test_the_ca_is_served_and_written_to_the_file(https):
    server, ca = https
    context = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(f"https://localhost:{server.port}/_emulator/ca.pem", context=context) as resp:
        assert resp.headers["Content-Type"].startswith("application/x-pem-file")
        served = resp.read()
    assert served == ca.read_bytes()
    cert = x509.load_pem_x509_certificate(served)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert oct(key_path_for(ca).stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("hostname", [*HOSTNAMES, "127.0.0.1"])
def test_the_certificate_is_valid_for_localhost_and_the_providers_hostnames(https, hostname):
    """What an application reaching the emulator through DNS or a network alias verifies."""
    server, ca = https
    context = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname=hostname) as tls:
        tls.sendall(f"GET /_emulator/health HTTP/1.1\r\nHost: {hostname}\r\nConnection: close\r\n\r\n".encode())
        assert tls.recv(64).startswith(b"HTTP/1.1 200")


def test_a_1oc_request_by_host_name_over_https(https):
    server, ca = https
    context = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="sms.1oc.cn") as tls:
        tls.sendall(b"GET /?mobphone=13912345004&code=1&smstemplate=1001&module=sms&file=send&action=send "
                    b"HTTP/1.1\r\nHost: sms.1oc.cn\r\nAuthorization: testappsecret\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := tls.recv(4096):
            data += chunk
    assert b'"code": 200' in data


def test_the_ca_is_kept_next_to_the_database_and_reused(tmp_path):
    db = str(tmp_path / "state.db")
    first = prepare_tls("127.0.0.1", db=db)
    second = prepare_tls("127.0.0.1", db=db)
    assert first.ca_path == second.ca_path == tmp_path / "state.ca.pem"
    assert first.ca_pem == second.ca_pem          # clients that trust it keep trusting the emulator


def test_a_given_certificate_is_served_as_is(tmp_path):
    made = prepare_tls("127.0.0.1", ca_out=str(tmp_path / "ca.pem"))
    # Use the generated CA's own pair as "the user's certificate": any PEM pair will do for --cert/--key.
    cert, key = made.ca_path, key_path_for(made.ca_path)
    assert cert is not None
    given = prepare_tls("127.0.0.1", cert=str(cert), key=str(key))
    assert given.ca_pem == cert.read_bytes() and given.ca_path is None


def test_cli_serves_https_and_prints_where_the_ca_is(tmp_path):
    ca = tmp_path / "out" / "ca.pem"
    cli = serve(tmp_path, "--tls", "--ca-out", str(ca), scheme="https", cafile=str(ca))
    with cli:
        status, body = cli.get("/_emulator/health")
        assert status == 200 and body["status"] == "ok"
    assert f"trust {ca}".encode() in cli.out
    assert b"listening on https://" in cli.out


@pytest.mark.parametrize(("flags", "says"), [
    (["--cert", "/nonexistent/cert.pem"], "--cert and --key go together"),
    (["--cert", "/nonexistent/cert.pem", "--key", "/nonexistent/key.pem"], "cannot load --cert"),
])
def test_tls_configuration_errors_are_one_line(tmp_path, flags, says):
    cli = serve(tmp_path, *flags)
    with pytest.raises(AssertionError, match="exited 2"):
        cli.start(timeout=15)
    lines = cli.err.decode().strip().splitlines()
    assert len(lines) == 1 and says in lines[0], lines
