"""Scenario rules that decide template and sign reviews (`reviews:` beside `rules:`).

    reviews:
      - name: loans are refused
        match: {kind: template, content: "*贷款*"}
        decide: reject
        reason: 涉及金融营销，请补充资质
        after: 10m
      - match: {kind: sign, name: "测试*"}
        decide: manual            # left under review for the test to decide

When an application (Create/Add/Update/Modify of a template or sign) enters review, the first review rule whose
conditions hold decides it — approve, reject (with `reason`), cancel, or `manual` — `after` that long on the
virtual clock (default: at once); when none holds, the account's review policy does. The catalogue asks
through its `reviewer` seam, so the core never imports the scenario engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.core.catalogue import Item, Ruling
from emulator.core.fixtures import Template
from emulator.scenarios.model import Pattern

if TYPE_CHECKING:
    from emulator.scenarios.build import Builder

DECISIONS = ("approve", "reject", "cancel", "manual")
DEFAULT_REASON = "内容不符合规范"


@dataclass(frozen=True)
class ReviewRule:
    index: int
    name: str
    kinds: frozenset[str] | None
    names: Pattern | None          # a template's name, or a sign's
    contents: Pattern | None       # a template's content (signs have none: such a rule matches no sign)
    accounts: Pattern | None
    decision: str
    reason: str
    after: float
    source: dict[str, Any]

    def matches(self, account: str, kind: str, item: Item) -> bool:
        if self.kinds is not None and kind not in self.kinds:
            return False
        if self.accounts is not None and not self.accounts(account):
            return False
        if self.names is not None and not self.names(item.name):
            return False
        if self.contents is not None:
            return isinstance(item, Template) and self.contents(item.content)
        return True

    def ruling(self) -> Ruling:
        return Ruling(self.decision, self.reason if self.decision == "reject" else "", self.after)


def first_ruling(rules: list[ReviewRule], account: str, kind: str, item: Item) -> tuple[int, Ruling] | None:
    """The index and ruling of the first rule that holds for this application, or None."""
    for rule in rules:
        if rule.matches(account, kind, item):
            return rule.index, rule.ruling()
    return None


def build_reviews(builder: Builder) -> list[ReviewRule]:
    """The document's `reviews`, with the checks the schema cannot make (globs, durations, reason use)."""
    out = []
    for index, item in enumerate(builder.doc.data.get("reviews") or []):
        at = ("reviews", index)
        spec = item.get("match") or {}
        kinds = spec.get("kind")
        kinds = None if kinds is None else frozenset([kinds] if isinstance(kinds, str) else kinds)
        decision = item["decide"]
        if "reason" in item and decision != "reject":
            builder.problem((*at, "reason"), f"a reason goes with `decide: reject`, not {decision}", at_key=True)
        if "content" in spec and kinds is not None and "template" not in kinds:
            builder.problem((*at, "match", "content"), "only templates have a content; this rule is for signs",
                            at_key=True)
        if "after" in item and decision == "manual":
            builder.problem((*at, "after"), "`decide: manual` is never decided by the clock; drop `after`",
                            at_key=True)
        out.append(ReviewRule(
            index=index, name=str(item.get("name") or f"review {index + 1}"), kinds=kinds,
            names=builder._pattern(spec.get("name"), (*at, "match", "name")),
            contents=builder._pattern(spec.get("content"), (*at, "match", "content")),
            accounts=builder._pattern(spec.get("account"), (*at, "match", "account")),
            decision=decision, reason=str(item.get("reason") or DEFAULT_REASON),
            after=builder._duration(item["after"], (*at, "after")) if "after" in item else 0.0,
            source=dict(item)))
    return out
