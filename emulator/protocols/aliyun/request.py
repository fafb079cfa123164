"""Turning an HTTP request into the decoded parameters and headers the Alibaba protocol works on.

Parameters are the decoded query pairs plus, for `application/x-www-form-urlencoded` bodies, the decoded
form pairs (pop-core puts everything there, SendBatchSms puts its JSON arrays there). The raw query string
is never canonicalised directly: SDKs encode differently, so signatures are recomputed from decoded pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from aiohttp import web

from emulator.protocols.aliyun.errors import gateway_error
from emulator.protocols.hangup import read_body

FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(slots=True)
class AliyunRequest:
    method: str
    path: str
    headers: dict[str, list[str]]        # lower-case name -> every value received
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]
    body: bytes
    params: dict[str, str]               # query and form together, each name once
    #: the Authorization header when it carries an ACS3 signature; RPC v1 signs in the parameters instead
    acs3_authorization: str | None = None

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
    query = request.query
    if "\ufffd" in "".join(query.values()) or "\ufffd" in "".join(query.keys()):
        return decode_pairs(request.rel_url.raw_query_string, "query string")
    return list(query.items())


def merge_params(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Query and form pairs as one mapping, each name once.

    A name sent twice with the same value is one parameter: every SDK signs a map (the Go legacy SDK puts
    `RegionId` in both query and form; hand-rolled clients send everything in both), so the signature covers
    it once. Two different values are refused: which one the caller signed, and meant, is ambiguous."""
    params = dict(pairs)
    if len(params) != len(pairs):
        for name, value in pairs:
            if params[name] != value:
                raise gateway_error("InvalidParameter",
                                    f"The parameter {name} is specified more than once, with different values.")
    return params


async def read_aliyun_request(request: web.Request) -> AliyunRequest:
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        name = name.lower()
        if name in headers:
            headers[name].append(value)
        else:
            headers[name] = [value]
    try:
        body = await read_body(request)
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
    authorization = headers.get("authorization")
    acs3 = authorization[0] if authorization and authorization[0].lstrip()[:5].upper() == "ACS3-" else None
    return AliyunRequest(request.method, request.path, headers, query, form, body,
                         merge_params(query + form if form else query), acs3)

