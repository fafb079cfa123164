"""Replay protection's memory: a nonce is refused again within its window, and the cache stays bounded."""

from __future__ import annotations

from emulator.core.nonces import NonceCache


def test_a_nonce_is_seen_until_its_window_ends():
    cache = NonceCache(window=900)
    cache.remember("testid\x00n1", 1000.0)
    assert cache.seen("testid\x00n1", 1899.0)
    assert not cache.seen("testid\x00n2", 1899.0)
    assert not cache.seen("testid\x00n1", 1900.0)
    assert len(cache) == 0                       # expired entries are gone, not just ignored


def test_expiry_follows_arrival_order():
    cache = NonceCache(window=10)
    for i in range(100):
        cache.remember(f"k{i}", float(i))
    assert not cache.seen("k4", 14.5) and cache.seen("k5", 14.5)
    assert len(cache) == 95


def test_past_its_limit_the_cache_forgets_the_oldest_nonces_first():
    cache = NonceCache(window=900, limit=1000)
    for i in range(1500):
        cache.remember(f"k{i}", 0.0)
    assert len(cache) == 1000
    assert not cache.seen("k499", 1.0)
    assert cache.seen("k500", 1.0) and cache.seen("k1499", 1.0)
