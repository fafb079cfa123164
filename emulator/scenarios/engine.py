"""The scenario engine: ordered rules, first match wins, per aspect.

A rule matches a `Call` (provider, action, phone ...) and says something about one or more aspects of the
outcome: the answer (`error`, `latency`, `fault`), the delivery of each message, card support. For each
aspect the first matching rule that speaks about it decides; a rule that only sets a delivery result does
not stop a later rule from choosing the latency.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

from emulator.core.outcomes import Call, Decision, DeliveryPlan

DEFAULT_DELIVERY_DELAY = 3.0


class Pattern:
    """Exact values and globs (`Send*`, `138*`), compiled once: matching runs for every request."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self._exact = frozenset(p for p in patterns if not _is_glob(p))
        globs = [fnmatch.translate(p) for p in patterns if _is_glob(p)]
        self._glob = re.compile("|".join(globs)) if globs else None

    def __call__(self, value: str) -> bool:
        return value in self._exact or (self._glob is not None and self._glob.match(value) is not None)


def _is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


@dataclass
class Match:
    providers: frozenset[str] | None = None
    actions: Pattern | None = None
    phones: Pattern | None = None

    def matches(self, call: Call, phone: str | None = None) -> bool:
        if self.providers is not None and call.provider not in self.providers:
            return False
        if self.actions is not None and not self.actions(call.action):
            return False
        if self.phones is not None:
            candidates = (phone,) if phone is not None else call.phones
            if not any(self.phones(p) for p in candidates):
                return False
        return True


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
