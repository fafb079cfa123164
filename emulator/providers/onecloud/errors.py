"""sms.1oc.cn answer codes and delivery-report stats.

The gateway always answers HTTP 200 with `{"code": N, "msg": "...", "mid": "..."}`; `N` is a result code inside
the body. The provider's sheet documents only 200 (`ok`) and 400 (`校验失败`, a bad AppSecret); the other
codes below are the emulator's own choice (documented in the README) so that every failure an application can
cause is distinguishable. The aliases let scenario rules written for Alibaba (`MOBILE_NUMBER_ILLEGAL`,
`BUSINESS_LIMIT_CONTROL`, `AMOUNT_NOT_ENOUGH` ...) resolve for this provider too.
"""

from __future__ import annotations

import re

from emulator.core.errors import ErrorSpec, ErrorTable


def _spec(code: int, message: str, description: str, *aliases: str) -> ErrorSpec:
    return ErrorSpec(str(code), 200, message, description, aliases=aliases)


OK_CODE = 200
OK_MESSAGE = "ok"

ONECLOUD_ERRORS = ErrorTable.of("onecloud", [
    _spec(400, "校验失败", "Authorization header missing or not a known AppSecret (documented by the provider)",
          "AUTH_FAILED", "INVALID_APPSECRET", "SignatureDoesNotMatch", "InvalidAccessKeyId.NotFound"),
    _spec(404, "接口不存在", "module/file/action is not sms/send/send", "INVALID_ACTION", "InvalidAction.NotFound"),
    _spec(405, "请求方式错误", "HTTP method other than GET or POST", "METHOD_NOT_ALLOWED", "UnsupportedHTTPMethod"),
    _spec(410, "手机号码不能为空", "mobphone missing or empty", "MOBILE_NUMBER_EMPTY"),
    _spec(411, "手机号码格式错误", "mobphone is not one mainland China mobile number", "MOBILE_NUMBER_ILLEGAL"),
    _spec(412, "短信模板不存在", "smstemplate missing or not a template of the fixtures",
          "SMS_TEMPLATE_ILLEGAL", "TEMPLATE_NOT_FOUND"),
    _spec(413, "模板变量不能为空", "code missing or empty while the template has a variable",
          "TEMPLATE_MISSING_PARAMETERS"),
    _spec(414, "参数不合法", "a value is too long, not UTF-8, or returnurl is not an http(s) URL",
          "INVALID_PARAMETERS", "PARAM_LENGTH_LIMIT", "INVALID_JSON_PARAM", "InvalidParameter"),
    _spec(420, "余额不足", "the application's balance does not cover the message's segments",
          "AMOUNT_NOT_ENOUGH", "OUT_OF_SERVICE"),
    _spec(421, "发送频率过快", "frequency or QPS control (scenario rule or the account's qps)",
          "BUSINESS_LIMIT_CONTROL", "DAY_LIMIT_CONTROL", "MONTH_LIMIT_CONTROL", "Throttling.User"),
    _spec(500, "系统繁忙", "transient failure (scenario rules only); retrying is reasonable",
          "SYSTEM_ERROR", "InternalError", "ServiceUnavailable"),
])

#: Longest `code` value accepted (a verification or pickup code, not free text).
MAX_CODE_LENGTH = 32

# Delivery-report stats -------------------------------------------------------------------------------------

DELIVERED = "DELIVRD"
#: Stat of a failed delivery when the scenario names none (13800000003): the number is not deliverable.
DEFAULT_FAILURE = "MA:0005"

#: Every stat the provider's sheet lists, with its text; `MO:NNNN` (any upstream gateway value) is valid too.
STATS: dict[str, str] = {
    "DELIVRD": "短信投递成功",
    "EXPIRED": "Message validity period has expired",
    "DELETED": "Message has been deleted.",
    "REJECTED": "Message is in a rejected state",
    "MA:0001": "全局黑名单号码",
    "MA:0002": "内容非法",
    "MA:0003": "无法找到下级路由",
    "MA:0004": "错误的内容长度",
    "MA:0005": "目的号码格式错误",
    "MA:0006": "系统拒绝",
    "MA:0009": "未定义错误",
    "MA:0011": "未知系统内部错误",
    "MA:0015": "余额不足",
    "MA:0017": "签名无效",
    "MA:0021": "号码格式错误",
    "MA:0022": "下发次数限制",
    "MA:0023": "客户黑名单号码",
    "MA:0024": "内容未报备",
    "MA:0025": "不支持该短信",
    "MA:0026": "分条发送，组包超时",
    "MA:0027": "通道黑名单",
    "MA:0028": "全局黑名单号段",
    "MA:0029": "通道黑名单号段",
    "MA:0030": "直接产生拒绝报告",
    "MA:0033": "地区拦截",
    "MA:0044": "号段拦截",
    "MO:200": "不支持分条短信",
    "MO:0254": "转发提交超时",
    "MO:0255": "转发提交过程中，连接断开",
}
_UPSTREAM = re.compile(r"MO:\d{1,4}")


def is_stat(code: str) -> bool:
    """Whether a report may carry `code` as its `stat`."""
    return code in STATS or _UPSTREAM.fullmatch(code) is not None


def resolve_code(code: str) -> ErrorSpec | None:
    """A scenario's error code in this table: a code, an alias, or `isv.X`/`isp.X` whose `X` is one."""
    spec = ONECLOUD_ERRORS.resolve(code)
    if spec is None and "." in code:
        spec = ONECLOUD_ERRORS.resolve(code.split(".", 1)[1])
    return spec


def report_stat(delivered: bool, err_code: str | None) -> str:
    """The `stat` of a report: the scenario's code when it is a 1oc stat, else the default for the outcome.

    A scenario rule without a provider filter may name an Alibaba receipt code (`MN:0001`); 1oc never sends
    those, so the report falls back to this provider's own default.
    """
    if err_code and is_stat(err_code):
        return err_code
    return DELIVERED if delivered else DEFAULT_FAILURE
