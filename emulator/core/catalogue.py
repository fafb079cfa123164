"""Each account's templates and signs, and their review: the catalogue sending reads and management changes.

A book (one per account) starts as a copy of the fixtures' dysmsapi templates and signs; templates and signs
created at run time join it "under review" and leave review approved, rejected (with a reason) or cancelled,
as the account's review policy says: at once (`immediate`), after a delay on the virtual clock (`after`, the
default, about as long as Alibaba's human review) or only when a test decides (`manual`). Delayed reviews are
scheduler jobs, so they persist with `--db` and fire when the virtual clock passes them.

Nothing here knows HTTP: the providers map statuses to their wire forms, the admin API drives reviews.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.core.books import AccountBooks
from emulator.core.clock import VirtualClock, china_date_str, china_time_str
from emulator.core.fixtures import Fixtures, Sign, Template
from emulator.core.ids import RandomSource
from emulator.core.scheduler import Scheduler

PROVIDER = "dysms"
REVIEW_JOB = "catalogue.review"
#: Alibaba: "reviewed within 2 hours"; a test that forgets to approve sees what production shows meanwhile.
DEFAULT_REVIEW_DELAY = 2 * 3600.0
REVIEW_MODES = ("immediate", "after", "manual")
#: A review delay beyond a year is "never" for any test (and `manual` says so honestly).
MAX_REVIEW_DELAY = 365 * 86400.0
DECISIONS = {"approve": "approved", "reject": "rejected", "cancel": "cancelled"}
KINDS = ("template", "sign")
#: Template applications: at most this many per China calendar day, at least this many seconds apart.
TEMPLATE_DAILY_CAP = 100
TEMPLATE_SPACING = 30.0
Item = Template | Sign
#: Told `(account, item, kind)` after every review decision (review reports are queued from here).
ReviewListener = Callable[[str, Item, str], None]


@dataclass(frozen=True)
class Ruling:
    """How one application's review ends, when something other than the account's policy says so (a scenario):
    `decision` approve | reject | cancel | manual (left for a test), `after` virtual seconds from submission."""

    decision: str
    reason: str = ""
    after: float = 0.0


#: Asked `(account, kind, item)` as an application enters review; None leaves it to the account's policy.
Reviewer = Callable[[str, str, Item], Ruling | None]


class CatalogueError(ValueError):
    """A change the provider refuses; `reason` says which rule (the providers map it to their error code)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


@dataclass
class ReviewPolicy:
    mode: str = "after"
    delay: float = DEFAULT_REVIEW_DELAY

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "delay": self.delay}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReviewPolicy:
        mode = data.get("mode", "after")
        if mode not in REVIEW_MODES:
            raise ValueError(f"review mode {mode!r}; expected one of {', '.join(REVIEW_MODES)}")
        delay = float(data.get("delay", DEFAULT_REVIEW_DELAY))
        if not 0 <= delay <= MAX_REVIEW_DELAY:
            raise ValueError(f"review delay must be 0-{MAX_REVIEW_DELAY:g} seconds")
        return cls(mode, delay)


@dataclass
class Book:
    """One account's catalogue."""

    templates: dict[str, Template] = field(default_factory=dict)
    signs: dict[str, Sign] = field(default_factory=dict)
    policy: ReviewPolicy = field(default_factory=ReviewPolicy)
    #: virtual times of this account's template applications (Create/Add/Update/Modify), for the caps
    applications: list[float] = field(default_factory=list)

    def items(self, kind: str) -> dict[str, Any]:
        return self.templates if kind == "template" else self.signs


class Catalogue(AccountBooks[Book]):
    def __init__(self, fixtures: Fixtures, clock: VirtualClock, ids: RandomSource, scheduler: Scheduler) -> None:
        super().__init__(self._fixture_book)
        self._fixtures = fixtures
        self._clock = clock
        self._ids = ids
        self._scheduler = scheduler
        self._listeners: list[ReviewListener] = []
        #: the scenario engine's review rules, when it has any (the core does not know scenarios)
        self.reviewer: Reviewer | None = None
        scheduler.on(REVIEW_JOB, self._run_review)

    # Books ---------------------------------------------------------------------------------------------------

    def _fixture_book(self, account: str) -> Book:
        """A new account's catalogue: the fixtures' dysmsapi templates and signs."""
        return Book(templates={t.code: t for (p, _), t in self._fixtures.templates.items() if p == PROVIDER},
                    signs={s.name: s for (p, _), s in self._fixtures.signs.items() if p == PROVIDER})

    def template(self, account: str, code: str) -> Template | None:
        return self.book(account).templates.get(code)

    def sign(self, account: str, name: str) -> Sign | None:
        return self.book(account).signs.get(name)

    def on_review(self, listener: ReviewListener) -> None:
        self._listeners.append(listener)

    def set_policy(self, account: str, policy: ReviewPolicy) -> None:
        self.book(account).policy = policy
        self._touch(account)

    # Applications ------------------------------------------------------------------------------------------

    def apply_template(self, account: str, template: Template, *, replaces: str | None = None) -> Template:
        """A new template (or a rejected one resubmitted as `replaces`) enters review.

        Raises `CatalogueError` for the provider's rules: only a rejected template can be changed, at most
        `TEMPLATE_DAILY_CAP` applications a calendar day, at least `TEMPLATE_SPACING` seconds apart.
        """
        book = self.book(account)
        created = None
        if replaces is not None:
            created = self._require_rejected(book.templates.get(replaces), "template", replaces).created
        now = self._clock.now()
        today = china_date_str(now)
        book.applications = [t for t in book.applications if china_date_str(t) == today]
        if len(book.applications) >= TEMPLATE_DAILY_CAP:
            raise CatalogueError("daily_cap", f"{TEMPLATE_DAILY_CAP} template applications today")
        if book.applications and now - book.applications[-1] < TEMPLATE_SPACING:
            raise CatalogueError("spacing", f"template applications must be {TEMPLATE_SPACING:.0f} s apart")
        book.applications.append(now)
        return self._submit(account, book, "template", template, created)

    def apply_sign(self, account: str, sign: Sign, *, replaces: bool = False) -> Sign:
        """A new sign (or a rejected one resubmitted) enters review; a name already taken is refused."""
        book = self.book(account)
        existing = book.signs.get(sign.name)
        if replaces:
            created = self._require_rejected(existing, "sign", sign.name).created
        elif existing is not None:
            raise CatalogueError("exists", f"sign {sign.name} already exists")
        return self._submit(account, book, "sign", sign, created if replaces else None)

    def new_template_code(self) -> str:
        return f"SMS_{self._ids.digits(9)}"

    def order_id(self) -> str:
        return self._ids.digits(12)

    def _submit(self, account: str, book: Book, kind: str, item: Item, created: str | None) -> Any:
        """Into review; a resubmission keeps its `created` date, a new item is created now."""
        now = self._clock.now()
        key = _key(item)
        item = dataclasses.replace(item, status="pending", reason="", audit_date="", order_id=self.order_id(),
                                   submitted=now, created=created or _stamp(now))
        book.items(kind)[key] = item
        self._touch(account)
        ruling = self.reviewer(account, kind, item) if self.reviewer is not None else None
        if ruling is None:
            policy = book.policy
            ruling = Ruling("approve", after=policy.delay if policy.mode == "after" else 0.0) \
                if policy.mode != "manual" else Ruling("manual")
        if ruling.decision == "manual":
            return item
        if ruling.after <= 0:              # decided before the answer: the next call sees the outcome
            return self.decide(account, kind, key, ruling.decision, ruling.reason)
        self._schedule(account, kind, key, item.order_id, now + ruling.after, ruling)
        return item

    def _schedule(self, account: str, kind: str, key: str, order_id: str, due: float, ruling: Ruling) -> None:
        self._scheduler.schedule(due, REVIEW_JOB, {"account": account, "kind": kind, "key": key,
                                                   "order_id": order_id, "decision": ruling.decision,
                                                   "reason": ruling.reason})

    @staticmethod
    def _require_rejected(item: Item | None, kind: str, key: str) -> Item:
        if item is None:
            raise CatalogueError("missing", f"{kind} {key} does not exist")
        if item.status != "rejected":
            raise CatalogueError("not_rejected", f"only a rejected {kind} can be modified ({key} is {item.status})")
        return item

    # Deleting --------------------------------------------------------------------------------------------

    def delete(self, account: str, kind: str, key: str) -> Item:
        """Irreversible; refused while the item is under review."""
        items = self.book(account).items(kind)
        item = items.get(key)
        if item is None:
            raise CatalogueError("missing", f"{kind} {key} does not exist")
        if item.status == "pending":
            raise CatalogueError("under_review", f"{kind} {key} is under review and cannot be deleted")
        del items[key]
        self._touch(account)
        return item

    # Reviews -----------------------------------------------------------------------------------------------

    def decide(self, account: str, kind: str, key: str, decision: str, reason: str = "") -> Item:
        """Approve, reject (with a reason) or cancel an item under review, and tell the listeners."""
        if decision not in DECISIONS:
            raise CatalogueError("decision", f"decision {decision!r}; expected one of {', '.join(DECISIONS)}")
        items = self.book(account).items(kind)
        item = items.get(key)
        if item is None:
            raise CatalogueError("missing", f"{kind} {key} does not exist")
        if item.status != "pending":
            raise CatalogueError("not_pending", f"{kind} {key} is not under review (it is {item.status})")
        if decision == "reject" and not reason:
            reason = "内容不符合规范"
        item = dataclasses.replace(item, status=DECISIONS[decision], reason=reason if decision == "reject" else "",
                                   audit_date=_stamp(self._clock.now()))
        items[key] = item
        self._touch(account)
        for listener in self._listeners:
            listener(account, item, kind)
        return item

    async def _run_review(self, payload: dict[str, Any]) -> None:
        """A delayed review falls due: decide the item (approve, unless a scenario said otherwise) if it is still
        the submission the job was made for."""
        account, kind, key = payload["account"], payload["kind"], payload["key"]
        if account not in self._books:
            return
        item = self._books[account].items(kind).get(key)
        if item is None or item.status != "pending" or item.order_id != payload.get("order_id"):
            return
        self.decide(account, kind, key, payload.get("decision", "approve"), payload.get("reason", ""))


def _key(item: Item) -> str:
    return item.code if isinstance(item, Template) else item.name


def _stamp(now: float) -> str:
    return china_time_str(now)


# Persistence ---------------------------------------------------------------------------------------------------

def book_json(book: Book) -> dict[str, Any]:
    return {"templates": [dataclasses.asdict(t) for t in book.templates.values()],
            "signs": [dataclasses.asdict(s) for s in book.signs.values()],
            "policy": book.policy.to_json(), "applications": list(book.applications)}


def book_from_json(data: dict[str, Any]) -> Book:
    template_fields = {f.name for f in dataclasses.fields(Template)}
    sign_fields = {f.name for f in dataclasses.fields(Sign)}
    templates = [Template(**{k: v for k, v in t.items() if k in template_fields}) for t in data.get("templates", ())]
    signs = [Sign(**{k: v for k, v in s.items() if k in sign_fields}) for s in data.get("signs", ())]
    return Book(templates={t.code: t for t in templates}, signs={s.name: s for s in signs},
                policy=ReviewPolicy.from_json(data.get("policy") or {}),
                applications=[float(t) for t in data.get("applications", ())])
