"""The scenario engine: ordered rules, first match wins, per aspect.

A rule matches a `Call` (provider, action, phone ...) and says something about one or more aspects of the
outcome: the answer (`error`, `latency`, `fault`), the delivery of each message, card support. For each
aspect the first matching rule that speaks about it decides; a rule that only sets a delivery result does
not stop a later rule from choosing the latency.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from emulator.core.outcomes import Call, Decision, DeliveryPlan

DEFAULT_DELIVERY_DELAY = 3.0


@dataclass
class Match:
    providers: frozenset[str] | None = None
    actions: tuple[str, ...] | None = None        # names or globs (`Send*`)
    phones: tuple[str, ...] | None = None         # exact numbers or globs (`138*`)

    def matches(self, call: Call, phone: str | None = None) -> bool:
        if self.providers is not None and call.provider not in self.providers:
            return False
        if self.actions is not None and not any(fnmatch.fnmatchcase(call.action, a) for a in self.actions):
            return False
        if self.phones is not None:
            candidates = (phone,) if phone is not None else call.phones
            if not any(_phone_matches(p, self.phones) for p in candidates):
                return False
        return True


def _phone_matches(phone: str, patterns: tuple[str, ...]) -> bool:
    return any(phone == p or fnmatch.fnmatchcase(phone, p) for p in patterns)


@dataclass
class Rule:
    name: str
    match: Match
    error: str | None = None
    message: str | None = None
    latency: float | None = None
    fault: str | None = None
    delivery: dict[str, Any] | None = None
    card: bool | None = None

    @property
    def shapes_answer(self) -> bool:
        return self.error is not None or self.latency is not None or self.fault is not None


@dataclass
class Scenario:
    name: str
    rules: list[Rule] = field(default_factory=list)
    description: str = ""
    source: str = "<built-in>"


class ScenarioEngine:
    """Implements `OutcomePolicy` over a `Scenario`; swap the scenario at run time with `load`."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def load(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def reset(self) -> None:
        """Counters of n-th-call rules start over (nothing else is stateful)."""

    def decide(self, call: Call) -> Decision:
        for rule in self.scenario.rules:
            if rule.shapes_answer and rule.match.matches(call):
                return Decision(error=rule.error, message=rule.message, latency=rule.latency or 0.0,
                                fault=rule.fault, rule=rule.name)
        return Decision()

    def delivery(self, call: Call, phone: str) -> DeliveryPlan:
        for rule in self.scenario.rules:
            if rule.delivery is not None and rule.match.matches(call, phone):
                spec = rule.delivery
                return DeliveryPlan(delivered=spec.get("status", "delivered") == "delivered",
                                    err_code=spec.get("err_code"),
                                    delay=float(spec.get("delay", DEFAULT_DELIVERY_DELAY)))
        return DeliveryPlan(delay=DEFAULT_DELIVERY_DELAY)

    def supports_card(self, call: Call, phone: str) -> bool:
        for rule in self.scenario.rules:
            if rule.card is not None and rule.match.matches(call, phone):
                return rule.card
        return True
