"""Helpers for the admin API tests: fresh accounts, sends through sms.1oc.cn, and a server-sent-events reader."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any
from urllib.parse import urlencode

import aiohttp

from emulator.server import EmulatorServer
from tests.conftest import admin


def new_account(server: EmulatorServer, **settings: Any) -> dict[str, Any]:
    status, body = admin(server, "POST", "/_emulator/accounts", settings)
    assert status == 201, body
    return body


def get(server: EmulatorServer, path: str, **query: Any) -> tuple[int, Any]:
    params = {k: v for k, v in query.items() if v is not None}
    return admin(server, "GET", f"/_emulator{path}" + (f"?{urlencode(params)}" if params else ""))


def send_1oc(server: EmulatorServer, account: dict[str, Any] | None = None, phone: str = "13912345678",
             code: str = "1234", template: str = "1001") -> dict[str, Any]:
    """One sms.1oc.cn send: the quickest way to put a message with a code in the store (no signing)."""
    secret = account["app_secret"] if account else "testappsecret"
    query = urlencode({"module": "sms", "file": "send", "action": "send", "mobphone": phone, "code": code,
                       "smstemplate": template})
    req = urllib.request.Request(f"{server.url}/?{query}", headers={"Authorization": secret})
    with urllib.request.urlopen(req, timeout=30) as resp:
        answer = json.loads(resp.read())
    assert answer["code"] == 200, answer
    return answer


class EventStream:
    """Reads `GET /_emulator/events` as a browser's EventSource would, one parsed event at a time."""

    def __init__(self, server: EmulatorServer, **query: str) -> None:
        self.url = f"{server.url}/_emulator/events" + (f"?{urlencode(query)}" if query else "")
        self.session: aiohttp.ClientSession | None = None
        self.response: aiohttp.ClientResponse | None = None

    async def __aenter__(self) -> EventStream:
        self.session = aiohttp.ClientSession()
        self.response = await self.session.get(self.url, timeout=aiohttp.ClientTimeout(total=None))
        assert self.response.status == 200, await self.response.text()
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.session is not None
        if self.response is not None:
            self.response.close()
        await self.session.close()

    async def next(self, timeout: float = 10.0) -> tuple[str, Any]:
        """The next event as (name, data); comments and `retry` lines are skipped."""
        assert self.response is not None
        name, data = "message", []
        while True:
            raw = await asyncio.wait_for(self.response.content.readline(), timeout)
            if not raw:
                raise EOFError("the stream ended")
            line = raw.decode().rstrip("\n")
            if not line:
                if data:
                    return name, json.loads("\n".join(data))
                name = "message"
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)

    async def until(self, wanted: str, timeout: float = 10.0) -> Any:
        """Skip events until one named `wanted`; its data."""
        while True:
            name, data = await self.next(timeout)
            if name == wanted:
                return data
