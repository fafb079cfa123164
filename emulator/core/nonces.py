"""Replay protection: a nonce may be used once within the freshness window.

Nonces are remembered in the order they arrive, which (on the wall clock) is also the order they expire, so
expiring them is popping from the front, done at most once a second (an entry past its time but not yet
popped is already treated as unseen). The cache is also bounded: under a sustained load of thousands of
signed requests a second, fifteen minutes of nonces would otherwise be millions of entries. Past the bound
the oldest are forgotten first; a replay of one of those (older than the newest `limit` requests) would
pass, which only a deliberate replay test of a request that far back could notice.
"""

from __future__ import annotations

from collections import OrderedDict

DEFAULT_LIMIT = 500_000
PRUNE_EVERY = 1.0


class NonceCache:
    def __init__(self, window: float = 15 * 60, limit: int = DEFAULT_LIMIT) -> None:
        self.window = window
        self.limit = limit
        self._expiry: OrderedDict[str, float] = OrderedDict()
        self._next_prune = 0.0

    def seen(self, key: str, now: float) -> bool:
        if now >= self._next_prune:
            self._prune(now)
        expires = self._expiry.get(key)
        return expires is not None and expires > now

    def remember(self, key: str, now: float) -> None:
        """Remember a nonce `seen` has just called new (so it goes to the back, where the latest expiries are)."""
        self._expiry[key] = now + self.window
        if len(self._expiry) > self.limit:
            self._expiry.popitem(last=False)

    def clear(self) -> None:
        self._expiry.clear()

    def __len__(self) -> int:
        return len(self._expiry)

    def _prune(self, now: float) -> None:
        self._next_prune = now + PRUNE_EVERY
        expiry = self._expiry
        while expiry:
            key, expires = next(iter(expiry.items()))
            if expires > now:
                return
            del expiry[key]
