"""A loaded scenario as plain objects: what each rule matches and what it says about the outcome.

Everything here is immutable after loading and compiled for the hot path (globs become one regular
expression per condition); the mutable part of a scenario — counters, the random source, the window's start
— lives in the engine, so reloading or resetting never has to rebuild a rule.
"""

from __future__ import annotations

import fnmatch
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from emulator.core.outcomes import Call


class Pattern:
    """Exact values and globs (`Send*`, `138*`), compiled once: matching runs for every request."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self._exact = frozenset(p for p in patterns if not is_glob(p))
        globs = [fnmatch.translate(p) for p in patterns if is_glob(p)]
        self._glob = re.compile("|".join(globs)) if globs else None

    def __call__(self, value: str | None) -> bool:
        if value is None:
            return False
        return value in self._exact or (self._glob is not None and self._glob.match(value) is not None)

    @property
    def exact_values(self) -> frozenset[str] | None:
        """Every value this pattern matches, when it has no glob; None when it has one."""
        return self._exact if self._glob is None else None

    def __repr__(self) -> str:
        return f"Pattern({', '.join(self.patterns)})"


def is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


@dataclass(frozen=True)
class Distribution:
    """A duration that is fixed or drawn per use: `fixed` (a), `uniform` (a..b) or `normal` (mean a, stddev b)."""

    kind: str
    a: float
    b: float = 0.0

    def draw(self, rng: random.Random) -> float:
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b)
        if self.kind == "normal":
            return max(0.0, rng.gauss(self.a, self.b))
        return self.a

    @property
    def upper(self) -> float:
        """The largest value it plausibly yields (mean + 4 stddev for normal), for sanity checks."""
        return {"uniform": self.b, "normal": self.a + 4 * self.b}.get(self.kind, self.a)


@dataclass(frozen=True)
class Moment:
    """A bound of a time window: an absolute virtual epoch, or seconds after the scenario's start."""

    seconds: float
    relative: bool

    def at(self, start: float) -> float:
        return start + self.seconds if self.relative else self.seconds


@dataclass
class Match:
    """Conditions on the call itself; all given ones must hold (a list means any of its values)."""

    providers: frozenset[str] | None = None
    actions: Pattern | None = None
    phones: Pattern | None = None
    signs: Pattern | None = None
    templates: Pattern | None = None
    accounts: Pattern | None = None
    params: dict[str, Pattern] = field(default_factory=dict)
    window: tuple[Moment | None, Moment | None] | None = None

    def matches(self, call: Call, start: float) -> bool:
        if self.providers is not None and call.provider not in self.providers:
            return False
        if self.actions is not None and not self.actions(call.action):
            return False
        if self.phones is not None and not any(self.phones(p) for p in call.phones):
            return False
        if self.signs is not None and not any(self.signs(s) for s in call.signs):
            return False
        if self.templates is not None and not self.templates(call.template):
            return False
        if self.accounts is not None and not (self.accounts(call.account) or self.accounts(call.credential)):
            return False
        for name, pattern in self.params.items():
            if not pattern(call.params.get(name)):
                return False
        if self.window is not None:
            begin, end = self.window
            if begin is not None and call.received_at < begin.at(start):
                return False
            if end is not None and call.received_at >= end.at(start):
                return False
        return True

    def phone_matches(self, phone: str) -> bool:
        """Per-number aspects (delivery, callback, card) apply to the numbers the rule names, not the whole call."""
        return self.phones is None or self.phones(phone)


@dataclass(frozen=True)
class DeliverySpec:
    delivered: bool | None = None          # None: the rule only sets the delay
    err_codes: Mapping[str, str] = field(default_factory=dict)   # provider -> receipt code it can report
    delay: Distribution | None = None


@dataclass(frozen=True)
class CallbackSpec:
    delay: Distribution | None = None
    fail_first: int = 0


@dataclass
class Rule:
    index: int
    name: str
    match: Match
    # Which calls of those matching count (n-th call, probability) --------------------------------------------
    first: int | None = None
    every: int | None = None
    after: int | None = None
    probability: float | None = None
    # Outcomes, one aspect each -------------------------------------------------------------------------------
    error: str | None = None
    message: str | None = None
    fault: str | None = None
    latency: Distribution | None = None
    qps: int | None = None
    limits: dict[str, Any] | None = None
    delivery: DeliverySpec | None = None
    callback: CallbackSpec | None = None
    card: bool | None = None
    #: the rule as written (for GET /_emulator/scenario)
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def counted(self) -> bool:
        return self.first is not None or self.every is not None or self.after is not None

    def nth_holds(self, count: int) -> bool:
        """Whether the `count`-th call matching this rule's conditions is one the rule applies to."""
        if self.first is not None and count > self.first:
            return False
        if self.after is not None and count <= self.after:
            return False
        return self.every is None or count % self.every == 0


@dataclass(frozen=True)
class AccountOverride:
    """Account settings a scenario imposes while it is loaded (balance, qps, limits, functions)."""

    name: str
    fields: Mapping[str, Any]


@dataclass
class Scenario:
    name: str
    rules: list[Rule] = field(default_factory=list)
    description: str = ""
    source: str = "<built-in>"
    seed: int | None = None
    accounts: list[AccountOverride] = field(default_factory=list)
    #: `ReviewRule`s (emulator.scenarios.reviews): who decides template and sign reviews
    reviews: list[Any] = field(default_factory=list)
    text: str = ""
    document: Any = None

    def candidates(self, phones: Iterable[str]) -> list[Rule]:
        """The rules that can match a call to `phones`, in order: every rule that names exact numbers is
        filed under them, so the usual call, to a number no rule names, looks at none of the magic-number
        rules (a library scenario has a dozen) and only at the rules that match any number."""
        by_phone, unindexed = self._phone_index
        if not by_phone:
            return unindexed
        found = {rule.index: rule for phone in phones for rule in by_phone.get(phone, ())}
        if not found:
            return unindexed
        found.update((rule.index, rule) for rule in unindexed)
        return [found[index] for index in sorted(found)]

    @cached_property
    def _phone_index(self) -> tuple[dict[str, list[Rule]], list[Rule]]:
        by_phone: dict[str, list[Rule]] = {}
        unindexed: list[Rule] = []
        for rule in self.rules:
            numbers = rule.match.phones.exact_values if rule.match.phones is not None else None
            if numbers is None:
                unindexed.append(rule)
            for number in numbers or ():
                by_phone.setdefault(number, []).append(rule)
        return by_phone, unindexed
