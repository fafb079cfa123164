"""Helpers for number authentication tests: mint tokens through the admin API as a phone would get them."""

from __future__ import annotations

from typing import Any

from alibabacloud_dypnsapi20170525 import models as m

from emulator.server import EmulatorServer
from tests.conftest import admin


def mint(server: EmulatorServer, phone: str, **body: Any) -> str:
    status, answer = admin(server, "POST", "/_emulator/number-auth/tokens", {"phone": phone, **body})
    assert status == 201, answer
    return answer["token"]


def exchanges(server: EmulatorServer, **query: str) -> list[dict[str, Any]]:
    from urllib.parse import urlencode

    status, body = admin(server, "GET", f"/_emulator/number-auth/exchanges?{urlencode(query)}")
    assert status == 200, body
    return body["exchanges"]


def get_mobile(client: Any, token: str, **kw: Any) -> Any:
    return client.get_mobile(m.GetMobileRequest(access_token=token, **kw)).body


def verify_mobile(client: Any, token: str, phone: str) -> Any:
    return client.verify_mobile(m.VerifyMobileRequest(access_code=token, phone_number=phone)).body


def auth_token(client: Any, biz_type: int = 1, scene: str = "FC100000000000001",
               url: str = "https://shop.example/login", origin: str = "https://shop.example") -> Any:
    return client.get_auth_token(m.GetAuthTokenRequest(url=url, origin=origin, scene_code=scene,
                                                       biz_type=biz_type)).body
