"""Verification codes the emulated service generated itself (dypnsapi SendSmsVerifyCode / CheckSmsVerifyCode).

Only codes the service generated (`##code##`) are kept: a code the caller wrote into the template itself is
sent but, as on the real service, can never be checked. Codes are scoped by (account, scheme, country code,
phone), so two schemes (or two accounts in parallel tests) never see each other's codes, and they expire on
the virtual clock, so a test can let a code run out by advancing the clock instead of sleeping.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from emulator.core.clock import VirtualClock, iso_utc
from emulator.core.sweep import KEPT_AFTER_EXPIRY, SweepPolicy

#: DuplicatePolicy 1: a new code replaces the live ones (the default of the real service).
OVERWRITE = 1
#: DuplicatePolicy 2: every live code stays valid until it expires or passes.
KEEP = 2
#: Wrong guesses a code survives; the next one kills it, so codes cannot be brute-forced.
MAX_WRONG_ATTEMPTS = 5

Scope = tuple[str, str, str, str]       # (account, scheme, country code, phone)


@dataclass
class IssuedCode:
    code: str
    account: str
    scheme: str
    country_code: str
    phone: str
    issued_at: float
    expires_at: float
    biz_id: str | None = None
    out_id: str | None = None
    seq: int = 0                      # issue order, so "newest" is exact even within one clock tick
    wrong_attempts: int = 0
    #: why the code can no longer pass: passed | replaced | attempts (None while it may still pass)
    ended: str | None = None

    def live(self, now: float) -> bool:
        return self.ended is None and now < self.expires_at

    def matches(self, candidate: str, case_sensitive: bool) -> bool:
        if case_sensitive:
            return candidate == self.code
        return candidate.casefold() == self.code.casefold()

    def end(self, why: str, now: float) -> None:
        self.ended = why

    def to_json(self, now: float) -> dict[str, Any]:
        return {
            "code": self.code, "account": self.account, "scheme": self.scheme, "country_code": self.country_code,
            "phone": self.phone, "issued_at": self.issued_at, "issued_at_iso": iso_utc(self.issued_at),
            "expires_at": self.expires_at, "expires_at_iso": iso_utc(self.expires_at),
            "biz_id": self.biz_id, "out_id": self.out_id, "wrong_attempts": self.wrong_attempts,
            "live": self.live(now),
        }


@dataclass
class VerificationCodes:
    """Live and spent codes per scope, plus when each scope last had a code sent (for `Interval`)."""

    clock: VirtualClock
    _codes: dict[Scope, list[IssuedCode]] = field(default_factory=dict)
    _last_send: dict[Hashable, float] = field(default_factory=dict)
    _seq: itertools.count = field(default_factory=itertools.count)
    _sweep: SweepPolicy = field(default_factory=SweepPolicy)

    # Sending ---------------------------------------------------------------------------------------

    def seconds_since_send(self, scope: Hashable) -> float | None:
        """How long ago a code (checkable or not) went to this scope; None if never (since the last reset)."""
        last = self._last_send.get(scope)
        return None if last is None else self.clock.now() - last

    def record_send(self, scope: Hashable) -> None:
        """Remember a send for the `Interval` check (literal codes count too: the phone got an SMS)."""
        self._last_send[scope] = self.clock.now()
        self._sweep_if_due()

    def issue(self, scope: Scope, code: str, valid_for: float, policy: int = OVERWRITE,
              biz_id: str | None = None, out_id: str | None = None) -> IssuedCode:
        """Store a generated code; with `OVERWRITE` every code still live for the scope stops passing."""
        now = self.clock.now()
        codes = self._codes.setdefault(scope, [])
        if policy == OVERWRITE:
            for old in codes:
                if old.live(now):
                    old.end("replaced", now)
        account, scheme, country_code, phone = scope
        issued = IssuedCode(code, account, scheme, country_code, phone, now, now + valid_for, biz_id, out_id,
                            next(self._seq))
        # Dead codes are of no use to anyone; dropping them keeps a long-running demo's memory flat.
        codes[:] = [c for c in codes if c.live(now)]
        codes.append(issued)
        self._sweep_if_due()
        return issued

    # Forgetting --------------------------------------------------------------------------------------

    def _sweep_if_due(self) -> None:
        if self._sweep.due(max(len(self._codes), len(self._last_send))):
            self.prune(self.clock.now())

    def prune(self, now: float) -> int:
        """Forget scopes with no live code and no send for a day: a phone number used once must not stay."""
        horizon = now - KEPT_AFTER_EXPIRY
        stale = [scope for scope in set(self._codes) | set(self._last_send)
                 if all(c.expires_at <= horizon for c in self._codes.get(scope, ()))
                 and self._last_send.get(scope, float("-inf")) <= horizon]
        for scope in stale:
            self._drop(scope)
        self._sweep.swept(max(len(self._codes), len(self._last_send)))
        return len(stale)

    def _drop(self, scope: Hashable) -> None:
        self._codes.pop(scope, None)  # type: ignore[call-overload]
        self._last_send.pop(scope, None)

    # Checking --------------------------------------------------------------------------------------

    def check(self, scope: Scope, candidate: str, case_sensitive: bool = False) -> IssuedCode | None:
        """The code that passes (now spent), or None; a miss counts as a wrong attempt on every live code."""
        now = self.clock.now()
        live = [c for c in self._codes.get(scope, ()) if c.live(now)]
        for issued in reversed(live):            # newest first: with KEEP several may be live
            if issued.matches(candidate, case_sensitive):
                issued.end("passed", now)
                return issued
        for issued in live:
            issued.wrong_attempts += 1
            if issued.wrong_attempts >= MAX_WRONG_ATTEMPTS:
                issued.end("attempts", now)
        return None

    # Inspection ------------------------------------------------------------------------------------

    def latest(self, phone: str, account: str | None = None) -> IssuedCode | None:
        """The newest live code sent to `phone` (any scheme, any account unless one is named)."""
        now = self.clock.now()
        found = [c for (acct, _, _, number), codes in self._codes.items()
                 if number == phone and (account is None or acct == account)
                 for c in codes if c.live(now)]
        return max(found, key=lambda c: c.seq, default=None)

    def clear(self) -> None:
        self._codes.clear()
        self._last_send.clear()

    def forget_account(self, account: str) -> None:
        """Drop one account's codes and send times (scopes start with the account name)."""
        for scope in {s for s in self._codes if s[0] == account} | {
                k for k in self._last_send if isinstance(k, tuple) and k and k[0] == account}:
            self._drop(scope)
