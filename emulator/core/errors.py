"""Declarative error tables and the exception every layer raises by code.

Each provider (and the Alibaba gateway) owns one `ErrorTable`: code -> HTTP status and message. Code raises
`EmulatorError("isv.MOBILE_NUMBER_ILLEGAL")` and the provider's protocol layer turns it into the envelope
the real service sends. Because scenarios resolve codes through the same tables, a scenario can never make
a provider answer with a code (or status) the real service does not use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorSpec:
    code: str
    status: int
    message: str
    description: str = ""
    #: short names a scenario may use for this code (`MOBILE_NUMBER_ILLEGAL` for `isv.MOBILE_NUMBER_ILLEGAL`)
    aliases: tuple[str, ...] = ()


class EmulatorError(Exception):
    """Raised by code; `message` overrides the table's text, `fields` are extra envelope members."""

    def __init__(self, code: str, message: str | None = None, *, status: int | None = None,
                 fields: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.status = status
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


@dataclass
class ErrorTable:
    name: str
    specs: dict[str, ErrorSpec] = field(default_factory=dict)
    _aliases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, specs: Iterable[ErrorSpec]) -> ErrorTable:
        table = cls(name)
        for spec in specs:
            table.specs[spec.code] = spec
            for alias in spec.aliases:
                table._aliases[alias] = spec.code
        return table

    def resolve(self, code: str) -> ErrorSpec | None:
        """The spec for a code or one of its aliases; None if this provider never answers with it."""
        spec = self.specs.get(code)
        if spec is None and code in self._aliases:
            spec = self.specs[self._aliases[code]]
        return spec

    def __contains__(self, code: str) -> bool:
        return self.resolve(code) is not None

    def get(self, code: str) -> ErrorSpec:
        spec = self.resolve(code)
        if spec is None:
            raise KeyError(f"{self.name} has no error code {code!r}")
        return spec

    def codes(self) -> list[str]:
        return sorted(self.specs)

    def aliases(self) -> list[str]:
        """The short names scenarios may use besides the codes themselves."""
        return sorted(self._aliases)
