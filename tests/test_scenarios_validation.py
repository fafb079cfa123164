"""Scenario validation: every shipped scenario loads; every broken file gets one precise line naming
file:line:col, the path inside the document and what was expected; the `validate` CLI's exit codes; PUT refuses
broken bodies and keeps the scenario in force."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from emulator.scenarios.loader import ScenarioError, load_scenario_file, parse_scenario, schema
from tests.conftest import admin
from tests.scenario_helpers import put_scenario, scenario_state

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_the_library_has_every_promised_scenario():
    names = {p.stem for p in SHIPPED}
    assert {"default", "happy-path", "carrier-failures", "rate-limited", "slow-network", "flaky-callbacks",
            "expiring-credentials", "card-fallback", "balance-exhausted"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_scenario_validates_and_says_when_to_use_it(path: Path):
    scenario = load_scenario_file(path, seeded=False, accounts=["default"])
    assert scenario.name and scenario.description
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#") and ("When to use" in text or path.stem == "default")


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(schema())


# A dozen (and more) broken files, one precise message each ------------------------------------------------------

BROKEN = [
    ("yaml-syntax", 'rules:\n  - match: {phone: "13900000001"\n    then: {error: SYSTEM_ERROR}\n',
     "3:5: not valid YAML: expected ',' or '}', but got '<scalar>'"),
    ("unknown-key", 'rules:\n  - match: {phone: "13900000001"}\n    then: {eror: SYSTEM_ERROR}\n',
     "3:12: rules/0/then: unknown key ('eror' was unexpected); allowed: callback, card, delivery, error, fault, "
     "latency, limits, message, qps"),
    ("unknown-action", "rules:\n  - match: {provider: dysms, action: SendSmss}\n    then: {error: SYSTEM_ERROR}\n",
     "2:38: rules/0/match/action: 'SendSmss' is not an action of dysms (did you mean 'SendSms'?); expected one of "
     "AddShortUrl, AddSmsSign, AddSmsTemplate, CheckMobilesCardSupport, CreateSmsSign, CreateSmsTemplate, "
     "DeleteShortUrl, DeleteSmsSign, DeleteSmsTemplate, GetSmsSign, GetSmsTemplate, GetSmsTemplateList, "
     "ModifySmsSign, ModifySmsTemplate, QuerySendDetails, QuerySendStatistics, QueryShortUrl, QuerySmsSign, "
     "QuerySmsSignList, QuerySmsTemplate, QuerySmsTemplateList, SendBatchSms, SendCardSms, SendSms, UpdateSmsSign, "
     "UpdateSmsTemplate"),
    ("unknown-error", "rules:\n  - match: {provider: dysms}\n    then: {error: isv.MOBILE_NUMBER_ILEGAL}\n",
     "3:19: rules/0/then/error: 'isv.MOBILE_NUMBER_ILEGAL' is not an error code of dysms (did you mean "
     "'isv.MOBILE_NUMBER_ILLEGAL'?); expected a code (or alias) of the provider's error table, see the README"),
    ("error-of-another-provider", 'rules:\n  - match: {action: "Send*"}\n    then: {error: FREQUENCY_FAIL}\n',
     "3:19: rules/0/then/error: 'FREQUENCY_FAIL' is not an error code of dysms or onecloud (this rule also matches "
     "dysms SendBatchSms/SendCardSms/SendSms or onecloud Send; narrow it with `provider:` or `action:`); expected "
     "a code (or alias) of the provider's error table, see the README"),
    ("probability-without-seed",
     "rules:\n  - match: {action: SendSms, probability: 0.3}\n    then: {error: SYSTEM_ERROR}\n",
     "2:43: rules/0/match/probability: probability needs a repeatable random source: start the emulator with "
     "--seed N (SMS_EMULATOR_SEED), or give the scenario a top-level `seed:`"),
    ("bad-glob", 'rules:\n  - match: {phone: "1380000[0-9"}\n    then: {latency: 1}\n',
     "2:20: rules/0/match/phone: '1380000[0-9' is not a valid glob: a `[` has no closing `]`"),
    ("bad-fault", "rules:\n  - then: {fault: timeout}\n",
     "2:19: rules/0/then/fault: 'timeout' is not one of 'reset', 'empty', 'hang', 'html_502'"),
    ("receipt-code-of-another-provider",
     'rules:\n  - match: {provider: onecloud}\n    then:\n      delivery: {status: failed, err_code: "MN:0001"}\n',
     "4:44: rules/0/then/delivery/err_code: 'MN:0001' is not a failure receipt onecloud reports; expected a 1oc "
     "stat such as EXPIRED, REJECTED, MA:0001 ... MA:0044, MO:NNNN"),
    ("delivery-on-a-query",
     "rules:\n  - match: {action: QuerySendDetails}\n    then:\n      delivery: {status: failed}\n",
     "4:7: rules/0/then/delivery: delivery never applies to dysms QuerySendDetails; it applies to Send, "
     "SendBatchSms, SendCardSms, SendSms, SendSmsVerifyCode"),
    ("window-ends-first", 'rules:\n  - match: {between: ["+2h", "+1h"]}\n    then: {error: SYSTEM_ERROR}\n',
     "2:22: rules/0/match/between: the window ends before it starts; expected [start, end] with start < end"),
    ("bad-time", 'rules:\n  - match: {between: ["tomorrow", null]}\n    then: {error: SYSTEM_ERROR}\n',
     "2:23: rules/0/match/between/0: 'tomorrow' is neither an offset (90, '+30s', '+2h') nor an ISO 8601 time "
     "('2025-01-01T09:00:00+08:00')"),
    ("unknown-param", 'rules:\n  - match: {provider: onecloud, params: {mobile: "139*"}}\n    then: {error: 500}\n',
     "2:42: rules/0/match/params/mobile: 'mobile' is not a parameter of onecloud Send (did you mean 'module'?); "
     "expected one of action, code, file, mobphone, module, returnurl, smstemplate"),
    ("negative-latency", "rules:\n  - then: {latency: -1}\n",
     "2:21: rules/0/then/latency: -1 is less than the minimum of 0"),
    ("bad-phone", 'rules:\n  - match: {phone: "1380000000l"}\n    then: {error: SYSTEM_ERROR}\n',
     "2:20: rules/0/match/phone: '1380000000l' is not a phone number or a glob of one (digits, +, * ? [..])"),
    ("error-and-fault", "rules:\n  - then: {error: SYSTEM_ERROR, fault: reset}\n",
     "2:33: rules/0/then/fault: error and fault exclude each other: a request gets an answer or a network fault, "
     "not both"),
    ("unknown-account", "accounts:\n  defualt: {balance: 0}\n",
     "2:3: accounts/defualt: no account 'defualt'; expected one of the fixtures' accounts: default"),
    ("not-a-mapping", "- rules\n",
     "1:1: (top level): a scenario is a mapping with `name`, `description`, `seed`, `accounts`, `rules` and "
     "`reviews`; got a list"),
    ("first-zero", "rules:\n  - match: {first: 0}\n    then: {error: SYSTEM_ERROR}\n",
     "2:20: rules/0/match/first: 0 is less than the minimum of 1"),
    ("bad-provider", "rules:\n  - match: {provider: aliyun}\n    then: {error: SYSTEM_ERROR}\n",
     "2:23: rules/0/match/provider: 'aliyun' is not a provider; expected dysms, dypns or onecloud"),
    ("card-where-it-never-applies", "rules:\n  - match: {provider: dypns}\n    then: {card: unsupported}\n",
     "3:12: rules/0/then/card: card never applies to any dypns action; it applies to CheckMobilesCardSupport, "
     "SendCardSms"),
    ("bad-duration", "rules:\n  - then: {delivery: {delay: 5 minutes}}\n",
     "2:30: rules/0/then/delivery/delay: '5 minutes' is not a duration; expected seconds or 250ms, 30s, 5m, 2h, 1d"),
    ("err-code-on-delivered", "rules:\n  - then: {delivery: {status: delivered, err_code: 'MN:0001'}}\n",
     "2:42: rules/0/then/delivery/err_code: err_code is the receipt of a failed delivery; expected `status: "
     "failed` with it"),
    ("message-without-error", "rules:\n  - then: {latency: 1, message: hello}\n",
     "2:24: rules/0/then/message: message overrides the text of an error; expected an `error` too"),
    ("latency-too-long", "rules:\n  - then: {latency: 2h}\n",
     "2:21: rules/0/then/latency: latency up to 7200 s; expected at most 600 s (for answers that never come use "
     "`fault: hang`)"),
    ("limits-on-1oc", "rules:\n  - match: {provider: onecloud}\n    then: {limits: {dypns_daily: 1}}\n",
     "3:12: rules/0/then/limits: limits (frequency control) never applies to onecloud Send; it applies to "
     "SendBatchSms, SendCardSms, SendSms, SendSmsVerifyCode"),
    ("empty", "# nothing here\n", "1:1: (top level): the scenario is empty; expected a mapping with a `rules` list"),
]


@pytest.mark.parametrize(("name", "text", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_file_gets_one_precise_message(tmp_path: Path, name: str, text: str, expected: str):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario_file(path, seeded=False, accounts=["default"])
    assert info.value.problems == [f"{path}:{expected}"]


def test_all_problems_of_a_file_are_reported_together():
    text = "rules:\n  - then: {error: NOPE}\n  - match: {action: Sned}\n    then: {latency: 1}\n"
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "two.yaml")
    assert [p.split(": ")[0:2] for p in info.value.problems] == [["two.yaml:2:19", "rules/0/then/error"],
                                                                 ["two.yaml:3:21", "rules/1/match/action"]]


def test_probability_is_fine_with_a_seed_either_way():
    text = "rules: [{match: {probability: 0.5}, then: {latency: 1}}]"
    assert parse_scenario(text, seeded=True).rules[0].probability == 0.5
    assert parse_scenario("seed: 4\n" + text).seed == 4


def test_unquoted_yaml_values_are_accepted():
    scenario = parse_scenario("rules:\n  - match: {provider: onecloud, phone: 13900000001, template: 1001, between: "
                              "[2030-01-01 08:00:00, null]}\n    then: {error: 421}\n")
    rule = scenario.rules[0]
    assert rule.match.phones("13900000001") and rule.match.templates("1001")
    assert rule.match.window[0].seconds == 1893456000.0        # 08:00 China time = 00:00 UTC


# The validate command ------------------------------------------------------------------------------------------

def run_validate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "emulator", "validate", *args], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})


def test_validate_cli_exits_0_for_the_library():
    result = run_validate(*map(str, SHIPPED))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == len(SHIPPED)
    assert "scenarios/default.yaml: ok (default, 16 rules)" in result.stdout


def test_validate_cli_exits_1_with_one_line_per_problem(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - then: {error: NOPE}\n  - match: {probability: 0.5}\n    then: {latency: 1}\n")
    result = run_validate(str(bad), str(SHIPPED[0]))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{bad}:2:19: rules/0/then/error: 'NOPE' is not an error code")
    assert lines[1].startswith(f"{bad}:3:26: rules/1/match/probability: probability needs")
    assert result.stdout.startswith(f"{SHIPPED[0]}: ok")
    seeded = run_validate("--seed", "7", str(bad))
    assert seeded.returncode == 1 and len(seeded.stderr.splitlines()) == 1


def test_validate_cli_reports_unreadable_files_and_bad_fixtures(tmp_path: Path):
    missing = run_validate(str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    broken_fixtures = tmp_path / "fx"
    broken_fixtures.mkdir()
    (broken_fixtures / "accounts.yaml").write_text("accounts: 3\n")
    result = run_validate("--fixtures", str(broken_fixtures), str(SHIPPED[0]))
    assert result.returncode == 2 and "accounts.yaml" in result.stderr


def test_validate_cli_checks_account_names_against_the_fixtures(tmp_path: Path):
    fixtures = tmp_path / "fx"
    fixtures.mkdir()
    (fixtures / "accounts.yaml").write_text("accounts:\n  - name: shop\n    access_keys: [{id: a, secret: b}]\n")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("accounts: {shop: {balance: 0}}\n")
    assert run_validate("--fixtures", str(fixtures), str(scenario)).returncode == 0
    assert run_validate(str(scenario)).returncode == 1


# PUT refuses broken scenarios, keeps the old one ----------------------------------------------------------------

def test_put_with_a_broken_body_is_refused_with_the_problems(emulator):
    before = scenario_state(emulator)["name"]
    status, body = put_scenario(emulator, "rules:\n  - then: {error: NOPE}\n")
    assert status == 400
    assert body["problems"] == ["<PUT /_emulator/scenario>:2:19: rules/0/then/error: 'NOPE' is not an error code "
                                "of dysms, dypns or onecloud; expected a code (or alias) of the provider's error "
                                "table, see the README"]
    status, body = put_scenario(emulator, "rules: [{match: {probability: 0.1}, then: {latency: 1}}]")
    assert status == 400 and "--seed" in body["problems"][0]      # the shared test emulator runs unseeded
    assert put_scenario(emulator, "")[0] == 400
    assert scenario_state(emulator)["name"] == before


def test_put_accepts_json_too(scenario, emulator):
    body = {"name": "from-json", "rules": [{"match": {"phone": "13900000001"}, "then": {"error": "SYSTEM_ERROR"}}]}
    status, answer = put_scenario(emulator, json.dumps(body, indent="\t"), content_type="application/json")
    assert status == 200, answer
    state = scenario_state(emulator)
    assert state["name"] == "from-json" and state["document"] == body
    status, answer = put_scenario(emulator, "{not json", content_type="application/json")
    assert status == 400 and "not valid JSON" in answer["problems"][0]
    admin(emulator, "DELETE", "/_emulator/scenario")
    assert scenario_state(emulator)["name"] == "default"


# The documentation's examples are valid scenarios ----------------------------------------------------------------

def _yaml_blocks(path: Path) -> list[str]:
    import re

    return re.findall(r"```yaml\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def test_the_readme_example_validates():
    [example] = [b for b in _yaml_blocks(ROOT / "README.md") if b.startswith("name: checkout-tests")]
    assert len(parse_scenario(example, "README.md").rules) == 4


def test_the_recipes_validate():
    recipes = _yaml_blocks(ROOT / "scenarios" / "README.md")[-1]
    text = "seed: 1\nrules:\n" + "".join(f"  {line}\n" if line else "\n" for line in recipes.splitlines())
    assert len(parse_scenario(text, "recipes").rules) == 5


def test_a_library_scenario_can_be_named_without_its_path(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_scenario_file("slow-network").name == "slow-network"
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario_file("no-such-scenario")
