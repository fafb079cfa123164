"""Each account's short URLs (dysmsapi AddShortUrl / QueryShortUrl / DeleteShortUrl): review, expiry, visits.

A short URL is created under review (`audit`) and leaves it `effective` or `reject`, as the account's review
policy in the catalogue says (`backend.catalogue.book(account).policy`): at once, after a delay on the virtual
clock (a scheduler job, so it persists with `--db`), or when a test decides (`manual`, via the admin API).
Alibaba reviews short URLs in 10 minutes to 2 hours; the policy's delay (2 hours by default) stands for that.
An `effective` one turns `expired` once the virtual clock passes its expiry, `EffectiveDays` after creation
rounded up to the hour (the SDK: "ExpireDate is always on the hour"); expiry is read from the clock when asked,
so no job is needed for it. Visits (page views, unique visitors) come from the admin API, since nothing real
ever follows an emulated link; only an `effective` short URL can be visited.

Bounded: at most `DAILY_CAP` creations per account per China calendar day (Alibaba's documented "3000 per
natural day"), at most `STORED_CAP` short URLs kept per account (the emulator's own bound), and at most
`VISITOR_CAP` distinct visitors remembered per short URL (beyond it every new visitor still counts once), each
as a 16-character digest of its id, so what a short URL keeps does not grow with the ids a test makes up. An
account's short URLs are one row with `--db`, as its catalogue is.

Nothing here knows HTTP: the provider maps refusals to its error codes, the admin API drives reviews and visits.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.core.books import AccountBooks
from emulator.core.clock import VirtualClock, china_time_str
from emulator.core.ids import RandomSource
from emulator.core.scheduler import Scheduler

if TYPE_CHECKING:
    from emulator.core.catalogue import Catalogue

REVIEW_JOB = "shorturls.review"
#: The form of Alibaba's examples (`http://****.cn/6y8uy7`): a short host and six base62 characters.
SHORT_HOST = "http://tb.cn/"
CODE_LENGTH = 6
#: AddShortUrl: EffectiveDays 1..90 (the console offers 30/60/90; any whole number in range is accepted here).
MIN_DAYS, MAX_DAYS = 1, 90
#: Documented: "at most 3000 a natural day"; ours: how many an account keeps, and visitor ids per short URL.
DAILY_CAP = 3000
STORED_CAP = 10_000
VISITOR_CAP = 1000
STATES = ("audit", "effective", "reject", "expired")
DECISIONS = {"approve": "effective", "reject": "reject"}


class ShortUrlError(ValueError):
    """A change the provider refuses; `reason` says which rule (the provider maps it to its error code)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


@dataclass
class ShortUrl:
    short_url: str
    name: str
    source_url: str
    created: float
    expires: float
    #: audit | effective | reject, as reviewed; `state()` adds `expired` from the clock
    status: str = "audit"
    reason: str = ""
    page_views: int = 0
    unique_visitors: int = 0
    #: digests of the visitor ids seen (at most `VISITOR_CAP`)
    visitors: list[str] = field(default_factory=list)

    def state(self, now: float) -> str:
        """What QueryShortUrl shows: `expired` once the clock passes the expiry, whatever the review said
        (a rejected one stays `reject`)."""
        if self.status != "reject" and now >= self.expires:
            return "expired"
        return self.status

    def to_json(self, now: float) -> dict[str, Any]:
        """The admin API's view (the provider shapes its own)."""
        return {"short_url": self.short_url, "name": self.name, "source_url": self.source_url,
                "state": self.state(now), "reason": self.reason, "created": china_time_str(self.created),
                "expires": china_time_str(self.expires), "page_views": self.page_views,
                "unique_visitors": self.unique_visitors}


@dataclass
class Book:
    """One account's short URLs, by short URL, and the times of today's creations (for the daily cap)."""

    urls: dict[str, ShortUrl] = field(default_factory=dict)
    creations: list[float] = field(default_factory=list)


class ShortUrls(AccountBooks[Book]):
    def __init__(self, clock: VirtualClock, ids: RandomSource, scheduler: Scheduler, catalogue: Catalogue) -> None:
        super().__init__(lambda account: Book())
        self._clock = clock
        self._ids = ids
        self._scheduler = scheduler
        self._catalogue = catalogue
        scheduler.on(REVIEW_JOB, self._run_review)

    # Books ---------------------------------------------------------------------------------------------------

    def get(self, account: str, short_url: str) -> ShortUrl | None:
        book = self._books.get(account)
        return None if book is None else book.urls.get(short_url)

    def find(self, short_url: str) -> tuple[str, ShortUrl] | None:
        """The account owning `short_url` and the item (short URLs are unique across accounts)."""
        for account, book in self._books.items():
            item = book.urls.get(short_url)
            if item is not None:
                return account, item
        return None

    # Creating and deleting ---------------------------------------------------------------------------------

    def add(self, account: str, source_url: str, name: str, days: int) -> ShortUrl:
        """A new short URL under review; raises `ShortUrlError` for the day's cap, the stored cap or the days."""
        if not MIN_DAYS <= days <= MAX_DAYS:
            raise ShortUrlError("days", f"EffectiveDays must be {MIN_DAYS}-{MAX_DAYS}, not {days}")
        book = self.book(account)
        now = self._clock.now()
        midnight = self._clock.china_datetime(now).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        book.creations = [t for t in book.creations if midnight <= t < midnight + 86400]   # today, China time
        if len(book.creations) >= DAILY_CAP:
            raise ShortUrlError("daily_cap", f"at most {DAILY_CAP} short URLs a day per account")
        if len(book.urls) >= STORED_CAP:
            raise ShortUrlError("stored_cap", f"the emulator keeps at most {STORED_CAP} short URLs per account; "
                                              "delete some first")
        book.creations.append(now)
        item = ShortUrl(short_url=self._new_short_url(), name=name, source_url=source_url, created=now,
                        expires=math.ceil((now + days * 86400) / 3600) * 3600)
        book.urls[item.short_url] = item
        self._touch(account)
        policy = self._catalogue.book(account).policy
        if policy.mode == "immediate":
            return self.decide(account, item.short_url, "approve")
        if policy.mode == "after":
            self._scheduler.schedule(now + policy.delay, REVIEW_JOB,
                                     {"account": account, "short_url": item.short_url, "created": now})
        return item

    def _new_short_url(self) -> str:
        while True:
            url = SHORT_HOST + self._ids.alnum(CODE_LENGTH)     # base62, from the seeded source
            if self.find(url) is None:
                return url

    def delete_source(self, account: str, source_url: str) -> list[ShortUrl]:
        """Every short URL of `source_url` goes (DeleteShortUrl names the source, not the short URL)."""
        book = self.book(account)
        gone = [u for u in book.urls.values() if u.source_url == source_url]
        if not gone:
            raise ShortUrlError("missing", f"no short URL of {source_url[:100]}")
        for item in gone:
            del book.urls[item.short_url]
        self._touch(account)
        return gone

    # Reviews and visits ------------------------------------------------------------------------------------

    def decide(self, account: str, short_url: str, decision: str, reason: str = "") -> ShortUrl:
        if decision not in DECISIONS:
            raise ShortUrlError("decision", f"decision {decision!r}; expected one of {', '.join(DECISIONS)}")
        item = self.get(account, short_url)
        if item is None:
            raise ShortUrlError("missing", f"no short URL {short_url[:100]}")
        if item.status != "audit":
            raise ShortUrlError("not_audit", f"{short_url} is not under review (it is {item.state(self._clock.now())})")
        item.status = DECISIONS[decision]
        item.reason = (reason or "内容不符合规范") if decision == "reject" else ""
        self._touch(account)
        return item

    def visit(self, account: str, short_url: str, visitor: str | None = None) -> ShortUrl:
        """One page view; a visitor id not seen before (or none given: an anonymous visitor) is one more UV."""
        item = self.get(account, short_url)
        if item is None:
            raise ShortUrlError("missing", f"no short URL {short_url[:100]}")
        state = item.state(self._clock.now())
        if state != "effective":
            raise ShortUrlError("not_effective", f"{short_url} is {state}: only an effective short URL opens")
        item.page_views += 1
        if visitor is None:
            item.unique_visitors += 1
        elif (digest := _digest(visitor)) not in item.visitors:
            item.unique_visitors += 1
            if len(item.visitors) < VISITOR_CAP:
                item.visitors.append(digest)
        self._touch(account)
        return item

    async def _run_review(self, payload: dict[str, Any]) -> None:
        """A delayed review falls due: approve the short URL if it is still the one the job was made for."""
        item = self.get(payload["account"], payload["short_url"])
        if item is None or item.status != "audit" or item.created != payload.get("created"):
            return
        self.decide(payload["account"], item.short_url, "approve")


def _digest(visitor: str) -> str:
    return hashlib.blake2b(visitor.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


# Persistence ---------------------------------------------------------------------------------------------------

def book_json(book: Book) -> dict[str, Any]:
    return {"urls": [vars(u) for u in book.urls.values()], "creations": list(book.creations)}


def book_from_json(data: dict[str, Any]) -> Book:
    names = set(ShortUrl.__dataclass_fields__)
    urls = [ShortUrl(**{k: v for k, v in u.items() if k in names}) for u in data.get("urls", ())]
    return Book(urls={u.short_url: u for u in urls}, creations=[float(t) for t in data.get("creations", ())])
