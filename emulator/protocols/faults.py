"""Network faults a scenario can inject instead of an answer, for any provider.

* `reset`  - the TCP connection is aborted (clients see a connection reset);
* `empty`  - the connection is closed without a single byte of response;
* `hang`   - nothing is sent until the client gives up: longer than any SDK's read timeout, but bounded (and
             over as soon as the client hangs up, or the server shuts down), so it never leaks the task;
* `html_502` - a proxy's HTML error page, which no SDK can parse as JSON.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

FAULTS = ("reset", "empty", "hang", "html_502")
#: The SDKs' default read timeouts are 10 s (tea) and 10 s (legacy core); two minutes outlasts any sane setting.
HANG_SECONDS = 120.0
_HANG_POLL = 0.05

#: Set when the server starts shutting down (SIGTERM): scenario latency ends at once (the answer goes out) and
#: a hang ends like `empty`. `docker stop` kills after 10 s; a two-minute hang must not hold the exit.
DRAINING_KEY: web.AppKey[asyncio.Event] = web.AppKey("draining", asyncio.Event)

_HTML_502 = (b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
             b"</center><hr><center>Tengine</center></body></html>")


def setup_draining(app: web.Application) -> None:
    """Give `app` the event that ends waits at shutdown; set on `on_shutdown`, before aiohttp waits for the
    requests in flight to finish."""
    app[DRAINING_KEY] = draining = asyncio.Event()

    async def drain(app: web.Application) -> None:
        draining.set()
        await asyncio.sleep(0)      # let the woken handlers answer before connections are closed

    app.on_shutdown.append(drain)


async def pause(request: web.Request, seconds: float) -> None:
    """A scenario's `latency`: `seconds`, or less when the server shuts down meanwhile."""
    draining = request.app.get(DRAINING_KEY)
    if draining is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(draining.wait(), seconds)


async def apply_fault(request: web.Request, fault: str) -> web.StreamResponse:
    transport = request.transport
    if fault == "html_502":
        return web.Response(body=_HTML_502, status=502, content_type="text/html")
    if fault == "hang":
        await _hang(request, HANG_SECONDS)
        fault = "empty"
    if transport is not None:
        if fault == "reset":
            transport.abort()
        else:
            transport.close()
    # The connection is gone; aiohttp notices and writes nothing.
    return web.Response(status=499)


async def _hang(request: web.Request, limit: float) -> None:
    """Wait until the client hangs up, the server shuts down or `limit` seconds pass, whichever comes first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    draining = request.app.get(DRAINING_KEY)
    while loop.time() < deadline:
        transport = request.transport
        if transport is None or transport.is_closing() or (draining is not None and draining.is_set()):
            return
        await asyncio.sleep(_HANG_POLL)
