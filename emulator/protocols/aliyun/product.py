"""How an Alibaba product plugs into the shared gateway: its host, version, actions and error table.

A product folder (`providers/dysms`, `providers/dypns`) builds one `AliyunProduct`; adding an API is one
`ActionSpec` and one handler there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.core.accounts import Account
from emulator.core.backend import Backend
from emulator.core.errors import EmulatorError, ErrorTable
from emulator.core.outcomes import Call
from emulator.core.phones import matchable
from emulator.protocols.aliyun.auth import Principal
from emulator.protocols.aliyun.errors import invalid, missing

#: Lengths of values both Alibaba SMS products keep with a message (docs/protocol-notes.md, "Field lengths"):
#: OutId's is documented ("< 256 characters", SendSms and SendBatchSms); TemplateParam and SmsUpExtendCode have
#: none documented, so these are the emulator's own, far above any real value (a template is at most 500
#: characters, a variable's value 35 by default; an extension code a few digits).
OUT_ID_LENGTH = 256
TEMPLATE_PARAM_LENGTH = 8192
EXTEND_CODE_LENGTH = 32

_TRUE = {"true", "1"}
_FALSE = {"false", "0", ""}


@dataclass(frozen=True)
class Param:
    name: str
    required: bool = False
    kind: str = "str"          # str | int | bool
    #: characters at most: the provider's documented length, or the emulator's own bound where the provider
    #: documents none for a value it keeps (docs/protocol-notes.md says which is which)
    max_length: int | None = None


@dataclass(slots=True)
class ActionContext:
    backend: Backend
    product: AliyunProduct
    call: Call
    account: Account
    principal: Principal
    request_id: str
    params: Mapping[str, str]
    #: frequency-control windows a scenario rule imposes on this call, replacing the account's per category
    limit_overrides: Mapping[str, Any] | None = None

    def limits(self) -> dict[str, Any]:
        """The frequency-control settings this call is held to: the account's, with the scenario's on top."""
        return {**(self.account.limits or {}), **(self.limit_overrides or {})}

    def error(self, code: str, message: str | None = None, **fields: Any) -> EmulatorError:
        """An error of this product's own table (the envelope follows the table's status)."""
        spec = self.product.errors.get(code)
        return EmulatorError(spec.code, message or spec.message, status=spec.status, fields=fields)

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self.params.get(name)
        return default if value is None or value == "" else value

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.get(name)
        return default if value is None else int(value)   # type-checked by the gateway already

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        return default if value is None else value.lower() in _TRUE


#: An action is a plain function, not a coroutine: nothing between its checks and what it records can
#: interleave with another request, so limits and balances hold under any concurrency by construction.
Handler = Callable[[ActionContext], dict[str, Any]]
Addressees = Callable[[Mapping[str, str]], tuple[str, ...]]
#: The product's refusal of a parameter longer than its bound: name, bound, length.
TooLong = Callable[[str, int, int], EmulatorError]
#: Numbers only the backend can tell from a call (the number a minted token stands for): backend, account, params.
Lookup = Callable[[Backend, str, Mapping[str, str]], tuple[str, ...]]


def given(name: str) -> Addressees:
    """The value of parameter `name` as a one-item tuple, or none when it is absent or empty."""

    def value_of(params: Mapping[str, str]) -> tuple[str, ...]:
        value = params.get(name)
        return (value,) if value else ()

    return value_of


def numbers_in(name: str) -> Addressees:
    """The numbers in parameter `name` (comma-separated), canonical where they parse, so scenario rules for
    `13800000001` also match `+8613800000001`; the handler validates them properly."""

    def numbers(params: Mapping[str, str]) -> tuple[str, ...]:
        return matchable([raw.strip() for raw in (params.get(name) or "").split(",") if raw.strip()])

    return numbers


@dataclass(frozen=True)
class ActionSpec:
    name: str
    handler: Handler
    params: tuple[Param, ...] = ()
    #: the numbers a call addresses and the signs it uses, for scenario matching (parsed leniently; the
    #: handler validates)
    phones: Addressees | None = None
    signs: Addressees | None = None
    template_param: str | None = None
    #: more numbers the call addresses that only the backend knows, so scenario rules by `phone` match them too
    lookup: Lookup | None = None

    def check(self, params: Mapping[str, str], too_long: TooLong) -> None:
        """Gateway-level checks: required parameters present, typed parameters well-formed, none too long."""
        for param in self.params:
            value = params.get(param.name)
            if value is None or value == "":
                if param.required:
                    raise missing(param.name)
                continue
            if param.max_length is not None and len(value) > param.max_length:
                raise too_long(param.name, param.max_length, len(value))
            if param.kind == "int":
                try:
                    int(value)
                except ValueError:
                    raise invalid(param.name, f"{value[:40]!r} is not an integer.") from None
            elif param.kind == "bool" and value.lower() not in _TRUE | _FALSE:
                raise invalid(param.name, f"{value[:40]!r} is not a boolean.")


@dataclass
class AliyunProduct:
    code: str                          # dysms | dypns: the provider name messages carry
    host: str                          # dysmsapi.aliyuncs.com
    product: str                       # Dysmsapi (used in Recommend links)
    version: str
    errors: ErrorTable
    actions: dict[str, ActionSpec] = field(default_factory=dict)
    #: extra members of every error body (dypnsapi adds Success=false)
    error_fields: dict[str, Any] = field(default_factory=dict)
    setup: Callable[[Backend], None] | None = None
    #: every action the real product has (its SDK's list), modelled or not: an unmodelled one is answered as
    #: a real API the emulator lacks, not as a typo
    catalog: tuple[str, ...] = ()
    #: the code of this product's table that refuses a parameter beyond its length (`Param.max_length`)
    length_error: str = "isv.PARAM_LENGTH_LIMIT"

    def too_long(self, name: str, limit: int, length: int) -> EmulatorError:
        spec = self.errors.get(self.length_error)
        return EmulatorError(spec.code, f"{spec.message}: {name} has {length} characters, at most {limit}",
                             status=spec.status)

    def unmodelled(self) -> tuple[str, ...]:
        return tuple(name for name in self.catalog if name not in self.actions)

    def action(self, spec: ActionSpec) -> ActionSpec:
        self.actions[spec.name] = spec
        return spec
