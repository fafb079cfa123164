"""Verify schemes (认证方案): CreateVerifyScheme, DescribeVerifyScheme, DeleteVerifyScheme.

A scheme names the app (package and signature, bundle id) or H5 page (Url, Origin) allowed to authenticate
numbers; GetAuthToken's SceneCode and GetFusionAuthToken's SchemeCode name one. Every account starts with the
built-in schemes of `emulator.core.number_auth.FIXTURE_SCHEMES`; the ones created here are its own.
"""

from __future__ import annotations

from typing import Any

from emulator.core.number_auth import SCHEME_OS, Refused, VerifyScheme
from emulator.protocols.aliyun.product import ActionContext, ActionSpec, AliyunProduct, Param

OK = {"Code": "OK", "Message": "OK"}
NAME_LIMIT = 20
#: What each OsType needs besides SchemeName and AppName.
NEEDED = {"Android": ("PackName", "PackSign"), "iOS": ("BundleId",), "Harmony": ("HmPackageName",),
          "Web": ("Url", "Origin")}
_CONFLICTS = {"scheme_conflict": "isv.VERIFY_SCHEME_CONFLICT", "pack_conflict": "isv.PACK_SIGN_CONFLICT",
              "bundle_conflict": "isv.BUNDLE_ID_CONFLICT"}


def _required(ctx: ActionContext, *names: str) -> None:
    absent = [name for name in names if ctx.get(name) is None]
    if absent:
        raise ctx.error("isv.INVALID_PARAMETERS", f"{'、'.join(absent)}参数不能为空")


def create_verify_scheme(ctx: ActionContext) -> dict[str, Any]:
    _required(ctx, "SchemeName", "AppName", "OsType")
    os_type = {name.lower(): name for name in SCHEME_OS}.get(ctx.params["OsType"].lower())
    if os_type is None:
        raise ctx.error("isv.INVALID_PARAMETERS", f"OsType必须为{'、'.join(SCHEME_OS)}之一")
    _required(ctx, *NEEDED[os_type])
    name = ctx.params["SchemeName"]
    if len(name) > NAME_LIMIT:
        raise ctx.error("isv.INVALID_PARAMETERS", f"SchemeName长度不能超过{NAME_LIMIT}")
    scheme = VerifyScheme(code="", name=name, os_type=os_type, app_name=ctx.params["AppName"],
                          url=ctx.get("Url") or "", origin=ctx.get("Origin") or "",
                          pack_name=ctx.get("PackName") or ctx.get("HmPackageName") or "",
                          pack_sign=ctx.get("PackSign") or ctx.get("HmSignName") or "",
                          bundle_id=ctx.get("BundleId") or "")
    try:
        created = ctx.backend.number_auth.create_scheme(ctx.account.name, scheme)
    except Refused as refused:
        raise ctx.error(_CONFLICTS[refused.reason]) from None
    return {**OK, "Success": True, "HttpStatusCode": 200, "GateVerifySchemeDTO": {"SchemeCode": created.code}}


def _code(ctx: ActionContext) -> str:
    _required(ctx, "SchemeCode")
    return ctx.params["SchemeCode"]


def describe_verify_scheme(ctx: ActionContext) -> dict[str, Any]:
    scheme = ctx.backend.number_auth.scheme(ctx.account.name, _code(ctx))
    if scheme is None:
        raise ctx.error("isv.VERIFY_SCHEME_NOT_EXIST")
    return {**OK, "SchemeQueryResultDTO": {"AppEncryptInfo": scheme.app_encrypt_info}}


def delete_verify_scheme(ctx: ActionContext) -> dict[str, Any]:
    try:
        ctx.backend.number_auth.delete_scheme(ctx.account.name, _code(ctx))
    except Refused:
        raise ctx.error("isv.VERIFY_SCHEME_NOT_EXIST") from None
    return {**OK, "Result": True}


def register(product: AliyunProduct) -> None:
    customer = Param("CustomerId", kind="int")
    create = tuple(Param(name) for name in (
        "SchemeName", "AppName", "OsType", "PackName", "PackSign", "BundleId", "Url", "Origin", "SceneType",
        "AuthType", "Email", "SmsSignName", "IpWhiteList", "HmAppIdentifier", "HmPackageName", "HmSignName"))
    api_codes = (Param("CmApiCode", kind="int"), Param("CuApiCode", kind="int"), Param("CtApiCode", kind="int"))
    product.action(ActionSpec("CreateVerifyScheme", create_verify_scheme, (*create, *api_codes)))
    product.action(ActionSpec("DescribeVerifyScheme", describe_verify_scheme, (Param("SchemeCode"), customer)))
    product.action(ActionSpec("DeleteVerifyScheme", delete_verify_scheme, (Param("SchemeCode"), customer)))
