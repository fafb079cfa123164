"""The pytest plugin: its fixture used directly, and whole pytest runs of user-like test files (pytester),
in-process, under pytest-xdist, and against an emulator that is already running."""

from __future__ import annotations

import json
import time
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from alibabacloud_dypnsapi20170525 import models as pns
from alibabacloud_dysmsapi20170525.models import SendSmsRequest

from emulator.admin.pytest_plugin import MessageNotReceived, SmsEmulator
from emulator.server import EmulatorServer
from emulator.settings import Settings

pytest_plugins = ["pytester"]

PHONE = "13912345678"


def send(client, code: str, phone: str = PHONE) -> None:
    resp = client.send_sms(SendSmsRequest(phone_numbers=phone, sign_name="阿里云短信测试",
                                          template_code="SMS_154950909", template_param=json.dumps({"code": code})))
    assert resp.body.code == "OK", resp.body


def test_the_plugin_is_registered_through_the_pytest11_entry_point(pytestconfig):
    [entry] = [e for e in entry_points(group="pytest11") if e.name == "sms_emulator"]
    assert entry.value == "emulator.admin.pytest_plugin"
    assert pytestconfig.pluginmanager.has_plugin("sms_emulator")


# The fixture, used directly ------------------------------------------------------------------------------


def test_each_test_gets_a_fresh_account_with_working_clients(sms_emulator: SmsEmulator):
    assert sms_emulator.account.startswith("acct-") and sms_emulator.endpoint.startswith("127.0.0.1:")
    assert sms_emulator.url == f"http://{sms_emulator.endpoint}"
    assert sms_emulator.credentials.access_key_id.startswith("LTAI") and sms_emulator.credentials.app_secret
    assert sms_emulator.messages() == []
    send(sms_emulator.dysms_client(), "2468")
    assert sms_emulator.wait_for_code("+86" + PHONE) == "2468"
    [message] = sms_emulator.messages(PHONE)
    assert message["account"] == sms_emulator.account and message["status"] == "waiting"
    sms_emulator.advance(5)
    assert sms_emulator.messages(PHONE, status="delivered")[0]["id"] == message["id"]


def test_wait_for_code_waits_for_the_next_code_each_time(sms_emulator: SmsEmulator):
    client = sms_emulator.dysms_client()
    send(client, "1111")
    assert sms_emulator.wait_for_code(PHONE) == "1111"
    with pytest.raises(MessageNotReceived, match=r"within 0\.3 s"):
        sms_emulator.wait_for_code(PHONE, timeout=0.3)        # nothing new yet
    sms_emulator.advance(61)                                   # past the one-a-minute limit of the number
    send(client, "2222")
    started = time.monotonic()
    assert sms_emulator.wait_for_code(PHONE) == "2222"
    assert time.monotonic() - started < 2


def test_dypns_codes_through_the_configured_client(sms_emulator: SmsEmulator):
    client = sms_emulator.dypns_client()
    sent = client.send_sms_verify_code(pns.SendSmsVerifyCodeRequest(
        phone_number=PHONE, sign_name="速通互联验证码", template_code="100001",
        template_param='{"code":"##code##","min":"5"}'))
    assert sent.body.code == "OK"
    code = sms_emulator.wait_for_code(PHONE)
    assert sms_emulator.latest_code(PHONE) == code
    checked = client.check_sms_verify_code(pns.CheckSmsVerifyCodeRequest(phone_number=PHONE, verify_code=code))
    assert checked.body.model.verify_result == "PASS"
    assert sms_emulator.latest_code(PHONE) is None            # used up


def test_number_auth_tokens_for_this_account(sms_emulator: SmsEmulator):
    client = sms_emulator.dypns_client()
    login = client.get_mobile(pns.GetMobileRequest(access_token=sms_emulator.login_token(PHONE))).body
    assert login.get_mobile_result_dto.mobile == PHONE
    verify = sms_emulator.verify_token(PHONE)
    assert client.get_mobile(pns.GetMobileRequest(access_token=verify)).body.code == "isv.TOKEN_UNAUTHORIZED_USED"
    pair = client.get_auth_token(pns.GetAuthTokenRequest(url="https://a.example/", origin="https://a.example",
                                                         scene_code="FC100000000000001", biz_type=0)).body
    sp = sms_emulator.h5_sp_token("18912345678", access_token=pair.token_info.access_token)
    checked = client.verify_phone_with_token(pns.VerifyPhoneWithTokenRequest(sp_token=sp, phone_number="18912345678"))
    assert checked.body.gate_verify.verify_result == "PASS"
    fusion = client.verify_with_fusion_auth_token(pns.VerifyWithFusionAuthTokenRequest(
        verify_token=sms_emulator.fusion_token(PHONE))).body
    assert fusion.model.phone_number == PHONE
    assert [e["code"] for e in sms_emulator.token_exchanges(PHONE)] == ["OK", "isv.TOKEN_UNAUTHORIZED_USED", "OK"]
    sms_emulator.reset()
    assert sms_emulator.token_exchanges() == []


def test_legacy_client_callbacks_configure_and_reset(sms_emulator: SmsEmulator, receiver):
    from aliyunsdkcore.request import CommonRequest

    sms_emulator.configure(receipts={"sms_report": receiver.url})
    request = CommonRequest(domain=sms_emulator.endpoint, version="2017-05-25", action_name="SendSms")
    request.set_protocol_type("http")
    for key, value in {"PhoneNumbers": PHONE, "SignName": "阿里云短信测试", "TemplateCode": "SMS_154950909",
                       "TemplateParam": '{"code":"9753"}'}.items():
        request.add_query_param(key, value)
    answer = json.loads(sms_emulator.acs_client().do_action_with_exception(request))
    assert answer["Code"] == "OK"
    sms_emulator.advance(5)
    [attempt] = sms_emulator.callbacks()["attempts"]
    assert attempt["kind"] == "SmsReport" and attempt["ok"] and attempt["account"] == sms_emulator.account
    sms_emulator.reset()
    assert sms_emulator.messages() == [] and sms_emulator.callbacks()["attempts"] == []


def test_set_time_and_now(sms_emulator: SmsEmulator):
    sms_emulator.set_time("2030-01-01T00:00:00Z")
    assert sms_emulator.now() == pytest.approx(1893456000, abs=5)
    sms_emulator.set_time(time.time())


async def test_async_tests_can_wait_without_blocking_their_loop(sms_emulator: SmsEmulator):
    import asyncio

    client = sms_emulator.dysms_client()
    waiting = asyncio.ensure_future(sms_emulator.wait_for_code_async(PHONE))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await asyncio.to_thread(send, client, "8642")
    assert await asyncio.wait_for(waiting, 10) == "8642"


# Whole pytest runs of user test files ----------------------------------------------------------------------

USER_TEST = '''
import json
from alibabacloud_dysmsapi20170525.models import SendSmsRequest

def test_signup(sms_emulator):
    client = sms_emulator.dysms_client()
    client.send_sms(SendSmsRequest(phone_numbers="13912345678", sign_name="阿里云短信测试",
                                   template_code="SMS_154950909", template_param=json.dumps({"code": "4321"})))
    assert sms_emulator.wait_for_code("13912345678", timeout=5) == "4321"
    assert [m["code"] for m in sms_emulator.messages("13912345678")] == ["4321"]
'''

#: Two tests that meet at a file barrier, so they provably run at the same time, both send to the same number
#: with the same template, and then each reads only its own code.
PARALLEL_TESTS = '''
import json, os, pathlib, time, uuid
import pytest
from alibabacloud_dysmsapi20170525.models import SendSmsRequest

BARRIER = pathlib.Path(os.environ["BARRIER_DIR"])

def meet(name):
    (BARRIER / name).write_text(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    deadline = time.monotonic() + 60
    while len(list(BARRIER.iterdir())) < 2:
        assert time.monotonic() < deadline, "the other test never ran at the same time"
        time.sleep(0.05)

@pytest.mark.parametrize("code", ["1111", "2222"])
def test_codes_do_not_leak(sms_emulator, code):
    client = sms_emulator.dysms_client()
    client.send_sms(SendSmsRequest(phone_numbers="13912345678", sign_name="阿里云短信测试",
                                   template_code="SMS_154950909", template_param=json.dumps({"code": code})))
    meet(code)             # both have sent before either reads
    assert sms_emulator.wait_for_code("13912345678", timeout=10) == code
    assert [m["code"] for m in sms_emulator.messages("13912345678")] == [code]
    (BARRIER.parent / f"url-{code}").write_text(sms_emulator.url)
'''


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=180)


def test_a_user_test_file_passes_with_the_fixture(pytester: pytest.Pytester):
    pytester.makepyfile(test_user=USER_TEST)
    result = run(pytester)
    result.assert_outcomes(passed=1)


def parallel_setup(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    barrier = pytester.path / "out" / "barrier"
    barrier.mkdir(parents=True)
    monkeypatch.setenv("BARRIER_DIR", str(barrier))
    pytester.makepyfile(test_parallel=PARALLEL_TESTS)
    return barrier


def test_two_workers_in_parallel_never_read_each_others_codes(pytester, monkeypatch):
    barrier = parallel_setup(pytester, monkeypatch)
    result = run(pytester, "-n", "2")
    result.assert_outcomes(passed=2)
    assert {p.read_text() for p in barrier.iterdir()} == {"gw0", "gw1"}


def test_two_workers_sharing_one_running_emulator_stay_isolated(pytester, monkeypatch):
    barrier = parallel_setup(pytester, monkeypatch)
    with EmulatorServer(Settings(port=0, quiet=True)) as shared:
        result = run(pytester, "-n", "2", f"--sms-emulator-url={shared.url}")
        result.assert_outcomes(passed=2)
        assert {p.read_text() for p in barrier.iterdir()} == {"gw0", "gw1"}
        assert {(barrier.parent / f"url-{c}").read_text() for c in ("1111", "2222")} == {shared.url}
        # Both really used this one emulator, each with an account of its own.
        sent = shared.call(lambda: [(m.account, m.code) for m in shared.backend.messages.all()])
        assert sorted(code for _, code in sent) == ["1111", "2222"] and len({a for a, _ in sent}) == 2


def test_the_url_can_come_from_the_environment(pytester, monkeypatch):
    with EmulatorServer(Settings(port=0, quiet=True)) as running:
        monkeypatch.setenv("SMS_EMULATOR_URL", running.url)
        pytester.makepyfile(test_env=f'''
def test_uses_the_running_one(sms_emulator):
    assert sms_emulator.url == "{running.url}"
''' + USER_TEST)
        run(pytester).assert_outcomes(passed=2)
        assert running.call(lambda: len(running.backend.messages)) == 1


def test_an_unreachable_url_fails_with_a_clear_message(pytester):
    pytester.makepyfile(test_nothing="def test_x(sms_emulator):\n    pass\n")
    result = run(pytester, "--sms-emulator-url=http://127.0.0.1:9")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no SMS emulator answering at http://127.0.0.1:9*"])


def test_use_scenario_lasts_for_one_test(pytester):
    pytester.makepyfile(test_scenario='''
import json
from alibabacloud_dysmsapi20170525.models import SendSmsRequest

FAIL_ALL = """
name: nothing-arrives
rules:
  - name: every delivery fails
    match: {action: "Send*"}
    then: {delivery: {status: failed}}
"""

def send(sms_emulator):
    sms_emulator.dysms_client().send_sms(SendSmsRequest(
        phone_numbers="13912345678", sign_name="阿里云短信测试", template_code="SMS_154950909",
        template_param=json.dumps({"code": "1234"})))
    sms_emulator.advance(5)
    return sms_emulator.messages()[0]["status"]

def test_1_with_the_scenario(sms_emulator, tmp_path):
    path = tmp_path / "fail.yaml"
    path.write_text(FAIL_ALL, encoding="utf-8")
    sms_emulator.use_scenario(path)
    assert send(sms_emulator) == "failed"

def test_2_default_again(sms_emulator):
    assert send(sms_emulator) == "delivered"

def test_3_yaml_text(sms_emulator):
    sms_emulator.use_scenario(FAIL_ALL)
    assert send(sms_emulator) == "failed"
''')
    run(pytester).assert_outcomes(passed=3)


def test_the_in_process_settings_can_be_overridden(pytester):
    pytester.makeconftest('''
import pytest
from emulator.settings import Settings

@pytest.fixture(scope="session")
def sms_emulator_settings():
    return Settings(port=0, quiet=True, store_cap=1)
''')
    pytester.makepyfile(test_cap='''
def test_only_the_newest_message_is_kept(sms_emulator):
    import urllib.request
    for code in ("1111", "2222"):
        urllib.request.urlopen(urllib.request.Request(
            sms_emulator.url + "/?module=sms&file=send&action=send&mobphone=13912345678&smstemplate=1001&code="
            + code, headers={"Authorization": sms_emulator.credentials.app_secret}))
    assert [m["code"] for m in sms_emulator.messages()] == ["2222"]
''')
    run(pytester).assert_outcomes(passed=1)


def _readme_example(heading: str) -> str:
    """The first Python example under `heading` in the README, as a user would copy it."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index(heading):]
    start = section.index("```python") + len("```python")
    return section[start:section.index("```\n", start)]


@pytest.mark.parametrize(("heading", "uses"), [
    ("## In your pytest suite", "wait_for_code"),
    ("### dypnsapi: one-click login and number verification", "login_token"),
    ("### dysmsapi: templates and signs, with their review", "approve_template"),
])
def test_the_readme_examples_run_as_written(pytester, heading, uses):
    """The examples a new user copies from the README must pass as they stand."""
    example = _readme_example(heading)
    assert "def test_" in example and uses in example
    if heading == "## In your pytest suite":
        assert len(example.strip().splitlines()) <= 10          # the first one a user sees stays short
    pytester.makepyfile(test_readme=example)
    run(pytester).assert_outcomes(passed=1)


# Over HTTPS ----------------------------------------------------------------------------------------------

HTTPS_TEST = '''
from aliyunsdkcore.request import CommonRequest

def test_https_with_every_client(sms_emulator):
    assert sms_emulator.url.startswith("https://") and sms_emulator.ca
    legacy = CommonRequest(domain=sms_emulator.endpoint, version="2017-05-25", action_name="QuerySmsSignList")
    legacy.set_protocol_type("https")
    legacy.set_method("POST")
    assert b'"Code":"OK"' in sms_emulator.acs_client().do_action_with_exception(legacy)
''' + USER_TEST


def test_an_in_process_https_emulator_is_trusted_without_configuration(pytester):
    pytester.makeconftest('''
import pytest
from emulator.settings import Settings

@pytest.fixture(scope="session")
def sms_emulator_settings(tmp_path_factory):
    return Settings(port=0, quiet=True, tls=True, ca_out=str(tmp_path_factory.mktemp("ca") / "ca.pem"))
''')
    pytester.makepyfile(test_https=HTTPS_TEST)
    run(pytester).assert_outcomes(passed=2)


def test_a_running_https_emulator_is_trusted_with_its_ca(pytester, tmp_path, monkeypatch):
    ca = tmp_path / "ca.pem"
    with EmulatorServer(Settings(port=0, quiet=True, tls=True, ca_out=str(ca))) as running:
        pytester.makepyfile(test_https=HTTPS_TEST)
        without = run(pytester, f"--sms-emulator-url={running.url}")
        without.assert_outcomes(errors=2)
        without.stdout.fnmatch_lines(["*no SMS emulator answering at https://*--sms-emulator-ca*"])
        run(pytester, f"--sms-emulator-url={running.url}", f"--sms-emulator-ca={ca}").assert_outcomes(passed=2)
        monkeypatch.setenv("SMS_EMULATOR_URL", running.url)
        monkeypatch.setenv("SMS_EMULATOR_CA", str(ca))
        run(pytester).assert_outcomes(passed=2)
        assert running.call(lambda: len(running.backend.messages)) == 2
