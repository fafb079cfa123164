"""Unit tests of the engine's semantics (the end-to-end behaviour is in the other test_scenarios_* files)."""

from __future__ import annotations

import random

from emulator.app import build_backend
from emulator.core.outcomes import Call
from emulator.scenarios.engine import ScenarioEngine
from emulator.scenarios.loader import parse_scenario
from emulator.scenarios.model import Distribution
from emulator.settings import Settings


def engine(text: str, **kw) -> ScenarioEngine:
    return ScenarioEngine(parse_scenario(text, **kw))


def call(action: str = "SendSms", provider: str = "dysms", phones: tuple[str, ...] = ("13900000001",),
         at: float = 0.0, **kw) -> Call:
    return Call(provider=provider, action=action, params=kw.pop("params", {}), account=kw.pop("account", "default"),
                phones=phones, received_at=at, **kw)


def test_each_aspect_is_decided_by_the_first_rule_that_speaks_about_it():
    e = engine("""
rules:
  - {match: {phone: "13900000001"}, then: {error: SYSTEM_ERROR}}
  - {match: {phone: "13900000001"}, then: {error: BUSINESS_LIMIT_CONTROL, latency: 1}}
  - {then: {latency: 2, delivery: {delay: 30}}}
  - {match: {phone: "13900000002"}, then: {delivery: {status: failed, err_code: "MK:0000"}}}
""")
    first = e.decide(call())
    assert (first.error, first.latency, first.rule) == ("SYSTEM_ERROR", 1.0, "rule 1")
    c = call(phones=("13900000002",))
    assert (e.decide(c).error, e.decide(c).latency) == (None, 2.0)
    plan = e.delivery(c, "13900000002")
    assert (plan.delivered, plan.err_code, plan.delay) == (False, "MK:0000", 30.0)


def test_per_number_aspects_apply_only_to_the_numbers_a_rule_names():
    e = engine("rules: [{match: {phone: '13900000002'}, then: {delivery: {status: failed}, card: unsupported}}]")
    batch = call(phones=("13900000001", "13900000002"))
    e.decide(batch)
    assert e.delivery(batch, "13900000001").delivered is True
    assert e.delivery(batch, "13900000002").delivered is False
    assert e.supports_card(batch, "13900000001") and not e.supports_card(batch, "13900000002")


def test_a_call_is_counted_once_however_often_the_provider_asks():
    e = engine("rules: [{match: {every: 2}, then: {delivery: {status: failed}}}]")
    calls = [call() for _ in range(4)]
    verdicts = []
    for c in calls:
        e.decide(c)
        verdicts.append([e.delivery(c, "13900000001").delivered for _ in range(3)])
    assert verdicts == [[True] * 3, [False] * 3, [True] * 3, [False] * 3]
    assert (e.calls, e.applied) == ([4], [2])


def test_err_code_is_kept_only_for_providers_that_report_it():
    e = engine("rules: [{match: {phone: '139*'}, then: {delivery: {status: failed, err_code: 'MA:0022'}}}]")
    for provider, expected in (("dysms", "MA:0022"), ("onecloud", "MA:0022")):
        c = call(provider=provider, action="Send" if provider == "onecloud" else "SendSms")
        assert e.delivery(c, "13900000001").err_code == expected
    e = engine("rules: [{then: {delivery: {status: failed, err_code: UNDELIV}}}]")
    c = call(provider="onecloud", action="Send")
    assert e.delivery(c, "13900000001").err_code is None           # 1oc reports its own default instead


def test_qps_counts_per_virtual_second_provider_and_account():
    e = engine("rules: [{then: {qps: 2}}]")
    at = 1000.2
    results = [e.decide(call(at=at)).error for _ in range(3)]
    assert results == [None, None, "Throttling.User"]
    assert e.decide(call(at=at, account="other")).error is None
    assert e.decide(call(provider="onecloud", action="Send", at=at)).error is None
    assert e.decide(call(at=at + 1)).error is None


def test_probability_without_a_backend_uses_the_scenarios_seed():
    text = "seed: 5\nrules: [{match: {probability: 0.5}, then: {error: SYSTEM_ERROR}}]"
    runs = []
    for _ in range(2):
        e = engine(text)
        runs.append([e.decide(call()).error for _ in range(20)])
    assert runs[0] == runs[1] and None in runs[0] and "SYSTEM_ERROR" in runs[0]


def test_normal_distributions_never_go_below_zero():
    rng = random.Random(1)
    assert min(Distribution("normal", 0.1, 5.0).draw(rng) for _ in range(200)) == 0.0
    assert 1.0 <= Distribution("uniform", 1.0, 2.0).draw(rng) <= 2.0


def test_account_settings_apply_while_loaded_and_survive_resets():
    backend = build_backend(Settings())
    e = backend.policy
    assert isinstance(e, ScenarioEngine)
    e.load(parse_scenario("accounts: {default: {balance: 2, limits: {dypns_daily: 1}}}"))
    account = backend.accounts.get("default")
    assert account.balance == 2 and account.limits["dypns_daily"] == 1
    assert account.limits["verification"] == {"minute": 1, "hour": 5, "day": 10}    # merged, not replaced
    account.balance = 0
    backend.reset("messages")                        # fresh fixture accounts, then the scenario's settings again
    assert backend.accounts.get("default").balance == 2
    e.load(parse_scenario("rules: []"))
    assert backend.accounts.get("default").balance == 100000
    assert backend.accounts.get("default").limits["dypns_daily"] == 10


def test_the_window_restarts_with_the_clock_on_a_full_reset():
    backend = build_backend(Settings())
    e = backend.policy
    e.load(parse_scenario("rules: [{match: {between: [null, 60]}, then: {error: SYSTEM_ERROR}}]"))
    backend.clock.advance(3600)
    assert e.decide(call(at=backend.clock.now())).error is None
    backend.reset("all")
    assert e.decide(call(at=backend.clock.now())).error == "SYSTEM_ERROR"


def test_the_schema_offers_exactly_the_faults_the_providers_can_inject():
    import json
    from pathlib import Path

    import emulator.scenarios
    from emulator.protocols.faults import FAULTS

    schema = json.loads((Path(emulator.scenarios.__file__).parent / "schema.json").read_text(encoding="utf-8"))
    enums = [node["enum"] for node in _walk(schema) if isinstance(node, dict) and "html_502" in node.get("enum", [])]
    assert enums and all(sorted(e) == sorted(FAULTS) for e in enums)


def _walk(node):
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from _walk(child)
