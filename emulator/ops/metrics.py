"""Prometheus metrics at `GET /_emulator/metrics`, one registry per application.

Several emulators may run in one process (a test suite's fixtures), so nothing is registered in
prometheus_client's global registry. The request path stays cheap: label children are looked up once per
(provider, action, code) and cached, so a request costs a dict lookup, a counter increment and a histogram
observation. Label values come from the gateways' routing, never straight from a client, and the number of
distinct label sets is capped, so a fuzzer inventing actions cannot blow up the series count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from emulator.core.backend import Backend
    from emulator.core.callbacks import Attempt

#: Request latency buckets (seconds): the emulator answers in well under a millisecond unless a scenario
#: adds latency, so the low end is fine-grained.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
MAX_SERIES = 2000


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, backend: Backend) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("sms_emulator_requests", "Provider API requests answered, by provider, action "
                                "and the provider's result code", ["provider", "action", "code"], registry=r)
        self.latency = Histogram("sms_emulator_request_duration_seconds", "Time to answer a provider API request",
                                 ["provider", "action"], buckets=BUCKETS, registry=r)
        self.callbacks = Counter("sms_emulator_callbacks", "Report POSTs to applications, by report kind and "
                                 "result (delivered, retrying, gave_up)", ["kind", "result"], registry=r)
        stored = Gauge("sms_emulator_messages_stored", "Messages held in the message store", registry=r)
        stored.set_function(lambda: len(backend.messages))
        pending = Gauge("sms_emulator_callbacks_pending", "Reports queued for their next attempt", registry=r)
        pending.set_function(lambda: len(backend.scheduler.pending("callback")))
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        backend.callbacks.subscribe(self.observe_attempt)

    def observe_request(self, provider: str, action: str, code: str, seconds: float) -> None:
        key = (provider, action, code)
        children = self._children.get(key)
        if children is None:
            if len(self._children) >= MAX_SERIES:
                key = (provider, "other", "other")
            children = self._children[key] = (self.requests.labels(*key), self.latency.labels(provider, key[1]))
        children[0].inc()
        children[1].observe(seconds)

    def observe_attempt(self, attempt: Attempt) -> None:
        result = "delivered" if attempt.ok else ("retrying" if attempt.next_try is not None else "gave_up")
        self.callbacks.labels(attempt.kind, result).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
