"""dypnsapi business errors.

Unlike dysmsapi (HTTP 200, the SDKs return the body), the Phone Number Verification Service documents its
SendSmsVerifyCode errors with **HTTP 400** (seed 002), so both SDK generations raise: tea `ClientException`
with `.code`, legacy `ServerException` with `get_error_code()`. Bodies carry `Success: false` (the product's
`error_fields`). English messages are the documented ones; codes without a documented text get a plain one.
"""

from __future__ import annotations

from emulator.core.errors import ErrorSpec, ErrorTable

DYPNS_ERRORS = ErrorTable.of("dypns", [
    # The five codes SendSmsVerifyCode's own page lists, all HTTP 400.
    ErrorSpec("MOBILE_NUMBER_ILLEGAL", 400, "The mobile number is illegal.", "手机号码格式错误",
              aliases=("isv.MOBILE_NUMBER_ILLEGAL",)),
    ErrorSpec("BUSINESS_LIMIT_CONTROL", 400, "The number has exceeded the limit for the day.", "触发号码天级流控",
              aliases=("isv.BUSINESS_LIMIT_CONTROL",)),
    ErrorSpec("FREQUENCY_FAIL", 400, "Check frequency fail.", "频控校验未通过 (resent inside Interval)"),
    ErrorSpec("INVALID_PARAMETERS", 400, "parameter is not valid.", "非法参数",
              aliases=("isv.INVALID_PARAMETERS",)),
    ErrorSpec("FUNCTION_NOT_OPENED", 400, "You have not opened this function.", "没有开通融合认证功能"),
    # Other documented codes of the service (api-catalog §3.3); reachable through scenarios.
    ErrorSpec("BIZ_NOT_OPEN_STATUS", 400, "The service is not activated.", "服务未开通"),
    ErrorSpec("NOT_SUPPORTED_CHANNEL", 400, "The channel is not supported.", "不支持的通道"),
    ErrorSpec("COUNTRY_BLACKLISTED", 400, "The country is blacklisted.", "国家/地区被禁止"),
    ErrorSpec("SECURITY_INTERCEPTED", 400, "The request is intercepted by security control.",
              "号码被风控拦截"),
    ErrorSpec("RESOURCE_NOT_ENOUGH", 400, "The resource is not enough.", "资源包或余额不足"),
    ErrorSpec("SENTINEL_BLOCK_EXCEPTION", 400, "The request is blocked by flow control.", "系统限流"),
    ErrorSpec("SMS_SYSTEM_ERROR", 500, "The SMS system is busy, please try again later.",
              "transient; retrying is reasonable", aliases=("SYSTEM_ERROR",)),
    ErrorSpec("isp.VERIFY_SCHEME_NOT_EXIST", 400, "The verify scheme does not exist.", "方案不存在",
              aliases=("VERIFY_SCHEME_NOT_EXIST", "isv.VERIFY_SCHEME_NOT_EXIST")),
    ErrorSpec("isv.PRODUCT_UNSUBSCRIBE", 400, "The product is not subscribed.", "产品未开通",
              aliases=("PRODUCT_UNSUBSCRIBE",)),
    ErrorSpec("isv.OUT_OF_SERVICE", 400, "The account is out of service.", "业务停机", aliases=("OUT_OF_SERVICE",)),
    ErrorSpec("isv.RAM_PERMISSION_DENY", 400, "RAM permission denied.", "RAM权限DENY",
              aliases=("RAM_PERMISSION_DENY",)),
    ErrorSpec("isv.SCENE_QUERY_FAIL", 400, "Failed to query the scene.", "场景查询失败",
              aliases=("SCENE_QUERY_FAIL",)),
])

#: Receipt codes of the messages SendSmsVerifyCode sends (the same carrier codes as dysmsapi).
DELIVERED = "DELIVERED"
DEFAULT_FAILURE = "MN:0001"      # 空号: the number does not exist
