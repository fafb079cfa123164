"""The one clock every expiry, limit window, delivery delay and callback retry reads.

Virtual time is real time plus an offset, so it flows on its own (a demo behaves normally) while tests can
jump it forward (`advance`) or pin it (`set`) without sleeping. Listeners are told whenever the offset moves,
which is how the scheduler learns that jobs may have become due.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

#: Alibaba and 1oc render dates in China Standard Time, whatever the caller's zone.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class VirtualClock:
    def __init__(self, offset: float = 0.0, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._offset = offset
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        """Virtual epoch seconds."""
        return self._wall() + self._offset

    def wall(self) -> float:
        """Real epoch seconds (what clients sign their requests with)."""
        return self._wall()

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward; use set() to go back")
        self._offset += seconds
        self._notify()
        return self.now()

    def set(self, epoch_seconds: float) -> float:
        """Pin virtual time to `epoch_seconds` (it keeps flowing from there)."""
        self._offset = epoch_seconds - self._wall()
        self._notify()
        return self.now()

    def reset(self) -> None:
        self._offset = 0.0
        self._notify()

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()

    # Formatting helpers shared by every provider -------------------------------------------------

    def china_datetime(self, epoch: float | None = None) -> datetime:
        return datetime.fromtimestamp(_shown(self.now() if epoch is None else epoch), CHINA_TZ)


#: The last moment every zone can print (`datetime` ends with the year 9999). The clock itself stops at
#: 9999-01-01, but what it schedules may lie beyond: a code valid 2**31 s, a report due in a year.
LAST_SHOWN = datetime(9999, 12, 31, tzinfo=timezone.utc).timestamp()


def _shown(epoch: float) -> float:
    """`epoch` as it can be printed: later times (and a NaN that slipped through) show as `LAST_SHOWN`."""
    if not epoch <= LAST_SHOWN:
        return LAST_SHOWN
    return max(epoch, 0.0)


def china_time_str(epoch: float) -> str:
    """`yyyy-MM-dd HH:mm:ss` in China Standard Time, as QuerySendDetails and receipts show it."""
    return datetime.fromtimestamp(_shown(epoch), CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def china_date_str(epoch: float) -> str:
    """`yyyyMMdd` in China Standard Time (QuerySendDetails' SendDate)."""
    return datetime.fromtimestamp(_shown(epoch), CHINA_TZ).strftime("%Y%m%d")


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(_shown(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
