"""Phone number parsing shared by every provider.

Mainland China mobile numbers are 11 digits starting with 1 and a second digit 3-9. Callers may prefix them
with `+86`, `0086` or `86` (Alibaba accepts all of these); the canonical form kept by the emulator is the
bare 11 digits, so inspection by phone works whatever prefix the application used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_MAINLAND = re.compile(r"1[3-9]\d{9}")
_INTERNATIONAL = re.compile(r"[1-9]\d{6,14}")


@dataclass(frozen=True)
class Phone:
    raw: str
    number: str          # canonical: 11 digits for mainland, country code + number otherwise
    mainland: bool


#: Longer text is no phone number; it is parsed (and refused) without entering the cache.
_CACHED_LENGTH = 32


def parse_phone(raw: str) -> Phone | None:
    """Parse one number; None when it cannot be a phone number at all.

    Cached (a `Phone` is immutable): a request parses its numbers more than once, and a test suite sends to
    the same few numbers over and over.
    """
    return _parse_cached(raw) if len(raw) <= _CACHED_LENGTH else _parse(raw)


@lru_cache(maxsize=4096)
def _parse_cached(raw: str) -> Phone | None:
    return _parse(raw)


def _parse(raw: str) -> Phone | None:
    text = raw.strip()
    if not text:
        return None
    body = text
    if body.startswith("+"):
        body = body[1:]
    elif body.startswith("00"):
        body = body[2:]
    if not body.isdigit() or not body.isascii():
        return None
    if _MAINLAND.fullmatch(body):
        return Phone(raw, body, True)
    if body.startswith("86") and _MAINLAND.fullmatch(body[2:]):
        return Phone(raw, body[2:], True)
    if _INTERNATIONAL.fullmatch(body) and not body.startswith("86"):
        return Phone(raw, body, False)
    return None


def matchable(numbers: list[str]) -> tuple[str, ...]:
    """Numbers as scenario rules see them: canonical where they parse (`+8613800000001` is `13800000001`),
    as given otherwise (the provider refuses those later, in its own words)."""
    out = []
    for raw in numbers:
        phone = parse_phone(raw)
        out.append(phone.number if phone else raw)
    return tuple(out)


def parse_mainland(raw: str) -> Phone | None:
    phone = parse_phone(raw)
    return phone if phone is not None and phone.mainland else None
