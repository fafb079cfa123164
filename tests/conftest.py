"""Shared fixtures: one emulator on a loopback port per session, reset before every test, and SDK clients."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.server import EmulatorServer
from emulator.settings import Settings

ACCESS_KEY_ID = "testid"
ACCESS_KEY_SECRET = "testsecret"


@pytest.fixture(scope="session")
def server() -> Iterator[EmulatorServer]:
    srv = EmulatorServer(Settings(port=0, quiet=True)).start()
    yield srv
    srv.stop()


@pytest.fixture
def emulator(server: EmulatorServer) -> EmulatorServer:
    """The shared emulator, reset (messages, limits, nonces, clock, scenario) before the test."""
    server.call(lambda: server.backend.reset("all"))
    return server


def tea_config(server: EmulatorServer, algorithm: str | None = None, **kw: Any):
    from alibabacloud_tea_openapi.models import Config

    cfg = Config(access_key_id=kw.pop("access_key_id", ACCESS_KEY_ID),
                 access_key_secret=kw.pop("access_key_secret", ACCESS_KEY_SECRET),
                 endpoint=server.endpoint, protocol="http", **kw)
    if algorithm:
        cfg.signature_algorithm = algorithm
    return cfg


@pytest.fixture(params=["acs3", "v2"])
def dysms(request: pytest.FixtureRequest, emulator: EmulatorServer):
    """The tea-generation dysmsapi client, once with ACS3 (default) and once with RPC v1 signatures."""
    from alibabacloud_dysmsapi20170525.client import Client

    return Client(tea_config(emulator, "v2" if request.param == "v2" else None))


@pytest.fixture
def legacy(emulator: EmulatorServer):
    from aliyunsdkcore.client import AcsClient

    client = AcsClient(ACCESS_KEY_ID, ACCESS_KEY_SECRET, "cn-hangzhou")
    client.add_endpoint("cn-hangzhou", "Dysmsapi", emulator.endpoint)
    client.add_endpoint("cn-hangzhou", "Dypnsapi", emulator.endpoint)
    return client


def admin(server: EmulatorServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """Call the admin API over the socket, as a user's test would."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{server.url}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def messages(server: EmulatorServer, **query: str) -> list[dict[str, Any]]:
    from urllib.parse import urlencode

    status, body = admin(server, "GET", f"/_emulator/messages?{urlencode(query)}")
    assert status == 200
    return body["messages"]


def advance(server: EmulatorServer, seconds: float) -> dict[str, Any]:
    status, body = admin(server, "POST", "/_emulator/clock/advance", {"seconds": seconds})
    assert status == 200, body
    return body


@pytest.fixture(params=["acs3", "v2"])
def dypns(request: pytest.FixtureRequest, emulator: EmulatorServer):
    """The tea-generation dypnsapi client, once with ACS3 (default) and once with RPC v1 signatures."""
    from alibabacloud_dypnsapi20170525.client import Client

    return Client(tea_config(emulator, "v2" if request.param == "v2" else None))


@pytest.fixture
def receiver() -> Iterator[Any]:
    """A real webhook receiver on a loopback port (see tests/receiver.py); stopped after the test."""
    from tests.receiver import Receiver

    rec = Receiver().start()
    yield rec
    rec.stop()


@pytest.fixture
def scenario(emulator: EmulatorServer) -> Iterator[Any]:
    """`scenario(yaml_text)` loads a scenario into the shared emulator (PUT /_emulator/scenario) for one test;
    the startup scenario is back afterwards (DELETE), so later tests see the default magic numbers."""
    from tests.scenario_helpers import put_scenario

    def load(text: str) -> dict[str, Any]:
        status, body = put_scenario(emulator, text)
        assert status == 200, body
        return body

    yield load
    admin(emulator, "DELETE", "/_emulator/scenario")


def assert_state_consistent(server: EmulatorServer, initial_balance: int = 100_000) -> None:
    """Invariants that hold however requests went: what a fuzzer checks after every example. Assumes only the
    default account sent (its fixture balance is `initial_balance`) since the last reset."""
    from emulator.core.messages import STATUSES

    def check() -> None:
        backend = server.backend
        stored = list(backend.messages.all())
        ids = [m.id for m in stored]
        assert ids == sorted(set(ids)), "message ids repeat or are out of order"
        assert all(m.status in STATUSES and m.provider in ("dysms", "dypns", "onecloud") for m in stored)
        assert all(backend.accounts.get(m.account) is not None for m in stored)
        waiting = {m.id for m in stored if m.status == "waiting"}
        scheduled = [job.payload["message"] for job in backend.scheduler.pending("deliver")]
        assert sorted(scheduled) == sorted(waiting), "a waiting message without exactly one delivery job"
        account = backend.accounts.default()
        if account.balance is not None:
            spent = sum(m.segments for m in stored if m.account == account.name)
            assert account.balance == initial_balance - spent, "the balance does not match what was stored"

    server.call(check)
