"""Every action dypnsapi has (version 2017-05-25), modelled here or not.

An action in this list that the product does not model answers `Emulator.ActionNotModelled` (a real API, not
a typo); a name outside it answers `InvalidAction.NotFound`, as the real gateway does. The list is the
installed SDK's own (19 actions); `tests/test_coverage.py` keeps the two equal and `docs/coverage.md`
is generated from it (`python -m emulator.tools.coverage`).
"""

REAL_ACTIONS: tuple[str, ...] = (
    "CheckSmsVerifyCode", "CreateSchemeConfig", "CreateVerifyScheme", "DeleteVerifyScheme",
    "DescribeVerifyScheme", "GetAuthToken", "GetAuthorizationUrl", "GetFusionAuthToken", "GetMobile",
    "GetPhoneWithToken", "GetSmsAuthTokens", "QueryGateVerifyBillingPublic", "QueryGateVerifyStatisticPublic",
    "QuerySendDetails", "SendSmsVerifyCode", "VerifyMobile", "VerifyPhoneWithToken", "VerifySmsCode",
    "VerifyWithFusionAuthToken",
)
