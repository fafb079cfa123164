"""Short URLs: AddShortUrl, QueryShortUrl, DeleteShortUrl on the account's short-URL book.

Lengths are the documented ones (SourceUrl 1000, ShortUrlName 13), checked at the gateway; `ShortUrl` has none
documented, so 1000 is ours. `EffectiveDays` is a string on the wire (SDK 4.6.0), 1-90 whole days. Which codes
refuse what is not documented: see docs/protocol-notes.md (dysmsapi, "Short URLs").
"""

from __future__ import annotations

from typing import Any, NoReturn

from emulator.core.clock import china_time_str
from emulator.core.shorturls import MAX_DAYS, MIN_DAYS, ShortUrl, ShortUrlError
from emulator.protocols.aliyun.product import ActionContext, ActionSpec, AliyunProduct, Param
from emulator.providers.dysms.errors import SHORT_URL_REFUSALS
from emulator.providers.dysms.review import OK

SOURCE_URL_LENGTH, NAME_LENGTH, SHORT_URL_LENGTH = 1000, 13, 1000


def _refuse(ctx: ActionContext, exc: ShortUrlError) -> NoReturn:
    """Answer a refusal of the book with its code, its text and the rule (`SHORT_URL_REFUSALS`)."""
    code, text = SHORT_URL_REFUSALS.get(exc.reason, ("isv.INVALID_PARAMETERS", "参数异常"))
    raise ctx.error(code, f"{text}: {exc}") from None


def _days(ctx: ActionContext) -> int:
    raw = ctx.params["EffectiveDays"].strip()
    if not raw.isascii() or not raw.isdigit() or not MIN_DAYS <= int(raw) <= MAX_DAYS:
        _refuse(ctx, ShortUrlError("days", f"EffectiveDays must be a whole number of days, {MIN_DAYS}-{MAX_DAYS}, "
                                           f"not {raw[:20]!r}"))
    return int(raw)


def add_short_url(ctx: ActionContext) -> dict[str, Any]:
    source = ctx.params["SourceUrl"]
    if not source.lower().startswith(("http://", "https://")):
        raise ctx.error("isv.INVALID_PARAMETERS", "参数异常: SourceUrl must be an http:// or https:// URL")
    try:
        item = ctx.backend.short_urls.add(ctx.account.name, source, ctx.params["ShortUrlName"], _days(ctx))
    except ShortUrlError as exc:
        _refuse(ctx, exc)
    return {**OK, "Data": {"ShortUrl": item.short_url, "SourceUrl": item.source_url,
                           "ExpireDate": china_time_str(item.expires)}}


def _found(ctx: ActionContext) -> ShortUrl:
    item = ctx.backend.short_urls.get(ctx.account.name, ctx.params["ShortUrl"])
    if item is None:
        _refuse(ctx, ShortUrlError("missing", f"no short URL {ctx.params['ShortUrl'][:100]}"))
    return item


def query_short_url(ctx: ActionContext) -> dict[str, Any]:
    item = _found(ctx)
    return {**OK, "Data": {
        "ShortUrl": item.short_url, "ShortUrlName": item.name, "SourceUrl": item.source_url,
        "CreateDate": china_time_str(item.created), "ExpireDate": china_time_str(item.expires),
        "ShortUrlStatus": item.state(ctx.backend.clock.now()),
        "PageViewCount": str(item.page_views), "UniqueVisitorCount": str(item.unique_visitors)}}


def delete_short_url(ctx: ActionContext) -> dict[str, Any]:
    try:
        ctx.backend.short_urls.delete_source(ctx.account.name, ctx.params["SourceUrl"])
    except ShortUrlError as exc:
        _refuse(ctx, exc)
    return dict(OK)


def register(product: AliyunProduct) -> None:
    source = Param("SourceUrl", True, max_length=SOURCE_URL_LENGTH)
    for spec in (
        ActionSpec("AddShortUrl", add_short_url,
                   (source, Param("ShortUrlName", True, max_length=NAME_LENGTH), Param("EffectiveDays", True))),
        ActionSpec("QueryShortUrl", query_short_url, (Param("ShortUrl", True, max_length=SHORT_URL_LENGTH),)),
        ActionSpec("DeleteShortUrl", delete_short_url, (source,)),
    ):
        product.action(spec)
