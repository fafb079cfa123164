"""Accounts over real sockets: fresh isolated accounts whose credentials the official SDKs accept."""

from __future__ import annotations

import json

import pytest
from alibabacloud_dysmsapi20170525.client import Client as Dysms
from alibabacloud_dysmsapi20170525.models import SendSmsRequest

from emulator.server import EmulatorServer
from emulator.settings import Settings
from tests.admin_helpers import get, new_account, send_1oc
from tests.conftest import admin, tea_config
from tests.test_admin_inspect import dypns_for, send_code

PHONE = "13912345678"


def test_a_new_account_has_its_own_credentials(emulator):
    account = new_account(emulator)
    assert account["name"].startswith("acct-") and account["from_fixtures"] is False
    assert account["access_key_id"].startswith("LTAI") and len(account["access_key_secret"]) == 30
    assert len(account["app_secret"]) == 32
    assert account["access_keys"] == [{"access_key_id": account["access_key_id"],
                                       "access_key_secret": account["access_key_secret"], "enabled": True}]
    other = new_account(emulator)
    assert {other["access_key_id"], other["app_secret"]}.isdisjoint({account["access_key_id"],
                                                                     account["app_secret"]})


def test_the_sdk_signs_in_with_the_new_keys_and_messages_carry_the_account(emulator):
    account = new_account(emulator)
    client = Dysms(tea_config(emulator, access_key_id=account["access_key_id"],
                              access_key_secret=account["access_key_secret"]))
    resp = client.send_sms(SendSmsRequest(phone_numbers=PHONE, sign_name="阿里云短信测试",
                                          template_code="SMS_154950909", template_param=json.dumps({"code": "2468"})))
    assert resp.body.code == "OK"
    [message] = get(emulator, "/messages", account=account["name"])[1]["messages"]
    assert message["code"] == "2468" and message["provider"] == "dysms"
    assert get(emulator, "/messages", account="default")[1]["messages"] == []


def test_the_1oc_app_secret_of_a_new_account_works(emulator):
    account = new_account(emulator)
    send_1oc(emulator, account, code="1357")
    [message] = get(emulator, "/messages", account=account["name"])[1]["messages"]
    assert message["code"] == "1357"


def test_codes_and_limits_are_per_account(emulator):
    first, second = new_account(emulator), new_account(emulator)
    code_1 = send_code(dypns_for(emulator, first))
    code_2 = send_code(dypns_for(emulator, second))     # same number, no FREQUENCY_FAIL: its own Interval
    assert get(emulator, "/codes/latest", phone=PHONE, account=first["name"])[1]["code"] == code_1
    assert get(emulator, "/codes/latest", phone=PHONE, account=second["name"])[1]["code"] == code_2


def test_settings_at_creation_and_a_chosen_name(emulator):
    status, body = admin(emulator, "POST", "/_emulator/accounts",
                         {"name": "checkout-tests", "balance": 3, "qps": None, "functions": {"dypns_verify": False},
                          "receipts": {"sms_report": "http://127.0.0.1:9/report"}})
    assert status == 201, body
    assert body["name"] == "checkout-tests" and body["balance"] == 3 and body["qps"] is None
    assert body["functions"]["dypns_verify"] is False
    assert body["receipts"]["sms_report"] == "http://127.0.0.1:9/report"
    status, body = admin(emulator, "POST", "/_emulator/accounts", {"name": "checkout-tests"})
    assert status == 409 and "exists" in body["error"]


@pytest.mark.parametrize("body", [{"name": "has space"}, {"balance": -1}, {"colour": "red"},
                                  {"receipts": {"nope": "http://x.example"}}, {"return_url": "ftp://x"},
                                  {"functions": {"dypns_verify": "yes"}}, {"limits": []}])
def test_bad_creation_bodies_answer_400(emulator, body):
    status, answer = admin(emulator, "POST", "/_emulator/accounts", body)
    assert status == 400 and answer["error"]


def test_listing_hides_secrets_and_one_account_shows_them(emulator):
    account = new_account(emulator)
    status, body = get(emulator, "/accounts")
    assert status == 200
    names = [a["name"] for a in body["accounts"]]
    assert names[0] == "default" and account["name"] in names
    assert all(a["app_secret"] is None and all("access_key_secret" not in k for k in a["access_keys"])
               for a in body["accounts"])
    status, one = get(emulator, f"/accounts/{account['name']}")
    assert status == 200 and one["access_key_secret"] == account["access_key_secret"]
    assert get(emulator, "/accounts/nobody")[0] == 404


def test_patch_changes_a_created_account_and_survives_a_reset(emulator):
    account = new_account(emulator)
    status, body = admin(emulator, "PATCH", f"/_emulator/accounts/{account['name']}",
                         {"balance": 7, "return_url": "http://127.0.0.1:9/r", "limits": {"dypns_daily": 1}})
    assert status == 200 and body["balance"] == 7 and body["return_url"] == "http://127.0.0.1:9/r"
    assert body["app_secret"] is None                # PATCH answers without secrets
    assert admin(emulator, "PATCH", f"/_emulator/accounts/{account['name']}", {"name": "x"})[0] == 400
    admin(emulator, "POST", "/_emulator/reset?what=all")
    status, body = get(emulator, f"/accounts/{account['name']}")
    assert status == 200 and body["balance"] == 7 and body["limits"] == {"dypns_daily": 1}


def test_seeded_emulators_still_hand_out_distinct_keys_after_a_reset():
    """A seed repeats ids after every reset; account keys must not, since accounts outlive resets."""
    with EmulatorServer(Settings(port=0, quiet=True, seed=7)) as server:
        first = new_account(server)
        admin(server, "POST", "/_emulator/reset?what=all")
        second = new_account(server)
    assert first["access_key_id"] != second["access_key_id"] and first["name"] != second["name"]
