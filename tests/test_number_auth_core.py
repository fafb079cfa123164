"""Number-authentication tokens as core state (no HTTP): lifetimes, single use, kinds, accounts, schemes, rows."""

from __future__ import annotations

import pytest

from emulator.core.clock import VirtualClock
from emulator.core.ids import RandomSource
from emulator.core.number_auth import (
    EXCHANGE_CAP,
    FIXTURE_SCHEMES,
    NumberAuth,
    Refused,
    VerifyScheme,
    carrier_of,
    mask,
)


@pytest.fixture
def auth() -> NumberAuth:
    return NumberAuth(VirtualClock(), RandomSource(7))


@pytest.mark.parametrize(("phone", "carrier", "ttl"), [
    ("13912345678", "cm", 120), ("18612345678", "cu", 1800), ("18912345678", "ct", 600)])
def test_a_token_lives_as_long_as_its_carriers_and_works_once(auth, phone, carrier, ttl):
    token = auth.mint("default", phone)
    assert (token.carrier, token.expires_at - token.issued_at) == (carrier, ttl)
    auth.clock.advance(ttl - 1)
    assert auth.redeem("default", token.token, ("login",), "GetMobile").phone == phone
    with pytest.raises(Refused, match="invalid"):
        auth.redeem("default", token.token, ("login",), "GetMobile")


def test_an_expired_token_is_invalid(auth):
    token = auth.mint("default", "13912345678")
    auth.clock.advance(120)
    with pytest.raises(Refused, match="invalid"):
        auth.redeem("default", token.token, ("login",), "GetMobile")


def test_a_verification_token_on_a_login_action_is_the_wrong_kind_and_stays_usable(auth):
    token = auth.mint("default", "13912345678", kind="verify")
    with pytest.raises(Refused, match="wrong_kind"):
        auth.redeem("default", token.token, ("login",), "GetMobile", login=True)
    assert auth.redeem("default", token.token, ("login", "verify"), "VerifyMobile").used_by == "VerifyMobile"


def test_another_accounts_token_is_unknown(auth):
    token = auth.mint("alice", "13912345678")
    with pytest.raises(Refused) as info:
        auth.redeem("bob", token.token, ("login",), "GetMobile")
    assert (info.value.reason, info.value.token) == ("invalid", None)
    assert auth.peek("alice", token.token) is token


def test_carrier_of_and_mask():
    assert [carrier_of(n) for n in ("13800138000", "13012345678", "13312345678", "17012345678", "1391234")] == \
        ["cm", "cu", "ct", None, None]
    assert mask("13912345678") == "139****5678"


def test_an_h5_token_takes_the_biz_type_of_its_session(auth):
    session = auth.open_session("default", FIXTURE_SCHEMES[0], 0, "https://a.example/login", "https://a.example")
    token = auth.mint("default", "13912345678", kind="h5", access_token=session.access_token)
    assert token.verification_only
    with pytest.raises(ValueError):
        auth.mint("other", "13912345678", kind="h5", access_token=session.access_token)
    auth.clock.advance(600)
    with pytest.raises(ValueError):               # the AccessToken lives 10 minutes
        auth.mint("default", "13912345678", kind="h5", access_token=session.access_token)


def test_bad_mint_arguments_are_value_errors(auth):
    for kw in ({"kind": "sms"}, {"carrier": "xx"}, {"ttl": 0}):
        with pytest.raises(ValueError):
            auth.mint("default", "13912345678", **kw)


def test_schemes_start_as_the_fixtures_and_conflict_by_name_package_and_bundle(auth):
    assert set(auth.scheme_book("a")) == {s.code for s in FIXTURE_SCHEMES}
    app = auth.create_scheme("a", VerifyScheme("", "my app", "Android", pack_name="com.x", pack_sign="ab"))
    assert app.code.startswith("FC1") and len(app.code) == 17 and app.app_encrypt_info
    assert auth.scheme("b", app.code) is None                          # per account
    for clash, reason in ((VerifyScheme("", "my app", "iOS", bundle_id="b"), "scheme_conflict"),
                          (VerifyScheme("", "x", "Android", pack_name="com.x", pack_sign="ab"), "pack_conflict")):
        with pytest.raises(Refused, match=reason):
            auth.create_scheme("a", clash)
    auth.delete_scheme("a", FIXTURE_SCHEMES[0].code)
    assert auth.scheme("a", FIXTURE_SCHEMES[0].code) is None
    with pytest.raises(Refused, match="scheme_unknown"):
        auth.delete_scheme("a", FIXTURE_SCHEMES[0].code)
    auth.clear()
    assert auth.scheme("a", FIXTURE_SCHEMES[0].code) is not None        # a reset brings the fixtures back


def test_every_row_round_trips(auth):
    token = auth.mint("a", "13912345678")
    session = auth.open_session("a", FIXTURE_SCHEMES[0], 1, "u", "o")
    auth.create_scheme("a", VerifyScheme("", "web", "Web", url="https://x", origin="https://x"))
    auth.redeem("a", token.token, ("login",), "GetMobile")
    auth.record("a", "GetMobile", "OK", token, request_id="R1")
    copy = NumberAuth(VirtualClock(), RandomSource(7))
    for key in sorted(auth.keys()):
        copy.restore_row(key, auth.row(key))
    assert copy.tokens == auth.tokens and copy.sessions == auth.sessions and copy.schemes == auth.schemes
    assert copy.exchanges == auth.exchanges
    assert copy.record("a", "GetMobile", "OK").seq == 2                 # numbering continues
    assert auth.row(f"session:{session.access_token}x") is None


def test_forgetting_an_account_keeps_the_others(auth):
    auth.record("a", "GetMobile", "OK", auth.mint("a", "13912345678"))
    auth.record("b", "GetMobile", "OK", auth.mint("b", "13912345679"))
    auth.forget_account("a")
    assert [t.account for t in auth.list_tokens()] == ["b"]
    assert [e.account for e in auth.list_exchanges()] == ["b"]


def test_exchanges_are_bounded_and_the_dropped_row_is_reported(auth):
    changed: list[str | None] = []
    auth.subscribe(changed.append)
    for _ in range(EXCHANGE_CAP + 1):
        auth.record("a", "GetMobile", "isv.TOKEN_INVALID", presented="x")
    assert len(auth.exchanges) == EXCHANGE_CAP and next(iter(auth.exchanges)) == 2
    assert "exchange:000000000001" in changed[-2:]


def test_dead_tokens_are_swept_after_a_day(auth):
    auth.mint("a", "13912345678")
    auth.clock.advance(86400 + 121)
    assert auth.prune(auth.clock.now()) == 1 and not auth.tokens
