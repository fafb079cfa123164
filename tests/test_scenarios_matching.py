"""What a rule matches, observed through the SDKs and the 1oc API: provider, action, phone forms, sign,
template, account (name, AccessKeyId, AppSecret), parameter values, the n-th call and the virtual-clock window."""

from __future__ import annotations

import pytest
from alibabacloud_dysmsapi20170525.client import Client

from tests.conftest import admin, advance, tea_config
from tests.dysms_helpers import NOTICE
from tests.scenario_helpers import applied, sms
from tests.test_onecloud import onecloud, send_query

ERR = "isp.SYSTEM_ERROR"


def codes(client, phones: list[str], **kw) -> list[str]:
    return [sms(client, phone, **kw).code for phone in phones]


def test_phone_forms_exact_list_prefix_glob_and_country_code(scenario, dysms):
    scenario("""
rules:
  - {match: {phone: "+8613900000101"}, then: {error: SYSTEM_ERROR}}
  - {match: {phone: [13900000102, "13900000103"]}, then: {error: SYSTEM_ERROR}}
  - {match: {phone: {prefix: "1390000020"}}, then: {error: SYSTEM_ERROR}}
  - {match: {phone: "1390000030[1-3]"}, then: {error: SYSTEM_ERROR}}
""")
    assert codes(dysms, ["13900000101", "13900000102", "13900000103", "13900000104"]) == [ERR, ERR, ERR, "OK"]
    assert codes(dysms, ["13900000205", "13900000305", "13900000302"]) == [ERR, "OK", ERR]
    assert sms(dysms, "13900000105,13900000101").code == ERR       # any addressed number matches


def test_provider_action_sign_and_template(scenario, dysms, emulator):
    scenario("""
rules:
  - {match: {provider: onecloud, template: "1002"}, then: {error: SYSTEM_ERROR}}
  - {match: {provider: dysms, action: SendSms, sign: 驴游}, then: {error: SYSTEM_ERROR}}
  - {match: {action: QuerySend*, template: nothing}, then: {error: SYSTEM_ERROR}}
""")
    assert sms(dysms, "13900000401").code == "OK"
    assert sms(dysms, "13900000402", **NOTICE, template_param='{"order":"1","days":"2"}').code == ERR
    assert onecloud(emulator, send_query(smstemplate="1001"))[1]["code"] == 200
    assert onecloud(emulator, send_query(smstemplate="1002"))[1]["code"] == 500


def test_sign_matches_any_sign_of_a_batch_and_the_sign_of_a_1oc_template(scenario, dysms, emulator):
    import json

    from alibabacloud_dysmsapi20170525 import models as m

    scenario("""
rules:
  - {match: {provider: dysms, sign: 阿里云短信测试}, then: {error: SYSTEM_ERROR}}
  - {match: {provider: onecloud, sign: 云通讯, params: {code: "9999"}}, then: {error: SYSTEM_ERROR}}
""")

    def batch(*signs: str) -> str:
        phones = [f"1390000071{i}" for i in range(len(signs))]
        return dysms.send_batch_sms(m.SendBatchSmsRequest(
            phone_number_json=json.dumps(phones), sign_name_json=json.dumps(signs, ensure_ascii=False),
            template_code="SMS_900000001", template_param_json=json.dumps([{"order": "A", "days": "1"}] * len(signs)),
        )).body.code

    assert batch("驴游", "阿里云短信测试") == ERR              # any of the batch's signs
    assert batch("驴游", "驴游") == "OK"
    assert onecloud(emulator, send_query(code="9999"))[1]["code"] == 500     # 1001's text is 【云通讯】...
    assert onecloud(emulator, send_query(code="1234"))[1]["code"] == 200


def test_account_matches_the_account_name_the_access_key_or_the_app_secret(scenario, emulator):
    status, created = admin(emulator, "POST", "/_emulator/accounts", {"name": "scenario-other"})
    assert status in (200, 201), created
    key = created["access_keys"][0]
    other = Client(tea_config(emulator, access_key_id=key["access_key_id"],
                              access_key_secret=key["access_key_secret"]))
    mine = Client(tea_config(emulator))
    scenario("""
rules:
  - {match: {account: testid}, then: {error: SYSTEM_ERROR}}
  - {match: {account: scenario-other, phone: "13900000502"}, then: {error: SYSTEM_ERROR}}
  - {match: {provider: onecloud, account: testappsecret}, then: {error: AMOUNT_NOT_ENOUGH}}
""")
    assert sms(mine, "13900000501").code == ERR
    assert [sms(other, p).code for p in ("13900000501", "13900000502")] == ["OK", ERR]
    assert onecloud(emulator, send_query())[1]["code"] == 420
    assert onecloud(emulator, send_query(), secret=created["app_secret"])[1]["code"] == 200


def test_parameter_values_exact_and_glob(scenario, dysms, emulator):
    scenario("""
rules:
  - {match: {params: {OutId: "order-*"}}, then: {error: SYSTEM_ERROR}}
  - {match: {params: {TemplateParam: '*"0000"*'}}, then: {error: SYSTEM_ERROR}}
  - {match: {provider: onecloud, params: {code: ["1111", "2222"]}}, then: {error: BUSINESS_LIMIT_CONTROL}}
""")
    assert sms(dysms, "13900000601", out_id="order-17").code == ERR
    assert sms(dysms, "13900000602", out_id="invoice-17").code == "OK"
    assert sms(dysms, "13900000603", code="0000").code == ERR
    assert [onecloud(emulator, send_query(code=c))[1]["code"] for c in ("1111", "3333", "2222")] == [421, 200, 421]


def test_first_every_and_after_count_the_calls_each_rule_matches(scenario, dysms, emulator):
    scenario("""
rules:
  - {match: {phone: "1390007*", first: 2}, then: {error: SYSTEM_ERROR}}
  - {match: {phone: "1390008*", every: 3}, then: {error: SYSTEM_ERROR}}
  - {match: {phone: "1390009*", after: 2}, then: {error: SYSTEM_ERROR}}
  - {match: {phone: "1390010*", after: 1, every: 2}, then: {error: SYSTEM_ERROR}}
""")
    phones = [f"139{block}{i:04d}" for block in ("0007", "0008", "0009") for i in range(6)]
    result = codes(dysms, phones)
    assert result[0:6] == [ERR, ERR, "OK", "OK", "OK", "OK"]
    assert result[6:12] == ["OK", "OK", ERR, "OK", "OK", ERR]
    assert result[12:18] == ["OK", "OK", ERR, ERR, ERR, ERR]
    assert codes(dysms, [f"1390010{i:04d}" for i in range(5)]) == ["OK", ERR, "OK", ERR, "OK"]
    # calls with other numbers do not move a rule's count; a scenario reset starts every count over
    admin(emulator, "POST", "/_emulator/reset?what=scenario")
    assert applied(emulator) == [0, 0, 0, 0]
    assert codes(dysms, ["13900070010", "13900070011", "13900070012"]) == [ERR, ERR, "OK"]


def test_between_is_a_window_on_the_virtual_clock(scenario, dysms, emulator):
    scenario("""
rules:
  - {match: {between: [+1m, +2m]}, then: {error: SYSTEM_ERROR}}
  - {match: {between: [1h, null]}, then: {error: BUSINESS_LIMIT_CONTROL}}
""")
    assert sms(dysms, "13900000801").code == "OK"
    advance(emulator, 61)
    assert sms(dysms, "13900000802").code == ERR
    advance(emulator, 60)
    assert sms(dysms, "13900000803").code == "OK"
    advance(emulator, 3600)
    assert sms(dysms, "13900000804").code == "isv.BUSINESS_LIMIT_CONTROL"
    admin(emulator, "POST", "/_emulator/reset?what=scenario")    # the window counts from the reset
    assert sms(dysms, "13900000805").code == "OK"


def test_between_with_absolute_times(scenario, dysms, emulator):
    now = emulator.backend.clock.now()
    from datetime import datetime, timezone

    def iso(epoch: float) -> str:
        return datetime.fromtimestamp(epoch, timezone.utc).isoformat()

    scenario(f"rules: [{{match: {{between: ['{iso(now + 600)}', '{iso(now + 1200)}']}}, "
             "then: {error: SYSTEM_ERROR}}]")
    assert sms(dysms, "13900000811").code == "OK"
    advance(emulator, 700)
    assert sms(dysms, "13900000812").code == ERR
    advance(emulator, 600)
    assert sms(dysms, "13900000813").code == "OK"


@pytest.mark.parametrize("phone", ["13800000001", "13800000002"])
def test_the_default_scenario_is_back_after_a_put_scenario_test(dysms, emulator, phone):
    assert sms(dysms, phone).code.startswith("isv.")
