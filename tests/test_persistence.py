"""`--db FILE`: state kept in SQLite across restarts, graceful or not.

In-process restarts check that every section of the state comes back and behaves (a code sent before still
passes, a credential still signs, a report still retries); subprocess tests check the promises against real
signals: after `kill -9` in the middle of a burst every acknowledged send is there and pending reports still go
out, and SIGTERM finishes the request in flight and writes the queue.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_dypnsapi20170525.client import Client as Dypns
from alibabacloud_dysmsapi20170525.client import Client as Dysms
from alibabacloud_dysmsapi20170525.models import SendSmsRequest

from emulator.core.persistence import SqliteStore
from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.admin_helpers import new_account, send_1oc
from tests.conftest import admin, advance, messages, tea_config
from tests.dypns_helpers import check, send_code, send_error
from tests.receiver import Receiver, closed_port_url
from tests.ship_helpers import serve
from tests.signing import signed_query
from tests.test_dypns_sts import tokens

NOTICE = {"sign_name": "驴游", "template_code": "SMS_900000001", "template_param": '{"order":"A1","days":"3"}'}


def emulator_with(db: Path, **settings: Any) -> EmulatorServer:
    return EmulatorServer(Settings(port=0, quiet=True, db=str(db), **settings)).start()


def callbacks(server: EmulatorServer) -> dict[str, Any]:
    status, body = admin(server, "GET", "/_emulator/callbacks")
    assert status == 200
    return body


def rows(db: Path, table: str) -> int:
    store = SqliteStore(db, checkpoint_interval=None)
    try:
        return store.count(table)
    finally:
        store.close()


# Every section survives a restart -----------------------------------------------------------------------


def test_every_part_of_the_state_survives_a_restart(tmp_path):
    db = tmp_path / "state.db"
    first = emulator_with(db)
    try:
        dysms, dypns = Dysms(tea_config(first)), Dypns(tea_config(first))
        biz_id = dysms.send_sms(SendSmsRequest(phone_numbers="13912340001", **NOTICE)).body.biz_id
        code = send_code(dypns, "13912340002")
        sts = tokens(dypns).data
        created = new_account(first, name="persisted", balance=50)
        send_1oc(first, created, phone="13912340003")
        status, _ = admin(first, "PATCH", "/_emulator/accounts/default",
                          {"receipts": {"sms_report": closed_port_url()}})
        assert status == 200
        advance(first, 4)          # delivered; the SmsReport to a closed port fails and waits for its retry
        before = {"messages": messages(first), "pending": callbacks(first)["pending"],
                  "balance": first.call(lambda: first.backend.accounts.get("default").balance),
                  "offset": first.call(lambda: first.backend.clock.offset)}
        assert [p["attempt"] for p in before["pending"]] == [2]
    finally:
        first.stop()

    second = emulator_with(db)
    try:
        assert messages(second) == before["messages"]
        assert before["messages"][0]["biz_id"] == biz_id
        assert second.call(lambda: second.backend.clock.offset) == pytest.approx(before["offset"])
        assert second.call(lambda: second.backend.accounts.get("default").balance) == before["balance"]
        assert second.call(lambda: second.backend.accounts.get("persisted").balance) == 49
        assert [p["id"] for p in callbacks(second)["pending"]] == [p["id"] for p in before["pending"]]

        dypns = Dypns(tea_config(second))
        assert check(dypns, "13912340002", code) == "PASS"                     # the code came back
        assert send_error(dypns, "13912340002").code == "FREQUENCY_FAIL"       # and so did its send time
        via_sts = Dysms(tea_config(second, access_key_id=sts.sts_access_key_id,
                                   access_key_secret=sts.sts_access_key_secret, security_token=sts.sts_token))
        assert via_sts.send_sms(SendSmsRequest(phone_numbers="13912340004", **NOTICE)).body.code == "OK"
        send_1oc(second, created, phone="13912340005")                          # the created account signs
        ids = [m["id"] for m in messages(second)]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)                # ids continue, never reused
    finally:
        second.stop()


def test_frequency_windows_survive_a_restart(tmp_path):
    db = tmp_path / "state.db"
    first = emulator_with(db)
    try:
        client = Dysms(tea_config(first))
        verify = {"sign_name": "阿里云短信测试", "template_code": "SMS_154950909", "template_param": '{"code":"1"}'}
        assert client.send_sms(SendSmsRequest(phone_numbers="13912340010", **verify)).body.code == "OK"
    finally:
        first.stop()
    second = emulator_with(db)
    try:
        client = Dysms(tea_config(second))
        answer = client.send_sms(SendSmsRequest(phone_numbers="13912340010", **verify)).body
        assert answer.code == "isv.BUSINESS_LIMIT_CONTROL"      # one verification SMS per number and minute
    finally:
        second.stop()


def test_the_database_keeps_no_more_messages_than_the_store(tmp_path):
    db = tmp_path / "state.db"
    first = emulator_with(db, store_cap=5)
    try:
        for i in range(12):
            send_1oc(first, phone=f"139123401{i:02d}")
        assert len(messages(first)) == 5
    finally:
        first.stop()
    assert rows(db, "messages") == 5
    second = emulator_with(db, store_cap=3)       # a smaller cap prunes the oldest at start, on disk too
    try:
        assert [m["phone"] for m in messages(second)] == ["13912340109", "13912340110", "13912340111"]
    finally:
        second.stop()
    assert rows(db, "messages") == 3


def test_reset_and_forgetting_an_account_reach_the_database(tmp_path):
    db = tmp_path / "state.db"
    server = emulator_with(db)
    try:
        account = new_account(server, name="forgotten")
        send_1oc(server, account, phone="13912340201")
        send_1oc(server, phone="13912340202")
        status, _ = admin(server, "POST", "/_emulator/reset?what=messages&account=forgotten")
        assert status == 200
        assert rows(db, "messages") == 1
        status, _ = admin(server, "POST", "/_emulator/reset?what=all")
        assert status == 200
        assert rows(db, "messages") == 0 and rows(db, "jobs") == 0
    finally:
        server.stop()
    again = emulator_with(db)
    try:
        assert messages(again) == []
        send_1oc(again, phone="13912340203")
        assert messages(again)[0]["id"] > 2           # ids are never reused, even across a reset and restart
    finally:
        again.stop()


def test_without_a_database_nothing_of_persistence_is_attached(tmp_path):
    from emulator.app import build_app
    from emulator.ops.setup import DURABLE_KEY

    app = build_app(Settings())
    assert DURABLE_KEY not in app
    # no commit before answers: only the admin guard (cross-site and Host checks), which every app has
    assert [m.__name__ for m in app.middlewares] == ["guard_admin"]
    with_db = build_app(Settings(db=str(tmp_path / "state.db")))
    assert [m.__name__ for m in with_db.middlewares] == ["guard_admin", "commit_admin"]


# Real processes: kill -9 and SIGTERM -----------------------------------------------------------------------


class Burst:
    """Threads sending signed SendSms requests on keep-alive connections until told to stop or refused."""

    def __init__(self, port: int, threads: int = 6) -> None:
        self.port = port
        self.acked: list[str] = []             # BizIds of sends answered HTTP 200 + Code OK
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]

    def start(self) -> Burst:
        for thread in self._threads:
            thread.start()
        return self

    def join(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _run(self, worker: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        n = 0
        while not self.stop.is_set():
            n += 1
            phone = f"137{worker:02d}{n:06d}"
            query = signed_query("SendSms", {"PhoneNumbers": phone, "SignName": NOTICE["sign_name"],
                                             "TemplateCode": NOTICE["template_code"],
                                             "TemplateParam": NOTICE["template_param"]}, time.time())
            try:
                conn.request("POST", "/?" + query, headers={"Content-Length": "0"})
                resp = conn.getresponse()
                body = resp.read()
            except (OSError, http.client.HTTPException):
                return                          # the emulator is gone
            answer = json.loads(body)
            if resp.status == 200 and answer.get("Code") == "OK":
                with self._lock:
                    self.acked.append(answer["BizId"])

    def count(self) -> int:
        with self._lock:
            return len(self.acked)


@pytest.fixture
def report_receiver():
    rec = Receiver().start()
    yield rec
    rec.stop()


def test_kill_9_during_a_burst_loses_no_acknowledged_message_and_reports_still_go_out(tmp_path, report_receiver):
    db = tmp_path / "state.db"
    first = serve(tmp_path, "--db", str(db), "--quiet").start()
    try:
        status, _ = first.patch("/_emulator/accounts/default",
                                {"receipts": {"sms_report": report_receiver.url + "/report"}})
        assert status == 200
        # A report whose first attempt fails: its retry is due a minute later (virtual), i.e. after the restart.
        report_receiver.respond(500)
        early_id = _send_one(first.port)
        first.post("/_emulator/clock/advance", {"seconds": 4})
        _, pending = first.get("/_emulator/callbacks")
        assert [p["attempt"] for p in pending["pending"]] == [2]

        burst = Burst(first.port).start()
        deadline = time.monotonic() + 20
        while burst.count() < 300 and time.monotonic() < deadline:
            time.sleep(0.01)
        first.kill()                            # SIGKILL while the threads are still sending
        burst.join()
        acked = list(burst.acked)
        assert len(acked) >= 300
    finally:
        first.kill()
    assert first.proc is not None and first.proc.returncode == -9

    second = serve(tmp_path, "--db", str(db), "--quiet").start()
    try:
        stored = {m["biz_id"]: m for m in second.messages()}
        lost = [biz_id for biz_id in acked if biz_id not in stored]
        assert not lost, f"{len(lost)} of {len(acked)} acknowledged messages lost"
        assert early_id in stored

        status, _ = second.post("/_emulator/clock/advance", {"seconds": 61})   # the retry and every delivery
        assert status == 200
        reported = {item["biz_id"] for r in report_receiver.accepted() for item in r.body}
        assert early_id in reported                                          # the retry after the restart
        assert set(acked) <= reported                                        # deliveries that were waiting
        assert {m["status"] for m in second.messages()} == {"delivered"}
    finally:
        assert second.terminate() == 0


def _send_one(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    query = signed_query("SendSms", {"PhoneNumbers": "13912349999", "SignName": NOTICE["sign_name"],
                                     "TemplateCode": NOTICE["template_code"],
                                     "TemplateParam": NOTICE["template_param"]}, time.time())
    conn.request("POST", "/?" + query, headers={"Content-Length": "0"})
    answer = json.loads(conn.getresponse().read())
    conn.close()
    assert answer["Code"] == "OK", answer
    return answer["BizId"]


def test_sigterm_finishes_the_request_in_flight_and_writes_the_queue(tmp_path):
    db = tmp_path / "state.db"
    cli = serve(tmp_path, "--db", str(db)).start()
    answers: list[tuple[int, bytes]] = []
    # 13800000005 answers after 2 s (default scenario): SIGTERM arrives while it is being handled.
    slow = threading.Thread(target=lambda: answers.append(cli.request(
        "GET", "/?module=sms&file=send&action=send&mobphone=13800000005&code=1&smstemplate=1001",
        headers={"Authorization": "testappsecret"})))
    slow.start()
    time.sleep(1.0)                                # well inside the 2 s, and past a loaded machine's first byte
    assert cli.terminate() == 0
    slow.join(timeout=10)
    [(status, body)] = answers
    assert status == 200 and json.loads(body)["code"] == 200
    assert b"shutting down" in cli.out
    assert rows(db, "messages") == 1
    assert rows(db, "jobs") == 1                   # its delivery, still due: written at shutdown

    again = serve(tmp_path, "--db", str(db)).start()
    try:
        [message] = again.messages()
        assert message["phone"] == "13800000005" and message["status"] == "waiting"
        again.post("/_emulator/clock/advance", {"seconds": 5})
        assert again.messages()[0]["status"] == "delivered"
    finally:
        assert again.terminate() == 0


def test_a_database_that_cannot_be_opened_is_a_one_line_error(tmp_path):
    not_sqlite = tmp_path / "garbage.db"
    not_sqlite.write_bytes(b"this is not a database" * 100)
    for path in (str(not_sqlite), str(tmp_path / "missing-dir" / "state.db")):
        cli = serve(tmp_path, "--db", path)
        with pytest.raises(AssertionError, match="exited 2"):
            cli.start(timeout=15)
        lines = cli.err.decode().strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("sms-emulator: ") and path in lines[0], lines
