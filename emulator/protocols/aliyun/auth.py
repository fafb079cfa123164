"""Who is calling: verify an RPC v1 or ACS3 signature (never skipped), freshness, nonce and STS token."""

from __future__ import annotations

import calendar
import hashlib
import re
from functools import lru_cache
from typing import NamedTuple

from emulator.core.accounts import Account, StsCredential
from emulator.core.backend import Backend
from emulator.protocols.aliyun import signature as sig
from emulator.protocols.aliyun.errors import SIGNATURE_MISMATCH_TEXT, gateway_error, missing
from emulator.protocols.aliyun.request import AliyunRequest

#: Requests whose timestamp is further than this from the (virtual) server time are refused.
FRESHNESS_WINDOW = 15 * 60
ACS3_REQUIRED_SIGNED = ("host", "x-acs-action", "x-acs-content-sha256", "x-acs-date",
                        "x-acs-signature-nonce", "x-acs-version")
#: The SHA-256 of an empty body: what nearly every ACS3 request (parameters in the query) signs.
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z")


class Principal(NamedTuple):
    account: Account
    access_key_id: str
    scheme: str                       # rpc | acs3
    sts: StsCredential | None = None


@lru_cache(maxsize=256)
def parse_timestamp(value: str) -> float | None:
    """Epoch seconds of a `yyyy-MM-ddTHH:mm:ssZ` stamp, or None.

    Cached: SDK stamps have one-second resolution, so concurrent clients send the same few strings over and over.
    """
    match = _TIMESTAMP.fullmatch(value)
    if not match:
        return None
    try:
        parts = tuple(int(g) for g in match.groups())
        if not (1 <= parts[1] <= 12 and parts[3] < 24 and parts[4] < 60 and parts[5] < 61):
            return None
        if not 1 <= parts[2] <= calendar.monthrange(parts[0], parts[1])[1]:
            return None     # 2026-02-31 is no date (timegm would read it as March 3)
        return float(calendar.timegm((*parts, 0, 0, 0)))
    except (ValueError, OverflowError):
        return None


def _is_utf8(value: str) -> bool:
    """aiohttp decodes header bytes that are not UTF-8 to lone surrogates (surrogateescape): such a value has
    no UTF-8 form to sign, so the request is refused as malformed rather than failing on the way to a hash."""
    if value.isascii():
        return True
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


class Authenticator:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def authenticate(self, req: AliyunRequest) -> Principal:
        if req.acs3_authorization:
            return self._acs3(req, req.acs3_authorization)
        if "Signature" in req.params:
            return self._rpc(req)
        if req.header("authorization"):
            raise gateway_error("IncompleteSignature",
                                "The Authorization header is not an ACS3 signature this gateway accepts.")
        raise missing("Signature")

    # RPC v1 ---------------------------------------------------------------------------------------

    def _rpc(self, req: AliyunRequest) -> Principal:
        params = req.params
        for name in ("AccessKeyId", "SignatureMethod", "SignatureNonce", "Timestamp"):
            if not params.get(name):
                raise missing(name)
        if params["SignatureMethod"] != "HMAC-SHA1":
            raise gateway_error("InvalidSignatureMethod",
                                f"Specified signature method {params['SignatureMethod']!r} is not valid; "
                                "RPC requests are signed with HMAC-SHA1.")
        if params.get("SignatureVersion", "1.0") != "1.0":
            raise gateway_error("InvalidSignatureVersion")
        access_key_id = params["AccessKeyId"]
        account, secret, sts = self._credentials(access_key_id, params.get("SecurityToken"))
        self._check_fresh(params["Timestamp"])
        # each name once, as the SDKs sign (identical duplicates were folded into one parameter)
        string_to_sign = sig.rpc_string_to_sign(req.method, params.items())
        expected = sig.rpc_signature(secret, string_to_sign)
        if not sig.constant_time_equal(expected, params["Signature"]):
            raise gateway_error("SignatureDoesNotMatch", SIGNATURE_MISMATCH_TEXT + string_to_sign)
        self._check_nonce(access_key_id, params["SignatureNonce"])
        return Principal(account, access_key_id, "rpc", sts)

    # ACS3 -----------------------------------------------------------------------------------------

    def _acs3(self, req: AliyunRequest, authorization: str) -> Principal:
        if not _is_utf8(authorization):
            raise gateway_error("IncompleteSignature", "The Authorization header carries bytes that are not UTF-8.")
        try:
            auth = sig.parse_authorization(authorization)
        except sig.AuthorizationFormatError as exc:
            raise gateway_error("IncompleteSignature", f"{exc}.") from None
        if auth.algorithm != sig.ACS3_ALGORITHM:
            raise gateway_error("IncompleteSignature",
                                f"Signature algorithm {auth.algorithm} is not supported; use {sig.ACS3_ALGORITHM}.")
        token = req.header("x-acs-security-token")
        required = (*ACS3_REQUIRED_SIGNED, "x-acs-security-token") if token else ACS3_REQUIRED_SIGNED
        if not req.headers.keys() >= set(auth.signed_headers) >= set(required):
            unsigned = [h for h in required if h not in auth.signed_headers]
            if unsigned:
                raise gateway_error("IncompleteSignature", f"SignedHeaders must include {', '.join(unsigned)}.")
            absent = [h for h in auth.signed_headers if h not in req.headers]
            raise gateway_error("IncompleteSignature", f"Signed header(s) {', '.join(absent)} are not in the request.")
        for name in auth.signed_headers:
            if not all(_is_utf8(value) for value in req.headers[name]):
                raise gateway_error("IncompleteSignature", f"Signed header {name} carries bytes that are not UTF-8.")
        account, secret, sts = self._credentials(auth.credential, token)
        self._check_fresh(req.header("x-acs-date") or "")
        hashed_body = hashlib.sha256(req.body).hexdigest() if req.body else EMPTY_SHA256
        canonical = sig.acs3_canonical_request(req.method, req.path, req.query, req.headers,
                                               auth.signed_headers, hashed_body)
        string_to_sign = sig.acs3_string_to_sign(canonical)
        expected = sig.acs3_signature(secret, string_to_sign)
        if not sig.constant_time_equal(expected, auth.signature.lower()):
            raise gateway_error("SignatureDoesNotMatch", SIGNATURE_MISMATCH_TEXT + string_to_sign)
        self._check_nonce(auth.credential, req.header("x-acs-signature-nonce") or "")
        return Principal(account, auth.credential, "acs3", sts)

    # Shared checks --------------------------------------------------------------------------------

    def _check_fresh(self, value: str) -> None:
        stamp = parse_timestamp(value)
        if stamp is None:
            raise gateway_error("InvalidTimeStamp.Format",
                                f"Specified time stamp or date value is not well formatted: {value!r} "
                                "(expected UTC yyyy-MM-ddTHH:mm:ssZ).")
        clock = self.backend.clock
        # SDKs sign with the wall clock, replays and pinned tests with virtual time: either one may vouch for
        # the request, so moving the virtual clock never locks real clients out.
        if abs(stamp - clock.wall()) > FRESHNESS_WINDOW and abs(stamp - clock.now()) > FRESHNESS_WINDOW:
            raise gateway_error("InvalidTimeStamp.Expired",
                                f"Specified time stamp or date value is expired: {value} is more than 15 minutes "
                                "away from both the server's real and its virtual time.")

    def _check_nonce(self, access_key_id: str, nonce: str) -> None:
        if not nonce:
            raise missing("SignatureNonce")
        key = f"{access_key_id}\x00{nonce}"
        now = self.backend.clock.wall()   # wall time: advancing the virtual clock must not reopen replays
        if self.backend.nonces.seen(key, now):
            raise gateway_error("SignatureNonceUsed")
        self.backend.nonces.remember(key, now)

    def _credentials(self, access_key_id: str, token: str | None) -> tuple[Account, str, StsCredential | None]:
        """Who the key belongs to. Runs before the freshness check, so an expired STS token is reported as
        `InvalidSecurityToken.Expired` even when the request's timestamp is stale too."""
        accounts = self.backend.accounts
        if token:
            sts = accounts.sts_by_token(token)
            if sts is None:
                raise gateway_error("InvalidSecurityToken.Malformed")
            if sts.access_key_id != access_key_id:
                raise gateway_error("InvalidSecurityToken.MismatchWithAccessKey")
            if sts.expired(self.backend.clock.now()):
                raise gateway_error("InvalidSecurityToken.Expired")
            account = accounts.get(sts.account)
            if account is None:
                raise gateway_error("InvalidAccessKeyId.NotFound")
            return account, sts.access_key_secret, sts
        found = accounts.by_access_key(access_key_id)
        if found is None:
            if accounts.sts_by_key(access_key_id) is not None:
                raise gateway_error("MissingSecurityToken",
                                    "SecurityToken is mandatory for STS credentials (AccessKeyId STS.*).")
            raise gateway_error("InvalidAccessKeyId.NotFound")
        account, secret = found
        if access_key_id in account.disabled_keys:
            raise gateway_error("InvalidAccessKeyId.Inactive")
        return account, secret, None

