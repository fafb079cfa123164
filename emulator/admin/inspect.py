"""Messages as a test sees them: list with filters, one by id, wait for the next one, and reset.

* `GET /_emulator/messages?account=&phone=&provider=&template=&sign=&status=&biz_id=&has_code=&since=&limit=`
* `GET /_emulator/messages/{id}`
* `GET /_emulator/messages/wait?<same filters>&timeout=` - a long-poll: answers as soon as a matching message
  exists (already, or when one is created or changes), 408 when none did within `timeout` seconds;
* `POST /_emulator/reset?what=messages|scenario|all&account=` - with `account`, forgets only that account's
  messages, codes, limit windows and reports, so a test on a shared emulator cannot wipe its neighbours'.

`since` is a cursor: message ids only grow (they are never reused, even across resets), so "everything after
the last one I saw" is `since=<that id>`, and every list and wait answer carries the `cursor` to pass next.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields

from aiohttp import web

from emulator.admin.api import BACKEND_KEY, PREFIX, canonical_phone, problem, reply
from emulator.admin.events import EVENTS_KEY
from emulator.core.backend import RESET_TARGETS
from emulator.core.bounds import MAX_DIGITS, parse_count
from emulator.core.messages import STATUSES, Message, MessageStore

PROVIDERS = ("dysms", "dypns", "onecloud")
#: Concurrent long-polls; beyond this a wait is refused with 429 instead of piling up open requests.
MAX_WAITERS = 256
DEFAULT_WAIT = 30.0
MAX_WAIT = 300.0
#: While waiting, check this often whether the client hung up (aiohttp does not cancel handlers on a lost
#: connection), so an abandoned wait frees its slot. A matching message still wakes the wait at once.
LIVENESS_CHECK = 2.0
WAIT_LIST_CAP = 100
_TEXT_FILTERS = ("account", "phone", "template", "sign", "biz_id")


@dataclass(frozen=True)
class MessageFilter:
    """The query parameters every message endpoint shares, parsed once and usable on live events too."""

    account: str | None = None
    phone: str | None = None
    provider: str | None = None
    template: str | None = None
    sign: str | None = None
    status: str | None = None
    biz_id: str | None = None
    has_code: bool | None = None
    since: int | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> MessageFilter:
        """Raises ValueError with a message fit for a 400 answer. An empty text filter (`phone=`) filters
        nothing; an empty typed one (`since=`, `status=`) is refused like any other value it cannot be."""
        values: dict[str, object] = {f.name: query.get(f.name) for f in fields(cls)}
        for name in _TEXT_FILTERS:
            values[name] = values[name] or None
        if values["phone"]:
            values["phone"] = canonical_phone(str(values["phone"]))
        if values["provider"] is not None and values["provider"] not in PROVIDERS:
            raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}")
        if values["status"] is not None and values["status"] not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        has_code = values["has_code"]
        if has_code is not None:
            if has_code not in ("true", "false", "1", "0"):
                raise ValueError("has_code must be true or false")
            values["has_code"] = has_code in ("true", "1")
        since = values["since"]
        if since is not None:
            values["since"] = parse_count(str(since))
            if values["since"] is None:
                raise ValueError(f"since must be a message id (a cursor: an integer >= 0 of at most {MAX_DIGITS} "
                                 "digits)")
        return cls(**values)  # type: ignore[arg-type]

    def matches(self, message: Message) -> bool:
        return ((self.since is None or message.id > self.since)
                and all(want is None or getattr(message, name) == want
                        for name, want in (("account", self.account), ("phone", self.phone),
                                           ("provider", self.provider), ("template", self.template),
                                           ("sign", self.sign), ("status", self.status), ("biz_id", self.biz_id)))
                and (self.has_code is None or (message.code is not None) == self.has_code))

    def select(self, store: MessageStore) -> list[Message]:
        found = store.query(account=self.account, phone=self.phone, provider=self.provider,
                            template=self.template, sign=self.sign, status=self.status, biz_id=self.biz_id,
                            since=self.since)
        if self.has_code is not None:
            found = [m for m in found if (m.code is not None) == self.has_code]
        return found

    def cursor(self, found: list[Message]) -> int:
        return found[-1].id if found else (self.since or 0)


class WaitSlots:
    """The long-polls in progress: counted (to refuse more than `limit`) and woken together at shutdown."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_WAITERS if limit is None else limit
        self.futures: set[asyncio.Future[Message | None]] = set()

    def full(self) -> bool:
        return len(self.futures) >= self.limit

    def release_all(self) -> None:
        """Shutdown: every wait answers now (503) instead of holding the server open for its timeout."""
        for future in self.futures:
            if not future.done():
                future.set_result(None)


WAITS_KEY: web.AppKey[WaitSlots] = web.AppKey("message_waits", WaitSlots)


def _filter(request: web.Request) -> MessageFilter:
    try:
        return MessageFilter.from_query(request.query)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=json.dumps({"error": str(exc)}), content_type="application/json") from None


async def list_messages(request: web.Request) -> web.Response:
    store = request.app[BACKEND_KEY].messages
    flt = _filter(request)
    limit_raw = request.query.get("limit")
    found = flt.select(store)
    cursor = flt.cursor(found)
    if limit_raw is not None:
        limit = parse_count(limit_raw)
        if not limit:
            return problem(400, f"limit must be a positive integer of at most {MAX_DIGITS} digits")
        found = found[-limit:]         # the newest, still oldest first
    return reply({"messages": [m.to_json() for m in found], "cursor": cursor})


async def get_message(request: web.Request) -> web.Response:
    wanted = parse_count(request.match_info["id"])      # longer than any id: no such message
    message = None if wanted is None else request.app[BACKEND_KEY].messages.get(wanted)
    if message is None:
        return problem(404, f"no message {request.match_info['id'][:40]} (never sent, reset, or pruned)")
    return reply(message.to_json())


async def wait_message(request: web.Request) -> web.Response:
    """Long-poll on the store's change listener: no sleeping, the matching change itself wakes the request."""
    store = request.app[BACKEND_KEY].messages
    flt = _filter(request)
    try:
        timeout = float(request.query.get("timeout", DEFAULT_WAIT))
    except ValueError:
        return problem(400, "timeout must be a number of seconds")
    if not 0 <= timeout <= MAX_WAIT:
        return problem(400, f"timeout must be between 0 and {MAX_WAIT:g} seconds")
    found = flt.select(store)
    if found:
        return _found(found[-1], found)
    slots = request.app[WAITS_KEY]
    if slots.full():
        return web.json_response({"error": f"too many concurrent waits (at most {slots.limit}); retry shortly"},
                                 status=429, headers={"Retry-After": "1"})
    future: asyncio.Future[Message | None] = asyncio.get_running_loop().create_future()

    def on_change(kind: str, message: Message) -> None:
        if kind in ("created", "updated") and not future.done() and flt.matches(message):
            future.set_result(message)

    # Nothing awaits between the check above and subscribing: a message cannot slip in between.
    unsubscribe = store.subscribe(on_change)
    slots.futures.add(future)
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not future.done():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or request.transport is None or request.transport.is_closing():
                break
            await asyncio.wait({future}, timeout=min(remaining, LIVENESS_CHECK))
    finally:
        unsubscribe()
        slots.futures.discard(future)
    if not future.done():
        future.cancel()
        return problem(408, f"no matching message within {timeout:g} s", cursor=flt.since or 0)
    message = future.result()
    if message is None:
        return problem(503, "the emulator is shutting down")
    return _found(message, [m for m in flt.select(store) if m.id <= message.id] or [message])


def _found(message: Message, found: list[Message]) -> web.Response:
    """`message` is the newest match (the code a test wants); `messages` every match after `since` (the last
    WAIT_LIST_CAP of them), for a test that triggered several sends before waiting."""
    return reply({"message": message.to_json(), "messages": [m.to_json() for m in found[-WAIT_LIST_CAP:]],
                  "cursor": message.id})


async def reset(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    account = request.query.get("account") or None
    what = request.query.get("what", "messages" if account else "all")
    if what not in RESET_TARGETS:
        return problem(400, f"what must be one of {', '.join(RESET_TARGETS)}")
    if account is not None:
        if what != "messages":
            return problem(400, "account= resets only messages (the clock and the scenario are shared by all)")
        if backend.accounts.get(account) is None:
            return problem(404, f"no account {account!r}")
        backend.forget_account(account)
        request.app[EVENTS_KEY].publish("reset", {"what": what, "account": account}, account=account)
    else:
        backend.reset(what)     # clearing the store tells the live feed itself
    return reply({"reset": what, "account": account})


async def _release_waits(app: web.Application) -> None:
    app[WAITS_KEY].release_all()
    await asyncio.sleep(0)      # let the woken handlers answer before connections are closed


def setup_inspection(app: web.Application) -> None:
    app[WAITS_KEY] = WaitSlots()
    app.router.add_get(f"{PREFIX}/messages", list_messages)
    app.router.add_get(f"{PREFIX}/messages/wait", wait_message)
    app.router.add_get(PREFIX + r"/messages/{id:\d+}", get_message)
    app.router.add_post(f"{PREFIX}/reset", reset)
    app.on_shutdown.append(_release_waits)
