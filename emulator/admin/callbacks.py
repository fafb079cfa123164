"""Admin endpoints for outgoing reports: inspect attempts and inject inbound replies.

* `GET /_emulator/callbacks?url=&kind=&account=&id=` - every attempt (url, body, status or error, attempt
  number, next try) and the reports still waiting for one (of that account, when one is named);
* `POST /_emulator/inbound` `{"phone", "content", "dest_code"?, "account"?}` - a reply from a phone, pushed
  as SmsUp to the account's `receipts.sms_up`;

Where an account's reports go is set with `PATCH /_emulator/accounts/{name}` (`emulator.admin.accounts`).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from emulator.admin.api import BACKEND_KEY, PREFIX, json_object, problem
from emulator.core.phones import parse_phone
from emulator.providers.dysms.receipts import push_sms_up


async def list_callbacks(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    q = request.query
    attempts = backend.callbacks.list(url=q.get("url"), kind=q.get("kind"), account=q.get("account"),
                                      callback_id=q.get("id"))
    account = q.get("account")
    pending = [p for p in backend.callbacks.pending() if account is None or p.get("account") == account]
    return web.json_response({"attempts": attempts, "pending": pending}, dumps=_dumps)


async def inbound(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    body = await json_object(request)
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


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def setup_callbacks_admin(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/callbacks", list_callbacks)
    app.router.add_post(f"{PREFIX}/inbound", inbound)
