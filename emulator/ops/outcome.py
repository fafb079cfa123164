"""What a provider request came to, noted by the gateway for the request log and the metrics.

The gateways know the action, the numbers and the provider's result code; the timing middleware knows the
latency. The gateway leaves an `Outcome` on the request and the middleware reads it after the handler, so a
request is logged and counted exactly once, with everything in one place.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web


class Outcome:
    __slots__ = ("action", "code", "detail", "phones", "provider", "request_id")

    def __init__(self, provider: str, action: str, phones: tuple[str, ...], code: str, detail: Any,
                 request_id: str | None) -> None:
        self.provider = provider
        self.action = action
        self.phones = phones
        self.code = code
        self.detail = detail
        self.request_id = request_id


# A typed key where aiohttp has them (3.12+), a plain string before.
OUTCOME_KEY: Any = web.RequestKey("sms_emulator_outcome", Outcome) if hasattr(web, "RequestKey") else "outcome"


def note(request: web.Request, provider: str, action: str, phones: tuple[str, ...], code: str,
         detail: Any = None, request_id: str | None = None) -> None:
    request[OUTCOME_KEY] = Outcome(provider, action, phones, code, detail, request_id)
