"""Inspection and control API under `/_emulator/` (a reserved prefix no provider uses)."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from emulator import __version__
from emulator.core.backend import RESET_TARGETS, Backend
from emulator.core.phones import parse_phone

PREFIX = "/_emulator"
BACKEND_KEY: web.AppKey[Backend] = web.AppKey("backend", Backend)


def problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _backend(request: web.Request) -> Backend:
    return request.app[BACKEND_KEY]


async def health(request: web.Request) -> web.Response:
    backend = _backend(request)
    return web.json_response({"status": "ok", "version": __version__,
                              "uptime": round(time.time() - backend.started_at, 3)})


async def list_messages(request: web.Request) -> web.Response:
    backend = _backend(request)
    q = request.query
    since = q.get("since")
    try:
        since_id = int(since) if since else None
    except ValueError:
        return problem(400, "since must be a message id (integer)")
    found = backend.messages.query(account=q.get("account"), phone=q.get("phone"), provider=q.get("provider"),
                                   template=q.get("template"), sign=q.get("sign"), status=q.get("status"),
                                   biz_id=q.get("biz_id"), since=since_id)
    return web.json_response({"messages": [m.to_json() for m in found]}, dumps=_dumps)


async def latest_code(request: web.Request) -> web.Response:
    """The newest live verification code sent to a number, so a test can type it in like a user would."""
    backend = _backend(request)
    phone = request.query.get("phone")
    if not phone:
        return problem(400, "phone is required")
    parsed = parse_phone(phone)          # `+8613...` finds what was sent to `13...`
    found = backend.codes.latest(parsed.number if parsed else phone, account=request.query.get("account"))
    if found is None:
        return problem(404, f"no live verification code for {phone}")
    return web.json_response(found.to_json(backend.clock.now()), dumps=_dumps)


async def advance_clock(request: web.Request) -> web.Response:
    backend = _backend(request)
    body = await _json_body(request)
    seconds = body.get("seconds") if isinstance(body, dict) else None
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
        return problem(400, 'body must be {"seconds": N} with N >= 0')
    backend.clock.advance(float(seconds))
    handled = await backend.scheduler.run_due()
    handled += await backend.callbacks.drain()   # reports (and retries) due by now, sent and answered
    return web.json_response({"now": backend.clock.now(), "offset": backend.clock.offset, "jobs_run": handled})


async def reset(request: web.Request) -> web.Response:
    backend = _backend(request)
    what = request.query.get("what", "all")
    if what not in RESET_TARGETS:
        return problem(400, f"what must be one of {', '.join(RESET_TARGETS)}")
    backend.reset(what)
    return web.json_response({"reset": what})


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=json.dumps({"error": "body is not valid JSON"}),
                                 content_type="application/json") from None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def setup_admin(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/health", health)
    app.router.add_get(f"{PREFIX}/messages", list_messages)
    app.router.add_get(f"{PREFIX}/codes/latest", latest_code)
    app.router.add_post(f"{PREFIX}/clock/advance", advance_clock)
    app.router.add_post(f"{PREFIX}/reset", reset)
