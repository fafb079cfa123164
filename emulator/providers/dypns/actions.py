"""dypnsapi actions: each takes an `ActionContext` and returns the response fields besides RequestId.

The flows a login-by-SMS application runs: send a code the service generates (SendSmsVerifyCode), check
what the user typed (CheckSmsVerifyCode), and hand a mobile app short-lived STS credentials
(GetSmsAuthTokens). Codes live in `backend.codes`, on the virtual clock.
"""

from __future__ import annotations

import json
from typing import Any

from emulator.core.accounts import StsCredential
from emulator.core.bounds import loads_json
from emulator.core.codes import KEEP, OVERWRITE, Scope
from emulator.core.fixtures import Sign, Template
from emulator.core.limits import Window
from emulator.core.outbox import accept_message
from emulator.core.phones import Phone, parse_phone
from emulator.core.templates import render, segments, variables
from emulator.protocols.aliyun.product import ActionContext
from emulator.providers.dypns.errors import DEFAULT_FAILURE, DELIVERED

PROVIDER = "dypns"
#: Signs and templates a user created in the SMS console (dysmsapi fixtures) may be used too, but never mixed
#: with the system ones the Phone Number Verification console hands out.
CUSTOM_PROVIDER = "dysms"
DEFAULT_SCHEME = "默认方案"
MAX_SCHEME_LENGTH = 20
COUNTRY_CODE = "86"
PLACEHOLDER = "##code##"
DEFAULT_VALID_TIME = 300
DEFAULT_INTERVAL = 60
CODE_LENGTHS = range(4, 9)
CODE_TYPES = range(1, 8)
#: GetSmsAuthTokens' Expire bounds (seconds) and SmsCodeExpire's default.
EXPIRE_RANGE = range(900, 43200 + 1)
DEFAULT_SMS_CODE_EXPIRE = 180
#: Shapes of real STS values (seed 000): `STS.` + 25 characters, a 44-character secret, a base64 token.
STS_ID_LENGTH = 25
STS_SECRET_LENGTH = 44
STS_TOKEN_LENGTH = 560
BIZ_TOKEN_LENGTH = 256

SUCCESS = {"Code": "OK", "Message": "成功", "Success": True, "AccessDeniedDetail": ""}


# SendSmsVerifyCode -------------------------------------------------------------------------------------

def send_sms_verify_code(ctx: ActionContext) -> dict[str, Any]:
    _require_function(ctx)
    scope = _scope(ctx)
    phone = scope[3]
    sign, template = _sign_and_template(ctx)
    code_length = _ranged(ctx, "CodeLength", 4, CODE_LENGTHS)
    code_type = _ranged(ctx, "CodeType", 1, CODE_TYPES)
    valid_time = _ranged(ctx, "ValidTime", DEFAULT_VALID_TIME, range(1, 2**31))
    interval = _ranged(ctx, "Interval", DEFAULT_INTERVAL, range(0, 2**31))
    policy = _ranged(ctx, "DuplicatePolicy", OVERWRITE, range(OVERWRITE, KEEP + 1))
    _ranged(ctx, "AutoRetry", 1, range(0, 2))
    extend_code = ctx.get("SmsUpExtendCode")
    if extend_code is not None and not extend_code.isdigit():
        raise ctx.error("INVALID_PARAMETERS", f"parameter is not valid: SmsUpExtendCode {extend_code[:20]!r} "
                                              "must be digits")
    raw_values = _template_values(ctx)
    missing = [name for name in variables(template.content) if not raw_values.get(name)]
    if missing:
        raise ctx.error("INVALID_PARAMETERS", f"parameter is not valid: TemplateParam lacks {', '.join(missing)} "
                                              f"of template {template.code}")
    backend, account = ctx.backend, ctx.account

    since = backend.codes.seconds_since_send(scope)
    if since is not None and since < interval:
        raise ctx.error("FREQUENCY_FAIL", f"Check frequency fail. (the last code went to this number "
                                          f"{since:.0f} s ago; Interval is {interval} s)")
    daily = ctx.limits().get("dypns_daily")
    limit_key = (PROVIDER, account.name, phone)
    windows = [Window("day", daily)] if daily is not None else []
    now = backend.clock.now()
    if backend.limits.check(limit_key, windows, now) is not None:
        raise ctx.error("BUSINESS_LIMIT_CONTROL", f"The number has exceeded the limit for the day. "
                                                  f"(Permits:{daily})")

    generated = any(PLACEHOLDER in value for value in raw_values.values())
    code = backend.ids.verify_code(code_length, code_type) if generated else None
    values = {k: v.replace(PLACEHOLDER, code) for k, v in raw_values.items()} if code else raw_values
    content = f"【{sign.name}】{render(template.content, values)}"
    cost = segments(content)
    if not backend.accounts.can_afford(account, cost):
        raise ctx.error("RESOURCE_NOT_ENOUGH")

    # From here on nothing can fail and nothing awaits: the send is recorded whole or not at all.
    backend.codes.record_send(scope)
    if windows:
        backend.limits.record(limit_key, now)
    backend.accounts.charge(account, cost)
    biz_id = backend.ids.biz_id()
    out_id = ctx.get("OutId")
    if code is not None:
        backend.codes.issue(scope, code, valid_time, policy, biz_id=biz_id, out_id=out_id)
    message = accept_message(
        backend, ctx.call, phone=phone, content=content, sign=sign.name, template=template.code, params=values,
        biz_id=biz_id, out_id=out_id, request_id=ctx.request_id, verification=True,
        success_code=DELIVERED, failure_code=DEFAULT_FAILURE, code=code,
        extra={"scheme": scope[1], "checkable": code is not None, "valid_time": valid_time,
               "sms_up_extend_code": extend_code, "auto_retry": ctx.get_int("AutoRetry", 1)})
    model: dict[str, Any] = {}
    if ctx.get_bool("ReturnVerifyCode"):
        model["VerifyCode"] = message.code or ""
    model.update({"BizId": biz_id, "OutId": out_id or "", "RequestId": backend.ids.uuid_lower()})
    return {**SUCCESS, "Model": model}


# CheckSmsVerifyCode ------------------------------------------------------------------------------------

def check_sms_verify_code(ctx: ActionContext) -> dict[str, Any]:
    _require_function(ctx)
    scope = _scope(ctx)
    case_policy = _ranged(ctx, "CaseAuthPolicy", 1, range(1, 3))
    passed = ctx.backend.codes.check(scope, ctx.params["VerifyCode"], case_sensitive=case_policy == 2)
    # A wrong, expired, replaced or spent code is not an error: Code stays OK and the verdict is UNKNOWN.
    return {**SUCCESS, "Model": {"VerifyResult": "PASS" if passed else "UNKNOWN", "OutId": ctx.get("OutId") or ""}}


# GetSmsAuthTokens --------------------------------------------------------------------------------------

def get_sms_auth_tokens(ctx: ActionContext) -> dict[str, Any]:
    os_type = {"android": "Android", "ios": "iOS"}.get(ctx.params["OsType"].lower())
    if os_type is None:
        raise ctx.error("INVALID_PARAMETERS", f"parameter is not valid: OsType {ctx.params['OsType'][:20]!r} "
                                              "must be Android or iOS")
    expire = ctx.get_int("Expire") or 0
    if expire not in EXPIRE_RANGE:
        raise ctx.error("INVALID_PARAMETERS", f"parameter is not valid: Expire {expire} must be "
                                              f"{EXPIRE_RANGE.start}-{EXPIRE_RANGE.stop - 1} seconds")
    needed = ("SignName", "PackageName") if os_type == "Android" else ("BundleId",)
    absent = [name for name in needed if not ctx.get(name)]
    if absent:
        raise ctx.error("INVALID_PARAMETERS", f"parameter is not valid: {' and '.join(absent)} "
                                              f"required when OsType is {os_type}")
    _ranged(ctx, "SmsCodeExpire", DEFAULT_SMS_CODE_EXPIRE, range(1, 2**31))
    backend = ctx.backend
    ids, now = backend.ids.credentials, backend.clock.now()    # never rewound: see emulator.core.ids
    # Whole seconds (the real ExpireTime in seed 000 ends in 000 ms); the credential dies exactly then.
    expires_at = float(int(now) + expire)
    credential = backend.accounts.add_sts(StsCredential(
        access_key_id=f"STS.{ids.alnum(STS_ID_LENGTH)}",
        access_key_secret=ids.alnum(STS_SECRET_LENGTH),
        security_token=f"CAIS{ids.token(STS_TOKEN_LENGTH - 6)}==",
        account=ctx.account.name,
        expires_at=expires_at,
        issued_at=now,
        biz_token=f"{ids.token(BIZ_TOKEN_LENGTH - 1)}=",
    ), now=now)
    # As the seed's real answer: Code and Data only (Message added for the SDK models), no Success field.
    return {"Code": "OK", "Message": "OK", "Data": {
        "BizToken": credential.biz_token,
        "StsAccessKeyId": credential.access_key_id,
        "StsAccessKeySecret": credential.access_key_secret,
        "StsToken": credential.security_token,
        "ExpireTime": int(expires_at) * 1000,
    }}


# Shared checks -----------------------------------------------------------------------------------------

def _require_function(ctx: ActionContext) -> None:
    if not ctx.account.function_on("dypns_verify"):
        raise ctx.error("FUNCTION_NOT_OPENED")


def _scope(ctx: ActionContext) -> Scope:
    """(account, scheme, country code, phone): where a code lives, checked the same way by send and check."""
    scheme = ctx.get("SchemeName", DEFAULT_SCHEME) or DEFAULT_SCHEME
    if len(scheme) > MAX_SCHEME_LENGTH:
        raise ctx.error("INVALID_PARAMETERS", f"parameter is not valid: SchemeName is longer than "
                                              f"{MAX_SCHEME_LENGTH} characters")
    country = (ctx.get("CountryCode", COUNTRY_CODE) or COUNTRY_CODE).lstrip("+")
    if country != COUNTRY_CODE:
        raise ctx.error("INVALID_PARAMETERS", f"parameter is not valid: CountryCode {country[:8]!r}; only "
                                              f"{COUNTRY_CODE} (mainland China) is supported")
    return ctx.account.name, scheme, country, _mainland_phone(ctx).number


def _mainland_phone(ctx: ActionContext) -> Phone:
    raw = ctx.params["PhoneNumber"]
    phone = parse_phone(raw)
    if phone is None or not phone.mainland:
        raise ctx.error("MOBILE_NUMBER_ILLEGAL", f"The mobile number is illegal. ({raw[:32]})")
    return phone


def _ranged(ctx: ActionContext, name: str, default: int, allowed: range) -> int:
    value = ctx.get_int(name, default)
    assert value is not None
    if value not in allowed:
        raise ctx.error("INVALID_PARAMETERS", f"parameter is not valid: {name} {value} must be "
                                              f"{allowed.start}-{allowed.stop - 1}")
    return value


def _sign_and_template(ctx: ActionContext) -> tuple[Sign, Template]:
    """The system sign goes only with system templates and a custom sign only with custom templates."""
    fixtures = ctx.backend.fixtures
    sign_name, code = ctx.params["SignName"], ctx.params["TemplateCode"]
    system_sign = fixtures.sign(PROVIDER, sign_name)
    system_template = fixtures.template(PROVIDER, code)
    sign = system_sign or fixtures.sign(CUSTOM_PROVIDER, sign_name)
    template = system_template or fixtures.template(CUSTOM_PROVIDER, code)
    if sign is None or not sign.usable:
        raise ctx.error("INVALID_PARAMETERS", f"parameter is not valid: SignName {sign_name[:40]!r} does not "
                                              "exist or is not approved")
    if template is None or not template.usable or template.type != "verification":
        raise ctx.error("INVALID_PARAMETERS", f"parameter is not valid: TemplateCode {code[:40]!r} is not an "
                                              "approved verification template")
    if (system_sign is None) != (system_template is None):
        raise ctx.error("INVALID_PARAMETERS", "parameter is not valid: a system sign must be used with a "
                                              "system template (and a custom sign with a custom template)")
    return sign, template


def _template_values(ctx: ActionContext) -> dict[str, str]:
    """TemplateParam: a JSON object of strings (numbers are taken as their text)."""
    try:
        value = loads_json(ctx.params["TemplateParam"])
    except ValueError:
        raise ctx.error("INVALID_PARAMETERS", "parameter is not valid: TemplateParam is not JSON") from None
    if not isinstance(value, dict) or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                              for v in value.values()):
        raise ctx.error("INVALID_PARAMETERS", "parameter is not valid: TemplateParam must be a JSON object "
                                              "of strings")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
