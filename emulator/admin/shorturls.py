"""Admin endpoints for dysmsapi short URLs: list them, visit them, decide their review.

* `GET /_emulator/short-urls?account=` - the account's short URLs (default: the default account), each with its
  state (audit, effective, reject, expired), dates and counts;
* `POST /_emulator/short-urls/visit` `{"short_url", "visitor"?}` - one page view, as if a phone opened the link,
  so QueryShortUrl's PageViewCount and UniqueVisitorCount mean something (no `visitor`: a new anonymous one);
  only an `effective` short URL opens (409 otherwise, as the real link shows nothing before approval);
* `POST /_emulator/short-urls/review` `{"short_url", "decision": "approve"|"reject", "reason"?}` - decide a
  review now, whatever the account's review policy (the way to move one under the `manual` policy).

Short URLs are unique across accounts, so the visit and review name only the short URL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from emulator.admin.api import BACKEND_KEY, PREFIX, json_object, problem, reply
from emulator.core.backend import Backend
from emulator.core.shorturls import DECISIONS, ShortUrl, ShortUrlError

BASE = f"{PREFIX}/short-urls"
_STATUS = {"missing": 404, "not_audit": 409, "not_effective": 409, "decision": 400}
#: Characters at most (the emulator's own bounds): a visitor id (a device or user id) and a rejection reason.
VISITOR_LENGTH, REASON_LENGTH = 128, 500


def _optional_string(body: dict[str, Any], name: str, limit: int) -> bool:
    """An optional member is absent or a string of at most `limit` characters (`null` is not "absent")."""
    return name not in body or (isinstance(body[name], str) and len(body[name]) <= limit)


def _refused(exc: ShortUrlError) -> web.Response:
    return problem(_STATUS.get(exc.reason, 400), str(exc))


async def list_short_urls(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    name = request.query.get("account")
    account = backend.accounts.get(name) if name is not None else backend.accounts.default()
    if account is None:
        return problem(404, f"no account {name!r}")
    now = backend.clock.now()
    book = backend.short_urls.book(account.name) if account.name in backend.short_urls.accounts() else None
    items = [] if book is None else [u.to_json(now) for u in book.urls.values()]
    return reply({"account": account.name, "short_urls": items})


async def visit(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    body = await json_object(request)
    short_url = body.get("short_url")
    if not isinstance(short_url, str) or not _optional_string(body, "visitor", VISITOR_LENGTH):
        return problem(400, 'body must be {"short_url": str, '
                            f'"visitor"?: str of at most {VISITOR_LENGTH} characters}}')
    return _act(backend, short_url, lambda account: backend.short_urls.visit(account, short_url, body.get("visitor")))


async def review(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    body = await json_object(request)
    short_url, decision = body.get("short_url"), body.get("decision")
    if not isinstance(short_url, str) or not isinstance(decision, str) or decision not in DECISIONS \
            or not _optional_string(body, "reason", REASON_LENGTH):
        return problem(400, 'body must be {"short_url": str, "decision": "approve"|"reject", '
                            f'"reason"?: str of at most {REASON_LENGTH} characters}}')
    return _act(backend, short_url,
                lambda account: backend.short_urls.decide(account, short_url, decision, body.get("reason") or ""))


def _act(backend: Backend, short_url: str, change: Callable[[str], ShortUrl]) -> web.Response:
    """Apply `change` to the short URL's owning account: 404 when nobody has it, the refusal's status when the
    change is refused, else the short URL as it is now (with its account)."""
    found = backend.short_urls.find(short_url)
    if found is None:
        return problem(404, f"no short URL {short_url[:100]!r}")
    try:
        item = change(found[0])
    except ShortUrlError as exc:
        return _refused(exc)
    return reply({"account": found[0], **item.to_json(backend.clock.now())})


def setup_short_urls_admin(app: web.Application) -> None:
    app.router.add_get(BASE, list_short_urls)
    app.router.add_post(f"{BASE}/visit", visit)
    app.router.add_post(f"{BASE}/review", review)
