"""Inspection and control API under `/_emulator/` (a reserved prefix no provider uses).

This module holds what every admin module shares (the prefix, the backend's app key, error and JSON helpers)
plus health and the latest-code lookup; messages, clock, reset, accounts, the live feed, the OpenAPI document
and the inbox live in their own modules and are registered by `emulator.admin.surface`.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from aiohttp import web

from emulator import __version__
from emulator.core.backend import Backend
from emulator.core.bounds import InputError, loads_json
from emulator.core.phones import parse_phone
from emulator.protocols.hangup import read_body as read_whole_body

PREFIX = "/_emulator"
BACKEND_KEY: web.AppKey[Backend] = web.AppKey("backend", Backend)


def problem(status: int, message: str, **extra: Any) -> web.Response:
    """Every admin error has one shape, `{"error": "..."}`, so a test can print what went wrong."""
    return web.json_response({"error": message, **extra}, status=status, dumps=_dumps)


def reply(data: Any, status: int = 200) -> web.Response:
    """JSON with Chinese text left readable (signs and contents are mostly CJK)."""
    return web.json_response(data, status=status, dumps=_dumps)


def _backend(request: web.Request) -> Backend:
    return request.app[BACKEND_KEY]


async def health(request: web.Request) -> web.Response:
    """200 `{"status": "ok"}`; 503 `{"status": "failing", "store_error": ...}` while the `--db` database refuses
    commits (every send is then refused too), so a container's healthcheck notices a full disk."""
    backend = _backend(request)
    body: dict[str, Any] = {"status": "ok", "version": __version__,
                            "uptime": round(time.time() - backend.started_at, 3)}
    error = backend.store_error()
    if error is not None:
        body.update(status="failing", store_error=error)
    return web.json_response(body, status=200 if error is None else 503)


async def latest_code(request: web.Request) -> web.Response:
    """The newest live verification code sent to a number, so a test can type it in like a user would."""
    backend = _backend(request)
    phone = request.query.get("phone")
    if not phone:
        return problem(400, "phone is required")
    found = backend.codes.latest(canonical_phone(phone), account=request.query.get("account"))
    if found is None:
        return problem(404, f"no live verification code for {phone}")
    return web.json_response(found.to_json(backend.clock.now()), dumps=_dumps)


async def read_body(request: web.Request) -> bytes:
    """The request body; one over the size limit is answered 413 in the admin API's own error shape."""
    try:
        return await read_whole_body(request)
    except web.HTTPRequestEntityTooLarge:
        raise web.HTTPRequestEntityTooLarge(
            max_size=request.client_max_size, actual_size=request.content_length or 0,
            text=json.dumps({"error": f"the body is larger than the {request.client_max_size} bytes the emulator "
                                      "accepts (SMS_EMULATOR_MAX_BODY)"}),
            content_type="application/json") from None


async def json_body(request: web.Request) -> Any:
    raw = await read_body(request)
    if not raw:
        return {}
    try:
        return loads_json(raw)
    except InputError as exc:     # NaN, 1e999, 2**64 or a thousand brackets: JSON, but not usable JSON
        raise web.HTTPBadRequest(text=json.dumps({"error": f"body is not usable JSON: {exc}"}),
                                 content_type="application/json") from None
    except ValueError:
        raise web.HTTPBadRequest(text=json.dumps({"error": "body is not valid JSON"}),
                                 content_type="application/json") from None


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body ({} when empty); anything else is answered 400 right here."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": "body must be a JSON object"}),
                                 content_type="application/json")
    return body


_PHONE_NOISE = re.compile(r"[\s\-().]")


def canonical_phone(raw: str) -> str:
    """The form messages are stored under, so `+86 139-1234-5678` finds what went to `13912345678`.

    An unencoded `+` in a query string arrives as a space; stripping spaces makes `?phone=+8613...` work too.
    Text that is no phone number is returned cleaned, and simply matches nothing.
    """
    cleaned = _PHONE_NOISE.sub("", raw)
    parsed = parse_phone(cleaned)
    return parsed.number if parsed else cleaned


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def setup_admin(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/health", health)
    app.router.add_get(f"{PREFIX}/codes/latest", latest_code)
