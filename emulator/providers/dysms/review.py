"""What template and sign actions share: the wire forms of review states, refusals, paging, the account's book."""

from __future__ import annotations

from typing import Any, NoReturn

from emulator.core.catalogue import CatalogueError
from emulator.protocols.aliyun.product import ActionContext
from emulator.providers.dysms.errors import CATALOGUE_REFUSALS

OK = {"Code": "OK", "Message": "OK"}
#: QuerySmsTemplate / GetSmsSign / QuerySmsSign: 0 under review, 1 approved, 2 rejected, 10 cancelled or disabled
STATUS_NUM = {"pending": 0, "approved": 1, "rejected": 2, "cancelled": 10, "disabled": 10}
#: The list APIs' strings; Alibaba misspells the cancelled state of templates (`AUDIT_SATE_CANCEL`) only.
TEMPLATE_AUDIT = {"pending": "AUDIT_STATE_INIT", "approved": "AUDIT_STATE_PASS", "rejected": "AUDIT_STATE_NOT_PASS",
                  "cancelled": "AUDIT_SATE_CANCEL", "disabled": "AUDIT_SATE_CANCEL"}
SIGN_AUDIT = {**TEMPLATE_AUDIT, "cancelled": "AUDIT_STATE_CANCEL", "disabled": "AUDIT_STATE_CANCEL"}


def refuse(ctx: ActionContext, kind: str, exc: CatalogueError) -> NoReturn:
    """Answer a catalogue refusal with the provider's code for it (and the rule in the message)."""
    code = CATALOGUE_REFUSALS.get((kind, exc.reason), "isv.INVALID_PARAMETERS")
    spec_message = ctx.product.errors.get(code).message
    raise ctx.error(code, f"{spec_message}: {exc}") from None


def check_length(ctx: ActionContext, code: str, name: str, limit: int, minimum: int = 0) -> str | None:
    """An optional text parameter, refused with `code` when longer than `limit` (or shorter than `minimum`)."""
    value = ctx.get(name)
    if value is not None and not minimum <= len(value) <= limit:
        raise ctx.error(code, f"{ctx.product.errors.get(code).message}: {name} must be {minimum}-{limit} characters")
    return value


def choice(ctx: ActionContext, name: str, allowed: tuple[int, ...], default: int | None = None) -> int | None:
    """An integer parameter restricted to `allowed` (the gateway has already checked it is an integer)."""
    value = ctx.get_int(name, default)
    if value is not None and value not in allowed:
        raise ctx.error("isv.INVALID_PARAMETERS",
                        f"参数异常: {name} must be one of {', '.join(str(a) for a in allowed)}")
    return value


def paging(ctx: ActionContext, page_name: str = "PageIndex") -> tuple[int, int]:
    page, size = ctx.get_int(page_name, 1) or 1, ctx.get_int("PageSize", 10) or 10
    if page < 1 or not 1 <= size <= 50:
        raise ctx.error("isv.INVALID_PARAMETERS", f"参数异常: {page_name} >= 1 and PageSize 1-50")
    return page, size


def page_of(rows: list[Any], page: int, size: int) -> list[Any]:
    return rows[(page - 1) * size: page * size]
