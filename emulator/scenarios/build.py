"""From a schema-valid scenario document to `Rule`s, with the checks a JSON Schema cannot make.

The schema knows shapes; this pass knows the providers: an action the matched provider does not have, an
error code it never sends, a receipt code it never reports, an outcome that can never apply (a delivery on a
query action), probability without a repeatable random source, a malformed glob or time. Each problem is one
line naming file, line and column, the path inside the document, and what was expected; all problems of a
file are collected so one run of `sms-emulator validate` shows them all.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from emulator.core.phones import parse_phone
from emulator.core.yamlsource import YamlDocument
from emulator.scenarios.catalog import PROVIDERS, all_codes, facts
from emulator.scenarios.model import (
    AccountOverride,
    CallbackSpec,
    DeliverySpec,
    Distribution,
    Match,
    Moment,
    Pattern,
    Rule,
    is_glob,
)

#: Latency is real time the client waits; longer than this is a hang, which `fault: hang` says honestly.
MAX_LATENCY = 600.0
#: Any duration (a delivery or report delay on the virtual clock): a year is already "never" for a test, and
#: bounded times stay printable and finite however far the clock has been moved.
MAX_DURATION = 365 * 86400.0
#: An offset of `between` from the scenario's start: as far as the clock can be advanced in one step.
MAX_OFFSET = 100 * 365 * 86400.0
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\+?([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)?$")
_PHONE_GLOB = re.compile(r"^\+?[0-9*?\[\]!\-]+$")
#: Times without a zone are read as China Standard Time, the zone the providers' own dates use.
_CST = timezone(timedelta(hours=8))

Path = tuple[Any, ...]


class Builder:
    """Compiles one document; `problems` lists everything wrong with it."""

    def __init__(self, doc: YamlDocument, *, seeded: bool, accounts: Collection[str] | None) -> None:
        self.doc = doc
        self.seeded = seeded or isinstance(doc.data.get("seed"), int)
        self.accounts = accounts
        self.problems: list[str] = []

    def problem(self, path: Path, text: str, at_key: bool = False) -> None:
        location = "/".join(str(p) for p in path) or "(top level)"
        self.problems.append(f"{self.doc.where(path, at_key)}: {location}: {text}")

    # Top level ----------------------------------------------------------------------------------------------

    def account_overrides(self) -> list[AccountOverride]:
        out = []
        for name, fields in (self.doc.data.get("accounts") or {}).items():
            if self.accounts is not None and name not in self.accounts:
                self.problem(("accounts", name), f"no account {name!r}; expected one of the fixtures' accounts: "
                                                 f"{', '.join(sorted(self.accounts))}", at_key=True)
                continue
            out.append(AccountOverride(name, dict(fields)))
        return out

    def rules(self) -> list[Rule]:
        return [self.rule(index, item) for index, item in enumerate(self.doc.data.get("rules") or [])]

    # One rule -----------------------------------------------------------------------------------------------

    def rule(self, index: int, item: dict[str, Any]) -> Rule:
        at: Path = ("rules", index)
        spec = item.get("match") or {}
        then = item["then"]
        m: Path = (*at, "match")
        providers = self._providers(spec.get("provider"), (*m, "provider"))
        actions = self._texts(spec.get("action"), (*m, "action"))
        reachable = self._reachable(providers, actions, isinstance(spec.get("action"), list), (*m, "action"))
        match = Match(
            providers=frozenset(providers) if "provider" in spec else None,
            actions=Pattern(actions) if actions else None,
            phones=self._phones(spec.get("phone"), (*m, "phone")),
            signs=self._pattern(spec.get("sign"), (*m, "sign")),
            templates=self._pattern(spec.get("template"), (*m, "template")),
            accounts=self._pattern(spec.get("account"), (*m, "account")),
            params=self._params(spec.get("params") or {}, reachable, (*m, "params")),
            window=self._window(spec.get("between"), (*m, "between")),
        )
        if "probability" in spec and not self.seeded:
            self.problem((*m, "probability"), "probability needs a repeatable random source: start the emulator "
                                              "with --seed N (SMS_EMULATOR_SEED), or give the scenario a "
                                              "top-level `seed:`")
        t: Path = (*at, "then")
        self._check_reply(then, reachable, t)
        return Rule(
            index=index, name=str(item.get("name") or f"rule {index + 1}"), match=match,
            first=spec.get("first"), every=spec.get("every"), after=spec.get("after"),
            probability=spec.get("probability"),
            error=None if then.get("error") is None else str(then["error"]), message=then.get("message"),
            fault=then.get("fault"), latency=self._latency(then.get("latency"), (*t, "latency")),
            qps=then.get("qps"), limits=self._limits(then.get("limits"), reachable, (*t, "limits")),
            delivery=self._delivery(then.get("delivery"), reachable, (*t, "delivery")),
            callback=self._callback(then.get("callback"), reachable, (*t, "callback")),
            card=self._card(then.get("card"), reachable, (*t, "card")),
            source=dict(item),
        )

    # Conditions ---------------------------------------------------------------------------------------------

    def _providers(self, value: Any, path: Path) -> list[str]:
        if value is None:
            return list(PROVIDERS)
        names = [value] if isinstance(value, str) else list(value)
        for name in names:
            if name not in PROVIDERS:
                self.problem(path, f"{name!r} is not a provider; expected dysms, dypns or onecloud")
        return [n for n in names if n in PROVIDERS]

    def _texts(self, value: Any, path: Path) -> tuple[str, ...]:
        if value is None:
            return ()
        values = value if isinstance(value, list) else [value]
        out = []
        for i, raw in enumerate(values):
            text = str(raw)
            where = (*path, i) if isinstance(value, list) else path
            if text == "":
                self.problem(where, "empty value; expected a value or a glob")
            elif _bad_glob(text):
                self.problem(where, f"{text!r} is not a valid glob: a `[` has no closing `]`")
            else:
                out.append(text)
        return tuple(out)

    def _pattern(self, value: Any, path: Path) -> Pattern | None:
        texts = self._texts(value, path)
        return Pattern(texts) if texts else None

    def _reachable(self, providers: list[str], actions: tuple[str, ...], listed: bool,
                   path: Path) -> dict[str, set[str]]:
        """provider -> the actions this rule can match; an action pattern matching none is a problem."""
        known = facts()
        if not actions:
            return {p: set(known[p].actions) for p in providers}
        out: dict[str, set[str]] = {}
        for i, text in enumerate(actions):
            pattern = Pattern((text,))
            hits = {p: {a for a in known[p].actions if pattern(a)} for p in providers}
            for provider, names in hits.items():
                out.setdefault(provider, set()).update(names)
            if not any(hits.values()):
                where = (*path, i) if listed else path
                names = sorted({a for p in providers for a in known[p].actions})
                self.problem(where, f"{text!r} is not an action of {_join(providers)}{_hint(text, names)}; "
                                    f"expected one of {', '.join(names)}")
        return {p: names for p, names in out.items() if names}

    def _phones(self, value: Any, path: Path) -> Pattern | None:
        if value is None:
            return None
        if isinstance(value, dict):
            prefixes = self._texts(value["prefix"], (*path, "prefix"))
            for prefix in prefixes:
                if not prefix.lstrip("+").isdigit():
                    self.problem((*path, "prefix"), f"{prefix!r} is not a phone number prefix; expected digits")
            return Pattern(tuple(p + "*" for p in prefixes)) if prefixes else None
        out = []
        for i, text in enumerate(self._texts(value, path)):
            where = (*path, i) if isinstance(value, list) else path
            if not _PHONE_GLOB.match(text):
                self.problem(where, f"{text!r} is not a phone number or a glob of one (digits, +, * ? [..])")
                continue
            phone = None if is_glob(text) else parse_phone(text)
            out.append(phone.number if phone else text)   # `+8613800000001` matches what calls carry
        return Pattern(tuple(out)) if out else None

    def _params(self, spec: dict[str, Any], reachable: dict[str, set[str]], path: Path) -> dict[str, Pattern]:
        known = facts()
        names = sorted({n for p, actions in reachable.items() for a in actions for n in known[p].actions[a]})
        out = {}
        for name, value in spec.items():
            if name not in names:
                self.problem((*path, name), f"{name!r} is not a parameter of {_actions(reachable)}"
                                            f"{_hint(name, names)}; expected one of {', '.join(names)}", at_key=True)
                continue
            pattern = self._pattern(value, (*path, name))
            if pattern is not None:
                out[name] = pattern
        return out

    def _window(self, value: Any, path: Path) -> tuple[Moment | None, Moment | None] | None:
        if value is None:
            return None
        begin, end = (self._moment(v, (*path, i)) for i, v in enumerate(value))
        if begin is not None and end is not None and begin.relative == end.relative and end.seconds <= begin.seconds:
            self.problem(path, "the window ends before it starts; expected [start, end] with start < end")
        return begin, end

    def _moment(self, value: Any, path: Path) -> Moment | None:
        if value is None:
            return None
        offset = parse_duration(value)
        if offset is not None:
            if not offset <= MAX_OFFSET:
                self.problem(path, f"an offset of {offset:g} s; expected at most {MAX_OFFSET:g} s (100 years)")
            return Moment(offset, relative=True)
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            self.problem(path, f"{value!r} is neither an offset (90, '+30s', '+2h') nor an ISO 8601 time "
                               "('2025-01-01T09:00:00+08:00')")
            return None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=_CST)
        return Moment(stamp.timestamp(), relative=False)

    # Outcomes -----------------------------------------------------------------------------------------------

    def _check_reply(self, then: dict[str, Any], reachable: dict[str, set[str]], path: Path) -> None:
        if "error" in then and "fault" in then:
            self.problem((*path, "fault"), "error and fault exclude each other: a request gets an answer or a "
                                           "network fault, not both", at_key=True)
        if "qps" in then and ("error" in then or "fault" in then):
            self.problem((*path, "qps"), "qps throttles only the calls beyond it; it cannot go with error or "
                                         "fault, which decide every matched call", at_key=True)
        if "message" in then and "error" not in then:
            self.problem((*path, "message"), "message overrides the text of an error; expected an `error` too",
                         at_key=True)
        if "error" in then:
            self._check_error(str(then["error"]), reachable, (*path, "error"))

    def _check_error(self, code: str, reachable: dict[str, set[str]], path: Path) -> None:
        lacking = [p for p in reachable if facts()[p].resolve_error(code) is None]
        if not lacking:
            return
        names = sorted({c for p in lacking for c in all_codes(p)})
        narrow = ""
        if len(lacking) < len(reachable):
            narrow = f" (this rule also matches {_actions({p: reachable[p] for p in lacking})}; narrow it with " \
                     "`provider:` or `action:`)"
        self.problem(path, f"{code!r} is not an error code of {_join(lacking)}{_hint(code, names)}{narrow}; "
                           "expected a code (or alias) of the provider's error table, see the README")

    def _latency(self, value: Any, path: Path) -> Distribution | None:
        dist = self._distribution(value, path)
        if dist is not None and dist.upper > MAX_LATENCY:
            self.problem(path, f"latency up to {dist.upper:g} s; expected at most {MAX_LATENCY:g} s (for answers "
                               "that never come use `fault: hang`)")
        return dist

    def _distribution(self, value: Any, path: Path) -> Distribution | None:
        if value is None:
            return None
        if isinstance(value, dict):
            if "uniform" in value:
                low, high = (self._duration(v, (*path, "uniform", i)) for i, v in enumerate(value["uniform"]))
                if high < low:
                    self.problem((*path, "uniform"), "expected [low, high] with low <= high")
                return Distribution("uniform", low, high)
            normal = value["normal"]
            return Distribution("normal", self._duration(normal["mean"], (*path, "normal", "mean")),
                                self._duration(normal["stddev"], (*path, "normal", "stddev")))
        return Distribution("fixed", self._duration(value, path))

    def _duration(self, value: Any, path: Path) -> float:
        seconds = float(value) if isinstance(value, (int, float)) else parse_duration(value)
        if seconds is None:   # the schema's pattern lets only well-formed strings through
            self.problem(path, f"{value!r} is not a duration; expected seconds or 250ms, 30s, 5m, 2h, 1d")
            return 0.0
        if not 0 <= seconds <= MAX_DURATION:    # also NaN, and `9999...d` that overflows to infinity
            self.problem(path, f"{value!r} is {seconds:g} s; expected a duration of at most {MAX_DURATION:g} s "
                               "(365 days)")
            return 0.0
        return seconds

    def _applies(self, reachable: dict[str, set[str]], kind: str, path: Path, what: str) -> dict[str, set[str]]:
        """The reachable actions where an outcome of `kind` has an effect; none is a problem."""
        known = facts()
        hits = {p: actions & getattr(known[p], kind) for p, actions in reachable.items()}
        hits = {p: a for p, a in hits.items() if a}
        if reachable and not hits:
            wanted = sorted({a for f in known.values() for a in getattr(f, kind)})
            self.problem(path, f"{what} never applies to {_actions(reachable)}; it applies to "
                               f"{', '.join(wanted)}", at_key=True)
        return hits

    def _limits(self, value: Any, reachable: dict[str, set[str]], path: Path) -> dict[str, Any] | None:
        if value is None:
            return None
        self._applies(reachable, "limited", path, "limits (frequency control)")
        return dict(value)

    def _delivery(self, value: Any, reachable: dict[str, set[str]], path: Path) -> DeliverySpec | None:
        if value is None:
            return None
        sending = self._applies(reachable, "sending", path, "delivery")
        status = value.get("status")
        err_codes: dict[str, str] = {}
        code = value.get("err_code")
        if code is not None:
            if status != "failed":
                self.problem((*path, "err_code"), "err_code is the receipt of a failed delivery; expected "
                                                  "`status: failed` with it", at_key=True)
            err_codes = {p: code for p in sending if facts()[p].is_failure_code(code)}
            if sending and not err_codes:
                self.problem((*path, "err_code"), f"{code!r} is not a failure receipt {_join(sending)} reports; "
                                                  f"expected {_receipt_examples(sending)}")
        return DeliverySpec(delivered=None if status is None else status == "delivered", err_codes=err_codes,
                            delay=self._distribution(value.get("delay"), (*path, "delay")))

    def _callback(self, value: Any, reachable: dict[str, set[str]], path: Path) -> CallbackSpec | None:
        if value is None:
            return None
        self._applies(reachable, "sending", path, "callback")
        return CallbackSpec(delay=self._distribution(value.get("delay"), (*path, "delay")),
                            fail_first=int(value.get("fail_first", 0)))

    def _card(self, value: Any, reachable: dict[str, set[str]], path: Path) -> bool | None:
        if value is None:
            return None
        self._applies(reachable, "card", path, "card")
        return value in (True, "supported")


def parse_duration(value: Any) -> float | None:
    """`90`, `'30s'`, `'+5m'`, `'250ms'` -> seconds; None when `value` is not a duration."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def _bad_glob(text: str) -> bool:
    """fnmatch would read an unclosed `[` literally; in a scenario that is always a typo."""
    depth = False
    for ch in text:
        if ch == "[":
            depth = True
        elif ch == "]":
            depth = False
    return depth


def _join(names: Iterable[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _actions(reachable: dict[str, set[str]]) -> str:
    """`dysms SendSms/SendBatchSms or any onecloud action`: what a rule can match, for messages."""
    known = facts()
    parts = [f"any {p} action" if a == set(known[p].actions) and len(a) > 1 else f"{p} {'/'.join(sorted(a))}"
             for p, a in reachable.items()]
    return _join(parts) if parts else "no action"


def _hint(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _receipt_examples(providers: Iterable[str]) -> str:
    examples = {"dysms": "a carrier code such as MN:0001, MK:0000, IC:0001, UNDELIV, EXPIRED",
                "dypns": "a carrier code such as MN:0001, UNDELIV",
                "onecloud": "a 1oc stat such as EXPIRED, REJECTED, MA:0001 ... MA:0044, MO:NNNN"}
    return "; or ".join(dict.fromkeys(examples[p] for p in providers))

