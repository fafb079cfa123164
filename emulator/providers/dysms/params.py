"""Parsing dysmsapi's structured parameters: number lists, JSON strings and flattened object lists."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from emulator.core.bounds import loads_json
from emulator.core.phones import Phone, matchable, parse_phone
from emulator.protocols.aliyun.product import ActionContext

_FLAT = re.compile(r"^(?P<name>[A-Za-z]+)\.(?P<index>\d+)\.(?P<key>[A-Za-z_]+)$")
_URL = re.compile(r"(https?://|www\.)", re.IGNORECASE)


def split_numbers(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


def phones_of_batch(params: Mapping[str, str]) -> tuple[str, ...]:
    try:
        numbers = loads_json(params.get("PhoneNumberJson", "[]"))
    except ValueError:
        return ()
    return matchable([str(n) for n in numbers]) if isinstance(numbers, list) else ()


def signs_of_batch(params: Mapping[str, str]) -> tuple[str, ...]:
    """SendBatchSms's signs, one per number (a scenario's `sign` holds when any of them matches)."""
    try:
        signs = loads_json(params.get("SignNameJson", "[]"))
    except ValueError:
        return ()
    return tuple(str(s) for s in signs) if isinstance(signs, list) else ()


def phones_of_card(params: Mapping[str, str]) -> tuple[str, ...]:
    return _mobiles(params, "CardObjects")


def phones_of_card_check(params: Mapping[str, str]) -> tuple[str, ...]:
    """CheckMobilesCardSupport's numbers, so a scenario's per-number `card` rules can count and match them."""
    return _mobiles(params, "Mobiles")


def _mobiles(params: Mapping[str, str], name: str) -> tuple[str, ...]:
    try:
        objects = object_list(params, name)
    except ValueError:
        return ()
    return matchable([str(_key(o, "mobile") or "") for o in objects])


def parse_numbers(ctx: ActionContext, raw: list[str], limit: int) -> list[Phone]:
    if not raw:
        raise ctx.error("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号: no phone number given")
    if len(raw) > limit:
        raise ctx.error("isv.MOBILE_COUNT_OVER_LIMIT", f"手机号码数量超过限制: {len(raw)} > {limit}")
    phones = []
    for number in raw:
        phone = parse_phone(number)
        if phone is None:
            raise ctx.error("isv.MOBILE_NUMBER_ILLEGAL", f"非法手机号: {number[:32]}")
        phones.append(phone)
    return phones


def json_value(ctx: ActionContext, name: str, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return loads_json(value)
    except ValueError:
        raise ctx.error("isv.INVALID_JSON_PARAM", f"JSON参数不合法: {name} is not valid JSON") from None


def template_params(ctx: ActionContext, name: str, value: Any) -> dict[str, str]:
    """A template's variables: a JSON object whose values are strings (`isv.INVALID_JSON_PARAM` otherwise)."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = json_value(ctx, name, value)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ctx.error("isv.INVALID_JSON_PARAM", f"JSON参数不合法，只接受字符串值: {name}")
    return value


def object_list(params: Mapping[str, str], name: str) -> list[dict[str, Any]]:
    """A list of objects sent either flattened (`Name.1.key=v`, tea SDKs) or as one JSON array string.

    Raises ValueError when the JSON form is not an array of objects.
    """
    if name in params:
        value = loads_json(params[name])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ValueError(f"{name} must be a JSON array of objects")
        return value
    items: dict[int, dict[str, Any]] = {}
    for key, value in params.items():
        match = _FLAT.match(key)
        if match and match.group("name") == name:
            items.setdefault(int(match.group("index")), {})[match.group("key")] = value
    return [items[i] for i in sorted(items)]


def _key(obj: Mapping[str, Any], name: str) -> Any:
    """Object keys arrive lower-camel from the SDKs and in any case from hand-built JSON."""
    for key, value in obj.items():
        if key.lower() == name.lower():
            return value
    return None


get_key = _key


def has_url(values: dict[str, str]) -> bool:
    # One search over all values; the NUL between them keeps a match from spanning two.
    return _URL.search("\x00".join(values.values())) is not None
