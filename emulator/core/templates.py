"""Template rendering and billing arithmetic shared by the providers."""

from __future__ import annotations

import math
import re
from functools import lru_cache

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")

#: A single SMS holds 70 characters; a long one is split into parts of 67 (3 go to the concatenation header).
SINGLE_SEGMENT = 70
LONG_SEGMENT = 67


def variables(content: str) -> tuple[str, ...]:
    """Placeholder names in order of first appearance (`${code}` -> `code`)."""
    return _compiled(content)[1]


def render(content: str, params: dict[str, str]) -> str:
    """Fill `${var}` placeholders; an unknown placeholder stays as written."""
    pieces = _compiled(content)[0]
    if len(pieces) == 1:
        return content
    out = []
    for index, piece in enumerate(pieces):
        # even pieces are literal text, odd ones placeholder names
        out.append(piece if index % 2 == 0 else params.get(piece, f"${{{piece}}}"))
    return "".join(out)


@lru_cache(maxsize=1024)
def _compiled(content: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A template split once into literal text and placeholder names, and its distinct names. Only fixture
    texts come here: a handful of templates rendered on every send."""
    pieces = tuple(_PLACEHOLDER.split(content))
    return pieces, tuple(dict.fromkeys(pieces[1::2]))


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
