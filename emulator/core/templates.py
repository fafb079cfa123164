"""Template rendering and billing arithmetic shared by the providers."""

from __future__ import annotations

import math
import re

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")

#: A single SMS holds 70 characters; a long one is split into parts of 67 (3 go to the concatenation header).
SINGLE_SEGMENT = 70
LONG_SEGMENT = 67


def variables(content: str) -> list[str]:
    """Placeholder names in order of first appearance (`${code}` -> `code`)."""
    seen: dict[str, None] = {}
    for name in _PLACEHOLDER.findall(content):
        seen.setdefault(name, None)
    return list(seen)


def render(content: str, params: dict[str, str]) -> str:
    """Fill `${var}` placeholders; an unknown placeholder stays as written."""
    return _PLACEHOLDER.sub(lambda m: params.get(m.group(1), m.group(0)), content)


def segments(text: str) -> int:
    """How many billed parts a message of this text costs (the sign counts too)."""
    length = len(text)
    if length <= SINGLE_SEGMENT:
        return 1
    return math.ceil(length / LONG_SEGMENT)


_CODE_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9]{4,8})(?![A-Za-z0-9])")


def find_code(params: dict[str, str], content: str, verification: bool) -> str | None:
    """The verification code in a message, if it carries one.

    A `code` variable (the name every verification template uses) wins; for verification templates whose
    variable has another name, the first 4-8 character token of the text that contains a digit. Notification
    texts are not scanned, so an order number is never mistaken for an OTP.
    """
    for key in ("code", "Code", "verifyCode", "verify_code", "otp"):
        value = params.get(key)
        if value:
            return value
    if not verification:
        return None
    for match in _CODE_CANDIDATE.finditer(content):
        token = match.group(1)
        if any(ch.isdigit() for ch in token):
            return token
    return None
