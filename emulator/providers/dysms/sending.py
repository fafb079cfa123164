"""What every dysmsapi send shares: sign and template checks, rendering, frequency control, billing."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.core.fixtures import Sign, Template
from emulator.core.limits import windows_from
from emulator.core.messages import Message
from emulator.core.outbox import accept_message
from emulator.core.phones import Phone
from emulator.core.templates import render, segments, variables
from emulator.protocols.aliyun.product import ActionContext
from emulator.providers.dysms.errors import DEFAULT_FAILURE, DELIVERED
from emulator.providers.dysms.params import has_url

PROVIDER = "dysms"
TEXT_TYPES = frozenset({"verification", "notification", "promotion", "international"})
_WINDOW_TEXT = {"minute": "分钟级", "hour": "小时级", "day": "天级"}


@dataclass
class Outgoing:
    """One message about to be accepted."""

    phone: Phone
    sign: Sign
    template: Template
    params: dict[str, str]
    content: str
    extra: dict[str, object] | None = None


def check_sign(ctx: ActionContext, name: str) -> Sign:
    sign = ctx.backend.catalogue.sign(ctx.account.name, name)
    if sign is None or sign.status in ("pending", "rejected", "cancelled"):
        raise ctx.error("isv.SMS_SIGNATURE_ILLEGAL", f"签名不合法(不存在或被拉黑): {name[:40]}")
    if sign.status == "disabled":
        raise ctx.error("isv.SIGN_STATE_ILLEGAL")
    return sign


def check_template(ctx: ActionContext, code: str, kinds: frozenset[str], sign: Sign | None = None) -> Template:
    template = ctx.backend.catalogue.template(ctx.account.name, code)
    if template is None or not template.usable or template.type not in kinds:
        raise ctx.error("isv.SMS_TEMPLATE_ILLEGAL", f"模板不合法(不存在或被拉黑): {code[:40]}")
    if sign is not None and sign.scene == "verification" and template.type not in ("verification", "card", "digital"):
        raise ctx.error("isv.SMS_SIGNATURE_SCENE_ILLEGAL")
    return template


def render_checked(ctx: ActionContext, sign: Sign, template: Template, values: dict[str, str]) -> str:
    missing = [name for name in variables(template.content) if not values.get(name)]
    if missing:
        raise ctx.error("isv.TEMPLATE_MISSING_PARAMETERS", f"模板缺少变量: {', '.join(missing)}")
    too_long = [k for k, v in values.items() if len(v) > template.max_param_length]
    if too_long:
        raise ctx.error("isv.PARAM_LENGTH_LIMIT",
                        f"参数超出长度限制: {', '.join(too_long)} > {template.max_param_length}")
    if has_url(values):
        raise ctx.error("isv.PARAM_NOT_SUPPORT_URL")
    return f"【{sign.name}】{render(template.content, values)}"


def check_number_kinds(ctx: ActionContext, template: Template, phones: list[Phone]) -> None:
    international = template.type == "international"
    for phone in phones:
        if international and phone.mainland:
            raise ctx.error("isv.DOMESTIC_NUMBER_NOT_SUPPORTED")
        if not international and not phone.mainland:
            raise ctx.error("isv.MOBILE_NUMBER_ILLEGAL", f"非法手机号: {phone.raw[:32]} is not a mainland number")


def accept_all(ctx: ActionContext, outgoing: list[Outgoing], biz_id: str) -> list[Message]:
    """Frequency control, balance and acceptance for one request, all or nothing.

    Nothing between the checks and the recording awaits, so concurrent requests cannot both slip under a
    limit or spend the same balance.
    """
    backend, account = ctx.backend, ctx.account
    now = backend.clock.now()
    limits = ctx.limits()
    # frequency-control key -> [the windows it is held to, how many of this request's messages count]
    keys: dict[tuple[str, ...], list] = {}
    for item in outgoing:
        if item.template.type == "verification":
            key, category = ("dysms", account.name, item.phone.number, item.sign.name), "verification"
        else:
            key = ("dysms", account.name, item.phone.number, item.sign.name, item.template.code)
            category = "notification"
        entry = keys.get(key)
        if entry is None:
            keys[key] = [windows_from(limits.get(category)), 1]
        else:
            entry[1] += 1
    for key, (windows, count) in keys.items():
        window = backend.limits.check(key, windows, now, count)
        if window is not None:
            raise ctx.error("isv.BUSINESS_LIMIT_CONTROL", f"触发{_WINDOW_TEXT[window.name]}流控Permits:{window.limit}")
    cost = sum(segments(item.content) for item in outgoing)
    if not backend.accounts.can_afford(account, cost):
        raise ctx.error("isv.AMOUNT_NOT_ENOUGH")
    for key, (windows, count) in keys.items():
        if windows:
            backend.limits.record(key, now, count)
    backend.accounts.charge(account, cost)
    out_id = ctx.get("OutId")
    return [
        accept_message(backend, ctx.call, phone=item.phone.number, content=item.content, sign=item.sign.name,
                       template=item.template.code, params=item.params, biz_id=biz_id, out_id=out_id,
                       request_id=ctx.request_id, verification=item.template.type == "verification",
                       success_code=DELIVERED, failure_code=DEFAULT_FAILURE, extra=item.extra)
        for item in outgoing
    ]
