"""The emulator's state on disk: one SQLite file holding a snapshot of the backend, table by table.

What is stored is *state*, not a log of requests: one row per message, scheduled job, account, STS credential,
verification-code scope and limit window, each as JSON, plus a few scalars in `meta` (clock offset, id
counters). A restart reads the rows back (`SqliteStore.load`) and `emulator.core.snapshot.restore` rebuilds the
backend from them; nothing is replayed.

Writes come as `Changes` (rows to upsert or delete, tables to wipe) and each `write` is one transaction, so
after a crash the file holds the state as of some commit, never half of one. The database runs in WAL mode
with `synchronous=NORMAL`: a commit appends to the write-ahead log without an fsync. That survives the
emulator being killed (`kill -9`, OOM, a crashed container: the log is in the operating system's page cache),
which is what an emulator must survive; only a power cut can lose the last commits, an acceptable trade for
commits that cost tens of microseconds instead of an fsync each.

The one fsync left is the checkpoint (copying the log into the database file), which SQLite would otherwise run
inside whichever commit crosses 1000 pages of log, stalling that commit for milliseconds. Automatic checkpoints
are switched off and a thread with its own connection checkpoints once a second instead (`PASSIVE`: it never
blocks the writer), so a commit on the event loop never waits for the disk.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
CHECKPOINT_INTERVAL = 1.0
#: Row tables: each is `(key TEXT PRIMARY KEY, data TEXT)` except messages and jobs, keyed by integers.
#: Balances have a table of their own: every send changes one, and a number is cheaper to write than an account.
TABLES = ("messages", "jobs", "accounts", "balances", "sts", "codes", "limits", "catalogue", "number_auth",
          "short_urls")
_INTEGER_KEYED = frozenset({"messages", "jobs"})


class PersistenceError(Exception):
    """The database cannot be opened or is not one of ours (reported in one line at start)."""


class StoreFailing(Exception):
    """A commit failed (disk full, file made read-only): what the request changed is not kept.

    "Acknowledged means kept": a provider request whose changes cannot be committed is answered with the
    provider's temporary-failure error instead of its success (see `Backend.committed`)."""


@dataclass
class Changes:
    """One transaction's worth of writes."""

    wipe: set[str] = field(default_factory=set)                             # emptied first
    upsert: dict[str, list[tuple[Any, str]]] = field(default_factory=dict)  # table -> [(key, JSON data)]
    delete: dict[str, list[Any]] = field(default_factory=dict)              # table -> [key]
    meta: dict[str, Any] = field(default_factory=dict)
    prune_messages_below: int | None = None     # message ids below this fell out of the bounded store
    keep_messages: list[int] | None = None      # every message still in memory; other rows are deleted

    def __bool__(self) -> bool:
        return bool(self.wipe or self.upsert or self.delete or self.meta or self.prune_messages_below
                    or self.keep_messages is not None)


@dataclass
class Snapshot:
    """Everything `load` found: JSON-decoded rows per table (in key order) and the meta values.

    `reading` names the row being restored (`table jobs, key 12`), so a row that decodes but cannot be
    rebuilt (a damaged file, a hand edit) is reported by where it is, not by a traceback from deep inside.
    """

    meta: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, list[tuple[Any, Any]]] = field(default_factory=dict)
    reading: str = "table meta"

    def table(self, name: str) -> list[tuple[Any, Any]]:
        return _Rows(self, name, self.rows.get(name, []))

    @property
    def empty(self) -> bool:
        return not self.meta and not any(self.rows.values())


class _Rows(list):  # type: ignore[type-arg]
    """A table's rows that, iterated, note in their snapshot which row is being read."""

    def __init__(self, snapshot: Snapshot, name: str, rows: list[tuple[Any, Any]]) -> None:
        super().__init__(rows)
        self.snapshot, self.name = snapshot, name

    def __iter__(self):  # type: ignore[no-untyped-def]
        for row in super().__iter__():
            self.snapshot.reading = f"table {self.name}, key {str(row[0])[:80]!r}"
            yield row
        self.snapshot.reading = "table meta"


class SqliteStore:
    def __init__(self, path: str | Path, checkpoint_interval: float | None = CHECKPOINT_INTERVAL) -> None:
        self.path = Path(path)
        try:
            # Only the event loop's thread uses the connection, but it may be opened on another (tests).
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                raise sqlite3.DatabaseError(f"cannot switch to WAL mode (journal mode stays {mode})")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._create()
        except sqlite3.Error as exc:
            raise PersistenceError(f"cannot use {self.path} as the state database: {exc}") from None
        self._checkpoints: _Checkpointer | None = None
        if checkpoint_interval:
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpoints = _Checkpointer(self.path, checkpoint_interval)
            self._checkpoints.start()

    def _create(self) -> None:
        with self._transaction():
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            for table in TABLES:
                key_type = "INTEGER" if table in _INTEGER_KEYED else "TEXT"
                self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key {key_type} PRIMARY KEY, data TEXT NOT NULL)")
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is not None and json.loads(row[0]) != SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"schema version {row[0]}, this emulator writes {SCHEMA_VERSION}")
            # Written even when present: a database that opens but cannot be written (a read-only file or
            # directory) must fail here, at start, not by silently keeping nothing of what it acknowledges.
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (json.dumps(SCHEMA_VERSION),))

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def load(self) -> Snapshot:
        """Every row, decoded; a row that is not JSON, or a file SQLite cannot read, is a `PersistenceError`
        naming the file and the row (one line at start instead of a decoder's message or a traceback)."""
        snapshot = Snapshot()
        try:
            for key, value in self._db.execute("SELECT key, value FROM meta WHERE key != 'schema'"):
                snapshot.meta[key] = self._decoded("meta", key, value)
            for table in TABLES:
                snapshot.rows[table] = [(key, self._decoded(table, key, data)) for key, data
                                        in self._db.execute(f"SELECT key, data FROM {table} ORDER BY key")]
        except sqlite3.Error as exc:
            raise PersistenceError(f"cannot read the state database {self.path}: {exc}") from None
        return snapshot

    def _decoded(self, table: str, key: Any, text: Any) -> Any:
        try:
            return json.loads(text)
        except (ValueError, TypeError, RecursionError) as exc:
            raise PersistenceError(f"the state database {self.path} is damaged: table {table}, key "
                                   f"{str(key)[:80]!r} is not JSON ({str(exc)[:80]}); repair or remove the file"
                                   ) from None

    def write(self, changes: Changes) -> None:
        if not changes:
            return
        db = self._db
        with self._transaction():
            for table in changes.wipe:
                db.execute(f"DELETE FROM {_checked(table)}")
            for table, keys in changes.delete.items():
                db.executemany(f"DELETE FROM {_checked(table)} WHERE key = ?", [(k,) for k in keys])
            for table, rows in changes.upsert.items():
                db.executemany(f"INSERT OR REPLACE INTO {_checked(table)} (key, data) VALUES (?, ?)", rows)
            if changes.keep_messages is not None:
                stale = self.keys("messages").difference(changes.keep_messages)
                db.executemany("DELETE FROM messages WHERE key = ?", [(k,) for k in stale])
            if changes.prune_messages_below is not None:
                db.execute("DELETE FROM messages WHERE key < ?", (changes.prune_messages_below,))
            if changes.meta:
                db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                               [(k, json.dumps(v)) for k, v in changes.meta.items()])

    def keys(self, table: str) -> set[Any]:
        return {key for (key,) in self._db.execute(f"SELECT key FROM {_checked(table)}")}

    def count(self, table: str) -> int:
        return int(self._db.execute(f"SELECT count(*) FROM {_checked(table)}").fetchone()[0])

    def close(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.stop()
        self._db.close()       # the last connection to close checkpoints what is left and removes the log


class _Checkpointer(threading.Thread):
    """Copies the write-ahead log into the database every `interval` seconds, off the event loop."""

    def __init__(self, path: Path, interval: float) -> None:
        super().__init__(name="sms-emulator-checkpoint", daemon=True)
        self._path = path
        self._interval = interval
        self._stopping = threading.Event()

    def run(self) -> None:
        db = sqlite3.connect(self._path, isolation_level=None)
        try:
            while not self._stopping.wait(self._interval):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    continue    # busy or the disk is full: the log just grows until the next try
        finally:
            db.close()

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=10)


class _Transaction:
    """`BEGIN IMMEDIATE` ... `COMMIT`, or `ROLLBACK` if the block raised (autocommit mode otherwise)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self._db.execute("ROLLBACK" if kind is not None else "COMMIT")


def _checked(table: str) -> str:
    if table not in TABLES:
        raise ValueError(f"no table {table!r}")
    return table
