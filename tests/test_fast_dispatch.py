"""The providers' entry point skips aiohttp's routing (emulator.protocols.fastpath); on a real socket it must
answer exactly as the routed path would, and never skip anything a provider request relies on."""

from __future__ import annotations

import http.client
import json
import socket

from aiohttp import ClientSession, web

from emulator.app import build_app
from emulator.server import start_site
from emulator.settings import Settings

UNSIGNED = "/?Action=SendSms&Version=2017-05-25&Format=JSON&PhoneNumbers=13900000001"


def _answer(sock: socket.socket) -> tuple[int, object]:
    """The next response on a kept-alive connection, read by the standard library's HTTP parser."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, json.loads(response.read())


def test_expect_100_continue_on_the_providers_path_is_still_answered(emulator):
    """`Expect: 100-continue` (curl sends it for bodies over 1 KB) takes aiohttp's routed path, which answers
    the interim `100 Continue`; the provider then answers in its own error shape."""
    body = b"SignName=" + b"x" * 2000
    head = (f"POST {UNSIGNED} HTTP/1.1\r\nHost: {emulator.endpoint}\r\nExpect: 100-continue\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection((emulator.host, emulator.port), timeout=10) as sock:
        sock.sendall(head)
        interim = sock.recv(65536)
        assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
        sock.sendall(body)
        status, payload = _answer(sock)
    assert 400 <= status < 500, (status, payload)
    assert set(payload) >= {"Code", "Message", "RequestId"} and payload["Code"] != "OK", payload


def test_a_provider_request_on_a_keep_alive_connection_after_an_admin_one(emulator):
    """Admin requests take the routed path and SDK calls the direct one, on the same connection in turn."""
    with socket.create_connection((emulator.host, emulator.port), timeout=10) as sock:
        for target in ("/_emulator/health", UNSIGNED, "/_emulator/messages", UNSIGNED):
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {emulator.endpoint}\r\n\r\n".encode())
            _, answer = _answer(sock)
            if target.startswith("/_emulator/"):
                assert "Code" not in answer, answer
            else:
                assert answer["Code"] != "OK" and "RequestId" in answer, answer


async def test_a_middleware_not_marked_admin_only_is_never_skipped():
    """Should a middleware that acts on provider requests be added, the direct path turns itself off."""
    app = build_app(Settings())
    seen: list[str] = []

    @web.middleware
    async def watch(request: web.Request, handler):
        seen.append(request.path)
        return await handler(request)

    app.middlewares.append(watch)
    runner, port, _ = await start_site(app, "127.0.0.1", 0)
    try:
        async with ClientSession() as session, session.post(f"http://127.0.0.1:{port}{UNSIGNED}") as resp:
            payload = await resp.json(content_type=None)
    finally:
        await runner.cleanup()
    assert seen == ["/"]
    assert payload["Code"] != "OK" and "RequestId" in payload, payload
