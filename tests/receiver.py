"""A real HTTP receiver for reports: an aiohttp server on a loopback port, on its own thread and event loop.

Tests script its answers (`respond(500, 500)` fails the next two requests, `"hang"` never answers, `"reset"`
drops the connection) and read what arrived, exactly as an application's webhook endpoint would see it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

ALIYUN_OK = {"code": 0, "msg": "接收成功"}
HANG_SECONDS = 60.0


@dataclass
class Received:
    path: str
    method: str
    headers: dict[str, str]
    raw: bytes
    answered: int | str      # the HTTP status the receiver answered, or "hang" / "reset"

    @property
    def body(self) -> Any:
        return json.loads(self.raw)


class Receiver:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls                  # serve HTTPS with this context
        self.requests: list[Received] = []
        self._script: deque[Any] = deque()
        self._changed = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # Scripting -------------------------------------------------------------------------------------

    def respond(self, *behaviours: Any) -> None:
        """Answers for the next requests, in order: a status, (status, body), ("slow", seconds), "hang", "reset"."""
        self._script.extend(behaviours)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    # Reading ---------------------------------------------------------------------------------------

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until at least `count` requests arrived (AssertionError otherwise)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} requests, got {len(self.requests)}")
                self._changed.wait(left)
            return list(self.requests)

    def accepted(self) -> list[Received]:
        """Requests the receiver answered with a 2xx (the ones an application actually processed)."""
        return [r for r in self.requests if isinstance(r.answered, int) and 200 <= r.answered < 300]

    # Lifecycle -------------------------------------------------------------------------------------

    def start(self) -> Receiver:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="receiver", daemon=True)
        self._thread.start()
        assert ready.wait(10), "receiver did not start"
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop = None

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.tls)
        loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        behaviour = self._script.popleft() if self._script else 200
        delay = 0.0
        if isinstance(behaviour, tuple) and behaviour[0] == "slow":
            delay, behaviour = float(behaviour[1]), 200
        status, body = (behaviour if isinstance(behaviour, tuple) else (behaviour, ALIYUN_OK))
        answered = status if isinstance(status, int) else str(status)
        with self._changed:
            self.requests.append(Received(request.path, request.method, dict(request.headers), raw, answered))
            self._changed.notify_all()
        if delay:
            await asyncio.sleep(delay)
        if status == "hang":
            await asyncio.sleep(HANG_SECONDS)
        if status in ("hang", "reset"):
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=499)
        if isinstance(body, (dict, list)):
            return web.json_response(body, status=status)
        return web.Response(text=str(body), status=status)


def closed_port_url() -> str:
    """A loopback URL nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"
