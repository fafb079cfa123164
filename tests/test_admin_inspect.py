"""The inspection API over real sockets: message filters, one message, the long-poll, and per-account reset."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from alibabacloud_dypnsapi20170525 import models as pns
from alibabacloud_dypnsapi20170525.client import Client as Dypns

from emulator.admin import inspect
from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.admin_helpers import get, new_account, send_1oc
from tests.conftest import admin, advance, tea_config

PHONE = "13912345678"


def later(seconds: float, fn, *args):
    """Run `fn` on a thread after a pause: the message arrives while the long-poll is already waiting."""
    timer = threading.Timer(seconds, fn, args)
    timer.start()
    return timer


# Listing and filters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["+8613912345678", "008613912345678", "8613912345678", "+86 139-1234-5678",
                                  "139 1234 5678"])
def test_phone_filter_accepts_every_form_of_the_number(emulator, form):
    send_1oc(emulator, phone=PHONE)
    send_1oc(emulator, phone="13912345679")
    status, body = get(emulator, "/messages", phone=form)
    assert status == 200
    assert [m["phone"] for m in body["messages"]] == [PHONE]


def test_an_unencoded_plus_in_the_query_still_finds_the_number(emulator):
    send_1oc(emulator, phone=PHONE)
    status, body = admin(emulator, "GET", "/_emulator/messages?phone=+8613912345678")   # `+` arrives as a space
    assert status == 200 and len(body["messages"]) == 1


def test_filters_by_provider_template_sign_status_account_and_code(emulator):
    mine = new_account(emulator)
    send_1oc(emulator, mine, code="1111", template="1001")
    send_1oc(emulator, mine, phone="13912345679", code="2222", template="1002")
    send_1oc(emulator, code="3333")                                      # the default account

    def ids(**query):
        status, body = get(emulator, "/messages", **query)
        assert status == 200, body
        return [m["params"]["code"] for m in body["messages"]]

    assert ids(account=mine["name"]) == ["1111", "2222"]
    assert ids(account="default") == ["3333"]
    assert ids(provider="onecloud") == ["1111", "2222", "3333"]
    assert ids(provider="dysms") == []
    assert ids(template="1002") == ["2222"]
    assert ids(sign="云通讯", account=mine["name"]) == ["1111", "2222"]
    assert ids(status="waiting") == ["1111", "2222", "3333"]
    advance(emulator, 5)
    assert ids(status="delivered", account=mine["name"]) == ["1111", "2222"]
    assert ids(has_code="true") == ["1111", "2222", "3333"]
    assert ids(has_code="false") == []


def test_since_is_a_cursor_and_limit_keeps_the_newest(emulator):
    for code in ("1001", "1002", "1003"):
        send_1oc(emulator, code=code)
    body = get(emulator, "/messages")[1]
    first, second, third = (m["id"] for m in body["messages"])
    assert body["cursor"] == third
    body = get(emulator, "/messages", since=first)[1]
    assert [m["id"] for m in body["messages"]] == [second, third]
    assert get(emulator, "/messages", since=third) == (200, {"messages": [], "cursor": third})
    body = get(emulator, "/messages", limit=2)[1]
    assert [m["id"] for m in body["messages"]] == [second, third]


@pytest.mark.parametrize(("query", "word"), [
    ("status=sent", "status"), ("provider=twilio", "provider"), ("since=abc", "since"), ("limit=0", "limit"),
    ("has_code=maybe", "has_code")])
def test_bad_filters_answer_400_saying_which(emulator, query, word):
    status, body = admin(emulator, "GET", f"/_emulator/messages?{query}")
    assert status == 400 and word in body["error"]


def test_one_message_by_id(emulator):
    send_1oc(emulator, code="4321")
    [message] = get(emulator, "/messages")[1]["messages"]
    status, body = get(emulator, f"/messages/{message['id']}")
    assert status == 200 and body == message and body["code"] == "4321"
    status, body = get(emulator, "/messages/999999")
    assert status == 404 and "999999" in body["error"]
    status, body = get(emulator, "/messages/abc")
    assert status == 404 and "error" in body


# The long-poll ---------------------------------------------------------------------------------------------


def test_wait_answers_at_once_when_a_match_is_already_there(emulator):
    send_1oc(emulator, code="5555")
    started = time.monotonic()
    status, body = get(emulator, "/messages/wait", phone="+86" + PHONE, timeout=10)
    assert status == 200 and body["message"]["code"] == "5555"
    assert body["cursor"] == body["message"]["id"] and [m["id"] for m in body["messages"]] == [body["cursor"]]
    assert time.monotonic() - started < 1


def test_wait_returns_as_soon_as_the_message_arrives(emulator):
    account = new_account(emulator)
    later(0.3, send_1oc, emulator, account, PHONE, "7777")
    started = time.monotonic()
    status, body = get(emulator, "/messages/wait", phone=PHONE, account=account["name"], timeout=20)
    elapsed = time.monotonic() - started
    assert status == 200 and body["message"]["code"] == "7777"
    assert 0.25 < elapsed < 2, elapsed          # woken by the message, not by a timeout or a slow poll


def test_wait_with_since_waits_for_a_newer_message(emulator):
    send_1oc(emulator, code="1000")
    cursor = get(emulator, "/messages/wait", phone=PHONE)[1]["cursor"]
    later(0.2, send_1oc, emulator, None, PHONE, "2000")
    status, body = get(emulator, "/messages/wait", phone=PHONE, since=cursor, timeout=20)
    assert status == 200 and body["message"]["code"] == "2000" and body["cursor"] > cursor


def test_wait_for_a_status_is_woken_by_the_update(emulator):
    send_1oc(emulator)
    later(0.3, advance, emulator, 5)                 # delivery happens on the clock move
    status, body = get(emulator, "/messages/wait", phone=PHONE, status="delivered", timeout=20)
    assert status == 200 and body["message"]["status"] == "delivered"


def test_wait_ignores_other_accounts_and_numbers(emulator):
    account = new_account(emulator)
    send_1oc(emulator, None, PHONE)                  # the default account: not ours
    send_1oc(emulator, account, "13912345679")       # ours, another number
    status, body = get(emulator, "/messages/wait", phone=PHONE, account=account["name"], timeout=0.3)
    assert status == 408 and "0.3" in body["error"] and body["cursor"] == 0


@pytest.mark.parametrize("timeout", ["-1", "abc", "301"])
def test_wait_refuses_bad_timeouts(emulator, timeout):
    status, body = admin(emulator, "GET", f"/_emulator/messages/wait?timeout={quote(timeout)}")
    assert status == 400 and "timeout" in body["error"]


@pytest.fixture
def small_server(monkeypatch: pytest.MonkeyPatch):
    """An emulator of its own that allows only two concurrent long-polls and checks for hang-ups often."""
    monkeypatch.setattr(inspect, "MAX_WAITERS", 2)
    monkeypatch.setattr(inspect, "LIVENESS_CHECK", 0.1)
    server = EmulatorServer(Settings(port=0, quiet=True)).start()
    yield server
    server.stop()


def test_concurrent_waits_are_bounded_with_a_clear_429(small_server):
    with ThreadPoolExecutor(2) as pool:
        waits = [pool.submit(get, small_server, "/messages/wait", phone=PHONE, timeout=20) for _ in range(2)]
        deadline = time.monotonic() + 5
        while True:            # both long-polls are in place once a third is refused
            status, body = get(small_server, "/messages/wait", phone=PHONE, timeout=0)
            if status == 429 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert status == 429 and "at most 2" in body["error"]
        send_1oc(small_server)
        assert [w.result(timeout=10)[0] for w in waits] == [200, 200]
    status, body = get(small_server, "/messages/wait", phone=PHONE, timeout=1)
    assert status == 200                              # the slots were given back


def test_a_client_that_hangs_up_frees_its_slot(small_server):
    socks = []
    for _ in range(2):
        sock = socket.create_connection(("127.0.0.1", small_server.port))
        sock.sendall(b"GET /_emulator/messages/wait?phone=13912345678&timeout=60 HTTP/1.1\r\nHost: x\r\n\r\n")
        socks.append(sock)
    time.sleep(0.3)
    assert get(small_server, "/messages/wait", phone=PHONE, timeout=0)[0] == 429
    for sock in socks:
        sock.close()
    deadline = time.monotonic() + 5
    while get(small_server, "/messages/wait", phone=PHONE, timeout=0)[0] == 429:
        assert time.monotonic() < deadline, "abandoned waits kept their slots"
        time.sleep(0.1)


def test_stopping_the_server_answers_pending_waits_at_once():
    server = EmulatorServer(Settings(port=0, quiet=True)).start()
    with ThreadPoolExecutor(1) as pool:
        wait = pool.submit(get, server, "/messages/wait", phone=PHONE, timeout=120)
        time.sleep(0.3)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 5
        assert wait.result(timeout=5)[0] == 503


# Reset -----------------------------------------------------------------------------------------------------


def dypns_for(server: EmulatorServer, account: dict) -> Dypns:
    return Dypns(tea_config(server, access_key_id=account["access_key_id"],
                            access_key_secret=account["access_key_secret"]))


def send_code(client: Dypns, phone: str = PHONE) -> str:
    sent = client.send_sms_verify_code(pns.SendSmsVerifyCodeRequest(
        phone_number=phone, sign_name="速通互联验证码", template_code="100001",
        template_param='{"code":"##code##","min":"5"}', return_verify_code=True))
    return sent.body.model.verify_code


def test_reset_of_one_account_leaves_the_others_alone(emulator):
    mine, theirs = new_account(emulator), new_account(emulator)
    send_code(dypns_for(emulator, mine))
    their_code = send_code(dypns_for(emulator, theirs))
    status, body = admin(emulator, "POST", f"/_emulator/reset?what=messages&account={mine['name']}")
    assert status == 200 and body == {"reset": "messages", "account": mine["name"]}
    assert get(emulator, "/messages", account=mine["name"])[1]["messages"] == []
    assert get(emulator, "/codes/latest", phone=PHONE, account=mine["name"])[0] == 404
    assert len(get(emulator, "/messages", account=theirs["name"])[1]["messages"]) == 1
    assert get(emulator, "/codes/latest", phone=PHONE, account=theirs["name"])[1]["code"] == their_code
    # Its limits went too: the 60-second Interval no longer refuses a new code to the same number.
    send_code(dypns_for(emulator, mine))


def test_reset_errors(emulator):
    assert admin(emulator, "POST", "/_emulator/reset?what=everything")[0] == 400
    assert admin(emulator, "POST", "/_emulator/reset?what=all&account=default")[0] == 400
    status, body = admin(emulator, "POST", "/_emulator/reset?what=messages&account=nobody")
    assert status == 404 and "nobody" in body["error"]


def test_global_reset_forgets_everything_but_ids_keep_growing(emulator):
    send_1oc(emulator)
    cursor = get(emulator, "/messages")[1]["cursor"]
    assert admin(emulator, "POST", "/_emulator/reset?what=messages")[0] == 200
    assert get(emulator, "/messages")[1]["messages"] == []
    send_1oc(emulator)
    assert get(emulator, "/messages")[1]["messages"][0]["id"] > cursor   # a cursor never sees an old id again
