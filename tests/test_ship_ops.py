"""Operations: Prometheus metrics, JSON logs, the healthcheck subcommand, one-line start-up errors, --version."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any

import pytest
from alibabacloud_dysmsapi20170525.models import SendSmsRequest
from prometheus_client.parser import text_string_to_metric_families

from emulator import __version__
from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.admin_helpers import send_1oc
from tests.conftest import admin, advance
from tests.ship_helpers import clean_env, console_script, free_port, serve

NOTICE = {"sign_name": "驴游", "template_code": "SMS_900000001", "template_param": '{"order":"A1","days":"3"}'}


def scrape(server: EmulatorServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"{server.url}/_emulator/metrics", timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain")
        text = resp.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# Metrics --------------------------------------------------------------------------------------------------


def test_request_counters_and_latency_move_with_requests(dysms, emulator):
    before = scrape(emulator)
    assert dysms.send_sms(SendSmsRequest(phone_numbers="13912346001", **NOTICE)).body.code == "OK"
    refused = dysms.send_sms(SendSmsRequest(phone_numbers="13800000001", **NOTICE)).body.code
    send_1oc(emulator, phone="13912346002")
    after = scrape(emulator)

    ok = {"provider": "dysms", "action": "SendSms", "code": "OK"}
    assert value(after, "sms_emulator_requests_total", **ok) == value(before, "sms_emulator_requests_total", **ok) + 1
    bad = {"provider": "dysms", "action": "SendSms", "code": refused}
    assert value(after, "sms_emulator_requests_total", **bad) == value(before, "sms_emulator_requests_total", **bad) + 1
    one = {"provider": "onecloud", "action": "Send", "code": "200"}
    assert value(after, "sms_emulator_requests_total", **one) == value(before, "sms_emulator_requests_total", **one) + 1
    count = "sms_emulator_request_duration_seconds_count"
    labels = {"provider": "dysms", "action": "SendSms"}
    assert value(after, count, **labels) == value(before, count, **labels) + 2
    assert value(after, "sms_emulator_request_duration_seconds_sum", **labels) > \
        value(before, "sms_emulator_request_duration_seconds_sum", **labels)
    assert value(after, "sms_emulator_messages_stored") == 2


def test_latency_buckets_are_cumulative_and_include_their_bound():
    from emulator.app import build_backend
    from emulator.ops.metrics import Metrics

    metrics = Metrics(build_backend(Settings()))
    for seconds in (0.0001, 0.0005, 0.002, 0.002, 7.0, 31.0):
        metrics.observe_request("dysms", "SendSms", "OK", seconds)
    samples = {(sample.name, sample.labels.get("le")): sample.value
               for family in text_string_to_metric_families(metrics.render().decode()) for sample in family.samples
               if sample.name.startswith("sms_emulator_request_duration_seconds")}
    bucket = "sms_emulator_request_duration_seconds_bucket"
    assert samples[(bucket, "0.0005")] == 2                  # 0.0005 itself counts in the le="0.0005" bucket
    assert samples[(bucket, "0.001")] == 2
    assert samples[(bucket, "0.0025")] == 4
    assert samples[(bucket, "10.0")] == 5
    assert samples[(bucket, "30.0")] == 5
    assert samples[(bucket, "+Inf")] == samples[("sms_emulator_request_duration_seconds_count", None)] == 6
    assert samples[("sms_emulator_request_duration_seconds_sum", None)] == pytest.approx(38.0046)


def test_report_results_are_counted(emulator, receiver):
    status, _ = admin(emulator, "PATCH", "/_emulator/accounts/default", {"return_url": receiver.url})
    assert status == 200
    receiver.respond(500)
    before = scrape(emulator)
    send_1oc(emulator, phone="13912346003")
    advance(emulator, 4)                           # delivered: the report's first attempt fails
    advance(emulator, 61)                          # the retry succeeds
    after = scrape(emulator)
    for result in ("retrying", "delivered"):
        labels = {"kind": "onecloud_report", "result": result}
        assert value(after, "sms_emulator_callbacks_total", **labels) == \
            value(before, "sms_emulator_callbacks_total", **labels) + 1


def test_unknown_actions_do_not_become_labels(emulator):
    from tests.rawhttp import build_request, send_raw
    from tests.signing import signed_query

    for action in ("Nope1", "Nope2"):
        query = signed_query(action, {}, emulator.call(emulator.backend.clock.now))
        send_raw(emulator.host, emulator.port,
                 build_request("POST", "/?" + query, [("Host", emulator.endpoint), ("Content-Length", "0")]))
    actions = {dict(labels).get("action") for (name, labels) in scrape(emulator)
               if name == "sms_emulator_requests_total"}
    assert "unknown" in actions and not {"Nope1", "Nope2"} & actions


def test_each_emulator_has_its_own_registry(emulator):
    other = EmulatorServer(Settings(port=0, quiet=True)).start()
    try:
        send_1oc(other, phone="13912346004")
        mine = scrape(emulator)
        theirs = scrape(other)
        one = {"provider": "onecloud", "action": "Send", "code": "200"}
        assert value(theirs, "sms_emulator_requests_total", **one) == 1
        assert value(mine, "sms_emulator_messages_stored") == 0
    finally:
        other.stop()


@pytest.mark.parametrize("target", ["/?Action=SendSms&Version=2017-05-25", "/?module=sms&file=send&action=send",
                                    "/_emulator/clock/advance"])
def test_a_client_hanging_up_mid_body_is_not_an_internal_error(tmp_path, target):
    kind = "application/json" if target.startswith("/_emulator") else "application/x-www-form-urlencoded"
    cli = serve(tmp_path).start()
    try:
        with socket.create_connection(("127.0.0.1", cli.port)) as sock:
            sock.sendall(f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
                         f"Content-Type: {kind}\r\n\r\nPhoneNumbers=1".encode())
            time.sleep(0.2)         # the handler is reading the body when the client goes
        assert cli.get("/_emulator/health")[0] == 200
        _, metrics = cli.get("/_emulator/metrics")
    finally:
        assert cli.terminate() == 0
    assert b"Traceback" not in cli.err and b"internal error" not in cli.err and b"Error handling" not in cli.err
    assert b"InternalError" not in metrics
    if not target.startswith("/_emulator"):
        assert b'code="ClientClosed"' in metrics and b"-> ClientClosed" in cli.err


# JSON logs ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["flag", "env"])
def test_json_logs_are_one_object_per_line_with_the_request_fields(tmp_path, how):
    flags = ["--log-format", "json"] if how == "flag" else []
    env = clean_env(SMS_EMULATOR_LOG_FORMAT="json") if how == "env" else None
    cli = serve(tmp_path, *flags, env=env).start()
    try:
        status, raw = cli.request("GET", "/?module=sms&file=send&action=send&mobphone=13912346005&code=1"
                                         "&smstemplate=1001", headers={"Authorization": "testappsecret"})
        assert status == 200
        mid = json.loads(raw)["mid"]
        cli.request("GET", "/?module=sms&file=send&action=send&mobphone=abc&code=1&smstemplate=1001",
                    headers={"Authorization": "testappsecret"})
    finally:
        assert cli.terminate() == 0
    records = [json.loads(line) for line in cli.out.decode().splitlines()]    # every line parses
    assert not cli.err.strip()
    assert records[0]["event"] == "listening" and records[-1]["event"] == "shutting down"
    sent = next(r for r in records if r.get("request_id") == mid)
    assert sent["provider"] == "onecloud" and sent["action"] == "Send" and sent["phone"] == "13912346005"
    assert sent["outcome"] == "200" and isinstance(sent["latency_ms"], float) and sent["level"] == "info"
    refused = next(r for r in records if r.get("phone") == "abc")
    assert refused["outcome"] == "411"


def test_json_logs_stay_valid_utf8_whatever_bytes_a_client_sends(tmp_path):
    """An action name of raw 0xFF bytes is quoted in the request line's detail: escaped (`\\xff`), never raw."""
    from tests.rawhttp import send_raw

    cli = serve(tmp_path, "--log-format", "json").start()
    try:
        request = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nx-acs-action: Send\xff\xfeSms\r\n"
                   b"x-acs-version: 2017-05-25\r\nContent-Length: 0\r\n\r\n")
        assert send_raw("127.0.0.1", cli.port, request).status == 404
    finally:
        assert cli.terminate() == 0
    lines = cli.out.decode("utf-8").splitlines()        # strict: raises on any invalid byte
    records = [json.loads(line) for line in lines]
    assert not cli.err.strip()
    refused = next(r for r in records if r.get("outcome") == "InvalidAction.NotFound")
    assert "Send\\xff\\xfeSms" in refused["detail"]


def test_text_logs_stay_readable_lines(tmp_path):
    cli = serve(tmp_path).start()
    try:
        cli.request("GET", "/?module=sms&file=send&action=send&mobphone=13912346006&code=1&smstemplate=1001",
                    headers={"Authorization": "testappsecret"})
    finally:
        cli.terminate()
    assert b"onecloud Send 13912346006 -> 200 (" in cli.err


# Healthcheck subcommand ---------------------------------------------------------------------------------------


def test_healthcheck_exits_0_when_healthy_and_1_otherwise(tmp_path):
    cli = serve(tmp_path).start()
    try:
        healthy = subprocess.run([console_script(), "healthcheck", "--port", str(cli.port)], capture_output=True,
                                 text=True, timeout=30, env=clean_env())
        by_env = subprocess.run([console_script(), "healthcheck"], capture_output=True, text=True, timeout=30,
                                env=clean_env(SMS_EMULATOR_PORT=str(cli.port)))
    finally:
        cli.terminate()
    assert healthy.returncode == 0 and healthy.stdout.startswith("healthy: "), healthy.stderr
    assert by_env.returncode == 0, by_env.stderr
    down = subprocess.run([console_script(), "healthcheck", "--port", str(cli.port)], capture_output=True,
                          text=True, timeout=30, env=clean_env())
    assert down.returncode == 1 and down.stderr.startswith("unhealthy: ") and "refused" in down.stderr


# Start-up errors and --version ----------------------------------------------------------------------------------


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([console_script(), *args], capture_output=True, text=True, timeout=60,
                          env=clean_env(**env))


def test_a_port_in_use_is_a_one_line_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line == (f"sms-emulator: cannot listen on 127.0.0.1:{port}: the address is already in use "
                    "(another emulator? choose another --port)")


@pytest.mark.parametrize(("env", "says"), [
    ({"SMS_EMULATOR_PORT": "eighty"}, "SMS_EMULATOR_PORT='eighty' is not a whole number"),
    ({"SMS_EMULATOR_LOG_FORMAT": "xml"}, "log format 'xml'"),
    ({"SMS_EMULATOR_FIXTURES": "/nonexistent/fixtures"}, "does not exist"),
    ({"SMS_EMULATOR_STORE_CAP": "0"}, "store cap 0 (--store-cap, SMS_EMULATOR_STORE_CAP) must be at least 1"),
    ({"SMS_EMULATOR_MAX_BODY": "-5"}, "max body -5 (--max-body, SMS_EMULATOR_MAX_BODY) must be at least 1024"),
])
def test_configuration_errors_from_the_environment_are_one_line(env, says):
    result = run_cli("serve", "--port", str(free_port()), **env)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("sms-emulator: ") and says in line


def test_flags_are_checked_like_the_environment():
    result = run_cli("serve", "--port", "70000")
    assert result.returncode == 2
    assert result.stderr.strip() == "sms-emulator: port 70000 (--port, SMS_EMULATOR_PORT) is not a TCP port: 0-65535"


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"sms-emulator {__version__}"


# Shutdown ------------------------------------------------------------------------------------------------------


def test_sigterm_exits_within_seconds_with_a_hang_and_a_long_latency_in_flight(tmp_path):
    """`docker stop` kills after 10 s: a `fault: hang` (two minutes) or a 10-minute latency must not hold the exit.
    The latency's answer goes out at once; the hang ends as a closed connection."""
    import threading

    scenario = tmp_path / "slow.yaml"
    scenario.write_text("rules:\n"
                        "  - match: {phone: '13912340001'}\n    then: {fault: hang}\n"
                        "  - match: {phone: '13912340002'}\n    then: {latency: 600}\n")
    cli = serve(tmp_path, "--scenario", str(scenario)).start()
    results: dict[str, Any] = {}

    def send(phone: str) -> None:
        try:
            results[phone] = cli.request("GET", f"/?module=sms&file=send&action=send&mobphone={phone}&code=1"
                                                "&smstemplate=1001", headers={"Authorization": "testappsecret"},
                                         timeout=60)
        except Exception as exc:    # the hang: the connection is closed without an answer
            results[phone] = exc

    threads = [threading.Thread(target=send, args=(phone,)) for phone in ("13912340001", "13912340002")]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    try:
        assert cli.terminate(timeout=15) == 0
    finally:
        cli.kill()
    took = time.monotonic() - started
    for thread in threads:
        thread.join(timeout=5)
    assert took < 5, f"SIGTERM took {took:.1f} s"
    status, body = results["13912340002"]
    assert status == 200 and json.loads(body)["code"] == 200           # answered, not dropped
    assert isinstance(results["13912340001"], OSError) or "RemoteDisconnected" in repr(results["13912340001"])
    assert b"Traceback" not in cli.err


def test_a_default_start_leaves_the_heavy_optional_imports_for_later():
    """Start-up stays under 300 ms partly because metrics, TLS, schema checks and fake data import their
    libraries when first used; a default start that answers a request must not pull them in."""
    script = (
        "import asyncio, sys, urllib.request\n"
        "from emulator.app import build_app\n"
        "from emulator.server import start_site\n"
        "from emulator.settings import Settings\n"
        "async def main():\n"
        "    runner, port, _ = await start_site(build_app(Settings().merge()), '127.0.0.1', 0)\n"
        "    url = f'http://127.0.0.1:{port}/_emulator/health'\n"
        "    await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).read())\n"
        "    await runner.cleanup()\n"
        "asyncio.run(main())\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'prometheus_client', 'jsonschema', 'cryptography', 'faker'}))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         env=clean_env(), check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
