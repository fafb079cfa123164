"""dysmsapi actions: each takes an `ActionContext` and returns the response fields besides RequestId."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from emulator.core.clock import CHINA_TZ, china_date_str, china_time_str
from emulator.core.phones import parse_phone
from emulator.core.templates import render
from emulator.protocols.aliyun.product import ActionContext
from emulator.providers.dysms.params import (
    get_key,
    json_value,
    object_list,
    parse_numbers,
    split_numbers,
    template_params,
)
from emulator.providers.dysms.sending import (
    PROVIDER,
    TEXT_TYPES,
    Outgoing,
    accept_all,
    check_number_kinds,
    check_sign,
    check_template,
    render_checked,
)

OK = {"Code": "OK", "Message": "OK"}
SEND_STATUS = {"waiting": 1, "failed": 2, "delivered": 3}
QUERY_DAYS = 30


def send_sms(ctx: ActionContext) -> dict[str, Any]:
    phones = parse_numbers(ctx, split_numbers(ctx.params["PhoneNumbers"]), limit=1000)
    sign = check_sign(ctx, ctx.params["SignName"])
    template = check_template(ctx, ctx.params["TemplateCode"], TEXT_TYPES, sign)
    values = template_params(ctx, "TemplateParam", ctx.get("TemplateParam"))
    content = render_checked(ctx, sign, template, values)
    check_number_kinds(ctx, template, phones)
    biz_id = ctx.backend.ids.biz_id()
    accept_all(ctx, [Outgoing(p, sign, template, values, content) for p in phones], biz_id)
    return {**OK, "BizId": biz_id}


def send_batch_sms(ctx: ActionContext) -> dict[str, Any]:
    numbers = _string_list(ctx, "PhoneNumberJson")
    signs = _string_list(ctx, "SignNameJson")
    raw_params = json_value(ctx, "TemplateParamJson", ctx.get("TemplateParamJson"))
    if raw_params is not None and not isinstance(raw_params, list):
        raise ctx.error("isv.INVALID_JSON_PARAM", "JSON参数不合法: TemplateParamJson must be a JSON array")
    phones = parse_numbers(ctx, numbers, limit=100)
    if len(signs) != len(numbers) or (raw_params is not None and len(raw_params) != len(numbers)):
        raise ctx.error("isv.INVALID_PARAMETERS",
                        "参数异常: PhoneNumberJson, SignNameJson and TemplateParamJson must have the same length")
    template = check_template(ctx, ctx.params["TemplateCode"], TEXT_TYPES)
    check_number_kinds(ctx, template, phones)
    outgoing = []
    for index, phone in enumerate(phones):
        sign = check_sign(ctx, signs[index])
        check_template(ctx, template.code, TEXT_TYPES, sign)
        values = template_params(ctx, f"TemplateParamJson[{index}]", raw_params[index] if raw_params else None)
        outgoing.append(Outgoing(phone, sign, template, values, render_checked(ctx, sign, template, values)))
    biz_id = ctx.backend.ids.biz_id()
    accept_all(ctx, outgoing, biz_id)
    return {**OK, "BizId": biz_id}


def _string_list(ctx: ActionContext, name: str) -> list[str]:
    value = json_value(ctx, name, ctx.params[name])
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise ctx.error("isv.INVALID_JSON_PARAM", f"JSON参数不合法: {name} must be a JSON array of strings")
    return [str(v) for v in value]


def query_send_details(ctx: ActionContext) -> dict[str, Any]:
    phone = parse_phone(ctx.params["PhoneNumber"])
    if phone is None:
        raise ctx.error("isv.MOBILE_NUMBER_ILLEGAL", f"非法手机号: {ctx.params['PhoneNumber'][:32]}")
    send_date = ctx.params["SendDate"]
    try:
        day = datetime.strptime(send_date, "%Y%m%d").replace(tzinfo=CHINA_TZ)
    except ValueError:
        raise ctx.error("isv.INVALID_PARAMETERS", f"参数异常: SendDate {send_date[:20]!r} is not yyyyMMdd") from None
    today = ctx.backend.clock.china_datetime()
    if day.date() > today.date() or day.date() < (today - timedelta(days=QUERY_DAYS)).date():
        raise ctx.error("isv.INVALID_PARAMETERS", f"参数异常: SendDate must lie within the last {QUERY_DAYS} days")
    page_size = ctx.get_int("PageSize") or 0
    page = ctx.get_int("CurrentPage") or 0
    if not 1 <= page_size <= 50 or page < 1:
        raise ctx.error("isv.INVALID_PARAMETERS", "参数异常: PageSize must be 1-50 and CurrentPage >= 1")
    found = [m for m in ctx.backend.messages.query(account=ctx.account.name, provider=PROVIDER, phone=phone.number,
                                                     biz_id=ctx.get("BizId"))
             if china_date_str(m.sent_at) == send_date]
    found.sort(key=lambda m: m.id, reverse=True)
    start = (page - 1) * page_size
    details = []
    for message in found[start:start + page_size]:
        detail: dict[str, Any] = {
            "PhoneNum": message.phone,
            "SendStatus": SEND_STATUS[message.status],
            "ErrCode": message.err_code or "",
            "TemplateCode": message.template,
            "Content": message.content,
            "SendDate": china_time_str(message.sent_at),
            "OutId": message.out_id or "",
        }
        if message.delivered_at is not None:
            detail["ReceiveDate"] = china_time_str(message.delivered_at)
        details.append(detail)
    # The real service sends TotalCount as a JSON number (see the README's notes on SDK differences).
    return {**OK, "TotalCount": len(found), "SmsSendDetailDTOs": {"SmsSendDetailDTO": details}}


def send_card_sms(ctx: ActionContext) -> dict[str, Any]:
    if not ctx.account.function_on("card_sms"):
        raise ctx.error("ForbiddenAction")
    try:
        objects = object_list(ctx.params, "CardObjects")
    except ValueError as exc:
        raise ctx.error("isv.INVALID_JSON_PARAM", f"JSON参数不合法: {exc}") from None
    if not objects:
        raise ctx.error("isv.INVALID_PARAMETERS", "参数异常: CardObjects is empty")
    sign = check_sign(ctx, ctx.params["SignName"])
    card = check_template(ctx, ctx.params["CardTemplateCode"], frozenset({"card"}))
    fallback = (ctx.get("FallbackType") or "NONE").upper()
    if fallback not in ("SMS", "DIGITALSMS", "NONE"):
        raise ctx.error("isv.INVALID_PARAMETERS",
                        f"参数异常: FallbackType {fallback[:20]!r} is not SMS, DIGITALSMS or NONE")
    phones = parse_numbers(ctx, [str(get_key(o, "mobile") or "") for o in objects], limit=1000)
    check_number_kinds(ctx, card, phones)
    cards, others = [], []
    for obj, phone in zip(objects, phones, strict=True):
        (cards if ctx.backend.policy.supports_card(ctx.call, phone.number) else others).append((obj, phone))
    outgoing = []
    for obj, phone in cards:
        values = template_params(ctx, "dyncParams", get_key(obj, "dyncParams") or "{}")
        content = f"【{sign.name}】{card.content}"
        outgoing.append(Outgoing(phone, sign, card, values, render(content, values),
                                 {"kind": "card", "custom_url": get_key(obj, "customUrl")}))
    ids = ctx.backend.ids
    data: dict[str, Any] = {"CardTmpState": 1, "MediaMobiles": ",".join(p.number for _, p in cards),
                            "NotMediaMobiles": ",".join(p.number for _, p in others)}
    if others and fallback != "NONE":
        kind, code_param, values_param, kinds = (
            ("sms", "SmsTemplateCode", "SmsTemplateParam", TEXT_TYPES) if fallback == "SMS"
            else ("digital", "DigitalTemplateCode", "DigitalTemplateParam", frozenset({"digital"})))
        if not ctx.get(code_param):
            raise ctx.error("isv.INVALID_PARAMETERS",
                            f"参数异常: {code_param} is required when FallbackType={fallback}")
        template = check_template(ctx, ctx.params[code_param], kinds)
        values = template_params(ctx, values_param, ctx.get(values_param))
        content = render_checked(ctx, sign, template, values)
        outgoing.extend(Outgoing(p, sign, template, values, content, {"kind": kind, "fallback": True})
                        for _, p in others)
    if not outgoing:
        return {"Code": "OK", "Success": True, "Data": data}
    biz_id = ids.biz_id()
    accept_all(ctx, outgoing, biz_id)
    if cards:
        data["BizCardId"] = biz_id
    if others and fallback == "SMS":
        data["BizSmsId"] = biz_id
    if others and fallback == "DIGITALSMS":
        data["BizDigitalId"] = biz_id
    return {"Code": "OK", "Success": True, "Data": data}


def check_mobiles_card_support(ctx: ActionContext) -> dict[str, Any]:
    check_template(ctx, ctx.params["TemplateCode"], frozenset({"card"}))
    try:
        objects = object_list(ctx.params, "Mobiles")
    except ValueError as exc:
        raise ctx.error("isv.INVALID_JSON_PARAM", f"JSON参数不合法: {exc}") from None
    results = []
    for obj in objects:
        raw = str(get_key(obj, "mobile") or "")
        phone = parse_phone(raw)
        supported = phone is not None and ctx.backend.policy.supports_card(ctx.call, phone.number)
        results.append({"mobile": raw, "support": supported})
    return {"Code": "OK", "Success": True, "Data": {"queryResult": results}}


def query_send_statistics(ctx: ActionContext) -> dict[str, Any]:
    try:
        start = datetime.strptime(ctx.params["StartDate"], "%Y%m%d").date()
        end = datetime.strptime(ctx.params["EndDate"], "%Y%m%d").date()
    except ValueError:
        raise ctx.error("isv.INVALID_PARAMETERS", "参数异常: StartDate/EndDate must be yyyyMMdd") from None
    globe = ctx.get_int("IsGlobe")
    page, size = ctx.get_int("PageIndex") or 0, ctx.get_int("PageSize") or 0
    if globe not in (1, 2) or page < 1 or not 1 <= size <= 50 or end < start:
        raise ctx.error("isv.INVALID_PARAMETERS",
                        "参数异常: IsGlobe must be 1 or 2, PageIndex >= 1, PageSize 1-50, StartDate <= EndDate")
    wanted_type = ctx.get_int("TemplateType")
    type_names = {0: "verification", 1: "notification", 2: "promotion", 3: "international", 7: "digital"}
    sign = ctx.get("SignName")
    days: dict[str, dict[str, int]] = {}
    catalogue = ctx.backend.catalogue
    for message in ctx.backend.messages.query(account=ctx.account.name, provider=PROVIDER, sign=sign):
        day = datetime.fromtimestamp(message.sent_at, CHINA_TZ).date()
        if not start <= day <= end:
            continue
        phone = parse_phone(message.phone)
        if phone is None or phone.mainland != (globe == 1):
            continue
        template = catalogue.template(ctx.account.name, message.template or "")
        if wanted_type is not None and (template is None or template.type != type_names.get(wanted_type)):
            continue
        row = days.setdefault(day.strftime("%Y%m%d"), {"TotalCount": 0, "RespondedSuccessCount": 0,
                                                         "RespondedFailCount": 0, "NoRespondedCount": 0})
        row["TotalCount"] += 1
        field = {"delivered": "RespondedSuccessCount", "failed": "RespondedFailCount"}.get(message.status,
                                                                                          "NoRespondedCount")
        row[field] += 1
    ordered = [{"SendDate": d, **days[d]} for d in sorted(days)]
    return {**OK, "Data": {"TotalSize": len(ordered), "TargetList": ordered[(page - 1) * size: page * size]}}
