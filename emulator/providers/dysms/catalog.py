"""Every action dysmsapi has (version 2017-05-25), modelled here or not.

An action in this list that the product does not model answers `Emulator.ActionNotModelled` (a real API, not
a typo); a name outside it answers `InvalidAction.NotFound`, as the real gateway does. The list is the
installed SDK's own (80 actions); `tests/test_coverage.py` keeps the two equal and `docs/coverage.md`
is generated from it (`python -m emulator.tools.coverage`).
"""

REAL_ACTIONS: tuple[str, ...] = (
    "AddExtCodeSign", "AddRcsSignMenu", "AddShortUrl", "AddSmsSign", "AddSmsTemplate",
    "ChangeSignatureQualification", "CheckMobilesCardSupport", "ConversionDataIntl", "CreateCardSmsTemplate",
    "CreateDigitalSignOrder", "CreateDigitalSmsTemplate", "CreateRCSMobileCapableTask", "CreateRCSTemplate",
    "CreateSmartShortUrl", "CreateSmsAppIcpRecord", "CreateSmsAuthorizationLetter", "CreateSmsSign",
    "CreateSmsTemplate", "CreateSmsTrademark", "DeleteExtCodeSign", "DeleteShortUrl",
    "DeleteSmsQualification", "DeleteSmsSign", "DeleteSmsTemplate", "GetCardSmsDetails", "GetCardSmsLink",
    "GetMediaResourceId", "GetOSSInfoForCardTemplate", "GetOSSInfoForUploadFile", "GetQualificationOssInfo",
    "GetRCSSignature", "GetSmsOcrOssInfo", "GetSmsSign", "GetSmsTemplate", "GetSmsTemplateList",
    "ListTagResources", "ModifySmsSign", "ModifySmsTemplate", "QueryCardSmsTemplate",
    "QueryCardSmsTemplateReport", "QueryDigitalSignByName", "QueryExtCodeSign", "QueryMobilesCardSupport",
    "QueryPageSmartShortUrlLog", "QueryRCSMobileCapable", "QueryRCSMobileCapableTaskResult",
    "QueryRCSTemplate", "QueryRcsSignMenuByVersion", "QuerySendDetails", "QuerySendStatistics",
    "QueryShortUrl", "QuerySingleSmsQualification", "QuerySmsAppIcpRecord", "QuerySmsAuthorizationLetter",
    "QuerySmsQualificationRecord", "QuerySmsSign", "QuerySmsSignList", "QuerySmsTemplate",
    "QuerySmsTemplateList", "QuerySmsTrademark", "RequiredPhoneCode", "SendBatchCardSms", "SendBatchSms",
    "SendCardSms", "SendLogisticsSms", "SendRCS", "SendRCSReply", "SendSms", "SmsConversionIntl",
    "SubmitSmsQualification", "TagResources", "UntagResources", "UpdateExtCodeSign", "UpdateRCSSignature",
    "UpdateSmsQualification", "UpdateSmsSign", "UpdateSmsTemplate", "UpgradeToRCSSignature", "ValidPhoneCode",
    "VerifyLogisticsSmsMailNo",
)
