"""The emulator as a forward proxy for the providers' hostnames, for applications that cannot change their endpoint.

Plain HTTP through `HTTP_PROXY` needs nothing here: the client sends the request in absolute form
(`GET http://dysmsapi.aliyuncs.com/?Action=…`) and aiohttp routes it like any other. HTTPS through `HTTPS_PROXY`
starts with `CONNECT dysmsapi.aliyuncs.com:443`: for the providers' hostnames the emulator answers
`200 Connection established` and relays the client's bytes to its own HTTPS listener, whose certificate (from the
emulator's CA) names those hosts, so the TLS the client speaks ends at the emulator itself. A CONNECT to any
other host is refused with 403 and a sentence saying why: the emulator never opens a connection to the internet.

aiohttp's router cannot route CONNECT (its target has no path), so `install_connect` puts a check in front of
the router's `resolve`: for every other request it hands back the router's own coroutine, adding no coroutine
layer. The HTTPS listener is the `--tls-port` one, or the main port when that speaks TLS; without either a
CONNECT is answered 503 saying so (the client would have no CA to trust).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.web_urldispatcher import PlainResource, ResourceRoute, UrlMappingMatchInfo

log = logging.getLogger("sms_emulator.proxy")

#: The hosts a CONNECT may name (what the emulator's certificate covers and answers as).
PROVIDER_HOSTS = frozenset({"dysmsapi.aliyuncs.com", "dypnsapi.aliyuncs.com", "sms.1oc.cn"})
TUNNEL_PORTS = frozenset({443})
CHUNK = 64 * 1024
class TunnelTarget:
    """The emulator's own HTTPS listener, the relay's destination: set by the server once it is bound (the
    `--tls-port` one, or the main port when that speaks TLS); None when the emulator serves no HTTPS."""

    def __init__(self) -> None:
        self.address: tuple[str, int] | None = None


def install_connect(app: web.Application, target: TunnelTarget) -> None:
    """Route CONNECT requests to the tunnel, in front of the router (see the module's docstring)."""
    router = app.router
    resolve = router.resolve
    route = ResourceRoute("CONNECT", _tunnel_handler(target), PlainResource("/"))

    async def connect_match() -> UrlMappingMatchInfo:
        return UrlMappingMatchInfo({}, route)

    def resolve_with_connect(request: web.Request) -> Awaitable[Any]:
        if request.method == "CONNECT":
            return connect_match()
        return resolve(request)

    router.resolve = resolve_with_connect  # type: ignore[method-assign]


def _refuse(status: int, text: str) -> web.Response:
    response = web.Response(status=status, text=json.dumps({"error": text}), content_type="application/json")
    response.force_close()
    return response


def _tunnel_handler(target: TunnelTarget) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def tunnel(request: web.Request) -> web.StreamResponse:
        host, _, port = request.raw_path.rpartition(":")
        host = host.strip("[]").lower()
        if host not in PROVIDER_HOSTS or not port.isdigit() or int(port) not in TUNNEL_PORTS:
            log.warning("refused CONNECT %s: not a provider host", request.raw_path[:100])
            return _refuse(403, f"CONNECT {request.raw_path[:100]} refused: the emulator tunnels only to "
                                f"{', '.join(sorted(PROVIDER_HOSTS))} on port 443, and never forwards traffic "
                                "to the internet")
        transport = request.transport
        if transport is None:
            return web.Response(status=499)
        if target.address is None:
            return _refuse(503, f"CONNECT {host}:443 needs the emulator to serve HTTPS (the client's TLS ends at "
                                "the emulator, whose CA it must trust): start it with --tls-port PORT "
                                "(SMS_EMULATOR_TLS_PORT) or --tls")
        try:
            reader, writer = await asyncio.open_connection(*target.address)
        except OSError as exc:
            return _refuse(502, f"the emulator's HTTPS listener cannot be reached: {exc}")
        transport.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await _relay(request, transport, reader, writer)
        return web.Response(status=499)      # the tunnel is closed: aiohttp writes nothing more
    return tunnel


class _Forward:
    """What aiohttp's protocol feeds the bytes after CONNECT to (its `set_parser` seam, as WebSocketResponse
    uses): each chunk goes straight to the emulator's HTTPS listener; the client's hang-up ends the tunnel."""

    def __init__(self, writer: asyncio.StreamWriter, closed: asyncio.Event) -> None:
        self._writer = writer
        self._closed = closed

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if not self._writer.is_closing():
            self._writer.write(data)
        return False, b""

    def feed_eof(self) -> None:
        self._closed.set()


async def _relay(request: web.Request, transport: asyncio.BaseTransport, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
    """Bytes both ways until either side closes; then both are closed."""
    client_gone = asyncio.Event()
    request.protocol.set_parser(_Forward(writer, client_gone))  # type: ignore[union-attr, arg-type]

    async def downstream() -> None:     # the listener's answers -> client
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(CHUNK):
                if transport.is_closing():
                    break
                transport.write(chunk)  # type: ignore[attr-defined]

    answers = asyncio.ensure_future(downstream())
    hangup = asyncio.ensure_future(client_gone.wait())
    try:
        await asyncio.wait([answers, hangup], return_when=asyncio.FIRST_COMPLETED)
    finally:
        answers.cancel()
        hangup.cancel()
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
        transport.close()
