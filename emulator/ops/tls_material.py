"""What the rest of the emulator needs to know of TLS, without `cryptography`: importing that costs about 25 ms of
every start-up, and most starts serve plain HTTP (`emulator.ops.tls`, which makes certificates, is imported only
when TLS is asked for)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path


class TlsError(Exception):
    """TLS cannot be set up as asked (reported in one line at start)."""


@dataclass
class TlsMaterial:
    context: ssl.SSLContext
    ca_pem: bytes            # what /_emulator/ca.pem serves: the CA, or the given certificate chain
    ca_path: Path | None     # where the CA was written (None with --cert/--key)
