"""Number authentication (dypnsapi 一键登录 / 本机号码校验 / H5): the tokens a phone would have handed the app.

On the real service a token comes from the carrier's gateway for the SIM whose mobile data is on; the back end
exchanges it for the number (GetMobile, GetPhoneWithToken) or checks a typed number against it (VerifyMobile,
VerifyPhoneWithToken). Here a test or the inbox *mints* the token instead, and the token keeps the real one's
rules, on the virtual clock and with no HTTP involved:

* it is bound to a number, a carrier (derived from the number's segment unless given: a ported number keeps
  its old segment) and a kind;
* it lives as long as its carrier's tokens (China Mobile 2 min, Unicom 30 min, Telecom 10 min) and works once;
* it belongs to the account it was minted for: another account's token is as unknown as a made-up one;
* every exchange, successful or not, is recorded, so a test or the inbox sees what the back end did.

H5 pages first get an AccessToken/JwtToken pair from GetAuthToken (10 min / 1 h, reusable) for a verify scheme
of the account; an spToken minted from that pair inherits its BizType (verification or login). Each account
starts with the built-in schemes (`FIXTURE_SCHEMES`) so GetAuthToken works out of the box.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

from emulator.core.clock import VirtualClock, iso_utc
from emulator.core.ids import RandomSource
from emulator.core.sweep import KEPT_AFTER_EXPIRY, SweepPolicy


@dataclass(frozen=True)
class Carrier:
    code: str            # cm | cu | ct
    name: str            # as the authorisation page shows it
    english: str
    ttl: float           # seconds a token of this carrier lives


CARRIERS: dict[str, Carrier] = {c.code: c for c in (
    Carrier("cm", "中国移动", "China Mobile", 120.0),
    Carrier("cu", "中国联通", "China Unicom", 1800.0),
    Carrier("ct", "中国电信", "China Telecom", 600.0),
)}

#: Three-digit segments of the three carriers. Virtual operators (162, 165, 167, 170, 171) and China Broadnet
#: (192) are not served by number authentication: their numbers have no carrier here.
_SEGMENTS = {
    "cm": "134 135 136 137 138 139 147 148 150 151 152 157 158 159 172 178 182 183 184 187 188 195 197 198",
    "cu": "130 131 132 145 146 155 156 166 175 176 185 186 196",
    "ct": "133 149 153 173 174 177 180 181 189 190 191 193 199",
}
SEGMENT_CARRIER = {segment: code for code, text in _SEGMENTS.items() for segment in text.split()}

#: What a token is for. `login`: the app SDK's login token (GetMobile; VerifyMobile accepts it too, it proves
#: more); `verify`: the app SDK's verification token (VerifyMobile only); `h5`: the JS SDK's spToken
#: (GetPhoneWithToken / VerifyPhoneWithToken); `fusion`: the fusion SDK's VerifyToken (VerifyWithFusionAuthToken).
KINDS = ("login", "verify", "h5", "fusion")
#: GetAuthToken's BizType: 0 number verification, 1 one-click login.
BIZ_VERIFY, BIZ_LOGIN = 0, 1
AUTH_ACCESS_TTL = 600.0
AUTH_JWT_TTL = 3600.0
#: A token whose number no carrier serves still needs a lifetime: the shortest (China Mobile's) is the safe one.
UNKNOWN_CARRIER_TTL = CARRIERS["cm"].ttl
TOKEN_LENGTH = 48
EXCHANGE_CAP = 10_000
SCHEME_OS = ("Android", "iOS", "Harmony", "Web")


def carrier_of(number: str) -> str | None:
    """The carrier of an 11-digit mainland number by its segment; None when number authentication has none."""
    return SEGMENT_CARRIER.get(number[:3]) if len(number) == 11 else None


def mask(number: str) -> str:
    """139****5678, as the carriers' authorisation pages show the number."""
    return f"{number[:3]}****{number[7:]}" if len(number) == 11 else number


@dataclass
class AuthToken:
    """A token as the phone produced it. `carrier` None means a number no carrier serves."""

    token: str
    account: str
    phone: str
    carrier: str | None
    kind: str
    issued_at: float
    expires_at: float
    biz_type: int | None = None         # an spToken minted from a GetAuthToken pair carries its BizType
    used_at: float | None = None
    used_by: str | None = None          # the action that spent it

    def live(self, now: float) -> bool:
        return self.used_at is None and now < self.expires_at

    @property
    def verification_only(self) -> bool:
        """A token the login APIs refuse with TOKEN_UNAUTHORIZED_USED (it only proves a typed number)."""
        return self.kind == "verify" or (self.kind == "h5" and self.biz_type == BIZ_VERIFY)

    def to_json(self, now: float) -> dict[str, Any]:
        carrier = CARRIERS.get(self.carrier or "")
        return {**asdict(self), "carrier_name": carrier.name if carrier else None, "masked": mask(self.phone),
                "issued_at_iso": iso_utc(self.issued_at), "expires_at_iso": iso_utc(self.expires_at),
                "live": self.live(now)}


@dataclass
class H5Session:
    """GetAuthToken's answer: the AccessToken and JwtToken an H5 page hands the JS SDK (both reusable)."""

    access_token: str
    jwt_token: str
    account: str
    scheme_code: str
    biz_type: int
    url: str
    origin: str
    issued_at: float

    def access_live(self, now: float) -> bool:
        return now < self.issued_at + AUTH_ACCESS_TTL

    def to_json(self, now: float) -> dict[str, Any]:
        return {**asdict(self), "access_expires_at_iso": iso_utc(self.issued_at + AUTH_ACCESS_TTL),
                "jwt_expires_at_iso": iso_utc(self.issued_at + AUTH_JWT_TTL), "live": self.access_live(now)}


@dataclass
class VerifyScheme:
    """A 认证方案 as the console (or CreateVerifyScheme) creates it. Empty `url`/`origin`/`pack_name`/`bundle_id`
    accept any value: the built-in schemes serve every demo page and app."""

    code: str
    name: str
    os_type: str
    app_name: str = ""
    url: str = ""
    origin: str = ""
    pack_name: str = ""
    pack_sign: str = ""
    bundle_id: str = ""
    app_encrypt_info: str = ""
    builtin: bool = False

    def allows_page(self, url: str, origin: str) -> bool:
        """GetAuthToken's Url must be under the scheme's Url and its Origin the scheme's Origin."""
        return ((not self.origin or origin.rstrip("/") == self.origin.rstrip("/"))
                and (not self.url or url.startswith(self.url)))


#: Every account's schemes before it creates any: one for H5 pages, one for apps (fusion).
FIXTURE_SCHEMES = (
    VerifyScheme("FC100000000000001", "默认H5方案", "Web", app_name="sms-emulator demo",
                 app_encrypt_info="ZW11bGF0b3ItZGVtby1oNS1zY2hlbWU=", builtin=True),
    VerifyScheme("FC100000000000002", "默认App方案", "Android", app_name="sms-emulator demo",
                 app_encrypt_info="ZW11bGF0b3ItZGVtby1hcHAtc2NoZW1l", builtin=True),
)


@dataclass
class Exchange:
    """One call that presented a token (or asked for one), whatever its outcome."""

    seq: int
    at: float
    account: str
    action: str
    code: str                       # OK or the error code answered
    token: str | None = None
    kind: str | None = None
    phone: str | None = None        # the number the token stood for
    carrier: str | None = None
    typed_phone: str | None = None  # VerifyMobile / VerifyPhoneWithToken: the number the user typed
    verdict: str | None = None      # PASS | REJECT | UNKNOWN
    request_id: str | None = None
    out_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "at_iso": iso_utc(self.at), "masked": mask(self.phone) if self.phone else None}


class Refused(Exception):
    """Why a token or scheme request cannot be served; `reason` says which rule (the provider maps it):
    invalid | wrong_kind | no_carrier | scheme_unknown | scheme_conflict | pack_conflict | bundle_conflict."""

    def __init__(self, reason: str, token: AuthToken | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.token = token


#: Told the row key of every change, for persistence (`token:…`, `session:…`, `schemes:<account>`,
#: `exchange:…`); None means everything changed.
Listener = Callable[[str | None], None]


class NumberAuth:
    def __init__(self, clock: VirtualClock, ids: RandomSource) -> None:
        self.clock = clock
        self.ids = ids
        self.tokens: dict[str, AuthToken] = {}
        self.sessions: dict[str, H5Session] = {}            # by AccessToken
        self.schemes: dict[str, dict[str, VerifyScheme]] = {}   # account -> code -> scheme (touched ones only)
        self.exchanges: dict[int, Exchange] = {}                # by seq, oldest first (at most EXCHANGE_CAP)
        self._seq = itertools.count(1)
        self._sweep = SweepPolicy()
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _changed(self, key: str | None) -> None:
        for listener in self._listeners:
            listener(key)

    # Minting ---------------------------------------------------------------------------------------------

    def mint(self, account: str, phone: str, kind: str = "login", carrier: str | None = None,
             ttl: float | None = None, access_token: str | None = None) -> AuthToken:
        """A token as the phone would get it. `carrier` defaults to the number's, `ttl` to the carrier's; an H5
        token minted from a GetAuthToken AccessToken (`access_token`) takes its BizType. Raises ValueError."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if carrier is not None and carrier not in CARRIERS:
            raise ValueError(f"carrier must be one of {', '.join(CARRIERS)}")
        if ttl is not None and not 0 < ttl <= 86400:
            raise ValueError("ttl must be between 0 and 86400 seconds")
        biz_type = None
        if access_token is not None:
            session = self.session(account, access_token)
            if kind != "h5" or session is None:
                raise ValueError("access_token must be a live GetAuthToken AccessToken of the account, for kind h5")
            biz_type = session.biz_type
        carrier = carrier or carrier_of(phone)
        if ttl is None:
            ttl = CARRIERS[carrier].ttl if carrier else UNKNOWN_CARRIER_TTL
        now = self.clock.now()
        token = AuthToken(self.ids.alnum(TOKEN_LENGTH), account, phone, carrier, kind, now, now + ttl,
                          biz_type=biz_type)
        self.tokens[token.token] = token
        self._changed(f"token:{token.token}")
        self._sweep_if_due()
        return token

    def open_session(self, account: str, scheme: VerifyScheme, biz_type: int, url: str, origin: str) -> H5Session:
        session = H5Session(self.ids.alnum(TOKEN_LENGTH), f"eyJ{self.ids.token(120)}", account, scheme.code,
                            biz_type, url, origin, self.clock.now())
        self.sessions[session.access_token] = session
        self._changed(f"session:{session.access_token}")
        self._sweep_if_due()
        return session

    def session(self, account: str, access_token: str) -> H5Session | None:
        """A GetAuthToken pair whose AccessToken is still valid for this account."""
        found = self.sessions.get(access_token)
        if found is None or found.account != account or not found.access_live(self.clock.now()):
            return None
        return found

    # Exchanging ------------------------------------------------------------------------------------------

    def peek(self, account: str, token: str) -> AuthToken | None:
        """The account's token (live or not) without spending it: for scenario matching by number."""
        found = self.tokens.get(token)
        return found if found is not None and found.account == account else None

    def redeem(self, account: str, token: str, kinds: tuple[str, ...], action: str, login: bool = False) -> AuthToken:
        """Spend a token on `action`, which accepts `kinds`; raises `Refused` when it cannot be spent.

        Unknown, another account's, expired and spent tokens are all just `invalid` (the real service cannot
        tell them apart either). A verification token on a login action (`login`) is `wrong_kind` and is not
        spent; any other kind mismatch is `invalid`."""
        found = self.peek(account, token)
        if found is None or not found.live(self.clock.now()):
            raise Refused("invalid", found)
        if login and found.verification_only:
            raise Refused("wrong_kind", found)
        if found.kind not in kinds:
            raise Refused("invalid", found)
        found.used_at, found.used_by = self.clock.now(), action
        self._changed(f"token:{found.token}")
        return found

    def record(self, account: str, action: str, code: str, token: AuthToken | None = None,
               presented: str | None = None, **details: Any) -> Exchange:
        if len(self.exchanges) >= EXCHANGE_CAP:            # the oldest falls out, and its row with it
            oldest = next(iter(self.exchanges))
            del self.exchanges[oldest]
            self._changed(f"exchange:{oldest:012d}")
        exchange = Exchange(next(self._seq), self.clock.now(), account, action, code,
                            token=token.token if token else presented, kind=token.kind if token else None,
                            phone=token.phone if token else None, carrier=token.carrier if token else None,
                            **details)
        self.exchanges[exchange.seq] = exchange
        self._changed(f"exchange:{exchange.seq:012d}")
        return exchange

    # Schemes ---------------------------------------------------------------------------------------------

    def scheme_book(self, account: str) -> dict[str, VerifyScheme]:
        """The account's schemes: the built-in ones until it changes anything."""
        book = self.schemes.get(account)
        return book if book is not None else {s.code: s for s in FIXTURE_SCHEMES}

    def scheme(self, account: str, code: str) -> VerifyScheme | None:
        return self.scheme_book(account).get(code)

    def create_scheme(self, account: str, scheme: VerifyScheme) -> VerifyScheme:
        """Add a scheme (its code is assigned here); raises `Refused` on a name, package or bundle conflict."""
        book = dict(self.scheme_book(account))
        for other in book.values():
            if other.name == scheme.name:
                raise Refused("scheme_conflict")
            if scheme.pack_name and (other.pack_name, other.pack_sign) == (scheme.pack_name, scheme.pack_sign):
                raise Refused("pack_conflict")
            if scheme.bundle_id and other.bundle_id == scheme.bundle_id:
                raise Refused("bundle_conflict")
        code = f"FC1{self.ids.digits(14)}"
        while code in book:
            code = f"FC1{self.ids.digits(14)}"
        created = replace(scheme, code=code, app_encrypt_info=self.ids.token(64), builtin=False)
        book[code] = created
        self.schemes[account] = book
        self._changed(f"schemes:{account}")
        return created

    def delete_scheme(self, account: str, code: str) -> VerifyScheme:
        book = dict(self.scheme_book(account))
        if code not in book:
            raise Refused("scheme_unknown")
        gone = book.pop(code)
        self.schemes[account] = book
        self._changed(f"schemes:{account}")
        return gone

    # Inspection and housekeeping -------------------------------------------------------------------------

    def list_tokens(self, account: str | None = None, phone: str | None = None) -> list[AuthToken]:
        return [t for t in self.tokens.values()
                if (account is None or t.account == account) and (phone is None or t.phone == phone)]

    def list_exchanges(self, account: str | None = None, phone: str | None = None,
                       action: str | None = None) -> list[Exchange]:
        return [e for e in self.exchanges.values() if (account is None or e.account == account)
                and (phone is None or phone in (e.phone, e.typed_phone)) and (action is None or e.action == action)]

    def _sweep_if_due(self) -> None:
        if self._sweep.due(len(self.tokens) + len(self.sessions)):
            self.prune(self.clock.now())

    def prune(self, now: float) -> int:
        """Forget tokens and sessions dead for a day (they stay inspectable that long); returns how many."""
        horizon = now - KEPT_AFTER_EXPIRY
        dead = [k for k, t in self.tokens.items() if (t.used_at or t.expires_at) < horizon]
        for key in dead:
            del self.tokens[key]
            self._changed(f"token:{key}")
        stale = [k for k, s in self.sessions.items() if s.issued_at + AUTH_JWT_TTL < horizon]
        for key in stale:
            del self.sessions[key]
            self._changed(f"session:{key}")
        self._sweep.swept(len(self.tokens) + len(self.sessions))
        return len(dead) + len(stale)

    def clear(self) -> None:
        """A reset: no tokens, sessions or exchanges, every account back to the built-in schemes."""
        self.tokens.clear()
        self.sessions.clear()
        self.schemes.clear()
        self.exchanges.clear()
        self._changed(None)

    def forget_account(self, account: str) -> None:
        self.tokens = {k: t for k, t in self.tokens.items() if t.account != account}
        self.sessions = {k: s for k, s in self.sessions.items() if s.account != account}
        self.schemes.pop(account, None)
        self.exchanges = {n: e for n, e in self.exchanges.items() if e.account != account}
        self._changed(None)

    # Persistence (emulator.core.snapshot) ----------------------------------------------------------------

    def keys(self) -> Iterable[str]:
        """Every row key of the current state."""
        yield from (f"token:{k}" for k in self.tokens)
        yield from (f"session:{k}" for k in self.sessions)
        yield from (f"schemes:{a}" for a in self.schemes)
        yield from (f"exchange:{n:012d}" for n in self.exchanges)

    def row(self, key: str) -> dict[str, Any] | None:
        """The JSON of one row key, None when it no longer exists."""
        kind, _, name = key.partition(":")
        if kind == "token":
            token = self.tokens.get(name)
            return asdict(token) if token else None
        if kind == "session":
            session = self.sessions.get(name)
            return asdict(session) if session else None
        if kind == "schemes":
            book = self.schemes.get(name)
            return {"schemes": [asdict(s) for s in book.values()]} if book is not None else None
        exchange = self.exchanges.get(int(name)) if kind == "exchange" and name.isdigit() else None
        return asdict(exchange) if exchange else None

    def restore_row(self, key: str, data: dict[str, Any]) -> None:
        kind, _, name = key.partition(":")
        if kind == "token":
            self.tokens[name] = AuthToken(**data)
        elif kind == "session":
            self.sessions[name] = H5Session(**data)
        elif kind == "schemes":
            self.schemes[name] = {s["code"]: VerifyScheme(**s) for s in data["schemes"]}
        elif kind == "exchange":
            self.exchanges[data["seq"]] = Exchange(**data)      # rows come in key order: oldest first
            self._seq = itertools.count(data["seq"] + 1)
