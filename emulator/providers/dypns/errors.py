"""dypnsapi business errors.

Two families share the product. The SMS-verification APIs (SendSmsVerifyCode, CheckSmsVerifyCode) document
their un-prefixed codes with **HTTP 400** (seed 002), so both SDK generations raise: tea `ClientException` with
`.code`, legacy `ServerException` with `get_error_code()`. The older number-authentication APIs (GetMobile,
VerifyMobile, the H5 and scheme actions) answer with the `isv.`/`isp.` codes of their "API返回码" page, which
here come back as **HTTP 200** with the code in the body, like dysmsapi's (docs/protocol-notes.md says why):
application code checks `body.code`. So `INVALID_PARAMETERS` (400) and `isv.INVALID_PARAMETERS` (200) are two
codes, not aliases. Bodies carry `Success: false` (the product's `error_fields`; the models without a Success
member ignore it). English messages are the documented ones; codes without a documented text get a plain one.
"""

from __future__ import annotations

from emulator.core.errors import ErrorSpec, ErrorTable

DYPNS_ERRORS = ErrorTable.of("dypns", [
    # The five codes SendSmsVerifyCode's own page lists, all HTTP 400.
    ErrorSpec("MOBILE_NUMBER_ILLEGAL", 400, "The mobile number is illegal.", "手机号码格式错误"),
    ErrorSpec("BUSINESS_LIMIT_CONTROL", 400, "The number has exceeded the limit for the day.", "触发号码天级流控",
              aliases=("isv.BUSINESS_LIMIT_CONTROL",)),
    ErrorSpec("FREQUENCY_FAIL", 400, "Check frequency fail.", "频控校验未通过 (resent inside Interval)"),
    ErrorSpec("INVALID_PARAMETERS", 400, "parameter is not valid.", "非法参数"),
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
              aliases=("VERIFY_SCHEME_NOT_EXIST",)),
    # Number authentication (API返回码, reference §2.4): HTTP 200, the code in the body.
    ErrorSpec("isv.TOKEN_INVALID", 200, "Token无效或已过期", "the token expired, was spent, or is not this account's"),
    ErrorSpec("isv.TOKEN_UNAUTHORIZED_USED", 200, "Token未授权使用",
              "a number-verification token presented to a login API", aliases=("TOKEN_UNAUTHORIZED_USED",)),
    ErrorSpec("isv.PARAMETERS_MISMATCH", 200, "号码与运营商不匹配",
              "the typed number belongs to another carrier than the SIM's", aliases=("PARAMETERS_MISMATCH",)),
    ErrorSpec("isv.INVALID_PARAMETERS", 200, "参数不合法", "missing or malformed token, number or scheme fields"),
    ErrorSpec("isv.MOBILE_NUMBER_ILLEGAL", 200, "号码格式错误", "the typed number is no mainland mobile number"),
    ErrorSpec("isv.SCENE_QUERY_FAIL", 200, "场景查询失败", "GetAuthToken with a SceneCode the account has no "
              "H5 scheme for", aliases=("SCENE_QUERY_FAIL",)),
    ErrorSpec("isv.VERIFY_SCHEME_NOT_EXIST", 200, "方案不存在", "no verify scheme with that code"),
    ErrorSpec("isv.VERIFY_SCHEME_CONFLICT", 200, "方案名称冲突", "a scheme of that name exists",
              aliases=("VERIFY_SCHEME_CONFLICT",)),
    ErrorSpec("isv.PACK_SIGN_CONFLICT", 200, "包名与签名冲突", "another scheme has that package name and signature",
              aliases=("PACK_SIGN_CONFLICT",)),
    ErrorSpec("isv.BUNDLE_ID_CONFLICT", 200, "BundleId冲突", "another scheme has that bundle id",
              aliases=("BUNDLE_ID_CONFLICT",)),
    ErrorSpec("isv.PRODUCT_UNSUBSCRIBE", 200, "产品未开通", aliases=("PRODUCT_UNSUBSCRIBE",)),
    ErrorSpec("isv.PRODUCT_UN_SUBSCRIPT", 200, "产品未开通", aliases=("PRODUCT_UN_SUBSCRIPT",)),
    ErrorSpec("isv.OUT_OF_SERVICE", 200, "业务停机", aliases=("OUT_OF_SERVICE",)),
    ErrorSpec("isv.RAM_PERMISSION_DENY", 200, "RAM权限DENY", aliases=("RAM_PERMISSION_DENY",)),
    ErrorSpec("isv.INVALID_APP", 200, "应用不合法", aliases=("INVALID_APP",)),
    ErrorSpec("isv.CSRF_CHECK_FAILED", 200, "CSRF校验失败", aliases=("CSRF_CHECK_FAILED",)),
    ErrorSpec("isv.ACCESS_CODE_ILLEGAL", 200, "AccessCode不合法", aliases=("ACCESS_CODE_ILLEGAL",)),
    ErrorSpec("isp.SYSTEM_ERROR", 200, "系统错误", "transient; reachable through scenarios"),
    ErrorSpec("isp.QPS_LIMIT", 200, "QPS超限", "reachable through scenarios", aliases=("QPS_LIMIT",)),
])

#: Receipt codes of the messages SendSmsVerifyCode sends (the same carrier codes as dysmsapi).
DELIVERED = "DELIVERED"
DEFAULT_FAILURE = "MN:0001"      # 空号: the number does not exist
