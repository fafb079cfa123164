"""dysmsapi (Alibaba Cloud Short Message Service, version 2017-05-25)."""

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
from emulator.providers.dysms import actions, shorturls, signs, templates
from emulator.providers.dysms.catalog import REAL_ACTIONS
from emulator.providers.dysms.errors import DYSMS_ERRORS
from emulator.providers.dysms.params import (
    phones_of_batch,
    phones_of_card,
    phones_of_card_check,
    signs_of_batch,
)


def build() -> AliyunProduct:
    product = AliyunProduct(code="dysms", host="dysmsapi.aliyuncs.com", product="Dysmsapi",
                            version="2017-05-25", catalog=REAL_ACTIONS, errors=DYSMS_ERRORS)
    out_id = Param("OutId", max_length=OUT_ID_LENGTH)
    product.action(ActionSpec(
        "SendSms", actions.send_sms,
        (Param("PhoneNumbers", True), Param("SignName", True), Param("TemplateCode", True),
         Param("TemplateParam", max_length=TEMPLATE_PARAM_LENGTH),
         Param("SmsUpExtendCode", max_length=EXTEND_CODE_LENGTH), out_id),
        phones=numbers_in("PhoneNumbers"), signs=given("SignName"), template_param="TemplateCode"))
    product.action(ActionSpec(
        "SendBatchSms", actions.send_batch_sms,
        (Param("PhoneNumberJson", True), Param("SignNameJson", True), Param("TemplateCode", True),
         Param("TemplateParamJson"), Param("SmsUpExtendCodeJson"), out_id),
        phones=phones_of_batch, signs=signs_of_batch, template_param="TemplateCode"))
    product.action(ActionSpec(
        "QuerySendDetails", actions.query_send_details,
        (Param("PhoneNumber", True), Param("SendDate", True), Param("PageSize", True, "int"),
         Param("CurrentPage", True, "int"), Param("BizId")),
        phones=numbers_in("PhoneNumber")))
    product.action(ActionSpec(
        "SendCardSms", actions.send_card_sms,
        (Param("CardTemplateCode", True), Param("SignName", True), Param("FallbackType"),
         Param("SmsTemplateCode"), Param("DigitalTemplateCode"), out_id),
        phones=phones_of_card, signs=given("SignName"), template_param="CardTemplateCode"))
    product.action(ActionSpec(
        "CheckMobilesCardSupport", actions.check_mobiles_card_support, (Param("TemplateCode", True),),
        phones=phones_of_card_check, template_param="TemplateCode"))
    product.action(ActionSpec(
        "QuerySendStatistics", actions.query_send_statistics,
        (Param("IsGlobe", True, "int"), Param("StartDate", True), Param("EndDate", True),
         Param("PageIndex", True, "int"), Param("PageSize", True, "int"), Param("TemplateType", kind="int"))))
    templates.register(product)
    signs.register(product)
    shorturls.register(product)
    return product
