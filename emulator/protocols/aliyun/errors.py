"""Gateway (POP) errors shared by every Alibaba product: authentication, routing, throttling.

Status codes and texts follow Alibaba's common error tables and real answers (see the README's protocol
notes). `Missing<Param>` and `Invalid<Param>` codes are built per parameter by `missing()`/`invalid()`.
"""

from __future__ import annotations

from emulator.core.errors import EmulatorError, ErrorSpec, ErrorTable

SIGNATURE_MISMATCH_TEXT = "Specified signature is not matched with our calculation. server string to sign is:"

GATEWAY_ERRORS = ErrorTable.of("aliyun-gateway", [
    ErrorSpec("SignatureDoesNotMatch", 400, SIGNATURE_MISMATCH_TEXT),
    ErrorSpec("IncompleteSignature", 400, "The request signature does not conform to Aliyun standards."),
    ErrorSpec("InvalidSignatureMethod", 400, "Specified signature method is not valid."),
    ErrorSpec("InvalidSignatureVersion", 400, "Specified signature version is not valid."),
    ErrorSpec("InvalidAccessKeyId.NotFound", 404, "Specified access key is not found."),
    ErrorSpec("InvalidAccessKeyId.Inactive", 400, "Specified access key is disabled."),
    ErrorSpec("InvalidTimeStamp.Format", 400, "Specified time stamp or date value is not well formatted."),
    ErrorSpec("InvalidTimeStamp.Expired", 400, "Specified time stamp or date value is expired."),
    ErrorSpec("SignatureNonceUsed", 400, "Specified signature nonce was used already."),
    ErrorSpec("InvalidSecurityToken.Expired", 400, "Specified SecurityToken is expired."),
    ErrorSpec("InvalidSecurityToken.Malformed", 400, "Specified SecurityToken is malformed."),
    ErrorSpec("InvalidSecurityToken.MismatchWithAccessKey", 400,
              "Specified SecurityToken mismatch with the AccessKey."),
    ErrorSpec("MissingSecurityToken", 400, "SecurityToken is mandatory for this action."),
    ErrorSpec("InvalidAction.NotFound", 404, "Specified api is not found, please check your url and method."),
    # Ours, not Alibaba's: a real action of the product that the emulator does not model (not a typo, which
    # is InvalidAction.NotFound). 501 so no SDK retries it (aliyunsdkcore retries 500/502/503/504).
    ErrorSpec("Emulator.ActionNotModelled", 501, "This is a real API of the product that the emulator does not "
              "model; see docs/coverage.md."),
    ErrorSpec("UnsupportedHTTPMethod", 400, "This http method is not supported."),
    ErrorSpec("InvalidParameter", 400, "Specified parameter is not valid."),
    ErrorSpec("MissingParameter", 400, "A required parameter is missing."),
    ErrorSpec("RequestEntityTooLarge", 413, "The request body is larger than the emulator accepts."),
    ErrorSpec("Throttling.User", 400, "Request was denied due to user flow control."),
    ErrorSpec("Throttling.Api", 400, "Request was denied due to api flow control."),
    ErrorSpec("Forbidden.RAM", 403,
              "User not authorized to operate on the specified resource, or this API doesn't support RAM."),
    ErrorSpec("InternalError", 500,
              "The request processing has failed due to some unknown error, exception or failure."),
    ErrorSpec("ServiceUnavailable", 503, "The request has failed due to a temporary failure of the server."),
])


def gateway_error(code: str, message: str | None = None, **kw: object) -> EmulatorError:
    spec = GATEWAY_ERRORS.get(code)
    return EmulatorError(spec.code, message or spec.message, status=spec.status, **kw)  # type: ignore[arg-type]


def missing(param: str) -> EmulatorError:
    """`MissingPhoneNumbers`: `PhoneNumbers is mandatory for this action.` (HTTP 400)."""
    return EmulatorError(f"Missing{param}", f"{param} is mandatory for this action.", status=400)


def invalid(param: str, why: str = "") -> EmulatorError:
    text = f"Specified parameter {param} is not valid."
    return EmulatorError(f"Invalid{param}", f"{text} {why}".strip(), status=400)
