"""Prometheus metrics at `GET /_emulator/metrics`, one registry per application.

Several emulators may run in one process (a test suite's fixtures), so nothing is registered in
prometheus_client's global registry. The request path stays cheap: requests are counted in plain numbers on
the event loop's thread (prometheus_client's own Counter and Histogram take a lock per increment, several
microseconds a request) and become metric families only when scraped. Label values come from the gateways'
routing, never straight from a client, and the number of distinct label sets is capped, so a fuzzer
inventing actions cannot blow up the series count.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.core.backend import Backend
    from emulator.core.callbacks import Attempt

#: Request latency buckets (seconds): the emulator answers in well under a millisecond unless a scenario
#: adds latency, so the low end is fine-grained.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
MAX_SERIES = 2000


class Metrics:
    """prometheus_client is imported at the first scrape, not at every start: ~10 ms of start-up, for a page
    most runs never ask for."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._requests = _RequestStats()
        #: (kind, result) -> report POSTs, counted in plain numbers like the requests
        self._attempts: dict[tuple[str, str], int] = {}
        self._registry: Any = None
        backend.callbacks.subscribe(self.observe_attempt)

    def observe_request(self, provider: str, action: str, code: str, seconds: float) -> None:
        self._requests.observe(provider, action, code, seconds)

    def observe_attempt(self, attempt: Attempt) -> None:
        result = "delivered" if attempt.ok else ("retrying" if attempt.next_try is not None else "gave_up")
        key = (attempt.kind, result)
        self._attempts[key] = self._attempts.get(key, 0) + 1

    @property
    def content_type(self) -> str:
        from prometheus_client import CONTENT_TYPE_LATEST

        return CONTENT_TYPE_LATEST

    def render(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest

        if self._registry is None:
            self._registry = CollectorRegistry()
            self._registry.register(self._requests)
            self._registry.register(_ServiceStats(self._backend, self._attempts))
        return generate_latest(self._registry)


class _ServiceStats:
    """Report POSTs by kind and result, and the store's and the report queue's sizes, read when scraped."""

    def __init__(self, backend: Backend, attempts: dict[tuple[str, str], int]) -> None:
        self._backend, self._attempts = backend, attempts

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        callbacks = CounterMetricFamily("sms_emulator_callbacks", "Report POSTs to applications, by report kind "
                                        "and result (delivered, retrying, gave_up)", labels=["kind", "result"])
        for labels, count in self._attempts.items():
            callbacks.add_metric(list(labels), count)
        yield callbacks
        yield GaugeMetricFamily("sms_emulator_messages_stored", "Messages held in the message store",
                                value=len(self._backend.messages))
        yield GaugeMetricFamily("sms_emulator_callbacks_pending", "Reports queued for their next attempt",
                                value=len(self._backend.scheduler.pending("callback")))


class _RequestStats:
    """`sms_emulator_requests_total` and `sms_emulator_request_duration_seconds`, kept as plain counts."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, str], int] = {}
        #: (provider, action) -> [observations per bucket (the last one: above every bound), sum of seconds]
        self._latency: dict[tuple[str, str], list] = {}

    def observe(self, provider: str, action: str, code: str, seconds: float) -> None:
        key = (provider, action, code)
        count = self._counts.get(key)
        if count is None and len(self._counts) >= MAX_SERIES:
            key, action = (provider, "other", "other"), "other"
            count = self._counts.get(key)
        self._counts[key] = (count or 0) + 1
        latency = self._latency.get((provider, action))
        if latency is None:
            latency = self._latency[(provider, action)] = [[0] * (len(BUCKETS) + 1), 0.0]
        latency[0][bisect_left(BUCKETS, seconds)] += 1
        latency[1] += seconds

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

        requests = CounterMetricFamily("sms_emulator_requests", "Provider API requests answered, by provider, "
                                       "action and the provider's result code", labels=["provider", "action", "code"])
        for labels, count in self._counts.items():
            requests.add_metric(list(labels), count)
        yield requests
        latency = HistogramMetricFamily("sms_emulator_request_duration_seconds",
                                        "Time to answer a provider API request", labels=["provider", "action"])
        for labels, (per_bucket, total) in self._latency.items():
            cumulative, buckets = 0, []
            for bound, observed in zip((*map(str, BUCKETS), "+Inf"), per_bucket, strict=True):
                cumulative += observed
                buckets.append((bound, cumulative))
            latency.add_metric(list(labels), buckets, total)
        yield latency
