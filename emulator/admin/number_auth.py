"""Admin endpoints for number authentication: mint the token a phone would get, inspect tokens and exchanges.

* `POST /_emulator/number-auth/tokens` `{"phone", "kind"?, "carrier"?, "account"?, "ttl"?, "access_token"?}` -
  a token as the carrier's SDK hands it to the app after the user tapped "本机号码一键登录" (`kind` login, the
  default), asked for a verification token (`verify`), or as the JS SDK's spToken (`h5`, optionally from a
  GetAuthToken `access_token`, whose BizType it takes) or the fusion SDK's VerifyToken (`fusion`);
* `GET /_emulator/number-auth/tokens?account=&phone=` - minted tokens (live, spent or expired);
* `GET /_emulator/number-auth/exchanges?account=&phone=&action=` - every call that presented or asked for a
  token, with the code it was answered;
* `GET /_emulator/number-auth/schemes?account=` - the account's verify schemes (built-in ones included).
"""

from __future__ import annotations

from aiohttp import web

from emulator.admin.api import BACKEND_KEY, PREFIX, canonical_phone, json_object, problem, reply
from emulator.core.accounts import Account
from emulator.core.backend import Backend
from emulator.core.phones import parse_phone

BASE = f"{PREFIX}/number-auth"


def _account(backend: Backend, name: object) -> Account | None:
    return backend.accounts.get(name) if isinstance(name, str) else backend.accounts.default()


async def mint(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    body = await json_object(request)
    phone_raw = body.get("phone")
    phone = parse_phone(phone_raw) if isinstance(phone_raw, str) else None
    if phone is None or not phone.mainland:
        return problem(400, "phone must be a mainland China mobile number (number authentication serves no other)")
    ttl = body.get("ttl")
    # an optional member is absent or of its type: `"account": null` is no account name, not the default account
    if any(k in body and not isinstance(body[k], str) for k in ("kind", "carrier", "account", "access_token")) or \
            ("ttl" in body and not (isinstance(ttl, (int, float)) and not isinstance(ttl, bool))):
        return problem(400, 'body must be {"phone": str, "kind"?: str, "carrier"?: str, "account"?: str, '
                            '"ttl"?: number, "access_token"?: str}')
    account = _account(backend, body.get("account"))
    if account is None:
        return problem(404, f"no account {body.get('account')!r}")
    kind, carrier, access = (body.get(k) for k in ("kind", "carrier", "access_token"))
    if access is not None:
        if kind != "h5":
            return problem(409, "access_token goes with kind h5 (an spToken from a GetAuthToken AccessToken)")
        if backend.number_auth.session(account.name, access) is None:
            return problem(404, f"no live GetAuthToken AccessToken {access[:16]!r}... of account {account.name!r} "
                                "(it lives 10 minutes)")
    try:
        token = backend.number_auth.mint(account.name, phone.number, kind=kind or "login", carrier=carrier,
                                         ttl=float(ttl) if ttl is not None else None, access_token=access)
    except ValueError as exc:
        return problem(400, str(exc))
    return reply(token.to_json(backend.clock.now()), status=201)


async def list_tokens(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    phone = request.query.get("phone")
    tokens = backend.number_auth.list_tokens(request.query.get("account") or None,
                                             canonical_phone(phone) if phone else None)
    now = backend.clock.now()
    return reply({"tokens": [t.to_json(now) for t in tokens]})


async def list_exchanges(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    q = request.query
    found = backend.number_auth.list_exchanges(q.get("account") or None,
                                               canonical_phone(q["phone"]) if q.get("phone") else None,
                                               q.get("action") or None)
    return reply({"exchanges": [e.to_json() for e in found]})


async def list_schemes(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    account = _account(backend, request.query.get("account"))
    if account is None:
        return problem(404, f"no account {request.query.get('account')!r}")
    book = backend.number_auth.scheme_book(account.name)
    return reply({"account": account.name, "schemes": [
        {"code": s.code, "name": s.name, "os_type": s.os_type, "app_name": s.app_name, "url": s.url,
         "origin": s.origin, "pack_name": s.pack_name, "bundle_id": s.bundle_id, "builtin": s.builtin}
        for s in book.values()]})


def setup_number_auth_admin(app: web.Application) -> None:
    app.router.add_post(f"{BASE}/tokens", mint)
    app.router.add_get(f"{BASE}/tokens", list_tokens)
    app.router.add_get(f"{BASE}/exchanges", list_exchanges)
    app.router.add_get(f"{BASE}/schemes", list_schemes)
