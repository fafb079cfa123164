"""What a scenario may name for each provider: actions, parameters, error codes, receipt codes.

The validator checks rules against these facts (an unknown action or an error code the provider never sends
is a load error, not a silent no-op), and the engine asks them which code a `qps` override answers with. The
facts come from the providers' own definitions (their `AliyunProduct` actions and `ErrorTable`s), so adding
an API or an error code to a provider makes it available to scenarios without touching this package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from emulator.core.errors import ErrorSpec, ErrorTable
from emulator.protocols.aliyun.errors import GATEWAY_ERRORS
from emulator.protocols.aliyun.product import AliyunProduct


@dataclass(frozen=True)
class ProviderFacts:
    name: str
    #: action -> the parameter names a `params:` condition may test
    actions: dict[str, frozenset[str]]
    #: actions that accept messages (where `delivery` and `callback` apply)
    sending: frozenset[str]
    #: actions that ask whether a number takes card SMS (where `card` applies)
    card: frozenset[str]
    #: actions whose frequency control reads the account's `limits` (where a rule's `limits` applies)
    limited: frozenset[str]
    #: the code a rule's `qps` override answers with once the matched calls exceed it
    throttle_code: str
    resolve_error: Callable[[str], ErrorSpec | None]
    #: whether a failed delivery may carry this receipt code (SmsReport err_code, QuerySendDetails ErrCode, 1oc stat)
    is_failure_code: Callable[[str], bool]


PROVIDERS = ("dysms", "dypns", "onecloud")


def _aliyun_resolver(table: ErrorTable) -> Callable[[str], ErrorSpec | None]:
    """Product codes first, then the gateway's (`Throttling.User`, `ServiceUnavailable` ...), as the gateway does."""
    return lambda code: table.resolve(code) or GATEWAY_ERRORS.resolve(code)


def _aliyun_actions(product: AliyunProduct) -> dict[str, frozenset[str]]:
    return {name: frozenset(p.name for p in spec.params) | _flattened(name)
            for name, spec in product.actions.items()}


def _flattened(action: str) -> frozenset[str]:
    """JSON-list parameters the tea SDKs send flattened (`CardObjects.1.mobile`) are matched by their JSON name."""
    return {"SendCardSms": frozenset({"CardObjects", "SmsTemplateParam", "DigitalTemplateParam", "FallbackType"}),
            "CheckMobilesCardSupport": frozenset({"Mobiles"})}.get(action, frozenset())


@cache
def facts() -> dict[str, ProviderFacts]:
    """Built once, lazily: the provider packages import the core, which must not import scenarios back."""
    from emulator.providers import dypns, dysms
    from emulator.providers.dypns.errors import DYPNS_ERRORS
    from emulator.providers.dysms.errors import DYSMS_ERRORS, is_receipt_code
    from emulator.providers.onecloud.errors import is_stat, resolve_code
    from emulator.providers.onecloud.gateway import ACTION, PARAMS

    return {
        "dysms": ProviderFacts(
            "dysms", _aliyun_actions(dysms.build()),
            sending=frozenset({"SendSms", "SendBatchSms", "SendCardSms"}),
            card=frozenset({"SendCardSms", "CheckMobilesCardSupport"}),
            limited=frozenset({"SendSms", "SendBatchSms", "SendCardSms"}),
            throttle_code="Throttling.User", resolve_error=_aliyun_resolver(DYSMS_ERRORS),
            is_failure_code=is_receipt_code),
        "dypns": ProviderFacts(
            "dypns", _aliyun_actions(dypns.build()),
            sending=frozenset({"SendSmsVerifyCode"}), card=frozenset(), limited=frozenset({"SendSmsVerifyCode"}),
            throttle_code="Throttling.User", resolve_error=_aliyun_resolver(DYPNS_ERRORS),
            is_failure_code=is_receipt_code),
        "onecloud": ProviderFacts(
            "onecloud", {ACTION: frozenset(PARAMS)}, sending=frozenset({ACTION}), card=frozenset(),
            limited=frozenset(), throttle_code="421", resolve_error=resolve_code,
            is_failure_code=lambda code: is_stat(code) and code != "DELIVRD"),
    }


def all_codes(provider: str) -> list[str]:
    """Every code and alias a rule may name for `provider` (for "did you mean" hints)."""
    from emulator.providers.dypns.errors import DYPNS_ERRORS
    from emulator.providers.dysms.errors import DYSMS_ERRORS
    from emulator.providers.onecloud.errors import ONECLOUD_ERRORS

    table = {"dysms": DYSMS_ERRORS, "dypns": DYPNS_ERRORS, "onecloud": ONECLOUD_ERRORS}[provider]
    names = [*table.specs, *table.aliases()]
    if provider != "onecloud":
        names += [*GATEWAY_ERRORS.specs]
    return names

