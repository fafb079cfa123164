"""Rate limits on the virtual clock: per-number frequency control and per-account QPS."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

WINDOW_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Window:
    name: str          # minute | hour | day
    limit: int

    @property
    def seconds(self) -> int:
        return WINDOW_SECONDS[self.name]


def windows_from(config: dict[str, int | None] | None) -> list[Window]:
    if not config:
        return []
    return [Window(name, limit) for name, limit in config.items() if limit is not None]


class SlidingWindowLimiter:
    """Counts events per key in rolling windows.

    Callers `check` every key a request touches and then `record` them all, with no await in between, so a
    request is counted whole or not at all and concurrent requests on one event loop never overshoot a limit.
    """

    def __init__(self) -> None:
        self._events: dict[Hashable, deque[float]] = {}

    def check(self, key: Hashable, windows: Sequence[Window], now: float, cost: int = 1) -> Window | None:
        """The first window that `cost` more events would exceed, or None. Records nothing."""
        if not windows:
            return None
        events = self._events.get(key)
        if not events:
            return next((w for w in windows if cost > w.limit), None)
        longest = max(w.seconds for w in windows)
        while events and events[0] <= now - longest:
            events.popleft()
        for window in sorted(windows, key=lambda w: w.seconds):
            start = now - window.seconds
            in_window = sum(1 for t in events if t > start)
            if in_window + cost > window.limit:
                return window
        return None

    def record(self, key: Hashable, now: float, cost: int = 1) -> None:
        self._events.setdefault(key, deque()).extend([now] * cost)

    def count(self, key: Hashable, seconds: float, now: float) -> int:
        return sum(1 for t in self._events.get(key, ()) if t > now - seconds)

    def clear(self) -> None:
        self._events.clear()

    def forget_account(self, account: str) -> None:
        """Drop the windows of one account: provider keys are `(provider, account, ...)` tuples."""
        for key in [k for k in self._events if isinstance(k, tuple) and len(k) > 1 and k[1] == account]:
            del self._events[key]


class QpsLimiter:
    """Requests per virtual second per account (Throttling.User)."""

    def __init__(self) -> None:
        self._second: dict[str, int] = {}
        self._count: dict[str, int] = {}

    def allow(self, key: str, qps: int | None, now: float) -> bool:
        if qps is None:
            return True
        second = int(now)
        if self._second.get(key) != second:
            self._second[key] = second
            self._count[key] = 0
        self._count[key] += 1
        return self._count[key] <= qps

    def clear(self) -> None:
        self._second.clear()
        self._count.clear()
