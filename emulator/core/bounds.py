"""Bounds on structured input from clients and files: JSON and numbers the rest of the emulator can trust.

Python's `json` reads `NaN`, `Infinity` and `1e999` as floats that compare false with every bound (a
`minimum: 0` lets NaN through, and NaN in asyncio's timer heap delays unrelated timers), recurses once per
bracket (a thousand brackets raise RecursionError, which is no ValueError and so escaped every handler as a
500), and refuses integers of more than 4,300 digits with a message about `sys.set_int_max_str_digits`. Every
JSON text a client or a file sends goes through `loads_json`, and every number a scenario or an admin body holds
through `finite_problem`, so those become one `ValueError` each caller already answers in its own error shape.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

#: Deeper than any document the emulator understands (a scenario is about six levels, TemplateParam one).
MAX_DEPTH = 64
#: Integers beyond SQLite's and most clients' 64 bits are refused rather than stored and mangled later.
MAX_INT = 2**63 - 1
#: Decimal digits of the longest id, count or cursor the admin API reads from a path or a query.
MAX_DIGITS = 18


class InputError(ValueError):
    """Input beyond a bound; the message says which bound, in words a user can act on."""


def loads_json(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads` without NaN/Infinity, with integers within 64 bits and nesting at most `max_depth` deep."""
    try:
        if not isinstance(text, str):
            text = text.decode(json.detect_encoding(text), "surrogatepass")     # as json.loads reads bytes
        if text.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = _DECODER.decode(text)
    except RecursionError:
        raise InputError(f"nested more than {max_depth} levels deep") from None
    # Each level opens a bracket, so a text with fewer brackets than the bound cannot exceed it (brackets
    # inside strings only over-count): a TemplateParam is checked by two counts in C instead of a walk.
    if text.count("{") + text.count("[") > max_depth and depth_exceeds(value, max_depth):
        raise InputError(f"nested more than {max_depth} levels deep")
    return value


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether lists and objects in `value` nest deeper than `limit` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def finite_problem(value: Any) -> tuple[tuple[str, ...], str] | None:
    """The path of the first number in `value` that is not finite or beyond 64 bits, and why; None if all are."""
    for path, item in _numbers(value):
        if isinstance(item, float) and not math.isfinite(item):
            return path, f"{item!r} is not a finite number"
        if isinstance(item, int) and not -MAX_INT - 1 <= item <= MAX_INT:
            return path, f"the integer is larger than {MAX_INT} (64 bits)"
    return None


def parse_count(text: str | None) -> int | None:
    """A non-negative decimal integer of at most `MAX_DIGITS` ASCII digits; None for anything else."""
    if text is None or not text.isascii() or not text.isdigit() or len(text) > MAX_DIGITS:
        return None
    return int(text)


def _numbers(value: Any) -> Iterator[tuple[tuple[str, ...], Any]]:
    stack: list[tuple[tuple[str, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            stack.extend(((*path, str(k)), v) for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend(((*path, str(i)), v) for i, v in reversed(list(enumerate(item))))
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            yield path, item


def _refuse_constant(name: str) -> Any:
    raise InputError(f"{name} is not a number JSON allows (expected a finite number)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InputError(f"{text[:40]} is beyond the range of a number (expected a finite number)")
    return value


def _bounded_int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > 19 or not -MAX_INT - 1 <= int(text) <= MAX_INT:
        raise InputError(f"the integer {text[:24]}{'...' if len(text) > 24 else ''} is larger than 64 bits")
    return int(text)


#: Built once: `json.loads` with hooks builds a new decoder (and its scanner) on every call, and every
#: SendSms's TemplateParam is parsed here.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int)
