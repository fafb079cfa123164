"""Accounts over HTTP: the unit of isolation between tests that share one emulator.

* `GET /_emulator/accounts` - every account (secrets left out);
* `POST /_emulator/accounts` `{"name"?, "balance"?, "qps"?, "functions"?, "limits"?, "receipts"?, "return_url"?}` -
  a fresh account with its own AccessKey pair and 1oc AppSecret (201). Its messages, codes and limits are its
  own, and every inspection endpoint filters by `account=`, so parallel tests never read each other's codes;
* `GET /_emulator/accounts/{name}` - one account, with its secrets;
* `PATCH /_emulator/accounts/{name}` `{"return_url"?, "receipts"?, "balance"?, "qps"?, "functions"?, "limits"?}` -
  change where its reports go, its balance or limits. Fixture accounts return to their fixtures on reset;
  accounts made here keep their settings (a parallel test may still be using them);
* `DELETE /_emulator/accounts/{name}` - remove an account made here (204; 409 for a fixture account): its
  keys, STS credentials, codes and limit windows go, its messages stay for the inbox.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from aiohttp import web

from emulator.admin.api import BACKEND_KEY, PREFIX, json_object, problem, reply
from emulator.core.accounts import Account
from emulator.core.callbacks import ADMIN_TARGET, receiver_url, targets_admin_api
from emulator.core.fixtures import FUNCTIONS_SCHEMA, LIMITS_SCHEMA
from emulator.core.ids import RandomSource

RECEIPT_NAMES = ("sms_report", "sms_up", "dypns_report", "template_report", "sign_report")
SETTINGS = ("return_url", "receipts", "balance", "qps", "functions", "limits")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@functools.cache
def _validator(schema_name: str) -> Any:
    """A schema validator, made at the first account change: importing jsonschema costs every start ~35 ms."""
    import jsonschema

    return jsonschema.Draft202012Validator({"limits": LIMITS_SCHEMA, "functions": FUNCTIONS_SCHEMA}[schema_name])


def _public(account: Account, with_secrets: bool) -> dict[str, Any]:
    data = account.to_json(with_secrets=with_secrets)
    data["from_fixtures"] = account.from_fixtures
    if with_secrets:
        # The first key pair flat as well: what a test passes to an SDK without digging through a list.
        key_id, secret = next(iter(account.access_keys.items()), (None, None))
        data.update(access_key_id=key_id, access_key_secret=secret)
    return data


def _settings(body: dict[str, Any]) -> dict[str, Any]:
    """The account fields `body` sets, validated; raises ValueError with the reason."""
    unknown = set(body) - set(SETTINGS) - {"name"}
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    receipts = body.get("receipts", {})
    if not isinstance(receipts, dict) or set(receipts) - set(RECEIPT_NAMES):
        raise ValueError(f"receipts must be an object with keys among {', '.join(RECEIPT_NAMES)}")
    urls = {**receipts, **({"return_url": body["return_url"]} if "return_url" in body else {})}
    checked = {k: None if v is None else receiver_url(v) for k, v in urls.items()}
    bad = [k for k, v in urls.items() if v is not None and checked[k] is None]
    if bad:
        admin = [k for k in bad if isinstance(urls[k], str) and targets_admin_api(urls[k])]
        if admin:
            raise ValueError(f"{', '.join(admin)}: {ADMIN_TARGET}")
        raise ValueError(f"{', '.join(bad)}: expected an absolute http(s) URL (http://host:port/path) or null")
    if receipts:
        out["receipts"] = {k: checked[k] for k in receipts}
    if "return_url" in body:
        out["onecloud_return_url"] = checked["return_url"]
    for name in ("balance", "qps"):
        if name in body:
            value = _whole(body[name])
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ValueError(f"{name} must be an integer >= 0 or null")
            out[name] = value
    if "functions" in body:
        _check("functions", body["functions"], 'functions must be an object of booleans: {"dypns_verify"?, '
                                             '"card_sms"?}')
        out["functions"] = body["functions"]
    if "limits" in body:
        _check("limits", body["limits"], "limits must be as in accounts.yaml: {\"verification\"?: {\"minute\"?, "
                                       "\"hour\"?, \"day\"?}, \"notification\"?: {...}, \"dypns_daily\"?}, "
                                       "each a count >= 0 or null")
        out["limits"] = _whole(body["limits"])
    return out


def _whole(value: Any) -> Any:
    """JSON's 5.0 is the integer 5, as JSON Schema counts it (in nested objects too)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole(item) for key, item in value.items()}
    return value


def _check(schema_name: str, value: Any, expected: str) -> None:
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator(schema_name).iter_errors(value))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise ValueError(f"{expected} ({where + ': ' if where else ''}{error.message[:120]})")


async def list_accounts(request: web.Request) -> web.Response:
    accounts = request.app[BACKEND_KEY].accounts.all()
    return reply({"accounts": [_public(a, with_secrets=False) for a in accounts]})


async def create_account(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    body = await json_object(request)
    name = body.get("name")
    if "name" in body and (not isinstance(name, str) or not NAME.fullmatch(name)):
        return problem(400, "name must be 1-64 letters, digits, `_`, `.` or `-`")
    if name is not None and backend.accounts.get(name) is not None:
        return problem(409, f"account {name!r} already exists")
    try:
        settings = _settings(body)
    except ValueError as exc:
        return problem(400, str(exc))
    # Credentials from the OS, not the seeded source: a seeded run repeats its sequence after every reset,
    # and accounts outlive resets, so seeded keys would collide with the ones handed out before.
    account = backend.accounts.create(RandomSource(), backend.clock.now(), name=name,
                                      template=backend.accounts.default())
    request.app[BACKEND_KEY].accounts.update(account, settings)
    return reply(_public(account, with_secrets=True), status=201)


async def get_account(request: web.Request) -> web.Response:
    account = request.app[BACKEND_KEY].accounts.get(request.match_info["name"])
    if account is None:
        return problem(404, f"no account {request.match_info['name']!r}")
    return reply(_public(account, with_secrets=True))


async def patch_account(request: web.Request) -> web.Response:
    account = request.app[BACKEND_KEY].accounts.get(request.match_info["name"])
    if account is None:
        return problem(404, f"no account {request.match_info['name']!r}")
    body = await json_object(request)
    if not body:
        return problem(400, "the body is empty; expected a JSON object of the settings to change")
    if "name" in body:
        return problem(400, "an account cannot be renamed")
    try:
        settings = _settings(body)
    except ValueError as exc:
        return problem(400, str(exc))
    request.app[BACKEND_KEY].accounts.update(account, settings)
    return reply(_public(account, with_secrets=False))


async def delete_account(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    try:
        request.app[BACKEND_KEY].delete_account(name)
    except KeyError:
        return problem(404, f"no account {name!r}")
    except ValueError as exc:
        return problem(409, str(exc))
    return web.Response(status=204)


def setup_accounts(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/accounts", list_accounts)
    app.router.add_post(f"{PREFIX}/accounts", create_account)
    app.router.add_get(f"{PREFIX}/accounts/{{name}}", get_account)
    app.router.add_patch(f"{PREFIX}/accounts/{{name}}", patch_account)
    app.router.add_delete(f"{PREFIX}/accounts/{{name}}", delete_account)
