"""Network faults a scenario can inject instead of an answer, for any provider.

* `reset`  - the TCP connection is aborted (clients see a connection reset);
* `empty`  - the connection is closed without a single byte of response;
* `hang`   - nothing is sent until the client gives up: longer than any SDK's read timeout, but bounded (and
             over as soon as the client hangs up), so the server never leaks the task or delays shutdown;
* `html_502` - a proxy's HTML error page, which no SDK can parse as JSON.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

FAULTS = ("reset", "empty", "hang", "html_502")
#: The SDKs' default read timeouts are 10 s (tea) and 10 s (legacy core); two minutes outlasts any sane setting.
HANG_SECONDS = 120.0
_HANG_POLL = 0.05

_HTML_502 = (b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
             b"</center><hr><center>Tengine</center></body></html>")


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
    """Wait until the client hangs up or `limit` seconds pass, whichever comes first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while loop.time() < deadline:
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(_HANG_POLL)
