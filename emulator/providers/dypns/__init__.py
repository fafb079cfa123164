"""dypnsapi (Alibaba Cloud Phone Number Verification Service, version 2017-05-25): SMS codes, STS tokens, and
number authentication (one-click login, number verification, H5, fusion) with its verify schemes."""

from __future__ import annotations

from emulator.protocols.aliyun.product import (
    EXTEND_CODE_LENGTH,
    OUT_ID_LENGTH,
    TEMPLATE_PARAM_LENGTH,
    ActionSpec,
    AliyunProduct,
    Param,
    given,
    numbers_in,
)
from emulator.providers.dypns import actions, number_auth, schemes
from emulator.providers.dypns.catalog import REAL_ACTIONS
from emulator.providers.dypns.errors import DYPNS_ERRORS


def build() -> AliyunProduct:
    product = AliyunProduct(code="dypns", host="dypnsapi.aliyuncs.com", product="Dypnsapi",
                            version="2017-05-25", catalog=REAL_ACTIONS, errors=DYPNS_ERRORS,
                            # The service's error bodies say Success:false, as its success bodies say true.
                            error_fields={"Success": False}, length_error="INVALID_PARAMETERS")
    out_id = Param("OutId", max_length=OUT_ID_LENGTH)
    product.action(ActionSpec(
        "SendSmsVerifyCode", actions.send_sms_verify_code,
        (Param("SchemeName"), Param("CountryCode"), Param("PhoneNumber", True), Param("SignName", True),
         Param("TemplateCode", True), Param("TemplateParam", True, max_length=TEMPLATE_PARAM_LENGTH),
         Param("SmsUpExtendCode", max_length=EXTEND_CODE_LENGTH), out_id,
         Param("CodeLength", kind="int"), Param("ValidTime", kind="int"), Param("DuplicatePolicy", kind="int"),
         Param("Interval", kind="int"), Param("CodeType", kind="int"), Param("ReturnVerifyCode", kind="bool"),
         Param("AutoRetry", kind="int")),
        phones=numbers_in("PhoneNumber"), signs=given("SignName"), template_param="TemplateCode"))
    product.action(ActionSpec(
        "CheckSmsVerifyCode", actions.check_sms_verify_code,
        (Param("PhoneNumber", True), Param("VerifyCode", True), Param("SchemeName"), Param("CountryCode"),
         out_id, Param("CaseAuthPolicy", kind="int")),
        phones=numbers_in("PhoneNumber")))
    product.action(ActionSpec(
        "GetSmsAuthTokens", actions.get_sms_auth_tokens,
        (Param("OsType", True), Param("SceneCode", True), Param("SmsTemplateCode", True),
         Param("Expire", True, "int"), Param("SignName"), Param("PackageName"), Param("BundleId"),
         Param("SmsCodeExpire", kind="int")),
        signs=given("SignName"), template_param="SmsTemplateCode"))
    number_auth.register(product)
    schemes.register(product)
    return product
