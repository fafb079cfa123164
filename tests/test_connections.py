"""Connection limits over real sockets: a client hoarding idle keep-alive connections locks nobody out.

The emulator runs as a subprocess under a low RLIMIT_NOFILE (256 descriptors: a bound of 128 connections), as a
container with a small `ulimit -n` would."""

from __future__ import annotations

import json
import logging
import resource
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from emulator.ops import connections
from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.ship_helpers import ROOT, Cli, serve

HEALTH = b"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _low_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


def _start_limited(cli: Cli) -> Cli:
    cli.proc = subprocess.Popen(cli.args, env=cli.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                preexec_fn=_low_fd_limit)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if cli.get("/_emulator/health", timeout=1)[0] == 200:
                return cli
        except OSError:
            time.sleep(0.05)
    cli.kill()
    raise AssertionError("emulator did not answer in time")


def _keep_alive(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(HEALTH)
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def test_idle_connections_are_shed_oldest_first_and_nobody_is_locked_out(tmp_path: Path):
    scenario = tmp_path / "slow.yaml"
    scenario.write_text("rules:\n  - match: {phone: '13912340031'}\n    then: {latency: 2}\n")
    cli = _start_limited(serve(tmp_path, "--scenario", str(scenario)))
    hoard: list[socket.socket] = []
    try:
        # The oldest connection has a request in flight: it is never shed, whatever the pressure.
        slow = socket.create_connection(("127.0.0.1", cli.port), timeout=10)
        slow.sendall(b"GET /?module=sms&file=send&action=send&mobphone=13912340031&code=1&smstemplate=1001 "
                     b"HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: testappsecret\r\n\r\n")
        time.sleep(0.2)
        hoard = [_keep_alive(cli.port) for _ in range(400)]       # 1.5 times the descriptor limit
        assert cli.get("/_emulator/health", timeout=5)[0] == 200  # a fresh client still gets in
        answer = slow.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200") and b'"code": 200' in answer
        closed = [_closed_by_server(sock) for sock in hoard]
        assert sum(closed) >= 400 - 128 and closed[0] and not closed[-1]     # the oldest idle ones went
        hoard[-1].sendall(HEALTH)                                 # the newest still serves its pool
        assert hoard[-1].recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        for sock in hoard:
            sock.close()
        cli.terminate()
    assert b"Traceback" not in cli.err and len(cli.err.splitlines()) < 10


def test_when_every_connection_is_busy_the_newcomer_gets_a_503():
    from tests.scenario_helpers import put_scenario

    with EmulatorServer(Settings(port=0, quiet=True)) as server:
        assert put_scenario(server, "rules:\n  - match: {phone: '13912340032'}\n    then: {latency: 1}\n")[0] == 200
        guard = connections.guard_of(server._runner)
        assert guard is not None and guard.bound >= 16
        guard.bound = 2
        answers: list[bytes] = []

        def slow_send() -> None:
            with socket.create_connection((server.host, server.port), timeout=10) as sock:
                sock.sendall(b"GET /?module=sms&file=send&action=send&mobphone=13912340032&code=1&smstemplate=1001"
                             b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: testappsecret\r\n\r\n")
                answers.append(sock.recv(65536))

        time.sleep(0.2)     # the scenario PUT's connection is closed by then
        threads = [threading.Thread(target=slow_send) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        with socket.create_connection((server.host, server.port), timeout=5) as sock:
            sock.sendall(HEALTH)
            refused = sock.recv(65536)
        for thread in threads:
            thread.join(timeout=10)
    assert refused.startswith(b"HTTP/1.1 503") and b"Connection: close" in refused
    assert json.loads(refused.split(b"\r\n\r\n", 1)[1])["error"]
    assert len(answers) == 2 and all(a.startswith(b"HTTP/1.1 200") for a in answers)    # in flight: untouched


def test_accept_errors_are_one_line_per_interval(caplog: pytest.LogCaptureFixture):
    """Out of descriptors, asyncio's accept loop reports every failed accept(); ~48,000 tracebacks in 10 s before."""
    import asyncio
    import errno

    loop = asyncio.new_event_loop()
    try:
        handler = connections._AcceptErrorLog([])
        error = OSError(errno.EMFILE, "Too many open files")
        with caplog.at_level(logging.WARNING, logger="sms_emulator.connections"):
            for _ in range(1000):
                handler(loop, {"message": "socket.accept() out of system resource", "exception": error})
        [record] = caplog.records
        assert "Too many open files" in record.getMessage() and not record.exc_info
    finally:
        loop.close()


def test_the_bound_follows_the_descriptor_limit(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(resource, "getrlimit", lambda _: (1024, 4096))
    assert connections.connection_bound() == 1024 - connections.RESERVED_FDS
    monkeypatch.setattr(resource, "getrlimit", lambda _: (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    assert connections.connection_bound() == connections.MAX_CONNECTIONS
