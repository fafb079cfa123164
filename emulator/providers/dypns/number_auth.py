"""Number authentication: the server half of one-click login (一键登录) and number verification (本机号码校验).

App: GetMobile exchanges the app SDK's login token for the number; VerifyMobile checks a typed number against
a token. H5: GetAuthToken hands the page an AccessToken/JwtToken pair for one of the account's schemes, the JS
SDK turns it into an spToken, and GetPhoneWithToken / VerifyPhoneWithToken exchange that. Fusion: GetFusionAuthToken
initialises the fusion SDK, VerifyWithFusionAuthToken checks what it produced. Tokens are minted as a phone would
get them (admin API, pytest helpers, inbox) and live in `backend.number_auth`; every exchange is recorded there.

The number-authentication codes answer HTTP 200 with the code in the body; the fusion pair belongs to the newer
family of SendSmsVerifyCode and answers its HTTP 400 codes (see `errors.py`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from emulator.core.backend import Backend
from emulator.core.errors import EmulatorError
from emulator.core.number_auth import BIZ_LOGIN, BIZ_VERIFY, AuthToken, Refused, carrier_of
from emulator.core.phones import parse_phone
from emulator.protocols.aliyun.product import OUT_ID_LENGTH, ActionContext, ActionSpec, AliyunProduct, Lookup, Param

OK = {"Code": "OK", "Message": "OK"}
#: Real tokens are a few hundred printable characters; longer or other text is malformed, not merely unknown.
MAX_TOKEN_LENGTH = 2048
#: GetFusionAuthToken's DurationSeconds bounds (seconds).
FUSION_DURATION = range(900, 43200 + 1)
FUSION_TOKEN_LENGTH = 96
VERIFY_ID_LENGTH = 18
_REFUSALS = {"invalid": "isv.TOKEN_INVALID", "wrong_kind": "isv.TOKEN_UNAUTHORIZED_USED"}


# Shared: the presented token, recording, verdicts ----------------------------------------------------------

def _presented(ctx: ActionContext, name: str, code: str = "isv.INVALID_PARAMETERS") -> str:
    value = ctx.get(name)
    if value is None:
        raise ctx.error(code, f"{name}参数不能为空")
    if len(value) > MAX_TOKEN_LENGTH or not value.isascii() or not value.isprintable() or " " in value:
        raise ctx.error(code, f"{name}格式不正确")
    return value


@contextmanager
def _recorded(ctx: ActionContext, presented_param: str | None) -> Iterator[dict[str, Any]]:
    """Record the exchange whatever its outcome; the handler fills `details` (token, typed_phone, verdict)."""
    details: dict[str, Any] = {"token": None}
    code = "InternalError"          # what the gateway answers for anything but the provider's own errors
    try:
        yield details
        code = "OK"
    except EmulatorError as error:
        code = error.code
        raise
    finally:
        token: AuthToken | None = details.pop("token")
        ctx.backend.number_auth.record(
            ctx.account.name, ctx.call.action, code, token,
            presented=ctx.params.get(presented_param) if presented_param else None,
            request_id=ctx.request_id, out_id=ctx.get("OutId"), **details)


def _redeem(ctx: ActionContext, details: dict[str, Any], param: str, kinds: tuple[str, ...],
            login: bool = False) -> AuthToken:
    presented = _presented(ctx, param)
    try:
        token = ctx.backend.number_auth.redeem(ctx.account.name, presented, kinds, ctx.call.action, login=login)
    except Refused as refused:
        details["token"] = refused.token
        raise ctx.error(_REFUSALS[refused.reason]) from None
    details["token"] = token
    return token


def _carrier_known(ctx: ActionContext, token: AuthToken) -> None:
    if token.carrier is None:
        raise ctx.error("isv.INVALID_PARAMETERS", f"无法识别运营商 ({token.phone[:3]} is no China Mobile, Unicom "
                                                  "or Telecom segment)")


def _typed_phone(ctx: ActionContext) -> str:
    raw = ctx.get("PhoneNumber")
    if raw is None:
        raise ctx.error("isv.INVALID_PARAMETERS", "PhoneNumber参数不能为空")
    phone = parse_phone(raw)
    if phone is None or not phone.mainland:
        raise ctx.error("isv.MOBILE_NUMBER_ILLEGAL", f"号码格式错误 ({raw[:32]})")
    return phone.number


def _verdict(ctx: ActionContext, token: AuthToken, typed: str) -> str:
    """PASS for the SIM's own number, REJECT for another of its carrier, UNKNOWN when no carrier serves it;
    a typed number of another carrier is PARAMETERS_MISMATCH (the token is spent: the carrier was asked)."""
    if token.carrier is None:
        return "UNKNOWN"
    typed_carrier = carrier_of(typed)
    if typed_carrier is not None and typed_carrier != token.carrier:
        raise ctx.error("isv.PARAMETERS_MISMATCH")
    return "PASS" if typed == token.phone else "REJECT"


def token_number(param: str) -> Lookup:
    """The number a minted token presented in `param` stands for, for scenario rules by `phone`."""

    def lookup(backend: Backend, account: str, params: Mapping[str, str]) -> tuple[str, ...]:
        value = params.get(param)
        found = backend.number_auth.peek(account, value) if value else None
        return (found.phone,) if found is not None else ()

    return lookup


# App: one-click login and number verification -------------------------------------------------------------

def _number(ctx: ActionContext, param: str, kinds: tuple[str, ...]) -> dict[str, str]:
    """A login exchange (GetMobile, GetPhoneWithToken): the number the token stands for."""
    with _recorded(ctx, param) as details:
        token = _redeem(ctx, details, param, kinds, login=True)
        _carrier_known(ctx, token)
    return {"Mobile": token.phone}


def _verification(ctx: ActionContext, param: str, kinds: tuple[str, ...]) -> dict[str, str]:
    """A verification exchange (VerifyMobile, VerifyPhoneWithToken): the typed number against the token's."""
    with _recorded(ctx, param) as details:
        typed = details["typed_phone"] = _typed_phone(ctx)
        token = _redeem(ctx, details, param, kinds)
        verdict = details["verdict"] = _verdict(ctx, token, typed)
    return {"VerifyId": ctx.backend.ids.digits(VERIFY_ID_LENGTH), "VerifyResult": verdict}


def get_mobile(ctx: ActionContext) -> dict[str, Any]:
    return {**OK, "GetMobileResultDTO": _number(ctx, "AccessToken", ("login",))}


def verify_mobile(ctx: ActionContext) -> dict[str, Any]:
    return {**OK, "GateVerifyResultDTO": _verification(ctx, "AccessCode", ("login", "verify"))}


# H5 ---------------------------------------------------------------------------------------------------------

def get_auth_token(ctx: ActionContext) -> dict[str, Any]:
    with _recorded(ctx, None):
        values = {name: ctx.get(name) for name in ("Url", "Origin", "SceneCode")}
        absent = [name for name, value in values.items() if value is None]
        if absent:
            raise ctx.error("isv.INVALID_PARAMETERS", f"{'、'.join(absent)}参数不能为空")
        biz_type = ctx.get_int("BizType")
        if biz_type not in (BIZ_VERIFY, BIZ_LOGIN):
            raise ctx.error("isv.INVALID_PARAMETERS", "BizType必须为0(本机号码校验)或1(一键登录)")
        url, origin, scene = str(values["Url"]), str(values["Origin"]), str(values["SceneCode"])
        scheme = ctx.backend.number_auth.scheme(ctx.account.name, scene)
        if scheme is None or scheme.os_type != "Web":
            raise ctx.error("isv.SCENE_QUERY_FAIL", f"场景查询失败 (no H5 scheme {scene[:40]!r})")
        if not scheme.allows_page(url, origin):
            raise ctx.error("isv.INVALID_PARAMETERS", f"Url或Origin与方案{scheme.code}不一致")
        session = ctx.backend.number_auth.open_session(ctx.account.name, scheme, biz_type, url, origin)
    return {**OK, "TokenInfo": {"AccessToken": session.access_token, "JwtToken": session.jwt_token}}


def get_phone_with_token(ctx: ActionContext) -> dict[str, Any]:
    return {**OK, "Data": _number(ctx, "SpToken", ("h5",))}


def verify_phone_with_token(ctx: ActionContext) -> dict[str, Any]:
    return {**OK, "GateVerify": _verification(ctx, "SpToken", ("h5",))}


# Fusion (the SendSmsVerifyCode family: HTTP 400 codes, Success in every body) -------------------------------

def get_fusion_auth_token(ctx: ActionContext) -> dict[str, Any]:
    with _recorded(ctx, None):
        if not ctx.account.function_on("dypns_verify"):
            raise ctx.error("FUNCTION_NOT_OPENED")
        code = _presented(ctx, "SchemeCode", "INVALID_PARAMETERS")
        platform = (ctx.get("Platform") or "").lower()
        needed = {"android": ("PackageName", "PackageSign"), "ios": ("BundleId",), "harmony": ("PackageName",)}
        if platform not in needed:
            raise ctx.error("INVALID_PARAMETERS", "parameter is not valid: Platform must be Android, iOS or Harmony")
        absent = [name for name in needed[platform] if ctx.get(name) is None]
        duration = ctx.get_int("DurationSeconds")
        if absent or duration not in FUSION_DURATION:
            raise ctx.error("INVALID_PARAMETERS", "parameter is not valid: " + (
                f"{' and '.join(absent)} required for {ctx.params['Platform']}" if absent else
                f"DurationSeconds must be {FUSION_DURATION.start}-{FUSION_DURATION.stop - 1}"))
        if ctx.backend.number_auth.scheme(ctx.account.name, code) is None:
            raise ctx.error("isp.VERIFY_SCHEME_NOT_EXIST")
    return {**OK, "Success": True, "Model": ctx.backend.ids.token(FUSION_TOKEN_LENGTH)}


def verify_with_fusion_auth_token(ctx: ActionContext) -> dict[str, Any]:
    """A spent, expired or unknown VerifyToken is a verdict (UNKNOWN), not an error, as CheckSmsVerifyCode's
    wrong code is in the same family."""
    with _recorded(ctx, "VerifyToken") as details:
        if not ctx.account.function_on("dypns_verify"):
            raise ctx.error("FUNCTION_NOT_OPENED")
        presented = _presented(ctx, "VerifyToken", "INVALID_PARAMETERS")
        token: AuthToken | None = None
        try:
            token = details["token"] = ctx.backend.number_auth.redeem(ctx.account.name, presented, ("fusion",),
                                                                       ctx.call.action)
        except Refused as refused:
            details["token"] = refused.token
        verdict = details["verdict"] = "PASS" if token is not None else "UNKNOWN"
    model: dict[str, Any] = {"VerifyResult": verdict}
    if token is not None:
        model["PhoneNumber"] = token.phone
    return {**OK, "Success": True, "Model": model}


def register(product: AliyunProduct) -> None:
    out_id = Param("OutId", max_length=OUT_ID_LENGTH)
    api_codes = (Param("CmApiCode", kind="int"), Param("CuApiCode", kind="int"), Param("CtApiCode", kind="int"))
    for spec in (
        ActionSpec("GetMobile", get_mobile, (Param("AccessToken"), out_id), lookup=token_number("AccessToken")),
        ActionSpec("VerifyMobile", verify_mobile, (Param("AccessCode"), Param("PhoneNumber"), out_id),
                   lookup=token_number("AccessCode")),
        ActionSpec("GetAuthToken", get_auth_token,
                   (Param("Url"), Param("Origin"), Param("SceneCode"), Param("BizType", kind="int"), Param("Version"),
                    *api_codes)),
        ActionSpec("GetPhoneWithToken", get_phone_with_token, (Param("SpToken"),), lookup=token_number("SpToken")),
        ActionSpec("VerifyPhoneWithToken", verify_phone_with_token, (Param("SpToken"), Param("PhoneNumber")),
                   lookup=token_number("SpToken")),
        ActionSpec("GetFusionAuthToken", get_fusion_auth_token,
                   (Param("SchemeCode"), Param("Platform"), Param("PackageName"), Param("PackageSign"),
                    Param("BundleId"), Param("DurationSeconds", kind="int"))),
        ActionSpec("VerifyWithFusionAuthToken", verify_with_fusion_auth_token, (Param("VerifyToken"),),
                   lookup=token_number("VerifyToken")),
    ):
        product.action(spec)
