"""The message store: every accepted SMS, as the phone and the inspection API see it."""

from __future__ import annotations

import asyncio
import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from typing import Any

from emulator.core.clock import iso_utc

#: waiting -> delivered | failed (Alibaba SendStatus 1 / 3 / 2)
STATUSES = ("waiting", "delivered", "failed")


@dataclass(slots=True, eq=False)
class Message:
    id: int
    account: str
    provider: str                # dysms | dypns | onecloud
    action: str
    phone: str
    content: str
    sign: str | None = None
    template: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    code: str | None = None      # the verification code the text carries, if any
    status: str = "waiting"
    biz_id: str | None = None    # Alibaba BizId, or the 1oc mid
    out_id: str | None = None
    request_id: str | None = None
    sent_at: float = 0.0
    delivered_at: float | None = None
    err_code: str | None = None  # receipt code: DELIVERED, a carrier code, a 1oc stat
    segments: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """Every field by name, shallow (dataclasses.asdict deep-copies recursively, several times slower)."""
        return {name: getattr(self, name) for name in _MESSAGE_FIELDS}

    def to_json(self) -> dict[str, Any]:
        data = self.fields()
        data["params"] = dict(self.params)
        data["extra"] = dict(self.extra)
        data["sent_at_iso"] = iso_utc(self.sent_at)
        data["delivered_at_iso"] = iso_utc(self.delivered_at) if self.delivered_at else None
        return data


_MESSAGE_FIELDS = tuple(f.name for f in dataclass_fields(Message))
Listener = Callable[[str, Message], None]

#: What a stored message costs beyond its texts: the object, its two dicts, ids and times. Measured with
#: tracemalloc, a typical SendSms with one variable holds about 1,160 bytes; `footprint` says 1,300 for it.
MESSAGE_OVERHEAD = 900
#: The store's default budget for what messages hold: a count cap alone let 300 sends with a 900 kB OutId take
#: 260 MiB; this keeps the default 100,000 typical messages and any mix of large ones within it.
DEFAULT_STORE_BYTES = 256 * 1024 * 1024


def footprint(message: Message) -> int:
    """About how many bytes a message keeps resident: its texts (UTF-8 in CPython is up to 4 bytes a character,
    but the texts here are mostly ASCII and CJK, stored at 1–2) plus a fixed overhead."""
    size = MESSAGE_OVERHEAD + len(message.content) * 2
    for text in (message.out_id, message.sign, message.template, message.biz_id, message.request_id):
        if text:
            size += len(text)
    for key, value in message.params.items():
        size += len(key) + len(str(value)) + 100
    for key, value in message.extra.items():
        size += len(key) + len(str(value)) + 100
    return size


class MessageStore:
    """In-memory, insertion-ordered store with change listeners (live feed, long-polls), bounded both by
    count (`cap`) and by the bytes its messages hold (`max_bytes`): the oldest go first when either is passed."""

    def __init__(self, cap: int = 100_000, max_bytes: int = DEFAULT_STORE_BYTES) -> None:
        self.cap = cap
        self.max_bytes = max_bytes
        self.bytes = 0
        #: set when a message was pruned to make room; the persistence tracker prunes its table then, and clears it
        self.pruned = False
        self._messages: OrderedDict[int, Message] = OrderedDict()
        self._sizes: dict[int, int] = {}
        self._ids = itertools.count(1)
        self._listeners: tuple[Listener, ...] = ()      # replaced, never changed: emitting needs no copy
        self._changed: asyncio.Event | None = None

    def next_id(self) -> int:
        return next(self._ids)

    def add(self, message: Message) -> Message:
        self.keep(message)
        self._emit("created", message)
        return message

    def keep(self, message: Message) -> None:
        """Hold `message` (newest), pruning the oldest beyond the bounds; no listener hears of it (restore)."""
        previous = self._sizes.pop(message.id, None)
        if previous is not None:
            self.bytes -= previous
        size = footprint(message)
        self._messages[message.id] = message
        self._sizes[message.id] = size
        self.bytes += size
        self.prune()

    def prune(self) -> None:
        """Drop the oldest messages until both bounds hold (the newest is always kept, however large)."""
        while len(self._messages) > self.cap or (self.bytes > self.max_bytes and len(self._messages) > 1):
            oldest, _ = self._messages.popitem(last=False)
            self.bytes -= self._sizes.pop(oldest, 0)
            self.pruned = True

    def update(self, message: Message, **changes: Any) -> Message:
        for key, value in changes.items():
            setattr(message, key, value)
        self._emit("updated", message)
        return message

    def get(self, message_id: int) -> Message | None:
        return self._messages.get(message_id)

    def __len__(self) -> int:
        return len(self._messages)

    def all(self) -> Iterable[Message]:
        return self._messages.values()

    def query(self, *, account: str | None = None, phone: str | None = None, provider: str | None = None,
              template: str | None = None, sign: str | None = None, status: str | None = None,
              biz_id: str | None = None, since: int | None = None) -> list[Message]:
        out = []
        for message in self._messages.values():
            if since is not None and message.id <= since:
                continue
            if account is not None and message.account != account:
                continue
            if phone is not None and message.phone != phone:
                continue
            if provider is not None and message.provider != provider:
                continue
            if template is not None and message.template != template:
                continue
            if sign is not None and message.sign != sign:
                continue
            if status is not None and message.status != status:
                continue
            if biz_id is not None and message.biz_id != biz_id:
                continue
            out.append(message)
        return out

    def clear(self) -> None:
        self._messages.clear()
        self._sizes.clear()
        self.bytes = 0
        self._emit("cleared", None)  # type: ignore[arg-type]

    def forget_account(self, account: str) -> int:
        """Drop one account's messages (a test's own reset on a shared emulator); returns how many went."""
        doomed = [mid for mid, m in self._messages.items() if m.account == account]
        for mid in doomed:
            del self._messages[mid]
            self.bytes -= self._sizes.pop(mid, 0)
        return len(doomed)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners = (*self._listeners, listener)

        def unsubscribe() -> None:
            remaining = list(self._listeners)
            remaining.remove(listener)
            self._listeners = tuple(remaining)

        return unsubscribe

    def _emit(self, kind: str, message: Message) -> None:
        for listener in self._listeners:
            listener(kind, message)
