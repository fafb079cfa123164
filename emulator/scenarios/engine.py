"""The scenario engine: the `OutcomePolicy` every provider asks what happens to a call.

Rules are tried in order and, **for each aspect of the outcome, the first matching rule that speaks about it
decides**. The aspects are: the reply (`error`, `fault`, or a `qps` override that throttles), `latency`,
`limits`, the delivery status (with its `err_code`), the delivery delay, the callback delay, the callback
`fail_first`, and `card`. So a rule that only sets a delivery result does not stop a later catch-all rule from
adding latency, and a magic-number error near the top wins over a probabilistic error further down.

A call is evaluated once, when the provider first asks (`decide`): every rule whose conditions hold counts the
call (`first`/`every`/`after` read that count), draws its `probability`, and the rules that apply are
remembered on the call itself, so the later per-number questions (`delivery`, `supports_card`) see the same
rules and no counter moves twice. Nothing here awaits: providers ask synchronously on the event loop, so
concurrent requests can never race on a counter.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any

from emulator.core.outcomes import Call, Decision, DeliveryPlan
from emulator.scenarios.catalog import facts
from emulator.scenarios.model import Rule, Scenario
from emulator.scenarios.reviews import first_ruling

if TYPE_CHECKING:
    from emulator.core.accounts import Account
    from emulator.core.backend import Backend
    from emulator.core.catalogue import Item, Ruling

DEFAULT_DELIVERY_DELAY = 3.0


class ScenarioEngine:
    """Implements `OutcomePolicy` over a `Scenario`; swap the scenario at run time with `load`."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._backend: Backend | None = None
        self._overridden: list[tuple[Account, str, Any]] = []
        self._fallback_rng = random.Random()
        self._fresh_state()

    # Lifecycle ----------------------------------------------------------------------------------------------

    def attach(self, backend: Backend) -> None:
        """Use the backend's clock and seeded random source, and keep the scenario's account settings in force."""
        self._backend = backend
        backend.on_reset(self._apply_accounts)   # runs after a reset restored the fixture accounts
        backend.catalogue.reviewer = self.review
        self._fresh_state()
        self._apply_accounts()

    def load(self, scenario: Scenario) -> None:
        """Swap the scenario: fresh counters, the old account settings undone and the new ones applied."""
        self._restore_accounts()
        self.scenario = scenario
        self._fresh_state()
        self._apply_accounts()

    def reset(self) -> None:
        """The scenario starts over: counters, the `between` window's start, its own random sequence."""
        self._fresh_state()
        self._apply_accounts()

    def _fresh_state(self) -> None:
        rules = self.scenario.rules
        self.calls = [0] * len(rules)          # calls that met each rule's conditions
        self.applied = [0] * len(rules)        # ... and that its first/every/after/probability let through
        self.reviewed = [0] * len(self.scenario.reviews)   # applications each review rule decided
        self._qps: dict[tuple[int, str, str], tuple[int, int]] = {}
        self._own_rng = random.Random(self.scenario.seed) if self.scenario.seed is not None else None
        self.started_at = self._now()
        self._generation = object()            # evaluations made before a reload or reset are stale

    def _now(self) -> float:
        return self._backend.clock.now() if self._backend is not None else time.time()

    @property
    def rng(self) -> random.Random:
        """The scenario's own seeded source, else the backend's (repeatable with `--seed`)."""
        if self._own_rng is not None:
            return self._own_rng
        return self._backend.ids.rng if self._backend is not None else self._fallback_rng

    # OutcomePolicy ----------------------------------------------------------------------------------------

    def decide(self, call: Call) -> Decision:
        decision = Decision()
        reply = latency = limits = False
        for rule in self._evaluate(call):
            if not reply and (rule.error is not None or rule.fault is not None):
                decision.error, decision.message, decision.fault = rule.error, rule.message, rule.fault
                decision.rule, reply = rule.name, True
            elif not reply and rule.qps is not None and self._over_qps(rule, call):
                decision.error = facts()[call.provider].throttle_code
                decision.rule, reply = rule.name, True
            if not latency and rule.latency is not None:
                decision.latency, latency = rule.latency.draw(self.rng), True
                decision.rule = decision.rule or rule.name
            if not limits and rule.limits is not None:
                decision.limits, limits = dict(rule.limits), True
        return decision

    def delivery(self, call: Call, phone: str) -> DeliveryPlan:
        plan = DeliveryPlan(delay=DEFAULT_DELIVERY_DELAY)
        status = delay = callback_delay = fail_first = False
        for rule in self._evaluate(call):
            if not rule.match.phone_matches(phone):
                continue
            spec = rule.delivery
            if spec is not None:
                if not status and spec.delivered is not None:
                    plan.delivered, plan.err_code, status = spec.delivered, spec.err_codes.get(call.provider), True
                if not delay and spec.delay is not None:
                    plan.delay, delay = spec.delay.draw(self.rng), True
            callback = rule.callback
            if callback is not None:
                if not callback_delay and callback.delay is not None:
                    plan.callback_delay, callback_delay = callback.delay.draw(self.rng), True
                if not fail_first and callback.fail_first:
                    plan.callback_failures, fail_first = callback.fail_first, True
        return plan

    def supports_card(self, call: Call, phone: str) -> bool:
        for rule in self._evaluate(call):
            if rule.card is not None and rule.match.phone_matches(phone):
                return rule.card
        return True

    # Evaluation ---------------------------------------------------------------------------------------------

    def _evaluate(self, call: Call) -> list[Rule]:
        """The rules that apply to `call`, worked out (and counted) once per call and scenario state."""
        memo = call.evaluation
        if memo is not None and memo[0] is self._generation:
            return memo[1]
        applying = []
        for rule in self.scenario.candidates(call.phones):
            if not rule.match.matches(call, self.started_at):
                continue
            self.calls[rule.index] += 1
            if rule.counted and not rule.nth_holds(self.calls[rule.index]):
                continue
            if rule.probability is not None and self.rng.random() >= rule.probability:
                continue
            self.applied[rule.index] += 1
            applying.append(rule)
        call.evaluation = (self._generation, applying)
        return applying

    def _over_qps(self, rule: Rule, call: Call) -> bool:
        """Calls this rule matched in the current virtual second, per provider and account, beyond its `qps`."""
        key = (rule.index, call.provider, call.account)
        second = int(call.received_at)
        seen_second, count = self._qps.get(key, (second, 0))
        count = count + 1 if seen_second == second else 1
        self._qps[key] = (second, count)
        return rule.qps is not None and count > rule.qps

    # Account settings ---------------------------------------------------------------------------------------

    def _apply_accounts(self) -> None:
        """Impose the scenario's `accounts:` settings, remembering what they replaced."""
        if self._backend is None:
            return
        self._restore_accounts()
        for override in self.scenario.accounts:
            account = self._backend.accounts.get(override.name)
            if account is None:
                continue
            for name, value in override.fields.items():
                current = getattr(account, name)
                self._overridden.append((account, name, current))
                if name in ("limits", "functions"):
                    value = {**(current or {}), **value}
                setattr(account, name, value)

    def _restore_accounts(self) -> None:
        """Undo `_apply_accounts` on accounts still registered (a reset replaces them with fresh fixture copies)."""
        backend = self._backend
        for account, name, value in reversed(self._overridden):
            if backend is not None and backend.accounts.get(account.name) is account:
                setattr(account, name, value)
        self._overridden.clear()

    # Inspection ---------------------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The loaded scenario and how often each rule met its conditions and applied."""
        scenario = self.scenario
        return {
            "name": scenario.name, "description": scenario.description, "source": scenario.source,
            "seed": scenario.seed, "started_at": self.started_at,
            "accounts": {o.name: dict(o.fields) for o in scenario.accounts},
            "rules": [{"index": r.index, "name": r.name, "calls": self.calls[r.index],
                       "applied": self.applied[r.index], **r.source} for r in scenario.rules],
            "reviews": [{"index": r.index, "name": r.name, "applied": self.reviewed[r.index], **r.source}
                        for r in scenario.reviews],
        }

    def review(self, account: str, kind: str, item: Item) -> Ruling | None:
        """The catalogue's `reviewer`: the first review rule that holds decides the application."""
        found = first_ruling(self.scenario.reviews, account, kind, item)
        if found is None:
            return None
        index, ruling = found
        self.reviewed[index] += 1
        return ruling
