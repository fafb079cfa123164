"""A minimal RPC v1 request signer for tests that build requests by hand (fuzzing, benchmarks).

The official SDKs prove the emulator's verification against real signers; this helper only lets a test reach
the product handlers with arbitrary parameter values.
"""

from __future__ import annotations

import itertools
from urllib.parse import quote

from emulator.core.clock import iso_utc
from emulator.protocols.aliyun.signature import rpc_signature, rpc_string_to_sign

_nonce = itertools.count()


def signed_query(action: str, params: dict[str, str], now: float, key: str = "testid",
                 secret: str = "testsecret", method: str = "POST") -> str:
    common = {"Action": action, "Version": "2017-05-25", "Format": "JSON", "AccessKeyId": key,
              "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": f"n{next(_nonce)}-{now}",
              "Timestamp": iso_utc(now)}
    pairs = list({**params, **common}.items())
    signature = rpc_signature(secret, rpc_string_to_sign(method, pairs))
    pairs.append(("Signature", signature))
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
