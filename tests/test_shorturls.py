"""Short URLs through the official SDKs: AddShortUrl under review, effective by the account's review policy or
the admin API, expired on the virtual clock, visited through the admin API, deleted by source URL, bounded per
day, isolated per account, kept across a restart with `--db`, and the same to the legacy SDK."""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from typing import Any

import pytest
from alibabacloud_dysmsapi20170525 import models as m
from aliyunsdkcore.request import CommonRequest
from aliyunsdkdysmsapi.request.v20170525 import AddShortUrlRequest
from Tea.exceptions import TeaException

from emulator.core.catalogue import ReviewPolicy
from emulator.core.clock import CHINA_TZ
from emulator.core.shorturls import DAILY_CAP, STORED_CAP
from tests.admin_helpers import get, new_account
from tests.conftest import admin, advance, tea_config
from tests.test_admin_openapi import conforms
from tests.test_persistence import emulator_with

SOURCE = "https://shop.example.com/sale?from=sms"
DOCUMENT = json.loads((resources.files("emulator.admin") / "openapi.json").read_text(encoding="utf-8"))


def _policy(server, mode: str, account: str = "default", delay: float = 2 * 3600.0) -> None:
    server.call(lambda: server.backend.catalogue.set_policy(account, ReviewPolicy(mode, delay)))


def _add(client, source: str = SOURCE, name: str = "双十一", days: str = "30") -> Any:
    return client.add_short_url(m.AddShortUrlRequest(source_url=source, short_url_name=name,
                                                     effective_days=days)).body


def _query(client, short_url: str) -> Any:
    return client.query_short_url(m.QueryShortUrlRequest(short_url=short_url)).body


def _status(client, short_url: str) -> str:
    return _query(client, short_url).data.short_url_status


def _review(server, short_url: str, decision: str, reason: str | None = None) -> tuple[int, Any]:
    body = {"short_url": short_url, "decision": decision, **({"reason": reason} if reason is not None else {})}
    return admin(server, "POST", "/_emulator/short-urls/review", body)


def _visit(server, short_url: str, visitor: str | None = None) -> tuple[int, Any]:
    body = {"short_url": short_url, **({"visitor": visitor} if visitor is not None else {})}
    return admin(server, "POST", "/_emulator/short-urls/visit", body)


def _china(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA_TZ).timestamp()


def test_a_new_short_url_is_under_review_until_the_policy_delay_passes(dysms, emulator):
    added = _add(dysms)
    assert added.code == "OK" and added.data.source_url == SOURCE
    assert added.data.short_url.startswith("http://tb.cn/") and len(added.data.short_url) == len("http://tb.cn/") + 6
    got = _query(dysms, added.data.short_url)
    assert got.code == "OK" and got.data.short_url_status == "audit"
    assert (got.data.short_url_name, got.data.source_url) == ("双十一", SOURCE)
    assert (got.data.page_view_count, got.data.unique_visitor_count) == ("0", "0")    # strings, as the SDK types them
    assert got.data.expire_date == added.data.expire_date and got.data.expire_date.endswith(":00:00")  # on the hour
    days = (_china(got.data.expire_date) - _china(got.data.create_date)) / 86400
    assert 30 <= days < 30 + 1 / 24
    advance(emulator, 3600)
    assert _status(dysms, added.data.short_url) == "audit"
    advance(emulator, 3601)         # the default policy: 2 virtual hours, then approved
    assert _status(dysms, added.data.short_url) == "effective"


def test_the_immediate_policy_approves_before_the_answer(dysms, emulator):
    _policy(emulator, "immediate")
    assert _status(dysms, _add(dysms).data.short_url) == "effective"


def test_manual_review_rejects_through_the_admin_api(dysms, emulator):
    _policy(emulator, "manual")
    short = _add(dysms).data.short_url
    advance(emulator, 86400)
    assert _status(dysms, short) == "audit"         # manual: nothing moves on its own
    status, body = _review(emulator, short, "reject", "落地页内容违规")
    assert status == 200 and body["state"] == "reject" and body["reason"] == "落地页内容违规"
    assert _status(dysms, short) == "reject"
    assert _review(emulator, short, "approve")[0] == 409           # no longer under review
    assert _visit(emulator, short)[0] == 409                        # a rejected link does not open
    assert _review(emulator, "http://tb.cn/nope00", "approve")[0] == 404
    assert _review(emulator, short, "cancel")[0] == 400
    for reason in (None, "x" * 501):
        assert admin(emulator, "POST", "/_emulator/short-urls/review", {"short_url": short, "decision": "approve",
                                                                        "reason": reason})[0] == 400


def test_an_effective_short_url_expires_after_its_days(dysms, emulator):
    _policy(emulator, "immediate")
    added = _add(dysms, days="1")
    assert _status(dysms, added.data.short_url) == "effective"
    now = emulator.backend.clock.now()
    advance(emulator, _china(added.data.expire_date) - now - 60)
    assert _status(dysms, added.data.short_url) == "effective"
    advance(emulator, 61)
    assert _status(dysms, added.data.short_url) == "expired"
    status, body = _visit(emulator, added.data.short_url)
    assert status == 409 and "expired" in body["error"]


def test_visits_count_page_views_and_unique_visitors(dysms, emulator):
    _policy(emulator, "manual")
    short = _add(dysms).data.short_url
    status, body = _visit(emulator, short, "phone-1")
    assert status == 409 and "audit" in body["error"]               # not yet reviewed: the link shows nothing
    assert _review(emulator, short, "approve")[1]["state"] == "effective"
    for visitor in ("phone-1", "phone-1", "phone-2", None):
        status, body = _visit(emulator, short, visitor)
        assert status == 200
    assert (body["page_views"], body["unique_visitors"]) == (4, 3)
    assert _visit(emulator, "http://tb.cn/nope00")[0] == 404
    assert admin(emulator, "POST", "/_emulator/short-urls/visit", {"short_url": 5})[0] == 400
    assert admin(emulator, "POST", "/_emulator/short-urls/visit", {"short_url": short, "visitor": "v" * 129})[0] == 400
    assert _visit(emulator, short, "v" * 128)[1]["unique_visitors"] == 4
    got = _query(dysms, short).data
    assert (got.page_view_count, got.unique_visitor_count) == ("5", "4")
    listed = get(emulator, "/short-urls")[1]
    conforms(DOCUMENT, "ShortUrlList", listed)
    conforms(DOCUMENT, "ShortUrl", body)
    assert listed["account"] == "default"
    assert [(u["short_url"], u["state"], u["page_views"]) for u in listed["short_urls"]] == [(short, "effective", 5)]


def test_delete_goes_by_source_url(dysms, emulator):
    first, second = _add(dysms).data.short_url, _add(dysms, name="再来一个").data.short_url
    other = _add(dysms, source="https://shop.example.com/other").data.short_url
    assert len({first, second, other}) == 3
    deleted = dysms.delete_short_url(m.DeleteShortUrlRequest(source_url=SOURCE)).body
    assert deleted.code == "OK"
    for gone in (first, second):
        answer = _query(dysms, gone)
        assert answer.code == "isv.INVALID_PARAMETERS" and "短链不存在" in answer.message
    assert _status(dysms, other) == "audit"
    again = dysms.delete_short_url(m.DeleteShortUrlRequest(source_url=SOURCE)).body
    assert again.code == "isv.INVALID_PARAMETERS" and "短链不存在" in again.message


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"source": "x" * 1001}, "isv.PARAM_LENGTH_LIMIT"),
    ({"name": "名" * 14}, "isv.PARAM_LENGTH_LIMIT"),
    ({"days": "0"}, "isv.INVALID_PARAMETERS"),
    ({"days": "91"}, "isv.INVALID_PARAMETERS"),
    ({"days": "30.5"}, "isv.INVALID_PARAMETERS"),
    ({"days": "三十"}, "isv.INVALID_PARAMETERS"),
    ({"source": "ftp://shop.example.com/"}, "isv.INVALID_PARAMETERS"),
])
def test_add_refuses_what_the_provider_refuses(dysms, emulator, kwargs, code):
    answer = _add(dysms, **kwargs)
    assert answer.code == code and answer.data is None
    assert get(emulator, "/short-urls")[1]["short_urls"] == []


def test_the_longest_documented_values_are_accepted(dysms, emulator):
    source = "https://shop.example.com/" + "x" * (1000 - len("https://shop.example.com/"))
    assert _add(dysms, source=source, name="名" * 13, days="90").code == "OK"


@pytest.mark.parametrize("missing", ["SourceUrl", "ShortUrlName", "EffectiveDays"])
def test_add_without_a_required_parameter_is_refused_at_the_gateway(dysms, emulator, missing):
    values = {"source_url": SOURCE, "short_url_name": "双十一", "effective_days": "30"}
    values[{"SourceUrl": "source_url", "ShortUrlName": "short_url_name", "EffectiveDays": "effective_days"}[missing]] \
        = None
    with pytest.raises(TeaException) as info:
        dysms.add_short_url(m.AddShortUrlRequest(**values))
    assert info.value.code == f"Missing{missing}"


def test_query_and_delete_need_their_parameter_and_refuse_unknown_ones(dysms, emulator):
    with pytest.raises(TeaException) as info:
        dysms.query_short_url(m.QueryShortUrlRequest())
    assert info.value.code == "MissingShortUrl"
    with pytest.raises(TeaException) as info:
        dysms.delete_short_url(m.DeleteShortUrlRequest())
    assert info.value.code == "MissingSourceUrl"
    assert _query(dysms, "http://tb.cn/nope00").code == "isv.INVALID_PARAMETERS"
    assert _query(dysms, "x" * 1001).code == "isv.PARAM_LENGTH_LIMIT"


def test_the_daily_cap_holds_for_a_china_calendar_day(dysms, emulator):
    def fill() -> None:
        book = emulator.backend.short_urls.book("default")
        book.creations = [emulator.backend.clock.now()] * (DAILY_CAP - 1)

    emulator.call(fill)
    assert _add(dysms).code == "OK"                     # the 3000th of the day
    refused = _add(dysms)
    assert refused.code == "isv.BUSINESS_LIMIT_CONTROL" and str(DAILY_CAP) in refused.message
    now = emulator.backend.clock.china_datetime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() + 86400
    advance(emulator, midnight - emulator.backend.clock.now() + 1)
    assert _add(dysms).code == "OK"                     # a new China day


def test_the_stored_cap_refuses_beyond_it_and_says_so(dysms, emulator):
    _policy(emulator, "manual")
    short = _add(dysms).data.short_url

    def fill() -> None:
        book = emulator.backend.short_urls.book("default")
        item = book.urls[short]
        for n in range(STORED_CAP - 1):
            key = f"http://tb.cn/f{n:05d}"
            book.urls[key] = type(item)(short_url=key, name="n", source_url=SOURCE, created=item.created,
                                        expires=item.expires)

    emulator.call(fill)
    refused = _add(dysms)
    assert refused.code == "isv.BUSINESS_LIMIT_CONTROL" and "delete some first" in refused.message
    assert dysms.delete_short_url(m.DeleteShortUrlRequest(source_url=SOURCE)).body.code == "OK"
    assert _add(dysms).code == "OK"


def test_two_accounts_do_not_see_each_others_short_urls(dysms, emulator):
    from alibabacloud_dysmsapi20170525.client import Client

    short = _add(dysms).data.short_url
    account = new_account(emulator)
    other = Client(tea_config(emulator, access_key_id=account["access_key_id"],
                              access_key_secret=account["access_key_secret"]))
    assert _query(other, short).code == "isv.INVALID_PARAMETERS"
    assert other.delete_short_url(m.DeleteShortUrlRequest(source_url=SOURCE)).body.code == "isv.INVALID_PARAMETERS"
    mine = _add(other).data.short_url
    assert mine != short
    assert [u["short_url"] for u in get(emulator, "/short-urls", account=account["name"])[1]["short_urls"]] == [mine]
    assert [u["short_url"] for u in get(emulator, "/short-urls")[1]["short_urls"]] == [short]
    assert get(emulator, "/short-urls", account="nobody")[0] == 404
    status, _ = admin(emulator, "POST", f"/_emulator/reset?what=messages&account={account['name']}")
    assert status == 200
    assert get(emulator, "/short-urls", account=account["name"])[1]["short_urls"] == []
    assert _status(dysms, short) == "audit"              # forgetting one account leaves the other's


def test_a_review_in_progress_survives_a_restart_with_db(tmp_path):
    from alibabacloud_dysmsapi20170525.client import Client

    db = tmp_path / "state.db"
    first = emulator_with(db)
    try:
        client = Client(tea_config(first))
        short = _add(client).data.short_url
        _policy(first, "immediate")
        effective = _add(client, source="https://shop.example.com/now").data.short_url
        assert _visit(first, effective, "phone-1")[0] == 200
        advance(first, 3600)
    finally:
        first.stop()
    second = emulator_with(db)
    try:
        client = Client(tea_config(second))
        assert _status(client, short) == "audit"
        got = _query(client, effective).data
        assert (got.short_url_status, got.page_view_count, got.unique_visitor_count) == ("effective", "1", "1")
        advance(second, 3601)       # the review job came back with the queue and falls due
        assert _status(client, short) == "effective"
        assert _visit(second, effective, "phone-1")[1]["unique_visitors"] == 1   # the visitor is remembered
    finally:
        second.stop()


def test_legacy_sdk_sees_the_same_short_urls(legacy, emulator):
    _policy(emulator, "immediate")
    add = AddShortUrlRequest.AddShortUrlRequest()
    add.set_SourceUrl(SOURCE)
    add.set_ShortUrlName("旧接口")
    add.set_EffectiveDays("60")
    data = json.loads(legacy.do_action_with_exception(add))["Data"]
    assert data["SourceUrl"] == SOURCE and data["ExpireDate"].endswith(":00:00")
    assert _visit(emulator, data["ShortUrl"], "phone-9")[0] == 200
    query = CommonRequest(domain=emulator.endpoint, version="2017-05-25", action_name="QueryShortUrl")
    query.set_method("POST")
    query.set_accept_format("json")
    query.add_query_param("ShortUrl", data["ShortUrl"])
    answer = json.loads(legacy.do_action_with_exception(query))
    assert answer["Code"] == "OK"
    assert {k: answer["Data"][k] for k in ("ShortUrlStatus", "PageViewCount", "UniqueVisitorCount", "ShortUrlName")} \
        == {"ShortUrlStatus": "effective", "PageViewCount": "1", "UniqueVisitorCount": "1", "ShortUrlName": "旧接口"}


def test_a_seeded_run_repeats_its_short_urls_and_a_restart_draws_new_ones(tmp_path):
    from alibabacloud_dysmsapi20170525.client import Client

    from emulator.server import EmulatorServer
    from emulator.settings import Settings

    drawn = []
    for _ in range(2):
        with EmulatorServer(Settings(port=0, quiet=True, seed=7)) as server:
            drawn.append([_add(Client(tea_config(server)), name=f"n{i}").data.short_url for i in range(3)])
    assert drawn[0] == drawn[1] and len(set(drawn[0])) == 3
    db = tmp_path / "state.db"
    urls = []
    for _ in range(2):
        server = emulator_with(db, seed=7)      # started already
        try:
            urls.append(_add(Client(tea_config(server))).data.short_url)
        finally:
            server.stop()
    before, after = urls        # the second run draws from a new epoch: never one the database holds
    assert after != before
