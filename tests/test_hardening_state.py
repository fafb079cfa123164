"""Issue 17's state items: balances, failing disks, large clock jumps, bounded state, seeded ids.

Each test drives a real emulator on a loopback port (a subprocess where a restart or a signal is the point).
"""

from __future__ import annotations

import json
import os
import time
from urllib.parse import quote

import pytest
from alibabacloud_dypnsapi20170525.client import Client as Dypns
from alibabacloud_dysmsapi20170525.client import Client as Dysms
from alibabacloud_dysmsapi20170525.models import SendSmsRequest

from emulator.core.limits import LONGEST_WINDOW
from emulator.core.persistence import SqliteStore
from emulator.core.sweep import FLOOR
from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.admin_helpers import new_account, send_1oc
from tests.conftest import admin, advance, messages, tea_config
from tests.dypns_helpers import send_code
from tests.ship_helpers import Cli, clean_env, console_script, free_port, serve
from tests.signing import signed_query
from tests.test_callbacks import callbacks
from tests.test_dypns_sts import tokens
from tests.test_onecloud import onecloud, send_query
from tests.test_persistence import NOTICE, Burst, _send_one, emulator_with, rows

# 3: one source of truth for balances ----------------------------------------------------------------------


@pytest.mark.parametrize("stop", ["terminate", "kill"])
def test_a_patched_balance_survives_a_restart_after_the_account_has_sent(tmp_path, stop):
    db = tmp_path / "state.db"
    first = serve(tmp_path, "--db", str(db), "--quiet").start()
    try:
        _send_one(first.port)                                     # a charge: the balance has a row of its own
        status, _ = first.patch("/_emulator/accounts/default", {"balance": 500})
        assert status == 200
    finally:
        if stop == "kill":
            first.kill()
        else:
            assert first.terminate() == 0
    second = serve(tmp_path, "--db", str(db), "--quiet").start()
    try:
        _, account = second.get("/_emulator/accounts/default")
        assert account["balance"] == 500
        _send_one(second.port)
        _, account = second.get("/_emulator/accounts/default")
        assert account["balance"] == 499
    finally:
        assert second.terminate() == 0


def test_a_created_accounts_patched_balance_survives_a_restart(tmp_path):
    db = tmp_path / "state.db"
    first = emulator_with(db)
    try:
        created = new_account(first, name="patched", balance=50)
        send_1oc(first, created, phone="13912345601")            # charged: 49, in the balances row
        status, _ = admin(first, "PATCH", "/_emulator/accounts/patched", {"balance": 3})
        assert status == 200
    finally:
        first.stop()
    second = emulator_with(db)
    try:
        assert admin(second, "GET", "/_emulator/accounts/patched")[1]["balance"] == 3
    finally:
        second.stop()


# 6: one large clock jump runs every job at its own due time ---------------------------------------------


def _jump_sends_three_reports_at_their_times(emulator, receiver, move) -> None:
    """13800000006: delivered at +3 s, the first two report POSTs count as failed (retries +1 min, +5 min)."""
    onecloud(emulator, send_query(mobphone="13800000006", returnurl=receiver.url))
    [message] = messages(emulator)
    move(emulator, message["sent_at"])
    assert len(receiver.wait_for(3)) == 3
    [message] = messages(emulator)
    assert message["delivered_at"] - message["sent_at"] == pytest.approx(3, abs=0.5)
    attempts = callbacks(emulator)["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert [round(a["at"] - message["sent_at"]) for a in attempts] == [3, 63, 363]
    assert [round(a["at"] - a["due"]) for a in attempts] == [0, 0, 0]     # attempted when due, not at +600
    assert callbacks(emulator)["pending"] == []


def test_one_clock_advance_runs_deliveries_and_retries_at_their_own_times(emulator, receiver):
    _jump_sends_three_reports_at_their_times(emulator, receiver, lambda server, _: advance(server, 600))


def test_one_clock_set_runs_deliveries_and_retries_at_their_own_times(emulator, receiver):
    def jump(server, sent_at):
        status, body = admin(server, "POST", "/_emulator/clock/set", {"time": sent_at + 600})
        assert status == 200, body
        assert body["now"] == pytest.approx(sent_at + 600, abs=1)

    _jump_sends_three_reports_at_their_times(emulator, receiver, jump)


# 10: seeded ids repeat across runs but never collide with what exists ------------------------------------


def _dypns_as(server, account):
    return Dypns(tea_config(server, access_key_id=account["access_keys"][0]["access_key_id"],
                            access_key_secret=account["access_keys"][0]["access_key_secret"]))


def test_seeded_sts_credentials_are_never_issued_again_after_a_reset():
    with EmulatorServer(Settings(port=0, quiet=True, seed=7)) as server:
        first = tokens(Dypns(tea_config(server))).data                     # the default account's
        admin(server, "POST", "/_emulator/reset?what=all")
        _, other = admin(server, "GET", f"/_emulator/accounts/{new_account(server)['name']}")
        second = tokens(_dypns_as(server, other)).data
    assert first.sts_access_key_id != second.sts_access_key_id
    assert first.sts_token != second.sts_token


def _seeded_run(tmp_path, db_name: str, restarts: int) -> tuple[list[str], list[str]]:
    """STS key ids and BizIds/mids of a seeded run over `restarts` restarts of one database."""
    db = tmp_path / db_name
    credentials, ids = [], []
    for n in range(restarts + 1):
        server = emulator_with(db, seed=7)
        try:
            credentials.append(tokens(Dypns(tea_config(server))).data.sts_access_key_id)
            ids.append(Dysms(tea_config(server)).send_sms(
                SendSmsRequest(phone_numbers=f"1391234570{n}", **NOTICE)).body.biz_id)
            ids.append(send_1oc(server, phone=f"1391234571{n}")["mid"])
            status, body = admin(server, "GET", f"/_emulator/messages?biz_id={quote(ids[-2])}")
            assert status == 200 and len(body["messages"]) == 1
        finally:
            server.stop()
    return credentials, ids


def test_seeded_ids_repeat_across_runs_but_not_across_restarts_of_one_database(tmp_path):
    credentials, ids = _seeded_run(tmp_path, "a.db", restarts=2)
    assert len(set(credentials)) == 3 and len(set(ids)) == 6        # nothing issued twice
    assert _seeded_run(tmp_path, "b.db", restarts=2) == (credentials, ids)   # and the same again from scratch


# 4: acknowledged means kept, even when the disk is full ------------------------------------------------


def _limited(tmp_path, db, file_size: int, *flags: str) -> Cli:
    """The emulator with a file-size limit (RLIMIT_FSIZE, as a full disk): writes beyond it fail with EFBIG."""
    port = free_port()
    return Cli(["prlimit", f"--fsize={file_size}", console_script(), "serve", "--port", str(port),
                "--db", str(db), "--quiet", *flags], clean_env(), port)


def test_a_full_disk_refuses_sends_in_the_providers_shapes_and_loses_nothing_acknowledged(tmp_path):
    db = tmp_path / "state.db"
    first = _limited(tmp_path, db, 256 * 1024).start()
    try:
        burst = Burst(first.port, threads=4).start()
        refused: tuple[int, dict] | None = None
        deadline = time.monotonic() + 60
        while refused is None and time.monotonic() < deadline:
            status, body = first.request("POST", "/?" + signed_query("SendSms", {
                "PhoneNumbers": "13912349998", "SignName": NOTICE["sign_name"],
                "TemplateCode": NOTICE["template_code"], "TemplateParam": NOTICE["template_param"]}, time.time()),
                headers={"Content-Length": "0"})
            if status != 200:
                refused = status, json.loads(body)
        burst.join()
        assert refused is not None, "the disk never filled"
        status, answer = refused
        assert status == 503 and answer["Code"] == "ServiceUnavailable" and answer["RequestId"]
        status, health = first.get("/_emulator/health")
        assert status == 503 and health["status"] == "failing" and health["store_error"], health
        status, body = first.request("GET", "/?" + send_query(mobphone="13912349997"),
                                     headers={"Authorization": "testappsecret"})
        assert status == 200 and json.loads(body)["code"] == 500             # 1oc's own shape: 系统繁忙
        status, body = first.patch("/_emulator/accounts/default", {"balance": 1})
        assert status == 503 and "cannot be written" in body["error"]
        acked = list(burst.acked)
        assert acked
    finally:
        first.kill()
    second = serve(tmp_path, "--db", str(db), "--quiet").start()
    try:
        stored = {m["biz_id"] for m in second.messages()}
        lost = [biz_id for biz_id in acked if biz_id not in stored]
        assert not lost, f"{len(lost)} of {len(acked)} acknowledged messages lost"
        assert second.get("/_emulator/health")[1]["status"] == "ok"
    finally:
        assert second.terminate() == 0


def test_a_database_that_cannot_be_written_at_start_is_one_line_and_exit_2(tmp_path):
    db = tmp_path / "state.db"
    cli = _limited(tmp_path, db, 0)
    with pytest.raises(AssertionError, match="exited 2"):
        cli.start(timeout=15)
    lines = cli.err.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sms-emulator: ") and str(db) in lines[0], lines


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_a_read_only_database_is_one_line_and_exit_2(tmp_path):
    db = tmp_path / "state.db"
    SqliteStore(db, checkpoint_interval=None).close()
    db.chmod(0o444)
    cli = serve(tmp_path, "--db", str(db))
    with pytest.raises(AssertionError, match="exited 2"):
        cli.start(timeout=15)
    assert len(cli.err.decode().strip().splitlines()) == 1


# 7: bounded state: expired credentials and code scopes are swept, accounts can be deleted -----------------


def test_expired_sts_credentials_and_code_scopes_are_swept_from_memory_and_the_database(tmp_path):
    db = tmp_path / "state.db"
    server = emulator_with(db)
    try:
        dypns = Dypns(tea_config(server))
        for n in range(FLOOR):
            tokens(dypns)                                     # 900 s each
            send_code(dypns, f"139{n:08d}")                   # a code scope each (5 min)
        advance(server, 2 * 86400)                            # all expired for more than a day
        for n in range(FLOOR):                                # a sweep runs once the population has doubled
            fresh = tokens(dypns).data
            send_code(dypns, f"137{n:08d}")
        counts = server.call(lambda: (len(server.backend.accounts.sts_credentials()),
                                      len(set(server.backend.codes._codes) | set(server.backend.codes._last_send))))
        assert counts[0] <= FLOOR + 1 and counts[1] <= FLOOR + 1, counts     # not 2 * FLOOR: the old ones went
        via_sts = Dysms(tea_config(server, access_key_id=fresh.sts_access_key_id,
                                   access_key_secret=fresh.sts_access_key_secret, security_token=fresh.sts_token))
        assert via_sts.send_sms(SendSmsRequest(phone_numbers="13912345681", **NOTICE)).body.code == "OK"
    finally:
        server.stop()
    assert rows(db, "sts") <= FLOOR + 1 and rows(db, "codes") <= FLOOR + 1


def test_forgotten_frequency_windows_leave_the_database(tmp_path):
    db = tmp_path / "state.db"
    server = emulator_with(db)
    try:
        verify = {"sign_name": "阿里云短信测试", "template_code": "SMS_154950909", "template_param": '{"code":"1"}'}
        client = Dysms(tea_config(server))
        client.send_sms(SendSmsRequest(phone_numbers="13912345690", **verify))
        before = rows(db, "limits")
        advance(server, LONGEST_WINDOW + 60)
        client.send_sms(SendSmsRequest(phone_numbers="13912345691", **verify))   # the old windows are forgotten
    finally:
        server.stop()
    assert before >= 1 and rows(db, "limits") <= before


def test_a_run_time_account_can_be_deleted_and_stays_deleted_after_a_restart(tmp_path):
    db = tmp_path / "state.db"
    server = emulator_with(db)
    try:
        account = new_account(server, name="per-test")
        send_1oc(server, account, phone="13912345692")
        assert admin(server, "DELETE", "/_emulator/accounts/per-test")[0] == 204
        assert admin(server, "DELETE", "/_emulator/accounts/per-test")[0] == 404
        assert admin(server, "DELETE", "/_emulator/accounts/default")[0] == 409
        status, body = onecloud(server, send_query(), secret=account["app_secret"])
        assert status == 200 and body["code"] == 400                # its AppSecret no longer signs
        assert [m["account"] for m in messages(server)] == ["per-test"]   # its messages stay for the inbox
    finally:
        server.stop()
    again = emulator_with(db)
    try:
        assert admin(again, "GET", "/_emulator/accounts/per-test")[0] == 404
    finally:
        again.stop()
