"""The live feed: `GET /_emulator/events?account=&phone=` as server-sent events.

Events (the `event:` field; `data:` is one JSON object):

* `hello` - sent first: `{"now", "cursor"}`; a client that (re)connects refetches what it shows from there;
* `message.created`, `message.updated` - a message as `GET /_emulator/messages/{id}` shows it;
* `callback.attempt` - one report POST as `GET /_emulator/callbacks` lists it;
* `reset` - `{"what", "account"}`: messages were forgotten (all of them when `account` is null).

The hub listens to the backend (the message store's and the callback dispatcher's `subscribe`) and fans out to
a bounded queue per client. A client too slow to keep up is disconnected rather than buffered without end: when
its queue overflows, or when one write has waited `WRITE_TIMEOUT` seconds for it to read (its socket buffers are
full); its EventSource reconnects by itself (the stream sets `retry`) and resynchronises from `hello`. Comments
keep idle streams alive through proxies and reveal clients that went away.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from emulator.admin.api import BACKEND_KEY, PREFIX, canonical_phone, problem
from emulator.core.backend import Backend
from emulator.core.callbacks import Attempt
from emulator.core.messages import Message

MAX_CLIENTS = 64
QUEUE_SIZE = 1000
HEARTBEAT = 15.0
RETRY_MS = 1000
#: How long one write may wait for a client that stopped reading before the stream is dropped.
WRITE_TIMEOUT = 10.0


@dataclass(eq=False)       # identity, not value: subscribers live in a set
class Subscriber:
    account: str | None
    phone: str | None
    queue: asyncio.Queue[tuple[str, dict[str, Any]] | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE))

    def wants(self, account: str | None, phone: str | None) -> bool:
        """Events about no particular account (a global reset) go to everyone."""
        return ((self.account is None or account is None or account == self.account)
                and (self.phone is None or phone is None or phone == self.phone))

    def close(self) -> None:
        """Ends the stream: whatever is queued is dropped, the sentinel makes the handler return."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class EventHub:
    def __init__(self, max_clients: int | None = None) -> None:
        self.max_clients = MAX_CLIENTS if max_clients is None else max_clients
        self.subscribers: set[Subscriber] = set()
        self._detach: list[Any] = []

    def attach(self, backend: Backend) -> None:
        self._detach = [backend.messages.subscribe(self._on_message),
                        backend.callbacks.subscribe(self._on_attempt)]

    def detach(self) -> None:
        for unsubscribe in self._detach:
            unsubscribe()
        self._detach = []

    def publish(self, event: str, data: dict[str, Any], account: str | None = None,
                phone: str | None = None) -> None:
        for sub in list(self.subscribers):
            if not sub.wants(account, phone):
                continue
            try:
                sub.queue.put_nowait((event, data))
            except asyncio.QueueFull:
                self.subscribers.discard(sub)   # too slow: it reconnects and resynchronises
                sub.close()

    def close_all(self) -> None:
        for sub in list(self.subscribers):
            sub.close()

    def _on_message(self, kind: str, message: Message) -> None:
        # Runs for every stored or updated message: with nobody listening it must cost nothing (serialising
        # each message was a fifth of a SendSms before this check).
        if not self.subscribers:
            return
        if kind == "cleared":
            self.publish("reset", {"what": "messages", "account": None})
        elif kind in ("created", "updated") and any(s.wants(message.account, message.phone)
                                                    for s in self.subscribers):
            self.publish(f"message.{kind}", message.to_json(), message.account, message.phone)

    def _on_attempt(self, attempt: Attempt) -> None:
        if self.subscribers:
            self.publish("callback.attempt", attempt.to_json(), attempt.account)


EVENTS_KEY: web.AppKey[EventHub] = web.AppKey("event_hub", EventHub)

def _frame(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def stream_events(request: web.Request) -> web.StreamResponse:
    hub = request.app[EVENTS_KEY]
    if len(hub.subscribers) >= hub.max_clients:
        return problem(503, f"too many live-feed clients (at most {hub.max_clients})")
    phone = request.query.get("phone")
    sub = Subscriber(request.query.get("account") or None, canonical_phone(phone) if phone else None)
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                       "Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    await resp.prepare(request)
    backend = request.app[BACKEND_KEY]
    hub.subscribers.add(sub)
    try:
        last = max((m.id for m in backend.messages.all()), default=0)
        await _write(request, resp, f"retry: {RETRY_MS}\n\n".encode() +
                     _frame("hello", {"now": backend.clock.now(), "cursor": last}))
        while True:
            try:
                item = await asyncio.wait_for(sub.queue.get(), HEARTBEAT)
            except asyncio.TimeoutError:
                await _write(request, resp, b": keep-alive\n\n")
                continue
            if item is None:
                break
            await _write(request, resp, _frame(*item))
    except ConnectionError:
        pass                    # the client went away, or stopped reading: nothing to tell anyone
    finally:
        hub.subscribers.discard(sub)
    return resp


async def _write(request: web.Request, resp: web.StreamResponse, data: bytes) -> None:
    try:
        await asyncio.wait_for(resp.write(data), WRITE_TIMEOUT)
    except asyncio.TimeoutError:
        if request.transport is not None:
            request.transport.abort()       # its buffers are full: closing politely would wait on it too
        raise ConnectionAbortedError("the client stopped reading the live feed") from None


def setup_events(app: web.Application) -> None:
    hub = EventHub()
    app[EVENTS_KEY] = hub

    async def attach(app: web.Application) -> None:
        hub.attach(app[BACKEND_KEY])

    async def close_streams(app: web.Application) -> None:
        hub.close_all()     # on_shutdown: before aiohttp waits for open requests to finish
        await asyncio.sleep(0)

    async def detach(app: web.Application) -> None:
        hub.detach()

    app.on_startup.append(attach)
    app.on_shutdown.append(close_streams)
    app.on_cleanup.append(detach)
    app.router.add_get(f"{PREFIX}/events", stream_events)
