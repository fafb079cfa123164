"""Backend state <-> rows: how each part of the world is encoded for `SqliteStore`, and rebuilt at start.

This is the one module that knows the stores' containers (the message dict, the scheduler's queue, the code
and limit maps); `tests/test_persistence.py` round-trips every section, so a store that changes shape fails a
test rather than silently dropping state.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Hashable, Iterable
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from emulator.core.accounts import Account, StsCredential
from emulator.core.catalogue import book_from_json, book_json
from emulator.core.codes import IssuedCode
from emulator.core.messages import Message
from emulator.core.persistence import Snapshot
from emulator.core.shorturls import book_from_json as short_urls_from_json
from emulator.core.shorturls import book_json as short_urls_json

if TYPE_CHECKING:
    from emulator.core.backend import Backend
    from emulator.core.scheduler import Job

log = logging.getLogger("sms_emulator.persistence")

_MESSAGE_FIELDS = frozenset(f.name for f in fields(Message))
_CODE_FIELDS = frozenset(f.name for f in fields(IssuedCode))
_STS_FIELDS = frozenset(f.name for f in fields(StsCredential))
#: What a run-time change (admin PATCH, a charge) may alter on a fixture account; its credentials stay the
#: fixtures' own, so editing a secret in the fixtures takes effect even with an old database.
FIXTURE_ACCOUNT_STATE = ("balance", "qps", "functions", "limits", "receipts", "onecloud_return_url")


#: One encoder for every row: `json.dumps` with options builds a new encoder per call, a cost paid per request.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


# Encoding ------------------------------------------------------------------------------------------------

def message_row(message: Message) -> tuple[int, str]:
    return message.id, _dumps(message.fields())


def job_row(job: Job) -> tuple[int, str]:
    return job.seq, _dumps({"due": job.due, "kind": job.kind, "payload": job.payload})


def account_row(account: Account) -> tuple[str, str]:
    """Everything but the balance, whose one source of truth is its `balances` row (`balance_row`)."""
    data = {f.name: getattr(account, f.name) for f in fields(Account) if f.name != "balance"}
    data["disabled_keys"] = sorted(account.disabled_keys)
    return account.name, _dumps(data)


def balance_row(account: Account) -> tuple[str, str]:
    return account.name, _dumps(account.balance)


def sts_row(credential: StsCredential) -> tuple[str, str]:
    return credential.security_token, _dumps(vars(credential))


def key_text(key: Hashable) -> str:
    """A code scope or limit key (tuples of strings) as the row key; `tuple_key` is its inverse."""
    return _dumps(key)


def tuple_key(text: str) -> Hashable:
    return _tuplify(json.loads(text))


def _tuplify(value: Any) -> Any:
    # Keys were hashable, so every JSON array in one was a tuple.
    return tuple(_tuplify(v) for v in value) if isinstance(value, list) else value


def codes_row(backend: Backend, scope: Hashable) -> tuple[str, str] | None:
    codes = backend.codes._codes.get(scope)  # type: ignore[arg-type]
    last = backend.codes._last_send.get(scope)
    if not codes and last is None:
        return None
    return key_text(scope), _dumps({"codes": [vars(c) for c in codes or ()], "last_send": last})


def limits_row(backend: Backend, key: Hashable) -> tuple[str, str] | None:
    events = backend.limits.events(key)
    if not events:
        return None
    return key_text(key), _dumps(list(events))


def catalogue_row(backend: Backend, account: str) -> tuple[str, str] | None:
    """An account's templates, signs, review policy and application times (None once it is forgotten)."""
    if account not in backend.catalogue.accounts():
        return None
    return account, _dumps(book_json(backend.catalogue.book(account)))


def short_urls_row(backend: Backend, account: str) -> tuple[str, str] | None:
    """An account's short URLs and today's creation times (None once it is forgotten)."""
    if account not in backend.short_urls.accounts():
        return None
    return account, _dumps(short_urls_json(backend.short_urls.book(account)))


def number_auth_row(backend: Backend, key: str) -> tuple[str, str] | None:
    """A minted token, H5 session, account's verify schemes or recorded exchange (None once it is gone)."""
    data = backend.number_auth.row(key)
    return None if data is None else (key, _dumps(data))


def code_scopes(backend: Backend) -> Iterable[Hashable]:
    return set(backend.codes._codes) | set(backend.codes._last_send)


def limit_keys(backend: Backend) -> Iterable[Hashable]:
    return backend.limits.keys()


def meta_values(backend: Backend) -> dict[str, Any]:
    """Scalars that change rarely (the newest message id is written only when the table cannot tell it)."""
    return {"clock_offset": backend.clock.offset, "callback_counter": backend.callbacks._counter,
            "id_epoch": backend.ids.epoch}


# Restoring -----------------------------------------------------------------------------------------------

def restore(backend: Backend, snapshot: Snapshot) -> dict[str, int]:
    """Rebuild `backend` (fresh from its fixtures) from `snapshot`; returns how many rows each section had.

    Run before the scheduler starts: restored jobs that fell due while the emulator was down then run at once,
    as if it had been running all along (the clock offset is restored first, so virtual time is continuous).
    """
    meta = snapshot.meta
    # A new epoch of seeded ids: the same sequence as last time would hand out BizIds, mids and credentials
    # the database already holds (see emulator.core.ids).
    backend.ids.new_epoch(int(meta.get("id_epoch", 0)) + 1)
    if "clock_offset" in meta:
        backend.clock._offset = float(meta["clock_offset"])   # exactly: set() would add the time it takes
    counts = {"accounts": _restore_accounts(backend, snapshot.table("accounts"))}
    # After the accounts: a balance row always wins (databases written before it was the only place a
    # balance lives also had one in the account row, possibly older than the balance row).
    for name, balance in snapshot.table("balances"):
        account = backend.accounts.get(name)
        if account is not None:
            account.balance = balance
    for _, data in snapshot.table("sts"):
        backend.accounts.add_sts(StsCredential(**{k: v for k, v in data.items() if k in _STS_FIELDS}))
    counts["sts"] = len(snapshot.table("sts"))

    store = backend.messages
    last_id = int(meta.get("last_message_id", 0))
    for message_id, data in snapshot.table("messages"):
        store.keep(Message(**{k: v for k, v in data.items() if k in _MESSAGE_FIELDS}))   # bounds may be lower now
        last_id = max(last_id, message_id)
    store._ids = itertools.count(last_id + 1)
    counts["messages"] = len(snapshot.table("messages"))

    codes = backend.codes
    top_seq = -1
    for key, data in snapshot.table("codes"):
        scope = tuple_key(key)
        issued = [IssuedCode(**{k: v for k, v in c.items() if k in _CODE_FIELDS}) for c in data.get("codes", ())]
        if issued:
            codes._codes[scope] = issued  # type: ignore[index]
            top_seq = max(top_seq, *(c.seq for c in issued))
        if data.get("last_send") is not None:
            codes._last_send[scope] = float(data["last_send"])
    codes._seq = itertools.count(top_seq + 1)
    counts["codes"] = len(snapshot.table("codes"))

    for key, events in snapshot.table("limits"):
        backend.limits.restore(tuple_key(key), [float(t) for t in events])
    counts["limits"] = len(snapshot.table("limits"))

    for account, data in snapshot.table("catalogue"):
        backend.catalogue.restore_book(account, book_from_json(data))
    counts["catalogue"] = len(snapshot.table("catalogue"))

    for account, data in snapshot.table("short_urls"):
        backend.short_urls.restore_book(account, short_urls_from_json(data))
    counts["short_urls"] = len(snapshot.table("short_urls"))

    for key, data in snapshot.table("number_auth"):
        backend.number_auth.restore_row(key, data)
    counts["number_auth"] = len(snapshot.table("number_auth"))

    for _, data in snapshot.table("jobs"):      # in their old order (by sequence number)
        backend.scheduler.schedule(float(data["due"]), data["kind"], data["payload"])
    counts["jobs"] = len(snapshot.table("jobs"))
    # Report ids (`cb-N`) continue after every id still queued, even if the counter's last write was lost.
    queued = [int(data["payload"]["id"][3:]) for _, data in snapshot.table("jobs")
              if str(data.get("payload", {}).get("id", "")).startswith("cb-") and data["payload"]["id"][3:].isdigit()]
    backend.callbacks._counter = max(backend.callbacks._counter, int(meta.get("callback_counter", 0)), *queued)
    return counts


def _restore_accounts(backend: Backend, rows: list[tuple[Any, Any]]) -> int:
    registry = backend.accounts
    for name, data in rows:
        existing = registry.get(name)
        if data.get("from_fixtures", True):
            if existing is None:
                continue    # no longer in the fixtures: it goes with them
            for attr in FIXTURE_ACCOUNT_STATE:
                if attr in data:
                    setattr(existing, attr, data[attr])
            continue
        values = {f.name: data[f.name] for f in fields(Account) if f.name in data}
        values["disabled_keys"] = set(values.get("disabled_keys", ()))
        try:
            registry.add(Account(**values))
        except ValueError as exc:    # its key or AppSecret now belongs to a fixture account
            log.warning("account %s from the database not restored: %s", name, exc)
    return len(rows)
