"""The seam where "what happens to this request" is decided.

Every provider turns an authenticated request into a `Call` and asks the `OutcomePolicy` (the scenario
engine) before acting, and again for each message it accepts (how and when it is delivered). Handlers never
contain `if phone == ...`: magic numbers are rules of the default scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(slots=True, eq=False)
class Call:
    """One authenticated request as the policy sees it: built once per request, its data never changed after."""

    provider: str                    # dysms | dypns | onecloud
    action: str                      # SendSms, SendSmsVerifyCode, Send (1oc) ...
    params: Mapping[str, str]
    account: str
    credential: str | None = None    # AccessKeyId or AppSecret used
    phones: tuple[str, ...] = ()     # canonical numbers the call addresses
    signs: tuple[str, ...] = ()      # the sign names it sends with (SendBatchSms: one per number)
    template: str | None = None
    received_at: float = 0.0
    #: the policy's memo of its evaluation of this call, so the per-number questions it answers after
    #: `decide` see the same rules and no rule counts the call twice
    evaluation: Any = field(default=None, repr=False)


@dataclass(slots=True)
class Decision:
    """What the policy wants done with a call before (or instead of) the provider action."""

    error: str | None = None         # a code of the provider's error table (or an alias of one)
    message: str | None = None       # override of the table's message
    latency: float = 0.0             # seconds to wait before answering
    fault: str | None = None         # reset | empty | hang | html_502: a network fault instead of an answer
    rule: str | None = None          # which rule decided (for logs and inspection)
    #: frequency-control windows replacing the account's for this call (`verification`, `notification`,
    #: `dypns_daily`, as in accounts.yaml); None = the account's own
    limits: dict[str, object] | None = None


@dataclass(slots=True)
class DeliveryPlan:
    """How one accepted message ends: when, and with which receipt."""

    delivered: bool = True
    err_code: str | None = None      # provider-specific receipt code; None = the provider's default
    delay: float = 3.0
    #: report attempts the platform counts as failed (and retries) whatever the receiver answers
    callback_failures: int = 0
    callback_delay: float = 0.0      # seconds between the final status and the report's first attempt


class OutcomePolicy(Protocol):
    def decide(self, call: Call) -> Decision: ...

    def delivery(self, call: Call, phone: str) -> DeliveryPlan: ...

    def supports_card(self, call: Call, phone: str) -> bool: ...

    def reset(self) -> None: ...
