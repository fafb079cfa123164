"""Issue 17, input that is hostile or absurd: each case reproduced on a real socket, each answered in the
provider's own error shape (or one line and exit 2 at start) instead of a freeze, a 500 or a silent death.

Alias bombs and deep nesting in scenarios (#1, #5), NaN and infinity (#2), far-future times (#12), integers of
thousands of digits in admin paths and queries (#13), a large valid scenario loading while requests keep being
answered (#18), damaged database rows (#19); field lengths (#8) and `Timestamp=2026-02-31` are in
`test_caps.py` and `test_gateway_errors.py`.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from alibabacloud_dypnsapi20170525.client import Client as Dypns
from alibabacloud_dysmsapi20170525.client import Client as Dysms

from emulator.admin import scenario_api
from emulator.core.yamlsource import MAX_DEPTH, MAX_NODES
from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.conftest import admin, tea_config
from tests.dypns_helpers import latest_code, send_code, send_error
from tests.scenario_helpers import put_scenario, scenario_state, sms
from tests.ship_helpers import ROOT, serve
from tests.test_persistence import emulator_with

#: Nine aliases per level, nine levels: 342 bytes that PyYAML's own composer expands to 9**9 strings.
LAUGHS = "\n".join(["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
                   + [f"{n}: &{n} [{', '.join(['*' + p] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)])
DEEP_FLOW = "rules: " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_BLOCK = "rules:\n" + "".join("  " * i + "- \n" for i in range(1, 300))


def _raw(server: EmulatorServer, method: str, path: str, data: bytes | None = None,
         content_type: str = "application/json") -> tuple[int, str, bytes]:
    req = urllib.request.Request(f"{server.url}{path}", data=data, method=method,
                                 headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


def _healthy(server: EmulatorServer) -> bool:
    return admin(server, "GET", "/_emulator/health")[0] == 200


# 1. Alias bombs ---------------------------------------------------------------------------------------------

def test_an_alias_bomb_is_refused_at_once_and_the_emulator_keeps_answering(emulator):
    started = time.monotonic()
    status, body = put_scenario(emulator, LAUGHS)
    assert time.monotonic() - started < 5
    assert status == 400
    assert body["problems"] == [f"<PUT /_emulator/scenario>:6:4: not valid YAML: this node holds more than "
                                f"{MAX_NODES} values once its aliases are expanded (a scenario needs far fewer; "
                                "aliases that repeat aliases grow exponentially)"]
    assert scenario_state(emulator)["name"] == "default" and _healthy(emulator)


def test_an_alias_inside_its_own_node_is_refused(emulator):
    status, body = put_scenario(emulator, "rules: &r [*r]\n")
    assert status == 400
    assert body["problems"] == ["<PUT /_emulator/scenario>:1:12: not valid YAML: the alias 'r' refers to a node "
                                "that contains it"]


def test_a_few_aliases_still_work(scenario, dysms):
    scenario("rules:\n  - {match: {provider: dysms, phone: '13900001701'}, then: &fail {error: isp.SYSTEM_ERROR}}\n"
             "  - {match: {provider: dysms, phone: '13900001702'}, then: *fail}\n")
    assert sms(dysms, "13900001702").code == "isp.SYSTEM_ERROR"


def test_validate_refuses_an_alias_bomb_and_a_deep_file_in_one_line_each(tmp_path: Path):
    bomb, deep = tmp_path / "bomb.yaml", tmp_path / "deep.yaml"
    bomb.write_text(LAUGHS, encoding="utf-8")
    deep.write_text(DEEP_BLOCK, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "emulator", "validate", str(bomb), str(deep)], capture_output=True,
                            text=True, timeout=60, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{bomb}:6:4: not valid YAML: this node holds more than {MAX_NODES} values once its aliases are expanded "
        "(a scenario needs far fewer; aliases that repeat aliases grow exponentially)",
        f"{deep}:{MAX_DEPTH + 1}:{2 * MAX_DEPTH + 1}: not valid YAML: nested more than {MAX_DEPTH} levels deep"]


@pytest.mark.parametrize("text", [LAUGHS, DEEP_FLOW], ids=["alias-bomb", "deep"])
def test_a_hostile_scenario_file_stops_the_start_with_one_line(tmp_path: Path, text: str):
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    cli = serve(tmp_path, "--scenario", str(path))
    with pytest.raises(AssertionError, match="exited 2"):
        cli.start(timeout=30)
    lines = cli.err.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"sms-emulator: {path}:"), lines


def test_a_file_beyond_the_size_bound_is_refused_without_reading_it_all(tmp_path: Path, emulator):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# " + b"x" * (1024 * 1024) + b"\nrules: []\n")
    with EmulatorServer(Settings(port=0, quiet=True)) as server:
        assert put_scenario(server, path.read_text())[0] == 413     # the body limit says it first over HTTP
    from emulator.scenarios.loader import ScenarioError, load_scenario_file

    with pytest.raises(ScenarioError) as info:
        load_scenario_file(path)
    assert info.value.problems == [f"{path}: the file is larger than 1048576 bytes (1 MiB), the most a scenario "
                                   "may be"]


# 2. NaN and infinity ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("then", "where"), [
    ("{latency: .nan}", "rules/0/then/latency: nan is not a finite number"),
    ("{latency: {uniform: [0, .inf]}}", "rules/0/then/latency/uniform/1: inf is not a finite number"),
    ("{delivery: {delay: -.inf}}", "rules/0/then/delivery/delay: -inf is not a finite number"),
    ("{qps: 99999999999999999999999}", "rules/0/then/qps: the integer is larger than 9223372036854775807"),
])
def test_non_finite_numbers_in_a_scenario_are_refused(emulator, then: str, where: str):
    status, body = put_scenario(emulator, f"rules:\n  - then: {then}\n")
    assert status == 400, body
    assert len(body["problems"]) == 1 and where in body["problems"][0], body


def test_non_finite_numbers_in_a_json_scenario_are_refused(emulator):
    status, body = put_scenario(emulator, '{"rules": [{"then": {"latency": NaN}}]}', "application/json")
    assert status == 400
    assert body["problems"] == ["<PUT /_emulator/scenario>: not valid JSON: NaN is not a number JSON allows "
                                "(expected a finite number)"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "123456789012345678901234567890"])
def test_admin_bodies_refuse_non_finite_and_huge_numbers(emulator, literal: str):
    before = admin(emulator, "GET", "/_emulator/clock")[1]["offset"]
    status, kind, body = _raw(emulator, "POST", "/_emulator/clock/advance", f'{{"seconds": {literal}}}'.encode())
    assert status == 400 and kind.startswith("application/json")
    assert json.loads(body)["error"].startswith("body is not usable JSON: ")
    assert admin(emulator, "GET", "/_emulator/clock")[1]["offset"] == before
    status, _, body = _raw(emulator, "PATCH", "/_emulator/accounts/default", f'{{"balance": {literal}}}'.encode())
    assert status == 400 and "error" in json.loads(body)


@pytest.mark.parametrize("timeout", ["nan", "inf", "-inf", "1e999"])
def test_a_long_poll_refuses_a_non_finite_timeout(emulator, timeout: str):
    status, body = admin(emulator, "GET", f"/_emulator/messages/wait?phone=13900001703&timeout={timeout}")
    assert status == 400 and "timeout must be between 0 and" in body["error"]


# 5. Deep nesting --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [65, 1000, 4000])    # 4000: as deep as TemplateParam's 8192 characters allow
def test_deep_template_param_is_the_providers_invalid_json_error(emulator, depth: int):
    from alibabacloud_dysmsapi20170525 import models as m

    nested = "[" * depth + "]" * depth
    for client in (Dysms(tea_config(emulator)), Dysms(tea_config(emulator, "v2"))):
        body = client.send_sms(m.SendSmsRequest(phone_numbers="13900001704", sign_name="阿里云短信测试",
                                                template_code="SMS_154950909",
                                                template_param=f'{{"code": {nested}}}')).body
        assert body.code == "isv.INVALID_JSON_PARAM", body
    error = send_error(Dypns(tea_config(emulator)), "13900001704", template_param=f'{{"code": {nested}}}')
    assert error.code == "INVALID_PARAMETERS" and "TemplateParam is not JSON" in error.message


def test_deep_batch_json_is_the_providers_invalid_json_error(emulator):
    from alibabacloud_dysmsapi20170525 import models as m

    nested = "[" * 5000 + "]" * 5000
    body = Dysms(tea_config(emulator)).send_batch_sms(m.SendBatchSmsRequest(
        phone_number_json=nested, sign_name_json='["阿里云短信测试"]', template_code="SMS_154950909",
        template_param_json='[{"code": "1234"}]')).body
    assert body.code in ("isv.INVALID_JSON_PARAM", "isv.MOBILE_NUMBER_ILLEGAL"), body


def test_json_nesting_bound_is_exact_and_brackets_in_strings_do_not_count():
    from emulator.core import bounds

    limit = bounds.MAX_DEPTH
    assert bounds.loads_json("[" * limit + "]" * limit) is not None
    with pytest.raises(bounds.InputError, match=f"nested more than {limit} levels deep"):
        bounds.loads_json("[" * (limit + 1) + "]" * (limit + 1))
    with pytest.raises(bounds.InputError):
        bounds.loads_json('{"a": ' * (limit + 1) + "1" + "}" * (limit + 1))
    brackets = "{[" * limit
    assert bounds.loads_json(json.dumps({"code": brackets})) == {"code": brackets}


@pytest.mark.parametrize("path", ["/_emulator/clock/advance", "/_emulator/accounts", "/_emulator/inbound"])
def test_deep_json_to_an_admin_body_is_a_400(emulator, path: str):
    status, kind, body = _raw(emulator, "POST", path, b"[" * 100_000 + b"]" * 100_000)
    assert status == 400 and kind.startswith("application/json")
    assert json.loads(body) == {"error": f"body is not usable JSON: nested more than {MAX_DEPTH} levels deep"}


@pytest.mark.parametrize(("text", "content_type"), [(DEEP_FLOW, "application/yaml"), (DEEP_BLOCK, "application/yaml"),
                                                    ("[" * 100_000 + "]" * 100_000, "application/json")],
                         ids=["flow", "block", "json"])
def test_a_deep_scenario_over_put_is_a_400(emulator, text: str, content_type: str):
    started = time.monotonic()
    status, body = put_scenario(emulator, text, content_type)
    assert time.monotonic() - started < 2       # refused where the depth shows, not after seconds of re-parsing
    assert status == 400
    assert len(body["problems"]) == 1 and f"nested more than {MAX_DEPTH} levels deep" in body["problems"][0], body


def test_the_hot_reload_watcher_survives_a_hostile_file_and_keeps_watching(tmp_path: Path, monkeypatch, caplog):
    monkeypatch.setattr(scenario_api, "POLL_SECONDS", 0.1)
    path = tmp_path / "live.yaml"
    path.write_text("name: first\nrules: []\n", encoding="utf-8")
    with EmulatorServer(Settings(port=0, quiet=True, scenario=str(path))) as server:
        for hostile in (DEEP_FLOW, LAUGHS, "rules:\n  - then: {latency: .nan}\n"):
            caplog.clear()
            with caplog.at_level(logging.WARNING, logger="sms_emulator.scenario"):
                path.write_text(hostile, encoding="utf-8")
                assert _wait(lambda: "not a valid scenario" in caplog.text)
            assert scenario_state(server)["name"] == "first" and _healthy(server)
        path.write_text("name: second\nrules: []\n", encoding="utf-8")
        assert _wait(lambda: scenario_state(server)["name"] == "second")


def _wait(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# 12. Far-future times ---------------------------------------------------------------------------------------

def test_far_future_expiries_and_reports_are_listed_not_a_500(emulator, receiver, scenario):
    from tests.scenario_helpers import set_receipts

    assert admin(emulator, "POST", "/_emulator/clock/set", {"time": "9999-01-01T00:00:00Z"})[0] == 200
    code = send_code(Dypns(tea_config(emulator)), "13900001705", valid_time=2**31 - 1)
    status, found = latest_code(emulator, "13900001705")
    assert status == 200 and found["code"] == code
    assert found["expires_at_iso"] == "9999-12-31T00:00:00Z"        # past what a date can say: its last day
    set_receipts(emulator, sms_report=receiver.url)
    scenario("rules:\n  - then: {callback: {delay: 365d}}\n")
    assert sms(Dysms(tea_config(emulator)), "13900001706").code == "OK"
    status, body = admin(emulator, "GET", "/_emulator/callbacks")
    assert status == 200, body
    status, body = admin(emulator, "GET", "/_emulator/messages?phone=13900001706")
    assert status == 200 and len(body["messages"]) == 1


@pytest.mark.parametrize("delay", ["99999999999d", ".inf", "1e308", "366d"])
def test_a_delay_beyond_a_year_is_refused(emulator, delay: str):
    status, body = put_scenario(emulator, f"rules:\n  - then: {{callback: {{delay: {delay}}}}}\n")
    assert status == 400 and len(body["problems"]) == 1, body


# 13. Integers of thousands of digits ------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "status", "error"), [
    ("/_emulator/messages/" + "9" * 5000, 404, "no message 9999999999999999999999999999999999999999 (never sent"),
    ("/_emulator/messages?limit=" + "9" * 5000, 400, "limit must be a positive integer of at most 18 digits"),
    ("/_emulator/messages?since=" + "9" * 5000, 400, "since must be a message id (a cursor: an integer >= 0 of at"),
    ("/_emulator/messages/wait?timeout=" + "9" * 5000, 400, "timeout must be between 0 and"),
])
def test_huge_integers_in_admin_paths_and_queries_are_refused_in_words(emulator, path: str, status: int, error: str):
    got, body = admin(emulator, "GET", path)
    assert got == status and body["error"].startswith(error), body
    assert "sys.set_int_max_str_digits" not in body["error"]


# 18. A large valid scenario -----------------------------------------------------------------------------------

def _large_scenario(size: int) -> str:
    rules, length = ["name: large", "rules:"], 20
    while length < size:
        i = len(rules)
        rules.append(f"  - {{name: rule {i}, match: {{provider: dysms, action: SendSms, phone: '139{i:08d}', "
                     f"params: {{OutId: 'order-{i}-*'}}}}, then: {{error: isv.BUSINESS_LIMIT_CONTROL}}}}")
        length += len(rules[-1]) + 1
    return "\n".join(rules) + "\n"


def test_loading_a_large_scenario_does_not_stall_other_requests(emulator):
    text = _large_scenario(900 * 1024)
    outcome: dict[str, object] = {}

    def load() -> None:
        outcome["result"] = put_scenario(emulator, text)
        outcome["done"] = time.monotonic()

    loader = threading.Thread(target=load)
    loader.start()
    slowest, answered = 0.0, 0
    while "done" not in outcome:
        started = time.monotonic()
        assert _healthy(emulator)
        slowest = max(slowest, time.monotonic() - started)
        answered += 1
        time.sleep(0.02)
    loader.join()
    status, body = outcome["result"]  # type: ignore[misc]
    assert status == 200 and body["rules"] > 5000, body
    assert answered >= 3 and slowest < 1.0, (answered, slowest)     # before: nothing answered for ~10 s
    admin(emulator, "DELETE", "/_emulator/scenario")


# 19. Damaged database rows ------------------------------------------------------------------------------------

def _damaged(tmp_path: Path, table: str, data: str) -> Path:
    db = tmp_path / "state.db"
    server = emulator_with(db)
    try:
        assert sms(Dysms(tea_config(server)), "13900001707").code == "OK"
    finally:
        server.stop()
    con = sqlite3.connect(db)
    with con:
        key = con.execute(f"SELECT key FROM {table} LIMIT 1").fetchone()[0]
        con.execute(f"UPDATE {table} SET data = ? WHERE key = ?", (data, key))
    con.close()
    return db


@pytest.mark.parametrize(("table", "data", "says"), [
    ("messages", "{not json", "table messages, key '1' is not JSON"),
    ("messages", '{"id": 1, "surprise": true}', "table messages, key '1' cannot be restored (TypeError"),
    ("jobs", "[1, 2]", "table jobs, key '0' cannot be restored (TypeError"),
])
def test_a_damaged_row_is_one_line_naming_the_database_and_the_row(tmp_path: Path, table: str, data: str, says: str):
    db = _damaged(tmp_path, table, data)
    cli = serve(tmp_path, "--db", str(db))
    with pytest.raises(AssertionError, match="exited 2"):
        cli.start(timeout=30)
    lines = cli.err.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"sms-emulator: the state database {db} is damaged: ") and says in lines[0], lines
    assert lines[0].endswith("repair or remove the file"), lines
