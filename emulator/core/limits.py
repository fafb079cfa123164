"""Rate limits on the virtual clock: per-number frequency control and per-account QPS."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

WINDOW_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
LONGEST_WINDOW = max(WINDOW_SECONDS.values())


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
    Callers record only sends some window applies to (nothing else would ever be checked).

    Memory follows the traffic of the longest window, not all time: keys are kept in the order they were last
    recorded, and each `record` drops the keys at the front whose newest event is older than a day.
    """

    def __init__(self) -> None:
        self._events: OrderedDict[Hashable, list[float]] = OrderedDict()

    def check(self, key: Hashable, windows: Sequence[Window], now: float, cost: int = 1) -> Window | None:
        """The first window that `cost` more events would exceed, or None. Records nothing."""
        if not windows:
            return None
        events = self._events.get(key)
        if not events:
            return next((w for w in windows if cost > w.limit), None)
        oldest_needed = now - max(w.seconds for w in windows)
        stale = 0
        while stale < len(events) and events[stale] <= oldest_needed:
            stale += 1
        del events[:stale]
        for window in sorted(windows, key=lambda w: w.seconds):
            start = now - window.seconds
            in_window = sum(1 for t in events if t > start)
            if in_window + cost > window.limit:
                return window
        return None

    def record(self, key: Hashable, now: float, cost: int = 1) -> None:
        events = self._events.get(key)
        if events is None:
            self._events[key] = [now] * cost
        else:
            events.extend([now] * cost)
            self._events.move_to_end(key)
        self._forget_stale(now)

    def _forget_stale(self, now: float) -> None:
        horizon = now - LONGEST_WINDOW
        while self._events:
            key, events = next(iter(self._events.items()))
            if events and events[-1] > horizon:
                return
            self._drop(key)

    def _drop(self, key: Hashable) -> None:
        """Forget one key's window (the `--db` tracker hooks this, so its row goes too)."""
        del self._events[key]

    # State, for inspection and persistence ---------------------------------------------------------------

    def keys(self) -> list[Hashable]:
        return list(self._events)

    def events(self, key: Hashable) -> list[float]:
        return list(self._events.get(key, ()))

    def restore(self, key: Hashable, events: list[float]) -> None:
        self._events[key] = sorted(events)

    def clear(self) -> None:
        self._events.clear()

    def forget_account(self, account: str) -> None:
        """Drop the windows of one account: provider keys are `(provider, account, ...)` tuples."""
        for key in [k for k in self._events if isinstance(k, tuple) and len(k) > 1 and k[1] == account]:
            self._drop(key)


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
