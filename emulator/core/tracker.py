"""Which parts of the backend changed since the last write, so a write touches only those rows.

A send changes one message, one or two jobs, one account's balance and a limit window; rewriting the whole
world for it would make every request cost as much as the state is large. So the tracker follows the hot
paths at row granularity: the message store's and the scheduler's change events, and the few mutating
methods of accounts, codes and limits (wrapped on this backend's instances only, so an emulator without a
database pays nothing). Rarer, broader operations (reset, forgetting an account, anything done through the
admin API's reset) mark whole sections for a rewrite instead (`mark_all`). Admin writes to one account go
through `AccountRegistry.create/update`, hooked here, so they write that account's rows only, however many
accounts and credentials there are: state an admin endpoint changes must be changed through a hooked method.

A report's job leaves the queue when its POST starts, but its row stays until the POST has finished: killed
mid-send, the emulator sends that report again after the restart (at least once, as the real platforms do).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from emulator.core import snapshot as rows
from emulator.core.callbacks import JOB_KIND as CALLBACK_JOB
from emulator.core.persistence import Changes

if TYPE_CHECKING:
    from emulator.core.backend import Backend
    from emulator.core.messages import Message
    from emulator.core.scheduler import Job

SECTIONS = ("accounts", "balances", "sts", "codes", "limits", "catalogue", "short_urls", "number_auth", "jobs")


class ChangeTracker:
    def __init__(self, backend: Backend, last_message_id: int = 0) -> None:
        self.backend = backend
        self._changed = False
        self._messages: set[int] = set()
        self._messages_wiped = False
        self._reconcile_messages = False
        self._jobs: dict[int, Job] = {}
        self._jobs_gone: set[int] = set()
        self._sending: dict[int, Job] = {}
        self._accounts: set[str] = set()
        self._balances: set[str] = set()
        self._sts: set[str] = set()
        self._codes: set[Hashable] = set()
        self._limits: set[Hashable] = set()
        self._catalogue: set[str] = set()
        self._short_urls: set[str] = set()
        self._number_auth: set[str] = set()
        self._full: set[str] = set()
        self._last_message_id = last_message_id
        self._written_meta: dict[str, Any] = {}
        self._attach()

    @property
    def dirty(self) -> bool:
        """Anything to write? (A report being sent keeps its row until it is answered.)"""
        return self._changed or bool(self._sending) or rows.meta_values(self.backend) != self._written_meta

    def mark_all(self) -> None:
        """Rewrite every small section and drop messages no longer in memory at the next write."""
        self._full.update(SECTIONS)
        self._reconcile_messages = True
        self._changed = True

    # Hooks -----------------------------------------------------------------------------------------------

    def _attach(self) -> None:
        b = self.backend
        b.messages.subscribe(self._on_message)
        b.scheduler.watch(self._on_job)
        _after(b.accounts, "add", lambda account, *a, **k: self._mark_account(account.name))
        _after(b.accounts, "update", lambda account, *a, **k: self._mark_account(account.name))
        _after(b.accounts, "remove", lambda name: self._mark_account(name))
        _after(b.accounts, "charge", lambda account, *a, **k: self._mark(self._balances, account.name))
        _after(b.accounts, "add_sts", lambda cred, *a, **k: self._mark(self._sts, cred.security_token))
        # Forgotten in memory (expired, swept) means deleted on disk: each goes through a per-key `_drop`.
        _after(b.accounts, "_drop_sts", lambda token: self._mark(self._sts, token))
        _after(b.codes, "_drop", lambda scope: self._mark(self._codes, scope))
        _after(b.limits, "_drop", lambda key: self._mark(self._limits, key))
        _after(b.accounts, "restore", lambda *a, **k: self.mark_sections("accounts", "balances", "sts"))
        for name in ("record_send", "issue", "check"):
            _after(b.codes, name, lambda scope, *a, **k: self._mark(self._codes, scope))
        _after(b.codes, "clear", lambda *a, **k: self.mark_sections("codes"))
        _after(b.limits, "record", lambda key, *a, **k: self._mark(self._limits, key))
        _after(b.limits, "clear", lambda *a, **k: self.mark_sections("limits"))
        b.catalogue.on_change(lambda account: self._mark(self._catalogue, account))
        b.short_urls.on_change(lambda account: self._mark(self._short_urls, account))
        b.number_auth.subscribe(lambda key: self.mark_sections("number_auth") if key is None
                                else self._mark(self._number_auth, key))
        _after(b, "reset", lambda *a, **k: self.mark_all())
        _after(b, "forget_account", lambda *a, **k: self.mark_all())

    def _mark(self, section: set[Any], key: Any) -> None:
        section.add(key)
        self._changed = True

    def _mark_account(self, name: str) -> None:
        """An account's settings and its balance row (both change on creation and on an admin PATCH)."""
        self._mark(self._accounts, name)
        self._mark(self._balances, name)

    def mark_sections(self, *sections: str) -> None:
        """Rewrite these sections whole at the next write."""
        self._full.update(sections)
        self._changed = True

    def _on_message(self, event: str, message: Message | None) -> None:
        self._changed = True
        if event == "cleared":
            self._messages.clear()
            self._messages_wiped = True
        elif message is not None:
            self._messages.add(message.id)
            if message.id > self._last_message_id:
                self._last_message_id = message.id

    def _on_job(self, event: str, job: Job | None) -> None:
        self._changed = True
        if job is None:         # cleared
            self._jobs.clear()
            self._jobs_gone.clear()
            self._sending.clear()
            self._full.add("jobs")
        elif event == "scheduled":
            self._jobs[job.seq] = job
        elif job.kind == CALLBACK_JOB and self._in_flight(job):
            self._sending[job.seq] = job
        else:
            self._jobs.pop(job.seq, None)
            self._jobs_gone.add(job.seq)

    def _in_flight(self, job: Job) -> bool:
        return any(payload is job.payload for payload in self.backend.callbacks._inflight.values())

    # Collecting ------------------------------------------------------------------------------------------

    def collect(self) -> Changes:
        """Everything changed since the last call, as rows; the tracker starts afresh."""
        b = self.backend
        changes = Changes()
        self._collect_messages(changes)
        self._collect_jobs(changes)
        full = self._full
        _section(changes, "accounts", "accounts" in full, self._accounts,
                 lambda: (a.name for a in b.accounts.all()),
                 lambda name: rows.account_row(a) if (a := b.accounts.get(name)) else None)
        _section(changes, "balances", "balances" in full, self._balances,
                 lambda: (a.name for a in b.accounts.all()),
                 lambda name: rows.balance_row(a) if (a := b.accounts.get(name)) else None)
        _section(changes, "sts", "sts" in full, self._sts,
                 lambda: (c.security_token for c in b.accounts.sts_credentials()),
                 lambda token: rows.sts_row(c) if (c := b.accounts.sts_by_token(token)) else None)
        _section(changes, "codes", "codes" in full, self._codes, lambda: rows.code_scopes(b),
                 lambda scope: rows.codes_row(b, scope))
        _section(changes, "limits", "limits" in full, self._limits, lambda: rows.limit_keys(b),
                 lambda key: rows.limits_row(b, key))
        _section(changes, "catalogue", "catalogue" in full, self._catalogue, b.catalogue.accounts,
                 lambda account: rows.catalogue_row(b, account))
        _section(changes, "short_urls", "short_urls" in full, self._short_urls, b.short_urls.accounts,
                 lambda account: rows.short_urls_row(b, account))
        _section(changes, "number_auth", "number_auth" in full, self._number_auth, b.number_auth.keys,
                 lambda key: rows.number_auth_row(b, key))
        meta = rows.meta_values(b)
        changes.meta.update((k, v) for k, v in meta.items() if self._written_meta.get(k, object()) != v)
        self._written_meta = meta
        self._full = set()
        self._changed = False
        return changes

    def _collect_messages(self, changes: Changes) -> None:
        store = self.backend.messages
        if self._messages_wiped or self._reconcile_messages:
            # The table may lose its newest rows: keep the id counter where ids must continue from.
            changes.meta["last_message_id"] = self._last_message_id
        if self._messages_wiped:
            changes.wipe.add("messages")
        if self._reconcile_messages:
            changes.keep_messages = [m.id for m in store.all()]
        upserts = []
        for message_id in self._messages:
            message = store.get(message_id)
            if message is not None:
                upserts.append(rows.message_row(message))
        if upserts:
            changes.upsert["messages"] = upserts
        if store.pruned and len(store):   # the store pruned its oldest to keep its bounds: so does the table
            changes.prune_messages_below = next(iter(store.all())).id
            store.pruned = False
        self._messages.clear()
        self._messages_wiped = self._reconcile_messages = False

    def _collect_jobs(self, changes: Changes) -> None:
        for seq, job in list(self._sending.items()):
            if not self._in_flight(job):          # answered (or given up): the row may go
                del self._sending[seq]
                self._jobs.pop(seq, None)
                self._jobs_gone.add(seq)
        if "jobs" in self._full:
            changes.wipe.add("jobs")
            live = [*self.backend.scheduler.pending(), *self._sending.values()]
            changes.upsert["jobs"] = [rows.job_row(job) for job in live]
        else:
            if self._jobs_gone:
                changes.delete["jobs"] = list(self._jobs_gone)
            fresh = [rows.job_row(job) for job in self._jobs.values() if not job.cancelled]
            if fresh:
                changes.upsert["jobs"] = fresh
        self._jobs.clear()
        self._jobs_gone.clear()


def _section(changes: Changes, table: str, full: bool, dirty: set[Any], every: Callable[[], Any],
             row: Callable[[Any], tuple[Any, str] | None]) -> None:
    """Rows for the dirty keys of one section (a key without a row any more is deleted), or all of them."""
    keys = list(every()) if full else list(dirty)
    upserts, deletes = [], []
    for key in keys:
        found = row(key)
        if found is None:
            deletes.append(rows.key_text(key) if table in ("codes", "limits") else key)
        else:
            upserts.append(found)
    if full:
        changes.wipe.add(table)
    elif deletes:
        changes.delete[table] = deletes
    if upserts:
        changes.upsert[table] = upserts
    dirty.clear()


def _after(obj: object, name: str, hook: Callable[..., None]) -> None:
    """Call `hook` with the same arguments after `obj.name(...)` returns (on this instance only)."""
    original = getattr(obj, name, None)
    if original is None:
        return

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        hook(*args, **kwargs)
        return result

    setattr(obj, name, wrapper)
