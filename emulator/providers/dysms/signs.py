"""Sign management, both API generations on the account's one catalogue.

New: CreateSmsSign, UpdateSmsSign, GetSmsSign, DeleteSmsSign (Create and Update always answer an `OrderId`,
and need the id of an approved qualification). Old: AddSmsSign, ModifySmsSign, QuerySmsSign, QuerySmsSignList.
"""

from __future__ import annotations

from typing import Any

from emulator.core.catalogue import CatalogueError
from emulator.core.fixtures import Sign
from emulator.protocols.aliyun.product import ActionContext, ActionSpec, AliyunProduct, Param
from emulator.providers.dysms.review import OK, SIGN_AUDIT, STATUS_NUM, check_length, choice, page_of, paging, refuse

#: Alibaba: a sign name has 2-12 characters; the application's remark at most 200.
NAME_MIN, NAME_MAX, REMARK_LIMIT = 2, 12, 200
#: SignSource: 0 company, 1 public institution, 2 launched app, 3 website, 4 official account, 5 trademark
SOURCES = (0, 1, 2, 3, 4, 5)
SCENES = {0: "verification", 1: "general"}


def _found(ctx: ActionContext, name: str) -> Sign:
    sign = ctx.backend.catalogue.sign(ctx.account.name, name)
    if sign is None:
        raise ctx.error("isv.SMS_SIGNATURE_ILLEGAL", f"签名不合法(不存在或被拉黑): {name[:40]}")
    return sign


def _application(ctx: ActionContext) -> Sign:
    name = ctx.params["SignName"]
    rule = f"SignName must have {NAME_MIN}-{NAME_MAX} characters"
    if len(name) > NAME_MAX:
        raise ctx.error("isv.SIGN_OVER_LIMIT", f"签名名称超过长度限制: {rule}")
    if len(name) < NAME_MIN:
        raise ctx.error("isv.SIGN_NAME_ILLEGAL", f"签名名称不符合规范: {rule}")
    remark = check_length(ctx, "isv.SIGN_OVER_LIMIT", "Remark", REMARK_LIMIT) or ""
    source = choice(ctx, "SignSource", SOURCES)
    scene = SCENES[choice(ctx, "SignType", (0, 1), 1)]   # type: ignore[index]
    return Sign(name=name, scene=scene, source=source or 0, qualification_id=ctx.get_int("QualificationId") or 0,
                third_party=ctx.get_bool("ThirdParty"), apply_scene=ctx.get("ApplySceneContent") or "", remark=remark)


def _apply(ctx: ActionContext, replaces: bool) -> Sign:
    sign = _application(ctx)
    try:
        return ctx.backend.catalogue.apply_sign(ctx.account.name, sign, replaces=replaces)
    except CatalogueError as exc:
        refuse(ctx, "sign", exc)


# New generation ----------------------------------------------------------------------------------------------

def create_sms_sign(ctx: ActionContext) -> dict[str, Any]:
    sign = _apply(ctx, replaces=False)
    return {**OK, "SignName": sign.name, "OrderId": sign.order_id}


def update_sms_sign(ctx: ActionContext) -> dict[str, Any]:
    sign = _apply(ctx, replaces=True)
    return {**OK, "SignName": sign.name, "OrderId": sign.order_id}


def get_sms_sign(ctx: ActionContext) -> dict[str, Any]:
    s = _found(ctx, ctx.params["SignName"])
    return {**OK, "SignName": s.name, "SignCode": f"SIGN_{s.order_id}" if s.order_id else "",
            "SignStatus": STATUS_NUM[s.status], "AuditInfo": {"AuditDate": s.audit_date, "RejectInfo": s.reason},
            "CreateDate": s.created, "OrderId": s.order_id, "QualificationId": s.qualification_id,
            "ThirdParty": s.third_party, "SignUsage": "验证码" if s.scene == "verification" else "通用",
            "SignTag": "", "Remark": s.remark, "ApplyScene": s.apply_scene, "FileUrlList": [],
            "SignIspRegisterDetailList": []}


def delete_sms_sign(ctx: ActionContext) -> dict[str, Any]:
    name = ctx.params["SignName"]
    try:
        ctx.backend.catalogue.delete(ctx.account.name, "sign", name)
    except CatalogueError as exc:
        refuse(ctx, "sign", exc)
    return {**OK, "SignName": name}


# Old generation ----------------------------------------------------------------------------------------------

def add_sms_sign(ctx: ActionContext) -> dict[str, Any]:
    return {**OK, "SignName": _apply(ctx, replaces=False).name}


def modify_sms_sign(ctx: ActionContext) -> dict[str, Any]:
    return {**OK, "SignName": _apply(ctx, replaces=True).name}


def query_sms_sign(ctx: ActionContext) -> dict[str, Any]:
    s = _found(ctx, ctx.params["SignName"])
    return {**OK, "SignName": s.name, "SignStatus": STATUS_NUM[s.status], "Reason": s.reason,
            "CreateDate": s.created}


def query_sms_sign_list(ctx: ActionContext) -> dict[str, Any]:
    page, size = paging(ctx)
    rows = [{"SignName": s.name, "AuditStatus": SIGN_AUDIT[s.status],
             "BusinessType": "验证码" if s.scene == "verification" else "通用",
             "Reason": {"RejectDate": s.audit_date, "RejectInfo": s.reason, "RejectSubInfo": ""}
             if s.status == "rejected" else {},
             "CreateDate": s.created, "OrderId": s.order_id}
            for s in ctx.backend.catalogue.book(ctx.account.name).signs.values()]
    return {**OK, "TotalCount": len(rows), "CurrentPage": page, "PageSize": size,
            "SmsSignList": page_of(rows, page, size)}


def register(product: AliyunProduct) -> None:
    name = Param("SignName", True)
    application = (name, Param("SignSource", True, "int"), Param("QualificationId", True, "int"),
                   Param("SignType", kind="int"), Param("ThirdParty", kind="bool"),
                   Param("AuthorizationLetterId", kind="int"), Param("TrademarkId", kind="int"),
                   Param("AppIcpRecordId", kind="int"), Param("ApplySceneContent"), Param("Remark"))
    old = (name, Param("SignSource", True, "int"), Param("Remark", True), Param("SignType", kind="int"))
    for spec in (
        ActionSpec("CreateSmsSign", create_sms_sign, application),
        ActionSpec("UpdateSmsSign", update_sms_sign, application),
        ActionSpec("GetSmsSign", get_sms_sign, (name,)),
        ActionSpec("DeleteSmsSign", delete_sms_sign, (name,)),
        ActionSpec("AddSmsSign", add_sms_sign, old),
        ActionSpec("ModifySmsSign", modify_sms_sign, old),
        ActionSpec("QuerySmsSign", query_sms_sign, (name,)),
        ActionSpec("QuerySmsSignList", query_sms_sign_list,
                   (Param("PageIndex", kind="int"), Param("PageSize", kind="int"))),
    ):
        product.action(spec)
