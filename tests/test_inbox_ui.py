"""The web inbox in a real browser: Playwright driving Debian's Chromium against the emulator on a socket.

In CI (`CI=true`, where `.ci/run` installs `chromium` and a CJK font) a missing browser fails the run. On a
developer's machine without Debian's Chromium they are skipped with the install command, so the README's
test command still passes on a fresh machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from alibabacloud_dysmsapi20170525.client import Client as Dysms
from alibabacloud_dysmsapi20170525.models import SendSmsRequest

from emulator.server import EmulatorServer
from tests.admin_helpers import get, send_1oc
from tests.conftest import admin, advance, tea_config

CHROMIUM = "/usr/bin/chromium"
#: What works on a machine with no network but loopback and no GPU, as root (see the project's toolchain notes).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = "13912345678"

def _missing(reason: str) -> None:
    """Fail in CI, skip (saying what to install) on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-wqy-zenhei (.ci/run does this)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: pip install -e '.[test]'")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, emulator: EmulatorServer):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def open_inbox(page, server: EmulatorServer, query: str = "") -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}/_emulator/{query}")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")   # the live feed is connected


def open_tab(page, server: EmulatorServer, view: str) -> None:
    """The inbox, then one of its tabs: its view shown, the messages' hidden."""
    from playwright.sync_api import expect

    open_inbox(page, server)
    page.click(f"#tab-{view}")
    expect(page.locator(f"#view-{view}")).to_be_visible()
    expect(page.locator("#view-messages")).to_be_hidden()


def send_sms(server: EmulatorServer, code: str, phone: str = PHONE) -> None:
    client = Dysms(tea_config(server))
    resp = client.send_sms(SendSmsRequest(phone_numbers=phone, sign_name="阿里云短信测试",
                                          template_code="SMS_154950909", template_param=json.dumps({"code": code})))
    assert resp.body.code == "OK"


def test_a_message_sent_through_the_sdk_appears_without_reload(page, emulator):
    from playwright.sync_api import expect

    open_inbox(page, emulator)
    expect(page.locator(".bubble")).to_have_count(0)
    page.evaluate("window.__notReloaded = true")
    send_sms(emulator, "4821")
    bubble = page.locator(".bubble-wrap").first
    expect(bubble).to_contain_text("4821")
    expect(bubble.locator(".bubble-sign")).to_have_text("【阿里云短信测试】")
    expect(bubble.locator("mark")).to_have_text("4821")                 # the code, highlighted in the text
    expect(bubble.locator(".code-value")).to_have_text("4821")
    expect(bubble.locator(".badge.status")).to_have_text("Sending")
    expect(page.locator("#conversations .conv")).to_have_count(1)
    expect(page.locator(".conv-phone")).to_have_text("139 1234 5678")
    advance(emulator, 5)
    expect(bubble.locator(".badge.status")).to_have_text("Delivered")   # the update arrived live too
    assert page.evaluate("window.__notReloaded") is True


def test_the_reset_button_empties_the_inbox(page, emulator):
    from playwright.sync_api import expect

    send_sms(emulator, "1111")
    send_1oc(emulator, phone="13912345679", code="2222")
    open_inbox(page, emulator)
    expect(page.locator("#conversations .conv")).to_have_count(2)
    page.click("#reset")
    expect(page.locator(".bubble")).to_have_count(0)
    expect(page.locator("#conversations .conv")).to_have_count(0)
    expect(page.locator("#conversations-empty")).to_be_visible()
    assert get(emulator, "/messages")[1]["messages"] == []
    send_1oc(emulator, code="3333")                                      # and it keeps listening
    expect(page.locator(".bubble")).to_have_count(1)


def test_the_copy_button_copies_the_code(page, emulator):
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=emulator.url)
    send_sms(emulator, "5678")
    open_inbox(page, emulator)
    button = page.locator(".code-row .copy")
    button.click()
    expect(button).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == "5678"


def test_filters_by_number_and_provider(page, emulator):
    from playwright.sync_api import expect

    send_sms(emulator, "1111", PHONE)
    send_1oc(emulator, phone="13700001111", code="2222")
    open_inbox(page, emulator)
    convs = page.locator("#conversations .conv")
    expect(convs).to_have_count(2)
    page.fill("#filter-phone", "137 0000")
    expect(convs).to_have_count(1)
    expect(convs.first).to_have_attribute("data-phone", "13700001111")
    page.fill("#filter-phone", "")
    page.select_option("#filter-provider", "dysms")
    expect(convs).to_have_count(1)
    expect(convs.first).to_have_attribute("data-phone", PHONE)
    assert "provider=dysms" in page.url                                   # a link keeps the filters


def test_conversations_per_number_and_the_details_beside_the_phone(page, emulator):
    from playwright.sync_api import expect

    send_1oc(emulator, phone=PHONE, code="1001")
    send_1oc(emulator, phone=PHONE, code="1002", template="1002")
    send_1oc(emulator, phone="13700001111", code="2001")
    open_inbox(page, emulator)
    expect(page.locator("#conversations .conv")).to_have_count(2)
    page.click(f".conv[data-phone='{PHONE}']")
    expect(page.locator("#thread .bubble-wrap")).to_have_count(2)
    expect(page.locator("#thread-title")).to_have_text("139 1234 5678")
    page.locator("#thread .bubble-wrap").first.click()
    expect(page.locator("#details-title")).to_contain_text("Message #")
    expect(page.locator("#details-list")).to_contain_text("1001")
    expect(page.locator("#details-list")).to_contain_text("sms.1oc.cn")


def test_the_plugin_inbox_url_shows_only_the_tests_account(browser, sms_emulator):
    from playwright.sync_api import expect

    server = SimpleNamespace(url=sms_emulator.url)
    send_1oc(server, code="1111")                                         # the default account: not this test's
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(sms_emulator.inbox_url)
        expect(page.locator("#live")).to_have_attribute("data-state", "live")
        expect(page.locator("#filter-account")).to_have_value(sms_emulator.account)
        send_1oc(server, {"app_secret": sms_emulator.credentials.app_secret}, code="2222")
        expect(page.locator(".bubble")).to_have_count(1)
        expect(page.locator(".bubble")).to_contain_text("2222")
    finally:
        context.close()


def test_callbacks_and_their_attempts_on_the_second_tab(page, emulator, receiver):
    from playwright.sync_api import expect

    receiver.respond(500)
    admin(emulator, "PATCH", "/_emulator/accounts/default", {"receipts": {"sms_report": receiver.url}})
    send_sms(emulator, "2468")
    open_inbox(page, emulator)
    page.click("#tab-callbacks")
    expect(page.locator("#callbacks-empty")).to_be_visible()
    advance(emulator, 5)                                                  # delivered; the report fails once
    report = page.locator(".report")
    expect(report).to_have_count(1)
    expect(report.locator(".report-kind")).to_have_text("SmsReport")
    expect(report.locator(".attempts tr")).to_have_count(2)              # attempt 1 (500) and the queued retry
    expect(report).to_contain_text("HTTP 500")
    advance(emulator, 61)
    expect(report.locator(".attempts tr")).to_have_count(2)              # 500, then received
    expect(report).to_contain_text("received")
    expect(page.locator("#count-callbacks")).to_have_text("1")
    report.locator("button.link").click()                                 # back to the message
    expect(page.locator("#view-messages")).to_be_visible()
    expect(page.locator("#details-list")).to_contain_text("2468")


def test_cjk_fonts_are_installed_so_chinese_renders():
    """Without a CJK font every Chinese glyph is an empty box in the browser (and in docs/inbox.png)."""
    if not shutil.which("fc-list"):
        _missing("fontconfig is missing: apt-get install -y fontconfig fonts-wqy-zenhei (.ci/run does this)")
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=True).stdout
    if not fonts.strip():
        _missing("no CJK font: apt-get install -y fonts-wqy-zenhei (.ci/run does this)")
