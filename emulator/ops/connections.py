"""Connection limits for every listener: a bound below the file-descriptor limit, idle ones shed first.

Idle keep-alive connections are kept an hour (aiohttp's default) on purpose: an SDK's pool reuses them, and a
POST on a connection the server has just closed fails without a retry. So they are closed early only under
pressure: when a new connection would pass the bound, the one idle the longest goes (the one a LIFO pool, as
urllib3's and aiohttp's are, is least likely to pick next). A connection with a request in flight is never
shed; when every connection is busy, the newcomer gets a 503 with `Connection: close` instead.

The bound leaves room below `RLIMIT_NOFILE` for what else needs descriptors (the database, report POSTs, log
files), so the accept loop should not run out. If it does anyway (descriptors used elsewhere), asyncio's
accept loop reports each failed `accept()` with a traceback; that is one warning line per 10 s here, and the
idle connections it can spare are shed at once.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
import weakref
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger("sms_emulator.connections")

#: Descriptors kept free for everything but client connections: report POSTs (64 at a time), the database,
#: listening sockets, stdio, the scenario file watcher.
RESERVED_FDS = 128
#: No more than this many connections whatever the descriptor limit (each costs memory too).
MAX_CONNECTIONS = 10_000
#: Idle connections shed when `accept()` fails for lack of descriptors.
SHED_ON_EXHAUSTION = 16
LOG_INTERVAL = 10.0
_OUT_OF_RESOURCES = "socket.accept() out of system resource"
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
         b"Retry-After: 1\r\nContent-Length: %d\r\n\r\n%s")


def connection_bound() -> int:
    """How many client connections at once: the descriptor limit minus what is reserved, within sane bounds."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, soft - RESERVED_FDS))


def _busy(handler: RequestHandler) -> bool:
    """A request being handled, or parsed and waiting its turn (pipelining)."""
    return bool(getattr(handler, "_request_in_progress", True) or getattr(handler, "_messages", None))


def _idle_since(handler: RequestHandler) -> float:
    """When the connection last finished a request (or opened): aiohttp schedules its keep-alive close from then."""
    return float(getattr(handler, "_next_keepalive_close_time", 0.0))


class ConnectionGuard:
    """Watches one `web.Server`'s connections (every site of a runner shares it)."""

    def __init__(self, server: web.Server, bound: int) -> None:
        self.server = server
        self.bound = bound
        self.shed_total = 0
        self.refused_total = 0
        self._admit = server.connection_made
        server.connection_made = self._connection_made     # type: ignore[method-assign]

    def _connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        self._admit(handler, transport)
        excess = len(self.server.connections) - self.bound
        if excess > 0 and self.shed(excess, keep=handler) < excess:
            self.refused_total += 1
            body = b'{"error":"the emulator has %d connections open, all busy; try again"}' % self.bound
            transport.write(_BUSY % (len(body), body))
            handler.force_close()

    def shed(self, count: int, keep: RequestHandler | None = None) -> int:
        """Close up to `count` idle connections, the longest idle first; returns how many were closed."""
        idle = [h for h in self.server.connections if h is not keep and not _busy(h) and h.transport is not None]
        idle.sort(key=_idle_since)
        for handler in idle[:count]:
            handler.force_close()
        self.shed_total += min(count, len(idle))
        return min(count, len(idle))


class _AcceptErrorLog:
    """The loop's exception handler: an `accept()` without descriptors is one line per interval, not a
    traceback per attempt; it also sheds idle connections so the next accept can succeed."""

    def __init__(self, guards: list[ConnectionGuard]) -> None:
        self.guards = guards
        self.last = float("-inf")
        self.suppressed = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != _OUT_OF_RESOURCES:
            loop.default_exception_handler(context)
            return
        shed = sum(guard.shed(SHED_ON_EXHAUSTION) for guard in self.guards)
        now = time.monotonic()
        if now - self.last < LOG_INTERVAL:
            self.suppressed += 1
            return
        exc = context.get("exception")
        more = f" ({self.suppressed} more since the last line)" if self.suppressed else ""
        log.warning("cannot accept connections: %s; shed %d idle connections%s",
                    getattr(exc, "strerror", None) or exc, shed, more)
        self.last, self.suppressed = now, 0


_GUARDS: weakref.WeakKeyDictionary[web.Server, ConnectionGuard] = weakref.WeakKeyDictionary()


def guard_of(runner: web.BaseRunner) -> ConnectionGuard | None:
    """The guard `guard_connections` put on `runner` (for inspection and tests)."""
    return _GUARDS.get(runner.server) if runner.server is not None else None


def guard_connections(runner: web.BaseRunner, bound: int | None = None) -> ConnectionGuard:
    """Bound the connections of `runner` (all its sites) and quiet its loop's accept errors; after setup."""
    assert runner.server is not None, "call after runner.setup()"
    guard = ConnectionGuard(runner.server, connection_bound() if bound is None else bound)
    _GUARDS[runner.server] = guard
    loop = asyncio.get_running_loop()
    handler = loop.get_exception_handler()
    if isinstance(handler, _AcceptErrorLog):
        handler.guards.append(guard)
    else:
        loop.set_exception_handler(_AcceptErrorLog([guard]))
    return guard
