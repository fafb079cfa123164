"""The sms.1oc.cn gateway: `GET /?module=sms&file=send&action=send&mobphone=&code=&smstemplate=`.

request (method, query, `Authorization: <AppSecret>`) -> Call -> policy decision -> send -> JSON answer.
Every answer, success or failure, is HTTP 200 with `{"code": N, "msg": "...", "mid": "..."}`: applications
written against the real gateway read `code` from the body and would treat any other HTTP status as a
transport failure, so malformed input must never turn into a 4xx/5xx here.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qsl

from aiohttp import web

from emulator.core.accounts import Account
from emulator.core.backend import Backend
from emulator.core.callbacks import ADMIN_TARGET, receiver_url, targets_admin_api
from emulator.core.errors import EmulatorError, ErrorSpec
from emulator.core.outbox import accept_message
from emulator.core.outcomes import Call
from emulator.core.persistence import StoreFailing
from emulator.core.phones import parse_mainland, parse_phone
from emulator.core.templates import render, segments, variables
from emulator.ops.outcome import note
from emulator.protocols.faults import apply_fault, pause
from emulator.protocols.hangup import CLIENT_CLOSED, ClientClosedRequest, nobody_to_answer, read_body
from emulator.providers.onecloud.errors import (
    DEFAULT_FAILURE,
    DELIVERED,
    MAX_CODE_LENGTH,
    OK_CODE,
    OK_MESSAGE,
    ONECLOUD_ERRORS,
    resolve_code,
)

log = logging.getLogger("sms_emulator.requests")

PROVIDER = "onecloud"
ACTION = "Send"              # the action name scenario rules match (`action: "Send*"`)
HOST = "sms.1oc.cn"
#: The parameters a request may carry (scenario rules may test them with `params:`).
PARAMS = ("module", "file", "action", "mobphone", "code", "smstemplate", "returnurl")
CONTENT_TYPE = "application/json;charset=utf-8"
ALLOWED_METHODS = frozenset({"GET", "POST"})
_SIGN = re.compile(r"^【([^】]{1,40})】")


class OneCloudGateway:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def handle(self, request: web.Request) -> web.StreamResponse:
        phone_label = "-"
        try:
            params = await _read_params(request)
            phone_label = params.get("mobphone", "-")[:20] or "-"
            if (params.get("module"), params.get("file"), params.get("action")) != ("sms", "send", "send"):
                raise _error("404", f"接口不存在: module={params.get('module', '')[:20]}&file="
                                    f"{params.get('file', '')[:20]}&action={params.get('action', '')[:20]}")
            account = self._authenticate(request)
            return await self._send(request, account, params)
        except EmulatorError as error:
            note(request, PROVIDER, ACTION, (phone_label,), error.code, error.message)
            return answer(int(error.code), error.message or ONECLOUD_ERRORS.get(error.code).message, "")
        except ClientClosedRequest:
            note(request, PROVIDER, ACTION, (phone_label,), CLIENT_CLOSED)
            return nobody_to_answer()

    def _authenticate(self, request: web.Request) -> Account:
        secret = request.headers.get("Authorization", "").strip()
        account = self.backend.accounts.by_app_secret(secret) if secret else None
        if account is None:
            raise _error("400")
        return account

    async def _send(self, request: web.Request, account: Account, params: dict[str, str]) -> web.StreamResponse:
        backend = self.backend
        now = backend.clock.now()
        if not backend.qps.allow(f"{PROVIDER}:{account.name}", account.qps, now):
            raise _error("421")
        raw_phone = params.get("mobphone", "").strip()
        template_id = params.get("smstemplate", "").strip()
        if not raw_phone:
            raise _error("410")
        if not template_id:
            raise _error("412", "短信模板不存在: smstemplate is empty")
        lenient = parse_phone(raw_phone)
        text = backend.fixtures.onecloud_templates.get(template_id)
        sign = _SIGN.match(text) if text else None      # 1oc's sign is part of the template's text
        call = Call(provider=PROVIDER, action=ACTION, params=params, account=account.name,
                    credential=account.onecloud_secret, phones=(lenient.number if lenient else raw_phone,),
                    signs=(sign.group(1),) if sign else (), template=template_id, received_at=now)
        decision = backend.policy.decide(call)
        if decision.latency:
            await pause(request, decision.latency)
        if decision.fault:
            note(request, PROVIDER, ACTION, call.phones, f"fault:{decision.fault}", decision.rule)
            return await apply_fault(request, decision.fault)
        if decision.error:
            spec = _resolve(decision.error)
            raise EmulatorError(spec.code, decision.message or spec.message)

        phone = parse_mainland(raw_phone)
        if phone is None:
            raise _error("411", f"手机号码格式错误: {raw_phone[:32]}")
        if text is None:
            raise _error("412", f"短信模板不存在: {template_id[:32]}")
        code = params.get("code", "").strip()
        names = variables(text)
        if names and not code:
            raise _error("413")
        if len(code) > MAX_CODE_LENGTH:
            raise _error("414", f"参数不合法: code is longer than {MAX_CODE_LENGTH} characters")
        requested = params.get("returnurl", "").strip() or None
        return_url = receiver_url(requested) if requested is not None else None
        if requested is not None and return_url is None:
            if targets_admin_api(requested):
                raise _error("414", f"参数不合法: returnurl: {ADMIN_TARGET}")
            raise _error("414", "参数不合法: returnurl must be an absolute http(s) URL")
        content = render(text, {name: code for name in names})
        cost = segments(content)
        if not backend.accounts.can_afford(account, cost):
            raise _error("420")
        # Nothing awaits between the balance check and the charge: concurrent sends cannot overspend.
        backend.accounts.charge(account, cost)
        mid = backend.ids.mid()
        accept_message(backend, call, phone=phone.number, content=content, sign=call.signs[0] if call.signs else None,
                       template=template_id, params={"code": code} if code else {}, biz_id=mid, out_id=None,
                       request_id=mid, verification=False, success_code=DELIVERED, failure_code=DEFAULT_FAILURE,
                       extra={"return_url": return_url} if return_url else None)
        try:
            await backend.committed()       # acknowledged means kept
        except StoreFailing as failure:
            raise _error("500", f"系统繁忙: the emulator's state database cannot be written ({failure})") from None
        note(request, PROVIDER, ACTION, (phone.number,), str(OK_CODE), mid, mid)
        return answer(OK_CODE, OK_MESSAGE, mid)


#: Built once: `json.dumps` with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def answer(code: int, msg: str, mid: str) -> web.Response:
    """The gateway's one answer shape; HTTP 200 whatever `code` says."""
    body = _ENCODER.encode({"code": code, "msg": msg, "mid": mid})
    return web.Response(body=body.encode(), status=200, headers={"Content-Type": CONTENT_TYPE})


async def _read_params(request: web.Request) -> dict[str, str]:
    """Query pairs, plus form pairs of a POST (as PHP's `$_REQUEST` would see them); the last value wins."""
    if request.method not in ALLOWED_METHODS:
        raise _error("405", f"请求方式错误: {request.method[:10]}")
    pairs = _decode(request.rel_url.raw_query_string, "query string")
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        try:
            body = await read_body(request)
        except web.HTTPRequestEntityTooLarge:
            raise _error("414", "参数不合法: request body too large") from None
        try:
            pairs += _decode(body.decode("utf-8"), "form body")
        except UnicodeDecodeError:
            raise _error("414", "参数不合法: form body is not UTF-8") from None
    return dict(pairs)


def _decode(text: str, where: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise _error("414", f"参数不合法: the {where} is not UTF-8 after percent-decoding") from None
    except ValueError:
        raise _error("414", f"参数不合法: the {where} cannot be parsed") from None


def _resolve(code: str) -> ErrorSpec:
    """A scenario's error code in this provider's table (validated at load; unknown codes still become 500)."""
    spec = resolve_code(code)
    if spec is None:
        log.warning("scenario error %r is not a 1oc code; answering 500 系统繁忙", code)
        spec = ONECLOUD_ERRORS.get("500")
    return spec


def _error(code: str, message: str | None = None) -> EmulatorError:
    return EmulatorError(code, message or ONECLOUD_ERRORS.get(code).message)

