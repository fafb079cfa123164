"""The emulator as a separate process, started the way a user or a container starts it.

Tests of shipping concerns (signals, kill -9, the healthcheck, environment configuration) need a real process:
`Cli` runs the installed `sms-emulator` console script (the image's entry point) with a clean environment,
waits until it answers, and keeps its output for assertions.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def console_script() -> str:
    """The `sms-emulator` script installed next to this interpreter (what `pip install .` puts on PATH)."""
    script = Path(sys.executable).with_name("sms-emulator")
    assert script.exists(), f"{script} missing: install the package (pip install -e '.[test]')"
    return str(script)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any SMS_EMULATOR_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMS_EMULATOR_")}
    env.update(extra)
    return env


class Cli:
    def __init__(self, args: list[str], env: dict[str, str], port: int, scheme: str = "http",
                 cafile: str | None = None) -> None:
        self.args, self.env, self.port, self.scheme, self.cafile = args, env, port, scheme, cafile
        self.proc: subprocess.Popen[bytes] | None = None
        self.out = b""
        self.err = b""

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Cli:
        self.proc = subprocess.Popen(self.args, env=self.env, cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.collect()
                raise AssertionError(f"emulator exited {self.proc.returncode}: {self.err.decode()[-2000:]}")
            try:
                status, _ = self.get("/_emulator/health", timeout=1)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        raise AssertionError("emulator did not answer in time")

    def _context(self) -> ssl.SSLContext | None:
        if self.scheme != "https":
            return None
        return ssl.create_default_context(cafile=self.cafile) if self.cafile else ssl._create_unverified_context()

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                timeout: float = 10) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=self._context()) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def get(self, path: str, timeout: float = 10) -> tuple[int, Any]:
        status, raw = self.request("GET", path, timeout=timeout)
        return status, json.loads(raw) if raw.startswith((b"{", b"[")) else raw

    def post(self, path: str, body: Any = None) -> tuple[int, Any]:
        status, raw = self.request("POST", path, body)
        return status, json.loads(raw or b"null")

    def patch(self, path: str, body: Any) -> tuple[int, Any]:
        status, raw = self.request("PATCH", path, body)
        return status, json.loads(raw or b"null")

    def messages(self, **query: str) -> list[dict[str, Any]]:
        from urllib.parse import urlencode

        status, body = self.get(f"/_emulator/messages?{urlencode({'limit': '100000', **query})}")
        assert status == 200, body
        return body["messages"]

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, as `docker stop` sends it; returns the exit status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.collect(timeout)

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        self.collect()

    def collect(self, timeout: float = 30) -> int:
        assert self.proc is not None
        out, err = self.proc.communicate(timeout=timeout)
        self.out += out or b""
        self.err += err or b""
        return self.proc.returncode

    def __enter__(self) -> Cli:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()


def serve(tmp_path: Path, *flags: str, env: dict[str, str] | None = None, scheme: str = "http",
          cafile: str | None = None) -> Cli:
    """`sms-emulator serve --port N FLAGS...` on a free port (not started yet)."""
    port = free_port()
    return Cli([console_script(), "serve", "--port", str(port), *flags], env or clean_env(), port, scheme, cafile)
