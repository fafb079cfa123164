"""`--db FILE`: the backend restored at start and written to SQLite while it runs.

When is what written?

* **Before every answer.** The timing middleware awaits `committed()` after the handler has built its response
  and before aiohttp sends it, so whatever a request changed (the message, its delivery job, the charge, the
  code, the limit window) is committed before the client can see "OK": `kill -9` at any moment loses no
  acknowledged message (tests/test_persistence.py kills the emulator in the middle of a burst to prove it).
  The commit runs on the event loop itself: in WAL mode with `synchronous=NORMAL` it is a few page writes to
  the log and no fsync (checkpoints run on their own thread, see `SqliteStore`), cheaper than handing it to a
  thread and waiting. Requests finishing in the same turn of the loop share one commit (group commit).
  Measured with bench/run.py (server CPU per request, SendSms and 1oc sends, noisy shared machine): about
  +100 to +150 µs per request when requests come one at a time (one ~50 µs collect plus a ~90 µs commit), and
  +0 to +50 µs at 50 concurrent connections, where a commit is shared; a plain commit per request cost
  +110 to +130 µs there. That is 10-25 % on top of the 400-700 µs a signed send costs anyway.
* **Every 100 ms in the background**, for changes no request makes: deliveries and reports run by the
  scheduler, retries, the clock moving. At worst the last 100 ms of those are redone after a crash (a report
  is then sent again: at least once, as the real platforms do).
* **At shutdown**, after the scheduler has stopped and the reports in flight have been answered, so the queue
  on disk is exactly what is left to do.

Each write is one transaction of only the rows that changed (`ChangeTracker`); without `--db` none of this
is attached and the emulator pays nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

from emulator.core.backend import Backend
from emulator.core.persistence import PersistenceError, SqliteStore, StoreFailing
from emulator.core.snapshot import restore
from emulator.core.tracker import ChangeTracker

log = logging.getLogger("sms_emulator.persistence")

FLUSH_INTERVAL = 0.1


class DurableState:
    def __init__(self, backend: Backend, path: str | Path, interval: float = FLUSH_INTERVAL) -> None:
        self.backend = backend
        self.store = SqliteStore(path)
        self.interval = interval
        try:
            snapshot = self.store.load()
        except PersistenceError:
            self.store.close()
            raise
        try:
            self.restored = restore(backend, snapshot) if not snapshot.empty else {}
            last_id = max([int(snapshot.meta.get("last_message_id", 0)),
                           *(k for k, _ in snapshot.table("messages"))])
        except Exception as exc:    # a row of the right JSON but the wrong shape: name it, in one line
            self.store.close()
            why = " ".join(str(exc).split())[:120]
            raise PersistenceError(f"the state database {self.store.path} is damaged: {snapshot.reading} cannot "
                                   f"be restored ({type(exc).__name__}: {why}); repair or remove the file") from None
        self.tracker = ChangeTracker(backend, last_message_id=last_id)
        self.tracker.mark_all()     # the restored jobs got new sequence numbers: rewrite the queue once
        self.failing: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._group: asyncio.Future[None] | None = None
        if not self.flush():
            self.store.close()
            raise PersistenceError(f"cannot write the state database {self.store.path}: {self.failing}")
        backend.commit = self.committed
        backend.store_error = lambda: self.failing

    async def committed(self) -> None:
        """Return once every change made so far is committed (group commit).

        Requests that finish in the same turn of the event loop share one transaction: the first schedules a
        flush for the end of the turn, the others join it. Under concurrent load that spreads one commit over
        many requests; alone, a request pays one commit, as with a plain synchronous flush. Raises
        `StoreFailing` when that commit failed: nothing of it is kept, so nothing of it may be acknowledged.
        """
        if not self.tracker.dirty:
            return
        if self._group is None:
            loop = asyncio.get_running_loop()
            self._group = loop.create_future()
            loop.call_soon(self._commit_group)
        await asyncio.shield(self._group)      # a cancelled request must not cancel its neighbours' commit

    def _commit_group(self) -> None:
        group, self._group = self._group, None
        ok = False
        try:
            ok = self.flush()
        finally:
            if group is not None and not group.done():
                if ok:
                    group.set_result(None)
                else:
                    group.set_exception(StoreFailing(self.failing or "the commit failed"))

    def flush(self) -> bool:
        """Commit what changed since the last flush (nothing at all when nothing did); False if it failed."""
        if not self.tracker.dirty:
            return True
        changes = self.tracker.collect()
        try:
            self.store.write(changes)
        except sqlite3.Error as exc:
            # Keep serving errors rather than dying (health says why), say so once, and rewrite everything
            # when the disk is back: the failed transaction was rolled back whole.
            if self.failing is None:
                log.error("cannot write the state database %s: %s", self.store.path, exc)
            self.failing = str(exc)
            self.tracker.mark_all()
            return False
        if self.failing is not None:
            log.warning("writing the state database %s again", self.store.path)
        self.failing = None
        return True

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.flush()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._flush_forever())

    async def close(self) -> None:
        """Graceful shutdown: stop the queue, let reports in flight finish, write the last state, close."""
        await self.backend.scheduler.stop()
        await self.backend.callbacks.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.flush()
        self.store.close()
