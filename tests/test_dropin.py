"""Reaching the emulator without changing the application's code, over real sockets: plain HTTP and HTTPS from one
process with one state, and the emulator as `HTTP_PROXY` / `HTTPS_PROXY` for the providers' hostnames (absolute
form and CONNECT), with stock clients (urllib, requests) and the official SDKs' own proxy options."""

from __future__ import annotations

import json
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import requests
from alibabacloud_dysmsapi20170525 import models as m
from alibabacloud_dysmsapi20170525.client import Client as Dysms
from alibabacloud_tea_openapi.models import Config

from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET
from tests.ship_helpers import serve

SEND = {"sign_name": "阿里云短信测试", "template_code": "SMS_154950909"}


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> Iterator[tuple[EmulatorServer, str]]:
    """One emulator: plain HTTP on its port, HTTPS on `tls_port`, the CA written to a file."""
    ca = str(tmp_path_factory.mktemp("dropin") / "ca.pem")
    with EmulatorServer(Settings(port=0, tls_port=0, quiet=True, ca_out=ca)) as server:
        yield server, ca


def _send(client: Dysms, phone: str, code: str) -> str:
    body = client.send_sms(m.SendSmsRequest(phone_numbers=phone, template_param=json.dumps({"code": code}),
                                            **SEND)).body
    assert body.code == "OK", body.message
    return body.biz_id


def _config(**kw) -> Config:
    return Config(access_key_id=ACCESS_KEY_ID, access_key_secret=ACCESS_KEY_SECRET, **kw)


def _opener(proxy: str, ca: str) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy, "https": proxy}),
                                       urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca)))


def _stored_codes(server: EmulatorServer, phone: str) -> list[str]:
    return server.call(lambda: [msg.code for msg in server.backend.messages.query(phone=phone)])  # type: ignore


# One process, two schemes --------------------------------------------------------------------------------

def test_http_and_https_from_one_process_share_one_state(both):
    server, ca = both
    assert server.url.startswith("http://") and server.tls_url and server.tls_url.startswith("https://")
    plain = Dysms(_config(endpoint=server.endpoint, protocol="http"))
    secure = Dysms(_config(endpoint=f"localhost:{server.tls_port}", protocol="https", ca=ca))
    first = _send(plain, "13900002001", "1111")
    second = _send(secure, "13900002011", "2222")
    assert _stored_codes(server, "13900002001") == ["1111"] and _stored_codes(server, "13900002011") == ["2222"]
    context = ssl.create_default_context(cafile=ca)
    with urllib.request.urlopen(f"https://localhost:{server.tls_port}/_emulator/messages?phone=13900002001",
                                context=context, timeout=10) as resp:
        over_tls = json.loads(resp.read())["messages"]
    with urllib.request.urlopen(f"{server.url}/_emulator/messages?phone=13900002011", timeout=10) as resp:
        over_http = json.loads(resp.read())["messages"]
    # what was sent over one scheme is seen over the other: one store
    assert [msg["biz_id"] for msg in over_tls] == [first] and [msg["biz_id"] for msg in over_http] == [second]


def test_the_cli_serves_both_ports_and_says_so(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        tls_port = probe.getsockname()[1]
    ca = tmp_path / "ca.pem"
    cli = serve(tmp_path, "--tls-port", str(tls_port), "--ca-out", str(ca))
    with cli:
        status, body = cli.get("/_emulator/health")           # the plain port
        assert status == 200 and body["status"] == "ok"
        with urllib.request.urlopen(f"https://localhost:{tls_port}/_emulator/health", timeout=10,
                                    context=ssl.create_default_context(cafile=str(ca))) as resp:
            assert json.loads(resp.read())["status"] == "ok"
    assert f"also HTTPS on https://127.0.0.1:{tls_port}".encode() in cli.out


@pytest.mark.parametrize(("settings", "says"), [
    ({"tls": True, "tls_port": 8443}, "--tls (SMS_EMULATOR_TLS) makes --port itself HTTPS"),
    ({"port": 8767, "tls_port": 8767}, "--tls-port 8767 is --port too"),
    ({"tls_port": 70000}, "TLS port 70000 (--tls-port, SMS_EMULATOR_TLS_PORT) is not a TCP port"),
])
def test_port_settings_that_cannot_work_are_one_sentence(settings, says):
    with pytest.raises(ValueError, match=None) as caught:
        Settings(**settings)
    assert says in str(caught.value)


def test_the_tls_port_comes_from_the_environment():
    assert Settings.from_env({"SMS_EMULATOR_TLS_PORT": "8443"}).tls_port == 8443


# HTTP_PROXY: absolute-form requests ------------------------------------------------------------------------

def test_http_proxy_reaches_the_emulator_under_the_providers_hostname(both):
    server, ca = both
    with _opener(server.url, ca).open("http://dysmsapi.aliyuncs.com/_emulator/health", timeout=10) as resp:
        assert json.loads(resp.read())["status"] == "ok"
    via_sdk = Dysms(_config(endpoint="dysmsapi.aliyuncs.com", protocol="http", http_proxy=server.url))
    _send(via_sdk, "13900002002", "3333")                        # signed for the real host, checked here
    answer = requests.get("http://sms.1oc.cn/", timeout=10, proxies={"http": server.url},
                          params={"module": "sms", "file": "send", "action": "send", "mobphone": "13900002003",
                                  "code": "4444", "smstemplate": "1001"},
                          headers={"Authorization": "testappsecret"}).json()
    assert answer["code"] == 200
    assert _stored_codes(server, "13900002002") == ["3333"] and _stored_codes(server, "13900002003") == ["4444"]


# HTTPS_PROXY: CONNECT, the TLS ending at the emulator ------------------------------------------------------

def test_https_proxy_tunnels_to_the_emulator_with_its_ca_trusted(both):
    server, ca = both
    with _opener(server.url, ca).open("https://dysmsapi.aliyuncs.com/_emulator/health", timeout=10) as resp:
        assert json.loads(resp.read())["status"] == "ok"
    tea = Dysms(_config(endpoint="dysmsapi.aliyuncs.com", protocol="https", https_proxy=server.url, ca=ca))
    _send(tea, "13900002004", "5555")
    answer = requests.get("https://sms.1oc.cn/", timeout=10, proxies={"https": server.url}, verify=ca,
                          params={"module": "sms", "file": "send", "action": "send", "mobphone": "13900002005",
                                  "code": "6666", "smstemplate": "1001"},
                          headers={"Authorization": "testappsecret"}).json()
    assert answer["code"] == 200
    assert _stored_codes(server, "13900002004") == ["5555"] and _stored_codes(server, "13900002005") == ["6666"]


def test_the_legacy_sdk_through_https_proxy(both):
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkdysmsapi.request.v20170525 import SendSmsRequest

    server, ca = both
    client = AcsClient(ACCESS_KEY_ID, ACCESS_KEY_SECRET, "cn-hangzhou", verify=ca,
                       proxy={"https": server.url, "http": server.url})
    client.add_endpoint("cn-hangzhou", "Dysmsapi", "dysmsapi.aliyuncs.com")
    request = SendSmsRequest.SendSmsRequest()
    request.set_protocol_type("https")
    request.set_PhoneNumbers("13900002006")
    request.set_SignName(SEND["sign_name"])
    request.set_TemplateCode(SEND["template_code"])
    request.set_TemplateParam('{"code":"7777"}')
    assert json.loads(client.do_action_with_exception(request))["Code"] == "OK"
    assert _stored_codes(server, "13900002006") == ["7777"]


def _connect(server: EmulatorServer, target: str) -> tuple[bytes, bytes]:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        sock.settimeout(2)
        try:
            while chunk := sock.recv(4096):
                body += chunk
        except TimeoutError:
            pass
        return head, body


@pytest.mark.parametrize("target", ["example.com:443", "dysmsapi.aliyuncs.com:80", "127.0.0.1:22",
                                    "dysmsapi.aliyuncs.com.evil.example:443"])
def test_a_connect_to_any_other_host_is_refused_and_nothing_is_forwarded(both, target):
    server, _ = both
    head, body = _connect(server, target)
    assert head.startswith(b"HTTP/1.1 403")
    assert "never forwards traffic to the internet" in json.loads(body)["error"]


def test_a_refused_connect_through_a_stock_client_says_why(both):
    server, ca = both
    with pytest.raises(urllib.error.URLError, match="Tunnel connection failed: 403"):
        _opener(server.url, ca).open("https://example.com/", timeout=10)


def test_connect_without_https_says_how_to_turn_it_on(emulator):
    head, body = _connect(emulator, "dysmsapi.aliyuncs.com:443")
    assert head.startswith(b"HTTP/1.1 503")
    assert "--tls-port" in json.loads(body)["error"]



def test_the_proxy_variables_alone_are_enough_for_a_stock_client(both):
    """What an application gets from its environment only: `HTTP_PROXY`, `HTTPS_PROXY` and `SSL_CERT_FILE`, no
    line of its code changed (a fresh interpreter, urllib's default opener)."""
    import os
    import subprocess
    import sys

    server, ca = both
    program = ("import json, urllib.request\n"
               "for url in ('http://dypnsapi.aliyuncs.com/_emulator/health',\n"
               "            'https://dysmsapi.aliyuncs.com/_emulator/health'):\n"
               "    print(json.load(urllib.request.urlopen(url, timeout=10))['status'])\n")
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(HTTP_PROXY=server.url, HTTPS_PROXY=server.url, SSL_CERT_FILE=ca)
    run = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["ok", "ok"]


# The event loop ---------------------------------------------------------------------------------------------

def test_the_emulator_runs_on_uvloop_when_asked(tmp_path):
    pytest.importorskip("uvloop")
    cli = serve(tmp_path, "--loop", "uvloop")
    with cli:
        client = Dysms(_config(endpoint=f"127.0.0.1:{cli.port}", protocol="http"))
        _send(client, "13900002021", "8888")
        status, body = cli.get("/_emulator/messages?phone=13900002021")
        assert status == 200 and [m["code"] for m in body["messages"]] == ["8888"]


def test_uvloop_missing_is_one_sentence_saying_what_to_install(monkeypatch):
    import sys

    from emulator.cli import run_on_loop

    monkeypatch.setitem(sys.modules, "uvloop", None)      # as if it were not installed
    with pytest.raises(ValueError, match=r"--loop uvloop needs uvloop: pip install 'sms-emulator\[speed\]'"):
        run_on_loop(lambda: pytest.fail("nothing may start"), "uvloop")
    with pytest.raises(ValueError, match=r"event loop 'trio' \(--loop, SMS_EMULATOR_LOOP\)"):
        Settings(loop="trio")
