"""The scenario at run time: GET/PUT/DELETE, resets, hot reload of the --scenario file, --seed, start-up errors,
and counters that stay exact under concurrent requests."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alibabacloud_dysmsapi20170525.client import Client

from emulator.admin import scenario_api
from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.conftest import admin, advance, messages, tea_config
from tests.scenario_helpers import applied, scenario_state, sms
from tests.test_onecloud import onecloud, send_query

ROOT = Path(__file__).resolve().parents[1]


# Inspection, swapping and resetting --------------------------------------------------------------------------------

def test_get_shows_the_scenario_and_how_often_each_rule_applied(scenario, dysms, emulator):
    text = "name: counted\nrules:\n  - {name: two firsts, match: {phone: '139000011*', first: 2}, " \
           "then: {error: SYSTEM_ERROR}}\n"
    assert scenario(text) == {"loaded": "counted", "rules": 1, "source": "<PUT /_emulator/scenario>"}
    for i in range(3):
        sms(dysms, f"1390000110{i}")
    state = scenario_state(emulator)
    assert state["name"] == "counted" and state["source"] == "<PUT /_emulator/scenario>"
    [rule] = state["rules"]
    assert (rule["name"], rule["calls"], rule["applied"]) == ("two firsts", 3, 2)
    assert rule["match"] == {"phone": "139000011*", "first": 2}
    with urllib.request.urlopen(f"{emulator.url}/_emulator/scenario?format=yaml", timeout=10) as resp:
        assert resp.read().decode() == text


def test_reset_of_the_scenario_keeps_messages_and_reset_of_messages_keeps_counters(scenario, dysms, emulator):
    scenario("rules: [{match: {phone: '139000012*', first: 1}, then: {error: SYSTEM_ERROR}}]")
    assert [sms(dysms, p).code for p in ("13900001201", "13900001202")] == ["isp.SYSTEM_ERROR", "OK"]
    admin(emulator, "POST", "/_emulator/reset?what=messages")
    assert applied(emulator) == [1] and messages(emulator) == []
    assert sms(dysms, "13900001203").code == "OK"
    admin(emulator, "POST", "/_emulator/reset?what=scenario")
    assert applied(emulator) == [0] and len(messages(emulator)) == 1
    assert sms(dysms, "13900001204").code == "isp.SYSTEM_ERROR"


def test_delete_goes_back_to_the_startup_scenario(scenario, dysms, emulator):
    scenario("rules: []")
    assert sms(dysms, "13800000001").code == "OK"              # no magic numbers in an empty scenario
    status, body = admin(emulator, "DELETE", "/_emulator/scenario")
    assert status == 200 and body["loaded"] == "default"
    assert sms(dysms, "13800000002").code == "isv.BUSINESS_LIMIT_CONTROL"


# Hot reload of the --scenario file -------------------------------------------------------------------------------

FIRST = "name: first\nrules: [{match: {phone: '13900001301'}, then: {error: SYSTEM_ERROR}}]\n"
SECOND = "name: second\nrules: [{match: {phone: '13900001301'}, then: {error: BUSINESS_LIMIT_CONTROL}}]\n"


def _wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_the_scenario_file_is_reloaded_when_it_changes(tmp_path: Path, monkeypatch, caplog):
    monkeypatch.setattr(scenario_api, "POLL_SECONDS", 0.1)
    path = tmp_path / "live.yaml"
    path.write_text(FIRST, encoding="utf-8")
    with EmulatorServer(Settings(port=0, quiet=True, scenario=str(path))) as server:
        client = Client(tea_config(server))
        assert sms(client, "13900001301").code == "isp.SYSTEM_ERROR"
        path.write_text(SECOND, encoding="utf-8")
        assert _wait_until(lambda: scenario_state(server)["name"] == "second")
        assert sms(client, "13900001301").code == "isv.BUSINESS_LIMIT_CONTROL"

        with caplog.at_level(logging.WARNING, logger="sms_emulator.scenario"):
            path.write_text(SECOND.replace("BUSINESS_LIMIT_CONTROL", "NO_SUCH_CODE"), encoding="utf-8")
            assert _wait_until(lambda: "not a valid scenario" in caplog.text)
        assert f"{path}:2:55: rules/0/then/error: 'NO_SUCH_CODE'" in caplog.text
        assert scenario_state(server)["name"] == "second"          # the broken edit changed nothing
        assert sms(client, "13900001301").code == "isv.BUSINESS_LIMIT_CONTROL"

        path.write_text(FIRST, encoding="utf-8")                     # fixed again: picked up
        assert _wait_until(lambda: scenario_state(server)["name"] == "first")
        assert admin(server, "DELETE", "/_emulator/scenario")[1]["loaded"] == "first"   # startup = the file


def test_a_broken_scenario_file_stops_the_start_with_its_problem(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("rules:\n  - then: {fault: crash}\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "emulator", "--port", "0", "--scenario", str(path)],
                            capture_output=True, text=True, timeout=60, cwd=ROOT,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    assert f"{path}:2:19: rules/0/then/fault: 'crash' is not one of" in result.stderr


# --seed makes probability (and every draw) repeatable --------------------------------------------------------------

PROBABLE = "rules: [{match: {action: Send, probability: 0.5}, then: {error: SYSTEM_ERROR}}]\n"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("seeded") / "probable.yaml"
    path.write_text(PROBABLE, encoding="utf-8")
    with EmulatorServer(Settings(port=0, quiet=True, seed=42, scenario=str(path))) as server:
        yield server


def _pattern(server: EmulatorServer) -> list[int]:
    return [onecloud(server, send_query(mobphone=f"139000014{i:02d}"))[1]["code"] for i in range(20)]


def test_probability_follows_the_servers_seed(seeded):
    admin(seeded, "POST", "/_emulator/reset?what=all")
    first = _pattern(seeded)
    assert set(first) == {200, 500}
    admin(seeded, "POST", "/_emulator/reset?what=all")
    assert _pattern(seeded) == first
    with EmulatorServer(Settings(port=0, quiet=True, seed=42, scenario=seeded.settings.scenario)) as twin:
        assert _pattern(twin) == first                              # another process, same seed, same run


def test_a_seeded_server_accepts_probability_over_put(seeded):
    status, _ = admin(seeded, "GET", "/_emulator/scenario")
    assert status == 200
    from tests.scenario_helpers import put_scenario

    status, body = put_scenario(seeded, PROBABLE.replace("0.5", "0.25"))
    assert status == 200, body
    admin(seeded, "DELETE", "/_emulator/scenario")


# Counters under concurrent requests --------------------------------------------------------------------------------

CONCURRENT = """
rules:
  - {match: {action: SendSms, first: 10}, then: {error: SYSTEM_ERROR}}
  - {match: {provider: onecloud, every: 4}, then: {error: SYSTEM_ERROR}}
  - {match: {action: SendSms, every: 3}, then: {delivery: {status: failed}}}
  - {then: {latency: 20ms}}
"""


def test_counters_are_exact_under_concurrent_sends(scenario, emulator):
    scenario(CONCURRENT)
    clients = [Client(tea_config(emulator)) for _ in range(12)]

    def send_sms(i: int) -> str:
        return sms(clients[i % len(clients)], f"1390002{i:04d}").code

    def send_1oc(i: int) -> int:
        return onecloud(emulator, send_query(mobphone=f"1390003{i:04d}"))[1]["code"]

    with ThreadPoolExecutor(max_workers=24) as pool:
        sms_codes = list(pool.map(send_sms, range(60)))
        onecloud_codes = list(pool.map(send_1oc, range(60)))
    assert sms_codes.count("isp.SYSTEM_ERROR") == 10 and sms_codes.count("OK") == 50
    assert onecloud_codes.count(500) == 15 and onecloud_codes.count(200) == 45
    state = scenario_state(emulator)["rules"]
    assert [(r["calls"], r["applied"]) for r in state[:3]] == [(60, 10), (60, 15), (60, 20)]
    advance(emulator, 5)
    # Both rules count the same calls in the same order: calls 1-10 were refused, so of the delivery rule's every
    # 3rd call (3, 6 ... 60) those from 12 on were accepted: 17 failed messages, although the calls interleaved
    # while they waited out their latency between the decision and the delivery plan.
    failed = [m for m in messages(emulator, provider="dysms") if m["status"] == "failed"]
    assert len(failed) == 17 and len(messages(emulator, provider="dysms")) == 50
