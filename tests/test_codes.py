"""The verification-code store on its own: scopes, policies, attempts and expiry on a pinned clock."""

from __future__ import annotations

from emulator.core.clock import VirtualClock
from emulator.core.codes import KEEP, MAX_WRONG_ATTEMPTS, OVERWRITE, VerificationCodes

A = ("acct", "默认方案", "86", "13912340000")


def store() -> VerificationCodes:
    return VerificationCodes(VirtualClock(wall=lambda: 1_000_000.0))


def test_overwrite_ends_live_codes_and_keep_does_not():
    codes = store()
    codes.issue(A, "1111", 300)
    codes.issue(A, "2222", 300, OVERWRITE)
    assert codes.check(A, "1111") is None
    codes.issue(A, "3333", 300, KEEP)
    assert codes.check(A, "2222") is not None and codes.check(A, "3333") is not None


def test_scopes_and_accounts_are_separate():
    codes = store()
    codes.issue(A, "1111", 300)
    assert codes.check(("other", *A[1:]), "1111") is None
    assert codes.check((A[0], "支付", *A[2:]), "1111") is None
    assert codes.latest(A[3], account="other") is None
    assert codes.latest(A[3], account="acct").code == "1111"
    assert codes.check(A, "1111") is not None


def test_expiry_is_exclusive_at_the_end():
    codes = store()
    codes.issue(A, "1111", 300)
    codes.clock.advance(299.5)
    assert codes.latest(A[3]) is not None
    codes.clock.advance(0.5)
    assert codes.latest(A[3]) is None and codes.check(A, "1111") is None


def test_wrong_attempts_end_every_live_code_of_the_scope():
    codes = store()
    codes.issue(A, "AAAA", 300, KEEP)
    codes.issue(A, "BBBB", 300, KEEP)
    for _ in range(MAX_WRONG_ATTEMPTS):
        assert codes.check(A, "zzzz") is None
    assert codes.check(A, "AAAA") is None and codes.check(A, "BBBB") is None


def test_a_new_code_starts_with_no_wrong_attempts():
    codes = store()
    codes.issue(A, "AAAA", 300)
    for _ in range(MAX_WRONG_ATTEMPTS - 1):
        codes.check(A, "zzzz")
    codes.issue(A, "BBBB", 300)
    for _ in range(MAX_WRONG_ATTEMPTS - 1):
        codes.check(A, "zzzz")
    assert codes.check(A, "BBBB") is not None


def test_case_policy():
    codes = store()
    codes.issue(A, "AbCd", 300, KEEP)
    assert codes.check(A, "abcd", case_sensitive=True) is None
    assert codes.check(A, "ABCD").code == "AbCd"


def test_send_times_and_clear():
    codes = store()
    assert codes.seconds_since_send(A) is None
    codes.record_send(A)
    codes.clock.advance(42)
    assert codes.seconds_since_send(A) == 42
    codes.issue(A, "1111", 300)
    codes.clear()
    assert codes.seconds_since_send(A) is None and codes.latest(A[3]) is None
