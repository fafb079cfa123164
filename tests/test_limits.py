"""Frequency windows: rolling counts per key, and memory that follows a day's traffic, not all time."""

from __future__ import annotations

from emulator.core.limits import LONGEST_WINDOW, QpsLimiter, SlidingWindowLimiter, Window

MINUTE = [Window("minute", 1)]
DAYS = [Window("minute", 2), Window("day", 3)]


def test_a_window_refuses_the_event_that_would_exceed_it_and_reopens_when_it_rolls_on():
    limiter = SlidingWindowLimiter()
    assert limiter.check("k", MINUTE, 0.0) is None
    limiter.record("k", 0.0)
    assert limiter.check("k", MINUTE, 59.0) == MINUTE[0]
    assert limiter.check("k", MINUTE, 60.5) is None


def test_the_shortest_window_that_would_overflow_is_named():
    limiter = SlidingWindowLimiter()
    limiter.record("k", 0.0, cost=2)
    assert limiter.check("k", DAYS, 30.0) == DAYS[0]
    assert limiter.check("k", DAYS, 120.0) is None
    limiter.record("k", 120.0)
    assert limiter.check("k", DAYS, 300.0) == DAYS[1]        # three in the day already
    assert limiter.check("k", DAYS, 300.0, cost=1) == DAYS[1]
    assert limiter.check("k", [Window("minute", 5)], 300.0, cost=6) == Window("minute", 5)


def test_keys_whose_newest_event_is_a_day_old_are_forgotten_as_others_are_recorded():
    limiter = SlidingWindowLimiter()
    for i in range(1000):
        limiter.record(("dysms", "acct", f"139{i:08d}"), float(i))
    limiter.record(("dysms", "acct", "13900000000"), 999.5)       # recorded again: kept longer
    assert len(limiter.keys()) == 1000
    limiter.record(("dysms", "acct", "other"), LONGEST_WINDOW + 600.0)
    kept = limiter.keys()
    assert ("dysms", "acct", "13900000000") in kept            # its newest event is not a day old
    assert ("dysms", "acct", "13900000599") not in kept
    assert ("dysms", "acct", "13900000601") in kept
    assert len(kept) == 1000 - 601 + 1 + 1


def test_forgetting_an_account_leaves_the_others():
    limiter = SlidingWindowLimiter()
    limiter.record(("dysms", "a", "1"), 0.0)
    limiter.record(("dysms", "b", "1"), 0.0)
    limiter.forget_account("a")
    assert limiter.keys() == [("dysms", "b", "1")]


def test_qps_counts_per_virtual_second():
    qps = QpsLimiter()
    assert [qps.allow("a", 2, 10.2) for _ in range(3)] == [True, True, False]
    assert qps.allow("a", 2, 11.0)
    assert qps.allow("b", 2, 10.5)
