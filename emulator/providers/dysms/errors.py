"""dysmsapi business errors: HTTP 200 with `{Code, Message, RequestId}` (the SDKs return them normally)."""

from __future__ import annotations

import re

from emulator.core.errors import ErrorSpec, ErrorTable


def _isv(code: str, message: str, description: str = "") -> ErrorSpec:
    """`isv.X` codes may be named `X` in scenarios."""
    short = code.split(".", 1)[1]
    return ErrorSpec(code, 200, message, description, aliases=(short,))


DYSMS_ERRORS = ErrorTable.of("dysms", [
    _isv("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10", "per-number frequency control"),
    _isv("isv.DAY_LIMIT_CONTROL", "触发日发送限额", "account daily total reached"),
    _isv("isv.MONTH_LIMIT_CONTROL", "触发月发送限额", "account monthly total reached"),
    _isv("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", "malformed number"),
    _isv("isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制", "more than 1000 (SendSms) / 100 (batch) numbers"),
    _isv("isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量", "TemplateParam lacks a variable"),
    _isv("isv.TEMPLATE_PARAMS_ILLEGAL", "模板变量里包含非法关键字", "a variable value does not fit"),
    _isv("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值", "TemplateParam not a JSON object of strings"),
    _isv("isv.INVALID_PARAMETERS", "参数异常", "other parameter problems"),
    _isv("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法(不存在或被拉黑)", "unknown or unapproved template"),
    _isv("isv.SMS_SIGNATURE_ILLEGAL", "签名不合法(不存在或被拉黑)", "unknown or unapproved signature"),
    _isv("isv.SMS_SIGNATURE_SCENE_ILLEGAL", "签名和模板类型不一致", "verification sign with another template type"),
    _isv("isv.SIGN_STATE_ILLEGAL", "签名状态为“不可用”", "signature disabled"),
    _isv("isv.SMS_SIGN_ILLEGAL", "签名禁止使用", "signature banned"),
    _isv("isv.SMS_CONTENT_ILLEGAL", "短信内容包含禁止发送内容", "forbidden content"),
    _isv("isv.BLACK_KEY_CONTROL_LIMIT", "黑名单管控", "blacklisted keyword"),
    _isv("isv.PARAM_LENGTH_LIMIT", "参数超出长度限制", "variable too long"),
    _isv("isv.PARAM_NOT_SUPPORT_URL", "不支持URL", "URL in a variable"),
    _isv("isv.EXTEND_CODE_ERROR", "扩展码使用错误，相同的扩展码不可用于多个签名", "extension code reused"),
    _isv("isv.DOMESTIC_NUMBER_NOT_SUPPORTED", "国际/港澳台消息模板不支持发送境内号码", "international template"),
    _isv("isv.DENY_IP_RANGE", "源IP地址所在的地区被禁用", "caller IP outside the mainland"),
    _isv("isv.AMOUNT_NOT_ENOUGH", "账户余额不足", "balance too low"),
    _isv("isv.OUT_OF_SERVICE", "业务停机", "account in arrears"),
    _isv("isv.PRODUCT_UN_SUBSCRIPT", "未开通云通信产品的阿里云客户", "SMS service not activated"),
    _isv("isv.PRODUCT_UNSUBSCRIBE", "产品未开通", "product not activated"),
    _isv("isv.ACCOUNT_NOT_EXISTS", "账户不存在", ""),
    # Template and sign management (codes from Aliyun's error list; texts unverified, see protocol-notes)
    _isv("isv.TEMPLATE_COUNT_OVER_LIMIT", "模板申请数量超过限制", "more than 100 template applications today"),
    _isv("isv.TEMPLATE_OVER_LIMIT", "模板名称、内容或备注超过长度限制", "name > 30, content > 500 characters"),
    _isv("isv.SIGN_COUNT_OVER_LIMIT", "签名申请数量超过限制", "daily sign applications exceeded"),
    _isv("isv.SIGN_OVER_LIMIT", "签名名称或申请说明超过长度限制", "sign name > 12 or remark > 200 characters"),
    _isv("isv.SIGN_NAME_ILLEGAL", "签名名称不符合规范", "sign name too short or already taken"),
    _isv("isv.ACCOUNT_ABNORMAL", "账户异常", ""),
    ErrorSpec("isp.RAM_PERMISSION_DENY", 200, "RAM权限DENY", aliases=("RAM_PERMISSION_DENY",)),
    ErrorSpec("isp.SYSTEM_ERROR", 200, "系统错误", "transient; retrying is reasonable", aliases=("SYSTEM_ERROR",)),
    ErrorSpec("ForbiddenAction", 200, "Access to the account is denied. Please contact the administrator.",
              "card SMS not enabled for the account (SendCardSms)"),
])

#: The code each refusal of the catalogue (`CatalogueError.reason`) answers with, per kind of item. The real
#: codes for "not in a state that allows this" are not documented; see docs/protocol-notes.md.
CATALOGUE_REFUSALS: dict[tuple[str, str], str] = {
    ("template", "missing"): "isv.SMS_TEMPLATE_ILLEGAL",
    ("template", "not_rejected"): "isv.SMS_TEMPLATE_ILLEGAL",
    ("template", "under_review"): "isv.SMS_TEMPLATE_ILLEGAL",
    ("template", "daily_cap"): "isv.TEMPLATE_COUNT_OVER_LIMIT",
    ("template", "spacing"): "isv.BUSINESS_LIMIT_CONTROL",
    ("sign", "missing"): "isv.SMS_SIGNATURE_ILLEGAL",
    ("sign", "not_rejected"): "isv.SMS_SIGNATURE_ILLEGAL",
    ("sign", "under_review"): "isv.SMS_SIGNATURE_ILLEGAL",
    ("sign", "exists"): "isv.SIGN_NAME_ILLEGAL",
}

#: The code and text each refusal of the short-URL book (`ShortUrlError.reason`) answers with. No source
#: documents codes for short URLs, so these are the nearest documented ones (docs/protocol-notes.md, "Short URLs").
SHORT_URL_REFUSALS: dict[str, tuple[str, str]] = {
    "missing": ("isv.INVALID_PARAMETERS", "短链不存在"),
    "days": ("isv.INVALID_PARAMETERS", "短链有效期超过范围"),
    "daily_cap": ("isv.BUSINESS_LIMIT_CONTROL", "短链每日生成数量超过限制"),
    "stored_cap": ("isv.BUSINESS_LIMIT_CONTROL", "短链数量超过限制"),
}

#: Receipt codes QuerySendDetails and SmsReport show.
DELIVERED = "DELIVERED"
DEFAULT_FAILURE = "MN:0001"      # 空号: the number does not exist
RECEIPT_TEXTS = {DELIVERED: "用户接收成功", "MN:0001": "空号", "UNDELIV": "无法送达", "EXPIRED": "短信超时",
                 "REJECTD": "运营商拒绝", "MK:0000": "关机", "IC:0001": "黑名单"}
#: Carrier status words a failed SmsReport may carry besides `XX:NNNN` codes.
FAILURE_WORDS = frozenset({"UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN", "DTBLACK", "MBBLACK"})
_CARRIER_CODE = re.compile(r"[A-Z]{2,4}:[0-9A-Z]{1,6}")


def is_receipt_code(code: str) -> bool:
    """Whether a failed delivery's receipt (SmsReport `err_code`, QuerySendDetails `ErrCode`) may be `code`.

    Alibaba passes the carriers' codes through (`MN:0001` 空号, `MK:0000` 关机, `IC:0001` 黑名单 ...), so any
    code of that shape is plausible; a typo such as `MN0001` or `delivered` is not.
    """
    return code in FAILURE_WORDS or (code != DELIVERED and _CARRIER_CODE.fullmatch(code) is not None)
