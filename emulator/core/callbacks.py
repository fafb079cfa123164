"""One dispatcher for every report the emulator POSTs to an application: 1oc delivery reports, Alibaba
SmsReport / DypnsSmsVerifyReport / SmsUp pushes.

A report is a scheduler job of kind `callback` whose payload is plain JSON (id, url, body, content type,
attempt number, kind, success rule), so the queue can be listed now and persisted later without pickling
closures. When the job is due, the POST runs as a task of its own: a slow or dead receiver never holds up
deliveries or other receivers, and `drain()` lets the clock-advance endpoint (and shutdown) wait until every
send in flight has finished. A send that is not a success under its rule, times out or cannot connect is
scheduled again after the next delay of the backoff schedule (the real platforms' 1, 5, 10 minutes by
default), counted from when the failed attempt was due, so moving the clock far ahead catches up on every
retry at once, as if the emulator had been running all along. Every attempt is recorded for inspection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import posixpath
import re
import ssl
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote

import aiohttp

from emulator.core.bounds import loads_json
from emulator.core.clock import VirtualClock, iso_utc
from emulator.core.scheduler import Scheduler

log = logging.getLogger("sms_emulator.callbacks")

JOB_KIND = "callback"
#: Delays in seconds before the 2nd, 3rd, 4th attempt: Alibaba's documented re-pushes 1, 5, 10 min after a failure.
DEFAULT_BACKOFF: tuple[float, ...] = (60.0, 300.0, 600.0)
DEFAULT_TIMEOUT = 5.0
#: Concurrent POSTs; more wait for a slot (outside their timeout) instead of piling up sockets.
MAX_CONCURRENT = 64
ATTEMPT_LOG_CAP = 50_000
RESPONSE_EXCERPT = 200

#: Success rules: `2xx` (1oc: any 2xx answer) and `aliyun` (HTTP 200 whose JSON body has a numeric `code`).
RULES = ("2xx", "aliyun")

#: Where a report may go: an absolute http(s) URL on a host name or address, optionally with port, path and
#: query. The admin API's OpenAPI document states the same pattern for the receiver fields; `$` there, as
#: here, also allows one newline at the very end (as `echo` or a YAML block leaves it), which is dropped.
RECEIVER_URL = re.compile(r"^https?://([A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?([/?#][!-~]*)?$")
MAX_URL_LENGTH = 2048


#: The admin API's prefix (emulator.admin.api.PREFIX; core does not import the admin layer).
ADMIN_PREFIX = "/_emulator"
#: Sent with every report; the admin API refuses requests bearing it (a report never drives the admin API).
USER_AGENT = "sms-emulator-callbacks"
#: The path of a URL: after the scheme and authority, before any query or fragment (`urlsplit` would raise on
#: a bracketed host it does not like; the receiver pattern allows those).
_PATH = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://[^/?#\\]*)?([^?#]*)")
ADMIN_TARGET = "the emulator's admin API (/_emulator/...) is never a report receiver"


def targets_admin_api(url: str) -> bool:
    """Whether `url`'s path, as a server would route it, is under `/_emulator`, on whatever host.

    A report POSTed there would drive an admin API (`/_emulator/reset` wipes everyone's messages), and which host
    names and ports reach this very emulator (aliases, Docker networks, port maps) cannot be known from inside:
    so the path decides. Percent-escapes, dot segments and doubled slashes are resolved first.
    """
    match = _PATH.match(url)
    path = unquote(match.group(1) if match else url).replace("\\", "/")
    path = posixpath.normpath("/" + path.lstrip("/")).lower()
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def receiver_url(value: object) -> str | None:
    """`value` as a report receiver's URL, or None when it is not one (`targets_admin_api` URLs included)."""
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH or RECEIVER_URL.match(value) is None:
        return None
    value = value.removesuffix("\n")
    return None if targets_admin_api(value) else value


@dataclass
class Attempt:
    """One POST as it happened: the inspection API's row."""

    id: str                    # the callback (report) id, shared by all its attempts
    kind: str                  # onecloud_report | SmsReport | DypnsSmsVerifyReport | SmsUp
    url: str
    body: Any                  # the JSON value sent
    attempt: int               # 1-based
    max_attempts: int
    due: float                 # virtual time the attempt was scheduled for
    at: float                  # virtual time it was made (when the POST started)
    ok: bool
    status: int | None         # the receiver's HTTP status; None when there was no answer
    error: str | None          # why it did not count as received (timeout, refused, rule not met)
    response: str | None       # start of the receiver's answer body
    next_try: float | None     # virtual time of the retry; None when done or given up
    account: str | None = None
    message: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at_iso"] = iso_utc(self.at)
        data["next_try_iso"] = iso_utc(self.next_try) if self.next_try is not None else None
        data["state"] = "delivered" if self.ok else ("retrying" if self.next_try is not None else "gave_up")
        return data


class CallbackDispatcher:
    """The queue of outgoing reports on the virtual clock."""

    def __init__(self, clock: VirtualClock, scheduler: Scheduler, *, timeout: float = DEFAULT_TIMEOUT,
                 backoff: Sequence[float] = DEFAULT_BACKOFF, log_cap: int = ATTEMPT_LOG_CAP,
                 trust: str | None = None) -> None:
        """`trust`: a PEM file of CAs that HTTPS receivers' certificates may also be signed by (a test
        receiver's own CA), besides the system's."""
        self.clock = clock
        # The system's trust store takes ~25 ms to load: on the first report, not at every start. A CA file of
        # the user's is read now: a bad one is one clear line at start, not a failure per report later.
        self._tls: ssl.SSLContext | None = None
        if trust:
            self._tls = ssl.create_default_context()
            try:
                self._tls.load_verify_locations(cafile=trust)
            except (OSError, ssl.SSLError) as exc:
                raise ValueError(f"cannot read {trust} as CA certificates for report receivers: {exc}") from None
        self.scheduler = scheduler
        self._defaults = (float(timeout), tuple(float(s) for s in backoff))
        self.timeout, self.backoff = self._defaults
        self._attempts: deque[Attempt] = deque(maxlen=log_cap)
        self._inflight: dict[asyncio.Task[None], dict[str, Any]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
        self._generation = 0        # bumped by reset: sends started before it neither record nor retry
        self._counter = 0
        self._listeners: list[Callable[[Attempt], None]] = []
        scheduler.on(JOB_KIND, self._run)

    def subscribe(self, listener: Callable[[Attempt], None]) -> Callable[[], None]:
        """Be told of every recorded attempt (the live feed); returns the function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # Configuration -----------------------------------------------------------------------------------

    def configure(self, *, timeout: float | None = None, backoff: Sequence[float] | None = None) -> None:
        """Change the timeout or the retry schedule (until the next reset); `backoff=()` means no retries."""
        if timeout is not None:
            if timeout <= 0:
                raise ValueError("timeout must be > 0")
            self.timeout = float(timeout)
        if backoff is not None:
            if any(s < 0 for s in backoff):
                raise ValueError("backoff delays must be >= 0")
            self.backoff = tuple(float(s) for s in backoff)

    @property
    def max_attempts(self) -> int:
        return len(self.backoff) + 1

    # Queueing ----------------------------------------------------------------------------------------

    def enqueue(self, url: str, body: Any, *, kind: str, rule: str = "2xx", delay: float = 0.0,
                content_type: str = "application/json", account: str | None = None,
                message: int | None = None, fail_first: int = 0) -> str:
        """Queue one report; its first attempt is due `delay` seconds from now. Returns the report id.

        `fail_first` (a scenario's `callback.fail_first`): the first N attempts are POSTed as usual but counted
        as failed whatever the receiver answers, as when the platform loses the receiver's acknowledgement, so
        they are retried on the backoff schedule and the receiver sees the report N+1 times.
        """
        if rule not in RULES:
            raise ValueError(f"unknown success rule {rule!r}")
        self._counter += 1
        callback_id = f"cb-{self._counter}"
        due = self.clock.now() + max(0.0, delay)
        payload = {"id": callback_id, "url": url, "body": body, "content_type": content_type, "attempt": 1,
                   "kind": kind, "rule": rule, "account": account, "message": message, "due": due}
        if fail_first:
            payload["fail_first"] = int(fail_first)
        self.scheduler.schedule(due, JOB_KIND, payload)
        return callback_id

    async def _run(self, payload: dict[str, Any]) -> None:
        """Scheduler handler: start the send and return, so the queue keeps moving while it is out."""
        job_due = payload.get("due")
        due = float(job_due) if isinstance(job_due, (int, float)) else self.clock.now()
        task = asyncio.get_running_loop().create_task(self._send(payload, due, self._generation))
        self._inflight[task] = payload
        task.add_done_callback(self._inflight.pop)

    async def _send(self, payload: dict[str, Any], due: float, generation: int) -> None:
        attempt = int(payload["attempt"])
        data = json.dumps(payload["body"], ensure_ascii=False, separators=(",", ":")).encode()
        status: int | None = None
        text: str | None = None
        error: str | None = None
        started = self.clock.now()
        try:
            if targets_admin_api(payload["url"]):    # a fixture's receiver, or a queue restored from --db
                raise ValueError(ADMIN_TARGET)
            session, slots = self._client()
            async with slots, session.post(payload["url"], data=data, allow_redirects=False,
                                    headers={"Content-Type": f"{payload['content_type']};charset=utf-8"},
                                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
                status = resp.status
                raw = await resp.read()
            text = raw[:4096].decode("utf-8", "replace")
            error = _rule_failure(payload["rule"], status, raw)
            if error is None and attempt <= int(payload.get("fail_first", 0)):
                error = f"counted as failed by the scenario (callback.fail_first {payload['fail_first']})"
        except asyncio.TimeoutError:
            error = f"timeout after {self.timeout:g} s"
        except aiohttp.ClientConnectorError as exc:
            error = f"connection failed: {exc.os_error or exc}"
        except aiohttp.InvalidURL:
            error = "invalid URL"
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except (OSError, ValueError) as exc:   # anything the URL or socket layer can raise
            error = f"{type(exc).__name__}: {exc}"
        if generation != self._generation:
            return      # reset meanwhile: the report belongs to a forgotten world
        ok = error is None
        next_try = None
        if not ok and attempt <= len(self.backoff):
            next_try = due + self.backoff[attempt - 1]
        self._attempts.append(Attempt(
            id=payload["id"], kind=payload["kind"], url=payload["url"], body=payload["body"], attempt=attempt,
            max_attempts=self.max_attempts, due=due, at=started, ok=ok, status=status, error=error,
            response=text[:RESPONSE_EXCERPT] if text is not None else None, next_try=next_try,
            account=payload.get("account"), message=payload.get("message")))
        for listener in list(self._listeners):
            listener(self._attempts[-1])
        if next_try is not None:
            self.scheduler.schedule(next_try, JOB_KIND, {**payload, "attempt": attempt + 1, "due": next_try})
        if not ok:
            log.info("%s %s attempt %d/%d failed: %s%s", payload["kind"], payload["url"], attempt,
                     self.max_attempts, error, "" if next_try is not None else " (giving up)")

    def _client(self) -> tuple[aiohttp.ClientSession, asyncio.Semaphore]:
        """Created on first use: a ClientSession must be made inside the running loop."""
        if self._session is None or self._session.closed:
            if self._tls is None:
                self._tls = ssl.create_default_context()
            connector = aiohttp.TCPConnector(limit=MAX_CONCURRENT, force_close=True, ssl=self._tls)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False,
                                                  headers={"User-Agent": USER_AGENT})
            self._slots = asyncio.Semaphore(MAX_CONCURRENT)
        assert self._slots is not None
        return self._session, self._slots

    # Waiting and shutdown ----------------------------------------------------------------------------

    async def drain(self) -> int:
        """Wait until nothing is in flight and nothing is due: retries that became due meanwhile run too.

        Returns how many scheduler jobs ran meanwhile. Each round waits for the sends in flight (each bounded by
        the timeout) and runs what became due; a report needs at most one round per attempt to catch up, so the
        rounds are capped and a steady stream of new sends cannot keep the caller waiting forever.
        """
        total = 0
        for _ in range(self.max_attempts + 2):
            while self._inflight:
                await asyncio.gather(*list(self._inflight), return_exceptions=True)
            handled = await self.scheduler.run_due()
            total += handled
            if not handled and not self._inflight:
                break
        return total

    async def close(self) -> None:
        """Graceful shutdown: let every send in flight finish (each is bounded by the timeout), then close.

        Call it after the scheduler has stopped, so no new send starts; queued reports stay in the queue.
        """
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)
        if self._session is not None:
            with contextlib.suppress(Exception):
                await self._session.close()
            self._session = None

    def reset(self) -> None:
        """Forget attempts and settings changes; queued jobs go with `scheduler.clear()` in the same reset."""
        self._generation += 1
        self._attempts.clear()
        self.timeout, self.backoff = self._defaults

    def forget_account(self, account: str) -> None:
        """Drop one account's attempts and its queued reports (a test's own reset on a shared emulator)."""
        kept = [a for a in self._attempts if a.account != account]
        self._attempts.clear()
        self._attempts.extend(kept)
        for job in self.scheduler.pending(JOB_KIND):
            if job.payload.get("account") == account:
                job.cancelled = True

    # Inspection --------------------------------------------------------------------------------------

    def list(self, *, url: str | None = None, kind: str | None = None, account: str | None = None,
             callback_id: str | None = None) -> list[dict[str, Any]]:
        """Every recorded attempt, oldest first, optionally filtered."""
        return [a.to_json() for a in self._attempts
                if (url is None or a.url == url) and (kind is None or a.kind == kind)
                and (account is None or a.account == account) and (callback_id is None or a.id == callback_id)]

    def pending(self) -> list[dict[str, Any]]:
        """Reports waiting for an attempt (queued with their due time) or being sent right now."""
        out = [{**_public(job.payload), "due": job.due, "due_iso": iso_utc(job.due), "state": "queued"}
               for job in self.scheduler.pending(JOB_KIND)]
        out.extend({**_public(p), "state": "sending"} for p in self._inflight.values())
        return out


def _public(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: payload.get(k) for k in ("id", "kind", "url", "body", "attempt", "account", "message")}


def _rule_failure(rule: str, status: int, raw: bytes) -> str | None:
    """None when the answer counts as received under `rule`, else the reason it does not."""
    if rule == "aliyun":
        if status != 200:
            return f"HTTP {status} (the receiver must answer 200)"
        try:
            answer = loads_json(raw)
        except ValueError:
            return 'answer is not JSON (expected {"code":0,"msg":"接收成功"})'
        code = answer.get("code") if isinstance(answer, dict) else None
        if not isinstance(code, (int, float)) or isinstance(code, bool):
            return "answer has no numeric `code`"
        return None
    if not 200 <= status < 300:
        return f"HTTP {status}"
    return None
