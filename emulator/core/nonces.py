"""Replay protection: a nonce may be used once within the freshness window."""

from __future__ import annotations

import heapq


class NonceCache:
    def __init__(self, window: float = 15 * 60) -> None:
        self.window = window
        self._seen: dict[str, float] = {}
        self._expiry: list[tuple[float, str]] = []

    def seen(self, key: str, now: float) -> bool:
        self._prune(now)
        return key in self._seen

    def remember(self, key: str, now: float) -> None:
        expires = now + self.window
        self._seen[key] = expires
        heapq.heappush(self._expiry, (expires, key))

    def clear(self) -> None:
        self._seen.clear()
        self._expiry.clear()

    def _prune(self, now: float) -> None:
        while self._expiry and self._expiry[0][0] <= now:
            expires, key = heapq.heappop(self._expiry)
            if self._seen.get(key) == expires:
                del self._seen[key]
