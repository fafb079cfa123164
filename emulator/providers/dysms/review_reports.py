"""Alibaba's review reports: TemplateSmsReport and SignSmsReport, pushed when a review ends.

Documented shape (help.aliyun.com 120999 / 120998): a JSON array of one item per request, to the receivers
configured for "模板审核状态消息" and "签名审核状态消息" (here `receipts.template_report`, `receipts.sign_report`),
answered `{"code": 0}` with HTTP 200, re-pushed after 1, 5 and 10 minutes otherwise: the callback dispatcher's
Alibaba rule, as for delivery reports. The documented states are approving, approved and rejected; a review
ends approved or rejected, so those two are pushed (a cancelled application ends no review and is not).
"""

from __future__ import annotations

from typing import Any

from emulator.core.backend import Backend
from emulator.core.catalogue import Item
from emulator.core.fixtures import Sign, Template
from emulator.providers.dysms.receipts import RULE

TEMPLATE_REPORT = "TemplateSmsReport"
SIGN_REPORT = "SignSmsReport"
#: The reports name template types and sign sources in words, as the console does (the documented examples:
#: "验证码", "公众号", "企事业单位的全称或简称").
TEMPLATE_TYPE_WORDS = {"verification": "验证码", "notification": "短信通知", "promotion": "推广短信",
                       "international": "国际/港澳台消息", "card": "短信通知", "digital": "短信通知"}
#: SignSource 0-5 of the sign APIs
SIGN_SOURCE_WORDS = ("企事业单位的全称或简称", "工信部备案网站的全称或简称", "App应用的全称或简称",
                     "公众号或小程序的全称或简称", "电商平台店铺名的全称或简称", "商标名的全称或简称")
SIGN_SCENE_WORDS = {"verification": "验证码", "general": "通用"}
REPORTED = {"approved": "approved", "rejected": "rejected"}


def template_report_item(template: Template) -> dict[str, Any]:
    return {"template_type": TEMPLATE_TYPE_WORDS.get(template.type, "短信通知"), "reason": template.reason,
            "template_name": template.name, "orderId": template.order_id, "template_content": template.content,
            "template_status": REPORTED[template.status], "remark": template.remark,
            "template_code": template.code, "create_date": template.created}


def sign_report_item(sign: Sign) -> dict[str, Any]:
    source = SIGN_SOURCE_WORDS[sign.source] if 0 <= sign.source < len(SIGN_SOURCE_WORDS) else SIGN_SOURCE_WORDS[0]
    return {"sign_source": source, "reason": sign.reason, "sign_name": sign.name, "orderId": sign.order_id,
            "sign_status": REPORTED[sign.status], "remark": sign.remark,
            "sign_scene": SIGN_SCENE_WORDS.get(sign.scene, "通用"), "create_date": sign.created}


def install(backend: Backend) -> None:
    """Every review decision (the virtual clock's, an admin call's or a scenario's) queues its report."""

    def on_review(account_name: str, item: Item, kind: str) -> None:
        if item.status not in REPORTED:
            return
        account = backend.accounts.get(account_name)
        receipt = "template_report" if kind == "template" else "sign_report"
        url = account.receipts.get(receipt) if account else None
        if not url:
            return
        if isinstance(item, Template):
            backend.callbacks.enqueue(url, [template_report_item(item)], kind=TEMPLATE_REPORT, rule=RULE,
                                      account=account_name)
        else:
            backend.callbacks.enqueue(url, [sign_report_item(item)], kind=SIGN_REPORT, rule=RULE,
                                      account=account_name)

    backend.catalogue.on_review(on_review)
