"""Turning an HTTP request into the decoded parameters and headers the Alibaba protocol works on.

Parameters are the decoded query pairs plus, for `application/x-www-form-urlencoded` bodies, the decoded
form pairs (pop-core puts everything there, SendBatchSms puts its JSON arrays there). The raw query string
is never canonicalised directly: SDKs encode differently, so signatures are recomputed from decoded pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from aiohttp import web

from emulator.protocols.aliyun.errors import gateway_error

FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass
class AliyunRequest:
    method: str
    path: str
    headers: dict[str, list[str]]
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[0] if values else None

    @property
    def host(self) -> str:
        return self.header("host") or ""


def decode_pairs(text: str, where: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise gateway_error("InvalidParameter", f"The {where} is not valid UTF-8 after percent-decoding.") from None
    except ValueError as exc:
        raise gateway_error("InvalidParameter", f"The {where} cannot be parsed: {exc}") from None


def _query_pairs(request: web.Request) -> list[tuple[str, str]]:
    """yarl has already decoded the query in C; only a replacement character (undecodable bytes) sends us
    to the strict parser, which either explains the encoding error or agrees with yarl."""
    pairs = list(request.query.items())
    if any("\ufffd" in k or "\ufffd" in v for k, v in pairs):
        return decode_pairs(request.rel_url.raw_query_string, "query string")
    return pairs


def merge_params(pairs: list[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise gateway_error("InvalidParameter", f"The parameter {name} is specified more than once.")
        params[name] = value
    return params


async def read_aliyun_request(request: web.Request) -> AliyunRequest:
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers.setdefault(name.lower(), []).append(value)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise gateway_error("RequestEntityTooLarge",
                            "The request body is larger than the emulator accepts "
                            "(SMS_EMULATOR_MAX_BODY, 1 MiB by default).") from None
    query = _query_pairs(request)
    form: list[tuple[str, str]] = []
    content_type = (headers.get("content-type") or [""])[0].split(";")[0].strip().lower()
    if body and content_type == FORM_TYPE:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise gateway_error("InvalidParameter", "The form body is not valid UTF-8.") from None
        form = decode_pairs(text, "form body")
    result = AliyunRequest(request.method, request.path, headers, query, form, body)
    result.params = merge_params(query + form)
    return result

