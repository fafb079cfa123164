"""Accounts: the unit of isolation. Every key, secret, message, code and limit belongs to one."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from emulator.core.ids import RandomSource
from emulator.core.sweep import KEPT_AFTER_EXPIRY, SweepPolicy


@dataclass
class StsCredential:
    """Short-lived credentials as GetSmsAuthTokens (or a fixture) hands them out."""

    access_key_id: str
    access_key_secret: str
    security_token: str
    account: str
    expires_at: float | None      # virtual epoch seconds; None = never
    issued_at: float = 0.0
    biz_token: str = ""

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass
class Account:
    name: str
    access_keys: dict[str, str] = field(default_factory=dict)     # AccessKeyId -> secret
    disabled_keys: set[str] = field(default_factory=set)
    balance: int | None = None
    qps: int | None = None
    functions: dict[str, bool] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=dict)
    receipts: dict[str, str | None] = field(default_factory=dict)
    onecloud_secret: str | None = None
    onecloud_return_url: str | None = None
    created_at: float = 0.0
    from_fixtures: bool = True

    def function_on(self, name: str) -> bool:
        return self.functions.get(name, True)

    def to_json(self, with_secrets: bool = True) -> dict[str, Any]:
        keys = [{"access_key_id": k, **({"access_key_secret": s} if with_secrets else {}),
                 "enabled": k not in self.disabled_keys} for k, s in self.access_keys.items()]
        return {
            "name": self.name,
            "access_keys": keys,
            "app_secret": self.onecloud_secret if with_secrets else None,
            "return_url": self.onecloud_return_url,
            "balance": self.balance,
            "qps": self.qps,
            "functions": dict(self.functions),
            "limits": copy.deepcopy(self.limits),
            "receipts": dict(self.receipts),
            "created_at": self.created_at,
        }


def account_from_fixture(item: dict[str, Any]) -> Account:
    onecloud = item.get("onecloud") or {}
    return Account(
        name=item["name"],
        access_keys={k["id"]: k["secret"] for k in item.get("access_keys", [])},
        disabled_keys={k["id"] for k in item.get("access_keys", []) if k.get("enabled") is False},
        balance=item.get("balance"),
        qps=item.get("qps"),
        functions=dict(item.get("functions") or {}),
        limits=copy.deepcopy(item.get("limits") or {}),
        receipts=dict(item.get("receipts") or {}),
        onecloud_secret=onecloud.get("app_secret"),
        onecloud_return_url=onecloud.get("return_url"),
    )


class AccountRegistry:
    """Lookup of accounts by every credential a provider can present."""

    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}
        self._by_key: dict[str, str] = {}
        self._by_app_secret: dict[str, str] = {}
        self._sts_by_token: dict[str, StsCredential] = {}
        self._sts_by_key: dict[str, StsCredential] = {}
        self._fixture_items: list[dict[str, Any]] = []
        self._fixture_sts: list[tuple[str, dict[str, Any]]] = []
        self._sts_sweep = SweepPolicy()

    # Loading and resetting -------------------------------------------------------------------------

    def load_fixtures(self, items: list[dict[str, Any]]) -> None:
        self._fixture_items = copy.deepcopy(items)
        self._fixture_sts = [(item["name"], sts) for item in items for sts in item.get("sts", [])]
        self.restore()

    def restore(self) -> None:
        """Back to the fixtures' state: balances refilled, run-time STS credentials dropped.

        Accounts created at run time stay (they are configuration a parallel test may still use), but their
        balances and credentials are kept as they are.
        """
        runtime = [a for a in self._accounts.values() if not a.from_fixtures]
        self._accounts.clear()
        self._by_key.clear()
        self._by_app_secret.clear()
        self._sts_by_token.clear()
        self._sts_by_key.clear()
        for item in self._fixture_items:
            self.add(account_from_fixture(item))
        for account in runtime:
            self.add(account)
        for name, sts in self._fixture_sts:
            self.add_sts(StsCredential(sts["access_key_id"], sts["access_key_secret"], sts["security_token"],
                                       name, sts.get("expires_at")))

    def add(self, account: Account) -> Account:
        for key in account.access_keys:
            if key in self._by_key and self._by_key[key] != account.name:
                raise ValueError(f"AccessKeyId {key} already belongs to account {self._by_key[key]}")
        if account.onecloud_secret and self._by_app_secret.get(account.onecloud_secret, account.name) != account.name:
            raise ValueError("that AppSecret already belongs to another account")
        self._accounts[account.name] = account
        for key in account.access_keys:
            self._by_key[key] = account.name
        if account.onecloud_secret:
            self._by_app_secret[account.onecloud_secret] = account.name
        return account

    def create(self, ids: RandomSource, now: float, name: str | None = None,
               template: Account | None = None, **overrides: Any) -> Account:
        """A fresh account with new credentials, settings copied from `template` (the default account)."""
        base = template or next(iter(self._accounts.values()), Account(name="default"))
        name = name or f"acct-{ids.hex(8)}"
        if name in self._accounts:
            raise ValueError(f"account {name!r} already exists")
        account = Account(
            name=name,
            access_keys={f"LTAI{ids.alnum(20)}": ids.alnum(30)},
            balance=base.balance, qps=base.qps, functions=dict(base.functions),
            limits=copy.deepcopy(base.limits), receipts={k: None for k in base.receipts},
            onecloud_secret=ids.hex(32), onecloud_return_url=None,
            created_at=now, from_fixtures=False,
        )
        for key, value in overrides.items():
            if value is not None and hasattr(account, key):
                setattr(account, key, value)
        return self.add(account)

    def update(self, account: Account, settings: dict[str, Any]) -> Account:
        """Change an account's settings (the admin PATCH): one method, so persistence sees which account."""
        for key, value in settings.items():
            if key == "receipts":
                account.receipts.update(value)
            else:
                setattr(account, key, value)
        return account

    def remove(self, name: str) -> Account:
        """Forget a run-time account with its keys, AppSecret and STS credentials (O(its credentials))."""
        account = self._accounts[name]
        if account.from_fixtures:
            raise ValueError(f"account {name!r} comes from the fixtures (edit accounts.yaml to remove it)")
        del self._accounts[name]
        for key in account.access_keys:
            self._by_key.pop(key, None)
        if account.onecloud_secret:
            self._by_app_secret.pop(account.onecloud_secret, None)
        for token in [t for t, c in self._sts_by_token.items() if c.account == name]:
            self._drop_sts(token)
        return account

    # Lookup ------------------------------------------------------------------------------------------

    def get(self, name: str) -> Account | None:
        return self._accounts.get(name)

    def all(self) -> list[Account]:
        return list(self._accounts.values())

    def by_access_key(self, access_key_id: str) -> tuple[Account, str] | None:
        name = self._by_key.get(access_key_id)
        if name is None:
            return None
        account = self._accounts[name]
        return account, account.access_keys[access_key_id]

    def by_app_secret(self, secret: str) -> Account | None:
        name = self._by_app_secret.get(secret)
        return self._accounts.get(name) if name else None

    def default(self) -> Account:
        return next(iter(self._accounts.values()))

    # STS -----------------------------------------------------------------------------------------

    def add_sts(self, credential: StsCredential, now: float | None = None) -> StsCredential:
        """Register a credential; given `now` (a run-time issue), sweep out the long-expired ones when due."""
        self._sts_by_token[credential.security_token] = credential
        self._sts_by_key[credential.access_key_id] = credential
        if now is not None and self._sts_sweep.due(len(self._sts_by_token)):
            self.prune_sts(now)
        return credential

    def prune_sts(self, now: float) -> int:
        """Forget run-time credentials expired more than a day ago (fixture ones stay: they are configuration)."""
        fixture_tokens = {sts["security_token"] for _, sts in self._fixture_sts}
        gone = [token for token, c in self._sts_by_token.items()
                if c.expires_at is not None and now >= c.expires_at + KEPT_AFTER_EXPIRY
                and token not in fixture_tokens]
        for token in gone:
            self._drop_sts(token)
        self._sts_sweep.swept(len(self._sts_by_token))
        return len(gone)

    def _drop_sts(self, token: str) -> None:
        credential = self._sts_by_token.pop(token)
        if self._sts_by_key.get(credential.access_key_id) is credential:
            del self._sts_by_key[credential.access_key_id]

    def sts_by_token(self, token: str) -> StsCredential | None:
        return self._sts_by_token.get(token)

    def sts_by_key(self, access_key_id: str) -> StsCredential | None:
        return self._sts_by_key.get(access_key_id)

    def sts_credentials(self) -> list[StsCredential]:
        return list(self._sts_by_token.values())

    # Money ---------------------------------------------------------------------------------------

    @staticmethod
    def can_afford(account: Account, segments: int) -> bool:
        return account.balance is None or account.balance >= segments

    @staticmethod
    def charge(account: Account, segments: int) -> None:
        if account.balance is not None:
            account.balance -= segments
