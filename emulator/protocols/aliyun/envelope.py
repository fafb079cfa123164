"""The JSON answers Alibaba's gateway sends, byte-compatible with what the SDKs parse.

Success and product business errors are HTTP 200 (`Code` tells); gateway errors carry their 4xx/5xx status
with `{RequestId, HostId, Code, Message, Recommend}`. Every answer is JSON with
`Content-Type: application/json;charset=utf-8` and `x-acs-request-id`, as the real service sends.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from emulator.core.errors import EmulatorError

CONTENT_TYPE = "application/json;charset=utf-8"
RECOMMEND = "https://api.aliyun.com/troubleshoot?q={code}&product={product}&requestId={rid}"


#: One encoder for every answer: `json.dumps` with options builds a new encoder per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ASCII_ENCODER = json.JSONEncoder(separators=(",", ":"))


def dumps(body: dict[str, Any]) -> bytes:
    text = _ENCODER.encode(body)
    try:
        return text.encode()
    except UnicodeEncodeError:
        # A message quoting undecodable client bytes (lone surrogates): `\udcff` escapes are still valid JSON.
        return _ASCII_ENCODER.encode(body).encode()


def respond(body: dict[str, Any], request_id: str, trace_id: str, status: int = 200,
            headers: dict[str, str] | None = None) -> web.Response:
    out = {
        "Content-Type": CONTENT_TYPE,
        "x-acs-request-id": request_id,
        "x-acs-trace-id": trace_id,
        "Access-Control-Allow-Origin": "*",
    }
    if headers:
        out.update(headers)
    return web.Response(body=dumps(body), status=status, headers=out)


def success_body(fields: dict[str, Any], request_id: str) -> dict[str, Any]:
    return {"RequestId": request_id, **fields}


def error_body(error: EmulatorError, request_id: str, host: str, product: str,
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Gateway-shaped errors (status >= 400) get HostId and Recommend; 200 business errors do not."""
    status = error.status or 200
    body: dict[str, Any] = {"RequestId": request_id}
    if status >= 400:
        body["HostId"] = host
    body["Code"] = error.code
    body["Message"] = error.message or error.code
    if status >= 400:
        body["Recommend"] = RECOMMEND.format(code=error.code, product=product, rid=request_id)
    if extra:
        body.update(extra)
    body.update(error.fields)
    return body
