"""The inbox's one-click login page in Debian's Chromium: the carrier's authorisation page mints a token that the
official SDK then exchanges with GetMobile, and the exchange shows up beside the phone."""

from __future__ import annotations

import re

from alibabacloud_dypnsapi20170525 import models as pns
from alibabacloud_dypnsapi20170525.client import Client as Dypns

from tests.conftest import tea_config
from tests.test_inbox_ui import browser, open_tab, page  # noqa: F401 (fixtures)


def open_phone_tab(page, server) -> None:  # noqa: F811 (page is a fixture)
    open_tab(page, server, "phone")


def test_the_authorisation_page_mints_a_token_the_back_end_exchanges(page, emulator):  # noqa: F811 (page is a fixture)
    from playwright.sync_api import expect

    open_phone_tab(page, emulator)
    expect(page.locator("#auth-masked")).to_have_text("139****5678")
    expect(page.locator("#auth-carrier")).to_have_text("中国移动提供认证服务")
    page.fill("#auth-phone", "18912345678")
    expect(page.locator("#auth-masked")).to_have_text("189****5678")
    expect(page.locator("#auth-carrier")).to_have_text("中国电信提供认证服务")
    page.click("#auth-login")
    token = page.locator("#auth-token")
    expect(token).to_have_text(re.compile(r"^[A-Za-z0-9]{48}$"))
    expect(page.locator("#auth-expires")).to_contain_text("(China Telecom): pass it to GetMobile within 10 min")

    body = Dypns(tea_config(emulator)).get_mobile(pns.GetMobileRequest(access_token=token.inner_text())).body
    assert body.get_mobile_result_dto.mobile == "18912345678"
    row = page.locator("#auth-exchanges tr").first
    expect(row).to_contain_text("GetMobile", timeout=10_000)           # polled every 3 s while the tab is open
    expect(row).to_contain_text("189****5678")
    expect(row.locator(".ok")).to_have_text("OK")


def test_the_copy_button_copies_the_token(page, emulator):  # noqa: F811 (page is a fixture)
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=emulator.url)
    open_phone_tab(page, emulator)
    page.select_option("#auth-kind", "verify")
    page.click("#auth-login")
    expect(page.locator("#auth-expires")).to_contain_text("VerifyMobile within 2 min")
    page.click("#auth-copy")
    expect(page.locator("#auth-copy")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#auth-token").inner_text()


def test_the_terms_must_be_ticked_and_server_errors_are_shown(page, emulator):  # noqa: F811 (page is a fixture)
    from playwright.sync_api import expect

    open_phone_tab(page, emulator)
    page.uncheck("#auth-agree")
    page.click("#auth-login")
    expect(page.locator("#auth-error")).to_contain_text("Tick the terms")
    page.check("#auth-agree")
    page.fill("#auth-phone", "12345")
    expect(page.locator("#auth-carrier")).to_have_text("无法识别运营商")
    page.click("#auth-login")
    expect(page.locator("#auth-error")).to_contain_text("mainland China mobile number")
    expect(page.locator("#auth-result")).to_be_hidden()


def test_the_page_in_chinese(browser, emulator):  # noqa: F811 (browser is a fixture)
    from playwright.sync_api import expect

    context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    try:
        page = context.new_page()
        open_phone_tab(page, emulator)
        expect(page.locator("#tab-phone")).to_have_text("一键登录")
        page.click("#auth-login")
        expect(page.locator("#auth-expires")).to_contain_text("请在 2 分钟内")
        expect(page.locator("#auth-login")).to_have_text("本机号码一键登录")      # the carrier's words, in any language
    finally:
        context.close()
