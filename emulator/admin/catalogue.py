"""Admin endpoints for the template/sign catalogue: read it, decide reviews, set the review policy.

The real review is a person at Alibaba; here a test is that person:

* `GET /_emulator/catalogue?account=` - the account's templates and signs with their review states, and its
  review policy;
* `POST /_emulator/catalogue/templates/{code}/{decision}?account=` and `.../signs/{name}/{decision}` with
  `decision` approve | reject | cancel and an optional body `{"reason"}` - decide a review as the reviewer
  would; the review report goes to the account's receivers as for a decision made by the virtual clock;
* `PUT /_emulator/catalogue/review-policy?account=` `{"mode": "immediate"|"after"|"manual", "delay"?}` - how
  this account's applications are reviewed from now on.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from emulator.admin.api import BACKEND_KEY, PREFIX, json_object, problem, reply
from emulator.core.accounts import Account
from emulator.core.backend import Backend
from emulator.core.bounds import finite_problem
from emulator.core.catalogue import DECISIONS, MAX_REVIEW_DELAY, REVIEW_MODES, CatalogueError, Item, ReviewPolicy

BASE = f"{PREFIX}/catalogue"
#: URL segment -> the catalogue's kind
KINDS = {"templates": "template", "signs": "sign"}
#: A decision on an item that does not exist is 404; one the item's state does not allow, 409.
_STATUS = {"missing": 404, "not_pending": 409}
REASON_LIMIT = 500


def _account(request: web.Request) -> Account | None:
    backend: Backend = request.app[BACKEND_KEY]
    name = request.query.get("account")
    return backend.accounts.get(name) if name else backend.accounts.default()


def item_json(item: Item) -> dict[str, Any]:
    """An item as the inbox and tests read it: every field, `usable` saying whether sending may use it."""
    return {**dataclasses.asdict(item), "usable": item.usable}


async def get_catalogue(request: web.Request) -> web.Response:
    account = _account(request)
    if account is None:
        return problem(404, f"no account {request.query.get('account')!r}")
    book = request.app[BACKEND_KEY].catalogue.book(account.name)
    return reply({"account": account.name, "policy": book.policy.to_json(),
                  "templates": [item_json(t) for t in book.templates.values()],
                  "signs": [item_json(s) for s in book.signs.values()]})


async def decide(request: web.Request) -> web.Response:
    kind = KINDS.get(request.match_info["kind"])
    decision = request.match_info["decision"]
    if kind is None or decision not in DECISIONS:
        return problem(404, f"no such catalogue action: {request.path}; expected "
                            f"{BASE}/templates|signs/{{key}}/{'|'.join(DECISIONS)}")
    account = _account(request)
    if account is None:
        return problem(404, f"no account {request.query.get('account')!r}")
    body = await json_object(request)
    reason = body.get("reason", "")
    if not isinstance(reason, str) or len(reason) > REASON_LIMIT:
        return problem(400, f'body must be {{"reason"?: str}} with a reason of at most {REASON_LIMIT} characters')
    try:
        item = request.app[BACKEND_KEY].catalogue.decide(account.name, kind, request.match_info["key"], decision,
                                                       reason)
    except CatalogueError as exc:
        return problem(_STATUS.get(exc.reason, 400), f"{exc} (account {account.name!r})")
    return reply(item_json(item))


async def set_review_policy(request: web.Request) -> web.Response:
    account = _account(request)
    if account is None:
        return problem(404, f"no account {request.query.get('account')!r}")
    body = await json_object(request)
    mode, delay = body.get("mode"), body.get("delay")
    if mode not in REVIEW_MODES or finite_problem(body) is not None or set(body) - {"mode", "delay"} or not (
            "delay" not in body or (isinstance(delay, (int, float)) and not isinstance(delay, bool)
                                    and 0 <= delay <= MAX_REVIEW_DELAY)):
        return problem(400, f'body must be {{"mode": {"|".join(REVIEW_MODES)}, "delay"?: seconds 0-'
                            f'{MAX_REVIEW_DELAY:g}}}')
    policy = ReviewPolicy(mode, float(delay)) if "delay" in body else ReviewPolicy(mode)
    request.app[BACKEND_KEY].catalogue.set_policy(account.name, policy)
    return reply({"account": account.name, "policy": policy.to_json()})


def setup_catalogue_admin(app: web.Application) -> None:
    app.router.add_get(BASE, get_catalogue)
    app.router.add_put(f"{BASE}/review-policy", set_review_policy)
    app.router.add_post(f"{BASE}/{{kind}}/{{key}}/{{decision}}", decide)
