"""Configuration in one place: built-in defaults, then `SMS_EMULATOR_*` environment variables, then flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any

ENV_PREFIX = "SMS_EMULATOR_"
LOOPS = ("asyncio", "uvloop")


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8767
    fixtures: str | None = None        # directory; None = built-in defaults
    scenario: str | None = None        # YAML file; None = the built-in default scenario
    seed: int | None = None
    store_cap: int = 100_000           # messages kept before the oldest are pruned
    store_mb: int = 256                # MiB the stored messages may hold before the oldest are pruned
    max_body: int = 1024 * 1024        # bytes; larger bodies are refused with the provider's error shape
    loop: str = "asyncio"              # asyncio | uvloop (pip install 'sms-emulator[speed]')
    log_level: str = "info"
    quiet: bool = False                # no per-request log lines
    log_format: str = "text"           # text | json (one JSON object per line on stdout)
    tls: bool = False                  # serve HTTPS with a certificate made at start by a local CA
    tls_port: int | None = None        # also serve HTTPS on this port, beside plain HTTP on `port`
    cert: str | None = None            # PEM certificate (chain) to serve instead; implies TLS
    key: str | None = None             # its PEM private key
    ca_out: str | None = None          # where to write the generated CA (default: next to the db, or a temp dir)
    db: str | None = None              # SQLite file keeping the state across restarts; None = in memory only
    callback_ca: str | None = None     # PEM file of CAs to trust for HTTPS report receivers, besides the system's
    allowed_hosts: str | None = None   # comma-separated Host names the admin API answers besides the built-in ones

    @property
    def main_tls(self) -> bool:
        """Whether `port` itself speaks TLS (`--tls` or `--cert`), rather than plain HTTP beside a `--tls-port`."""
        return (self.tls or bool(self.cert)) and self.tls_port is None

    @property
    def any_tls(self) -> bool:
        return self.tls or bool(self.cert) or self.tls_port is not None

    def admin_hosts(self) -> list[str]:
        """The names the admin API answers for besides the built-in ones: `--host` and `--allowed-host`."""
        extra = [name.strip() for name in (self.allowed_hosts or "").split(",") if name.strip()]
        return [self.host, *extra]

    def __post_init__(self) -> None:
        """Values that would start an emulator that cannot work are one clear line at start, not a crash later."""
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} (--port, {ENV_PREFIX}PORT) is not a TCP port: 0-65535")
        if self.tls_port is not None:
            if not 0 <= self.tls_port <= 65535:
                raise ValueError(f"TLS port {self.tls_port} (--tls-port, {ENV_PREFIX}TLS_PORT) is not a TCP port: "
                                 "0-65535")
            if self.tls:
                raise ValueError(f"--tls ({ENV_PREFIX}TLS) makes --port itself HTTPS; --tls-port "
                                 f"({ENV_PREFIX}TLS_PORT) adds an HTTPS port beside a plain HTTP --port: use one "
                                 f"(in the container image, {ENV_PREFIX}TLS_PORT= turns the second port off)")
            if self.tls_port == self.port and self.port != 0:
                raise ValueError(f"--tls-port {self.tls_port} is --port too: HTTP and HTTPS need a port each")
        if self.store_cap < 1:
            raise ValueError(f"store cap {self.store_cap} (--store-cap, {ENV_PREFIX}STORE_CAP) must be at least 1")
        if self.loop not in LOOPS:
            raise ValueError(f"event loop {self.loop!r} (--loop, {ENV_PREFIX}LOOP); expected one of {', '.join(LOOPS)}")
        if self.store_mb < 1:
            raise ValueError(f"store size {self.store_mb} MiB (--store-mb, {ENV_PREFIX}STORE_MB) must be at least 1")
        if self.max_body < 1024:
            raise ValueError(f"max body {self.max_body} (--max-body, {ENV_PREFIX}MAX_BODY) must be at least 1024")
        if self.callback_ca is not None and not os.path.isfile(self.callback_ca):
            raise ValueError(f"callback CA {self.callback_ca} (--callback-ca, {ENV_PREFIX}CALLBACK_CA) is not a file")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.name, raw, f.type)
        return cls(**values)

    def merge(self, **overrides: Any) -> Settings:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data.update({k: v for k, v in overrides.items() if v is not None})
        return Settings(**data)


def _coerce(name: str, raw: str, kind: Any) -> Any:
    kind = str(kind)
    try:
        if "int" in kind:
            return int(raw)
        if "bool" in kind:
            return raw.strip().lower() in ("1", "true", "yes", "on")
    except ValueError:
        raise ValueError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a whole number") from None
    return raw
