"""Admin endpoints for outgoing reports: inspect attempts, inject inbound replies, point receivers somewhere.

* `GET /_emulator/callbacks?url=&kind=&account=&id=` - every attempt (url, body, status or error, attempt
  number, next try) and the reports still waiting for one;
* `POST /_emulator/inbound` `{"phone", "content", "dest_code"?, "account"?}` - a reply from a phone, pushed
  as SmsUp to the account's `receipts.sms_up`;
* `PATCH /_emulator/accounts/{name}` `{"return_url"?, "receipts"?: {...}, "balance"?}` - change where an
  account's reports go (and its balance) at run time; a reset restores fixture accounts.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from emulator.admin.api import BACKEND_KEY, PREFIX, problem
from emulator.core.phones import parse_phone
from emulator.providers.dysms.receipts import push_sms_up

RECEIPT_NAMES = ("sms_report", "sms_up", "dypns_report")


async def list_callbacks(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    q = request.query
    attempts = backend.callbacks.list(url=q.get("url"), kind=q.get("kind"), account=q.get("account"),
                                      callback_id=q.get("id"))
    return web.json_response({"attempts": attempts, "pending": backend.callbacks.pending()}, dumps=_dumps)


async def inbound(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    body = await _json_object(request)
    phone_raw, content = body.get("phone"), body.get("content")
    dest_code, account_name = body.get("dest_code", ""), body.get("account")
    if not isinstance(phone_raw, str) or not isinstance(content, str) or not isinstance(dest_code, str):
        return problem(400, 'body must be {"phone": str, "content": str, "dest_code"?: str, "account"?: str}')
    phone = parse_phone(phone_raw)
    if phone is None:
        return problem(400, f"phone {phone_raw[:32]!r} is not a phone number")
    account = backend.accounts.get(account_name) if isinstance(account_name, str) else backend.accounts.default()
    if account is None:
        return problem(404, f"no account {account_name!r}")
    queued = push_sms_up(backend, account, phone.number, content, dest_code)
    if queued is None:
        return problem(409, f"account {account.name!r} has no receipts.sms_up URL to push the reply to")
    callback_id, item = queued
    return web.json_response({"callback": callback_id, "account": account.name, "item": item}, dumps=_dumps)


async def patch_account(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    account = backend.accounts.get(request.match_info["name"])
    if account is None:
        return problem(404, f"no account {request.match_info['name']!r}")
    body = await _json_object(request)
    unknown = set(body) - {"return_url", "receipts", "balance"}
    if unknown:
        return problem(400, f"unknown fields: {', '.join(sorted(unknown))}")
    receipts = body.get("receipts", {})
    if not isinstance(receipts, dict) or set(receipts) - set(RECEIPT_NAMES):
        return problem(400, f"receipts must be an object with keys among {', '.join(RECEIPT_NAMES)}")
    urls = {**receipts, **({"return_url": body["return_url"]} if "return_url" in body else {})}
    bad = [k for k, v in urls.items() if v is not None and not _is_url(v)]
    if bad:
        return problem(400, f"{', '.join(bad)}: expected an absolute http(s) URL or null")
    balance = body.get("balance", account.balance)
    if balance is not None and (not isinstance(balance, int) or isinstance(balance, bool) or balance < 0):
        return problem(400, "balance must be an integer >= 0 or null")
    if "return_url" in body:
        account.onecloud_return_url = body["return_url"]
    account.receipts.update(receipts)
    account.balance = balance
    return web.json_response(account.to_json(with_secrets=False), dumps=_dumps)


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) > 8


async def _json_object(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": "body must be a JSON object"}),
                                 content_type="application/json")
    return body


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def setup_callbacks_admin(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/callbacks", list_callbacks)
    app.router.add_post(f"{PREFIX}/inbound", inbound)
    app.router.add_patch(f"{PREFIX}/accounts/{{name}}", patch_account)
