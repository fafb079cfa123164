"""The emulated world in one object: clock, randomness, accounts, messages, limits, jobs, policy.

Providers and the admin API receive a `Backend` and act on it; nothing here knows about HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from emulator.core.accounts import AccountRegistry
from emulator.core.callbacks import CallbackDispatcher
from emulator.core.catalogue import Catalogue
from emulator.core.clock import VirtualClock
from emulator.core.codes import VerificationCodes
from emulator.core.delivery import DeliveryService
from emulator.core.fixtures import Fixtures
from emulator.core.ids import RandomSource
from emulator.core.limits import QpsLimiter, SlidingWindowLimiter
from emulator.core.messages import DEFAULT_STORE_BYTES, MessageStore
from emulator.core.nonces import NonceCache
from emulator.core.number_auth import NumberAuth
from emulator.core.scheduler import Scheduler
from emulator.core.shorturls import ShortUrls

if TYPE_CHECKING:
    from emulator.core.outcomes import OutcomePolicy

RESET_TARGETS = ("messages", "scenario", "all")


class Backend:
    def __init__(self, fixtures: Fixtures, policy: OutcomePolicy, *, seed: int | None = None,
                 store_cap: int = 100_000, store_bytes: int = DEFAULT_STORE_BYTES,
                 callback_ca: str | None = None) -> None:
        self.started_at = time.time()
        self.clock = VirtualClock()
        self.ids = RandomSource(seed)
        self.fixtures = fixtures
        self.policy = policy
        self.accounts = AccountRegistry()
        self.accounts.load_fixtures(fixtures.accounts)
        self.messages = MessageStore(cap=store_cap, max_bytes=store_bytes)
        self.scheduler = Scheduler(self.clock)
        self.deliveries = DeliveryService(self.clock, self.messages, self.scheduler)
        # reports POSTed to applications (HTTPS receivers may also have certificates from `callback_ca`)
        self.callbacks = CallbackDispatcher(self.clock, self.scheduler, trust=callback_ca)
        self.limits = SlidingWindowLimiter()
        self.qps = QpsLimiter()
        self.nonces = NonceCache()
        self._reset_hooks: list[Callable[[], None]] = []
        self.on_reset(self.callbacks.reset)
        self.codes = VerificationCodes(self.clock)
        self.on_reset(self.codes.clear)
        # each account's templates and signs (seeded from the fixtures) and their reviews
        self.catalogue = Catalogue(fixtures, self.clock, self.ids, self.scheduler)
        self.on_reset(self.catalogue.clear)
        # each account's short URLs (AddShortUrl), reviewed by the catalogue's review policy
        self.short_urls = ShortUrls(self.clock, self.ids, self.scheduler, self.catalogue)
        self.on_reset(self.short_urls.clear)
        # dypnsapi number authentication: minted tokens, H5 sessions, verify schemes and every exchange
        self.number_auth = NumberAuth(self.clock, self.ids)
        self.on_reset(self.number_auth.clear)
        #: Set by `--db` (emulator.ops.persist): commits what changed, raising `StoreFailing` if it cannot.
        self.commit: Callable[[], Awaitable[None]] | None = None
        #: Why the last commit failed (None: the store is fine, or there is none); health reports it.
        self.store_error: Callable[[], str | None] = lambda: None

    async def committed(self) -> None:
        """Return once what has changed so far is kept (a no-op without `--db`).

        Gateways await it before answering success, so "acknowledged means kept": if the commit fails it
        raises `emulator.core.persistence.StoreFailing` and the gateway answers with the provider's own
        temporary-failure error instead."""
        if self.commit is not None:
            await self.commit()

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Extra state (verification codes, callbacks) registers here to be cleared with messages."""
        self._reset_hooks.append(hook)

    def reset(self, what: str = "all") -> None:
        if what not in RESET_TARGETS:
            raise ValueError(f"reset what={what!r}; expected one of {', '.join(RESET_TARGETS)}")
        if what in ("messages", "all"):
            self.messages.clear()
            self.scheduler.clear()
            self.limits.clear()
            self.qps.clear()
            self.nonces.clear()
            self.accounts.restore()
            for hook in self._reset_hooks:
                hook()
        if what == "all":
            self.clock.reset()
            self.ids.reseed()
        if what in ("scenario", "all"):
            self.policy.reset()   # last: the scenario's time window restarts at the reset clock

    def delete_account(self, name: str) -> None:
        """Remove a run-time account (the pytest plugin's per-test ones): its credentials, codes and limit
        windows go; its messages stay in the (bounded) store, so the inbox still shows what a failed test
        sent. Raises KeyError (no such account) or ValueError (a fixture account). Its short URLs go too: no
        one can query them any more, and per-test accounts would otherwise pile them up."""
        self.accounts.remove(name)
        self.codes.forget_account(name)
        self.limits.forget_account(name)
        self.number_auth.forget_account(name)
        self.short_urls.forget_account(name)

    def forget_account(self, name: str) -> None:
        """`reset?what=messages` for one account only: a test on a shared emulator must not wipe its
        neighbours' messages, so it forgets its own messages, codes, limit windows, reports, catalogue and short
        URLs instead."""
        self.messages.forget_account(name)
        self.codes.forget_account(name)
        self.limits.forget_account(name)
        self.callbacks.forget_account(name)
        self.catalogue.forget_account(name)
        self.short_urls.forget_account(name)
        self.number_auth.forget_account(name)
