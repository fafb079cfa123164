"""The live feed over real sockets: server-sent events for messages, callbacks and resets."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from emulator.admin import events
from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.admin_helpers import EventStream, new_account, send_1oc
from tests.conftest import admin, advance

PHONE = "13912345678"


async def test_hello_then_created_then_updated(emulator):
    async with EventStream(emulator) as stream:
        name, hello = await stream.next()
        assert name == "hello" and {"now", "cursor"} <= set(hello)
        await asyncio.to_thread(send_1oc, emulator, None, PHONE, "9876")
        created = await stream.until("message.created")
        assert created["phone"] == PHONE and created["code"] == "9876" and created["status"] == "waiting"
        assert created["id"] > hello["cursor"]
        await asyncio.to_thread(advance, emulator, 5)
        updated = await stream.until("message.updated")
        assert updated["id"] == created["id"] and updated["status"] == "delivered"


async def test_callback_attempts_are_in_the_feed(emulator, receiver):
    async with EventStream(emulator) as stream:
        await stream.until("hello")
        await asyncio.to_thread(admin, emulator, "PATCH", "/_emulator/accounts/default",
                                {"return_url": receiver.url})
        await asyncio.to_thread(send_1oc, emulator)
        await asyncio.to_thread(advance, emulator, 5)
        attempt = await stream.until("callback.attempt")
        assert attempt["kind"] == "onecloud_report" and attempt["url"] == receiver.url
        assert attempt["ok"] is True and attempt["state"] == "delivered"


async def test_the_feed_filters_by_account_and_phone(emulator):
    mine = new_account(emulator)
    async with EventStream(emulator, account=mine["name"]) as by_account, \
            EventStream(emulator, phone="+86 139 1234 5679") as by_phone:
        await by_account.until("hello")
        await by_phone.until("hello")
        await asyncio.to_thread(send_1oc, emulator, None, PHONE, "1111")           # default account
        await asyncio.to_thread(send_1oc, emulator, mine, "13912345679", "2222")  # ours, other number
        assert (await by_account.until("message.created"))["code"] == "2222"
        assert (await by_phone.until("message.created"))["code"] == "2222"


async def test_resets_are_announced(emulator):
    mine = new_account(emulator)
    async with EventStream(emulator) as stream:
        await stream.until("hello")
        await asyncio.to_thread(admin, emulator, "POST", f"/_emulator/reset?what=messages&account={mine['name']}")
        assert await stream.until("reset") == {"what": "messages", "account": mine["name"]}
        await asyncio.to_thread(admin, emulator, "POST", "/_emulator/reset?what=messages")
        assert await stream.until("reset") == {"what": "messages", "account": None}


async def test_a_client_too_slow_to_keep_up_is_cut_off(monkeypatch: pytest.MonkeyPatch):
    """Over a socket the kernel's buffers hide a slow reader for megabytes, so this drives the hub directly."""
    monkeypatch.setattr(events, "QUEUE_SIZE", 3)
    hub = events.EventHub()
    slow, other = events.Subscriber(None, None), events.Subscriber("someone-else", None)
    hub.subscribers.update({slow, other})
    for n in range(4):
        hub.publish("message.created", {"n": n}, account="acct", phone=PHONE)
    assert slow.queue.get_nowait() is None          # the queue was dropped: the stream ends, the client reconnects
    assert hub.subscribers == {other}               # and nothing more is queued for it
    assert other.queue.empty()                      # other accounts' events never reached it


async def test_reconnecting_resynchronises_from_hello(emulator):
    send_1oc(emulator)
    async with EventStream(emulator) as stream:
        assert (await stream.until("hello"))["cursor"] >= 1


@pytest.fixture
def tiny_feed_server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(events, "MAX_CLIENTS", 1)
    server = EmulatorServer(Settings(port=0, quiet=True)).start()
    yield server
    server.stop()


async def test_feed_clients_are_bounded(tiny_feed_server):
    async with EventStream(tiny_feed_server) as stream:
        await stream.until("hello")
        async with aiohttp.ClientSession() as session, \
                session.get(f"{tiny_feed_server.url}/_emulator/events") as resp:
            assert resp.status == 503 and "at most 1" in (await resp.json())["error"]


async def test_stopping_the_server_ends_open_streams_at_once():
    server = EmulatorServer(Settings(port=0, quiet=True)).start()
    async with EventStream(server) as stream:
        await stream.until("hello")
        started = time.monotonic()
        await asyncio.to_thread(server.stop)
        assert time.monotonic() - started < 5
        with pytest.raises((EOFError, aiohttp.ClientError)):
            await stream.next(timeout=5)


def _stalled_reader(server: EmulatorServer):
    """A client that opens the feed and then never reads, with the smallest receive buffer the kernel allows."""
    import socket

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.connect((server.host, server.port))
    sock.sendall(f"GET /_emulator/events HTTP/1.1\r\nHost: {server.endpoint}\r\n\r\n".encode())
    return sock


def test_a_client_that_stops_reading_is_disconnected_and_frees_its_slot(monkeypatch: pytest.MonkeyPatch):
    from emulator.core.messages import Message

    monkeypatch.setattr(events, "WRITE_TIMEOUT", 0.5)
    with EmulatorServer(Settings(port=0, quiet=True)) as server:
        hub = server.app[events.EVENTS_KEY]
        sock = _stalled_reader(server)
        try:
            deadline = time.monotonic() + 5
            while not hub.subscribers and time.monotonic() < deadline:
                time.sleep(0.01)
            assert len(hub.subscribers) == 1
            store = server.backend.messages

            async def flood() -> None:
                # ~24 MB of events, far more than the socket buffers on both sides hold, in bursts the feed
                # keeps up with, so its handler is writing (not just queueing) when the buffers fill up
                for _ in range(30):
                    for _ in range(200):
                        store.add(Message(id=store.next_id(), account="default", provider="dysms",
                                          action="SendSms", phone=PHONE, content="验" * 1300))
                    await asyncio.sleep(0.02)

            server.call(flood)
            deadline = time.monotonic() + 10
            while hub.subscribers and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not hub.subscribers                           # its handler gave up on the stalled writes
            assert admin(server, "GET", "/_emulator/health")[0] == 200
        finally:
            sock.close()
