"""Template management, both API generations on the account's one catalogue.

New: CreateSmsTemplate, UpdateSmsTemplate, GetSmsTemplate, GetSmsTemplateList, DeleteSmsTemplate (always with
an `OrderId`). Old: AddSmsTemplate, ModifySmsTemplate, QuerySmsTemplate, QuerySmsTemplateList. The two
generations type the same facts differently (GetSmsTemplate's TemplateStatus and TemplateType are strings,
QuerySmsTemplate's integers), exactly as the SDK's models declare them.
"""

from __future__ import annotations

from typing import Any

from emulator.core.catalogue import CatalogueError
from emulator.core.fixtures import Template
from emulator.protocols.aliyun.product import ActionContext, ActionSpec, AliyunProduct, Param
from emulator.providers.dysms.params import json_value
from emulator.providers.dysms.review import (
    OK,
    STATUS_NUM,
    TEMPLATE_AUDIT,
    check_length,
    choice,
    page_of,
    paging,
    refuse,
)

TYPE_NAMES = ("verification", "notification", "promotion", "international")
#: TemplateType on the wire (Create/Get/Query): 0 verification, 1 notification, 2 promotion, 3 international
TYPE_NUM = {"verification": 0, "notification": 1, "promotion": 2, "international": 3, "card": 1, "digital": 1}
#: QuerySmsTemplateList numbers types its own way (its `OuterTemplateType` is the usual number)
LIST_TYPE = {"verification": 2, "notification": 0, "promotion": 1, "international": 6, "card": 0, "digital": 0}
NAME_LIMIT, CONTENT_LIMIT = 30, 500
#: GetSmsTemplate's TemplateTag: 2 created by the user (the fixtures' templates count as such too)
USER_CREATED = 2


def _found(ctx: ActionContext, code: str) -> Template:
    template = ctx.backend.catalogue.template(ctx.account.name, code)
    if template is None:
        raise ctx.error("isv.SMS_TEMPLATE_ILLEGAL", f"模板不合法(不存在或被拉黑): {code[:40]}")
    return template


def _application(ctx: ActionContext, code: str) -> Template:
    """The template a Create/Add/Update/Modify call describes, checked against the provider's rules."""
    name = check_length(ctx, "isv.TEMPLATE_OVER_LIMIT", "TemplateName", NAME_LIMIT, 1) or ""
    content = check_length(ctx, "isv.TEMPLATE_OVER_LIMIT", "TemplateContent", CONTENT_LIMIT, 1) or ""
    kind = choice(ctx, "TemplateType", (0, 1, 2, 3))
    related = ctx.get("RelatedSignName") or ""
    if related:
        sign = ctx.backend.catalogue.sign(ctx.account.name, related)
        if sign is None or not sign.usable:
            raise ctx.error("isv.SMS_SIGNATURE_ILLEGAL", f"签名不合法(不存在或被拉黑): {related[:40]}")
    rule = ctx.get("TemplateRule") or ""
    if rule and not isinstance(json_value(ctx, "TemplateRule", rule), dict):
        raise ctx.error("isv.INVALID_JSON_PARAM", "JSON参数不合法: TemplateRule must be a JSON object")
    return Template(code=code, content=content, name=name, type=TYPE_NAMES[kind or 0], related_sign=related,
                    variable_rule=rule, apply_scene=ctx.get("ApplySceneContent") or "", remark=ctx.get("Remark") or "")


def _new_code(ctx: ActionContext) -> str:
    catalogue = ctx.backend.catalogue
    code = catalogue.new_template_code()
    while catalogue.template(ctx.account.name, code) is not None:
        code = catalogue.new_template_code()
    return code


def _apply(ctx: ActionContext, replaces: str | None) -> Template:
    template = _application(ctx, replaces or _new_code(ctx))
    try:
        return ctx.backend.catalogue.apply_template(ctx.account.name, template, replaces=replaces)
    except CatalogueError as exc:
        refuse(ctx, "template", exc)


# New generation ----------------------------------------------------------------------------------------------

def create_sms_template(ctx: ActionContext) -> dict[str, Any]:
    template = _apply(ctx, None)
    return {**OK, "TemplateCode": template.code, "TemplateName": template.name, "OrderId": template.order_id}


def update_sms_template(ctx: ActionContext) -> dict[str, Any]:
    template = _apply(ctx, ctx.params["TemplateCode"])
    return {**OK, "TemplateCode": template.code, "TemplateName": template.name, "OrderId": template.order_id}


def get_sms_template(ctx: ActionContext) -> dict[str, Any]:
    t = _found(ctx, ctx.params["TemplateCode"])
    return {**OK, "TemplateCode": t.code, "TemplateName": t.name, "TemplateContent": t.content,
            "TemplateType": str(TYPE_NUM[t.type]), "TemplateStatus": str(STATUS_NUM[t.status]),
            "AuditInfo": {"AuditDate": t.audit_date, "RejectInfo": t.reason},
            "RelatedSignName": t.related_sign, "TemplateTag": USER_CREATED, "OrderId": t.order_id,
            "VariableAttribute": t.variable_rule or "{}", "Remark": t.remark, "ApplyScene": t.apply_scene,
            "CreateDate": t.created, "FileUrlList": {"FileUrl": []}, "MoreDataFileUrlList": {"MoreDataFileUrl": []},
            "SignList": {"SignList": [t.related_sign] if t.related_sign else []}}


def get_sms_template_list(ctx: ActionContext) -> dict[str, Any]:
    page, size = paging(ctx)
    wanted_status, wanted_type = ctx.get_int("AuditStatus"), ctx.get_int("TemplateType")
    code, name, sign = ctx.get("TemplateCode"), ctx.get("TemplateName"), ctx.get("SignName")
    rows = [{"AuditStatus": STATUS_NUM[t.status], "TemplateCode": t.code, "TemplateName": t.name,
             "TemplateContent": t.content, "TemplateType": TYPE_NUM[t.type], "SignName": t.related_sign,
             "GmtCreate": t.created, "WorkOrderId": t.order_id,
             "UsableStateList": ["NORMAL"] if t.usable else [], "TemplateTag": []}
            for t in ctx.backend.catalogue.book(ctx.account.name).templates.values()
            if (wanted_status is None or STATUS_NUM[t.status] == wanted_status)
            and (wanted_type is None or TYPE_NUM[t.type] == wanted_type)
            and (code is None or t.code == code) and (name is None or name in t.name)
            and (sign is None or t.related_sign == sign)]
    return {**OK, "Success": True,
            "Data": {"List": page_of(rows, page, size), "PageNo": page, "PageSize": size, "Total": len(rows)}}


def delete_sms_template(ctx: ActionContext) -> dict[str, Any]:
    code = ctx.params["TemplateCode"]
    try:
        ctx.backend.catalogue.delete(ctx.account.name, "template", code)
    except CatalogueError as exc:
        refuse(ctx, "template", exc)
    return {**OK, "TemplateCode": code}


# Old generation ----------------------------------------------------------------------------------------------

def add_sms_template(ctx: ActionContext) -> dict[str, Any]:
    return {**OK, "TemplateCode": _apply(ctx, None).code}


def modify_sms_template(ctx: ActionContext) -> dict[str, Any]:
    return {**OK, "TemplateCode": _apply(ctx, ctx.params["TemplateCode"]).code}


def query_sms_template(ctx: ActionContext) -> dict[str, Any]:
    t = _found(ctx, ctx.params["TemplateCode"])
    return {**OK, "TemplateCode": t.code, "TemplateName": t.name, "TemplateContent": t.content,
            "TemplateType": TYPE_NUM[t.type], "TemplateStatus": STATUS_NUM[t.status],
            "Reason": t.reason, "CreateDate": t.created}


def query_sms_template_list(ctx: ActionContext) -> dict[str, Any]:
    page, size = paging(ctx)
    rows = [{"TemplateCode": t.code, "TemplateName": t.name, "TemplateContent": t.content,
             "TemplateType": LIST_TYPE[t.type], "OuterTemplateType": TYPE_NUM[t.type],
             "AuditStatus": TEMPLATE_AUDIT[t.status], "Reason": _reason(t), "CreateDate": t.created,
             "OrderId": t.order_id, "SignatureName": t.related_sign, "TrafficDriving": ""}
            for t in ctx.backend.catalogue.book(ctx.account.name).templates.values()]
    return {**OK, "TotalCount": len(rows), "CurrentPage": page, "PageSize": size,
            "SmsTemplateList": page_of(rows, page, size)}


def _reason(t: Template) -> dict[str, str]:
    if t.status != "rejected":
        return {}
    return {"RejectDate": t.audit_date, "RejectInfo": t.reason, "RejectSubInfo": ""}


def register(product: AliyunProduct) -> None:
    application = (Param("TemplateName", True), Param("TemplateContent", True), Param("TemplateType", True, "int"),
                   Param("RelatedSignName"), Param("TemplateRule"), Param("Remark"), Param("ApplySceneContent"),
                   Param("IntlType", kind="int"))
    code = Param("TemplateCode", True)
    old = (Param("TemplateType", True, "int"), Param("TemplateName", True), Param("TemplateContent", True),
           Param("Remark", True))
    for spec in (
        ActionSpec("CreateSmsTemplate", create_sms_template, application),
        ActionSpec("UpdateSmsTemplate", update_sms_template, (code, *application)),
        ActionSpec("GetSmsTemplate", get_sms_template, (code,)),
        ActionSpec("GetSmsTemplateList", get_sms_template_list,
                   (Param("PageIndex", kind="int"), Param("PageSize", kind="int"), Param("AuditStatus", kind="int"),
                    Param("TemplateType", kind="int"))),
        ActionSpec("DeleteSmsTemplate", delete_sms_template, (code,)),
        ActionSpec("AddSmsTemplate", add_sms_template, old),
        ActionSpec("ModifySmsTemplate", modify_sms_template, (code, *old)),
        ActionSpec("QuerySmsTemplate", query_sms_template, (code,)),
        ActionSpec("QuerySmsTemplateList", query_sms_template_list,
                   (Param("PageIndex", kind="int"), Param("PageSize", kind="int"))),
    ):
        product.action(spec)
