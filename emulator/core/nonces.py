"""Replay protection: a nonce may be used once within the freshness window.

Nonces are remembered in the order they arrive, which (on the wall clock) is also the order they expire, so
expiring them is popping from the front. The cache is also bounded: under a sustained load of thousands of
signed requests a second, fifteen minutes of nonces would otherwise be millions of entries. Past the bound
the oldest are forgotten first; a replay of one of those (older than the newest `limit` requests) would
pass, which only a deliberate replay test of a request that far back could notice.
"""

from __future__ import annotations

from collections import OrderedDict

DEFAULT_LIMIT = 500_000


class NonceCache:
    def __init__(self, window: float = 15 * 60, limit: int = DEFAULT_LIMIT) -> None:
        self.window = window
        self.limit = limit
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def seen(self, key: str, now: float) -> bool:
        self._prune(now)
        return key in self._expiry

    def remember(self, key: str, now: float) -> None:
        self._expiry[key] = now + self.window
        self._expiry.move_to_end(key)
        while len(self._expiry) > self.limit:
            self._expiry.popitem(last=False)

    def clear(self) -> None:
        self._expiry.clear()

    def __len__(self) -> int:
        return len(self._expiry)

    def _prune(self, now: float) -> None:
        expiry = self._expiry
        while expiry:
            key, expires = next(iter(expiry.items()))
            if expires > now:
                return
            del expiry[key]
