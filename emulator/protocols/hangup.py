"""A client that hangs up before its request body has arrived.

That is the client's doing, not the emulator's: nobody is left to read an answer, so there is no traceback,
no `InternalError` in the metrics, only the outcome `ClientClosed` in the request log (nginx calls it 499).
"""

from __future__ import annotations

from aiohttp import web

#: The outcome noted for the request log and the metrics.
CLIENT_CLOSED = "ClientClosed"


class ClientClosedRequest(web.HTTPClientError):
    """Raised instead of aiohttp's `ConnectionResetError`; as an HTTP exception, aiohttp itself answers it
    (writing nothing, the connection being gone) without logging an error."""

    status_code = 499


def nobody_to_answer() -> web.Response:
    """What a gateway returns for a request whose client is gone: aiohttp writes nothing on a closed transport."""
    return web.Response(status=499)


async def read_body(request: web.Request) -> bytes:
    """`request.read()`, with a hang-up mid-body as `ClientClosedRequest`."""
    try:
        return await request.read()
    except ConnectionResetError:
        raise ClientClosedRequest(text="the client closed the connection before sending its whole body") from None
