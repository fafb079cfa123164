"""The inbox's "Templates & signs" tab in Debian's Chromium: a template the official SDK created shows up under
review, the reviewer's buttons decide it, and the SDK sees the decision; in Chinese for a Chinese browser."""

from __future__ import annotations

from alibabacloud_dysmsapi20170525 import models as m
from alibabacloud_dysmsapi20170525.client import Client as Dysms

from tests.conftest import admin, tea_config
from tests.test_inbox_ui import browser, open_tab, page  # noqa: F401 (fixtures)


def _create(server, name: str, content: str = "您的订单${order}已发货。") -> str:
    status, _ = admin(server, "PUT", "/_emulator/catalogue/review-policy", {"mode": "manual"})
    assert status == 200
    body = Dysms(tea_config(server)).create_sms_template(m.CreateSmsTemplateRequest(
        template_name=name, template_content=content, template_type=1, remark="inbox")).body
    assert body.code == "OK"
    return body.template_code


def _status(server, code: str) -> str:
    return Dysms(tea_config(server)).get_sms_template(m.GetSmsTemplateRequest(template_code=code)).body.template_status


def open_catalogue_tab(page, server) -> None:  # noqa: F811 (page is a fixture)
    open_tab(page, server, "catalogue")


def test_approve_and_reject_from_the_tab_are_what_the_sdk_sees(page, emulator):  # noqa: F811 (page is a fixture)
    from playwright.sync_api import expect

    first = _create(emulator, "发货通知")
    status, catalogue = admin(emulator, "GET", "/_emulator/catalogue")
    pending = [i for i in catalogue["templates"] + catalogue["signs"] if i["status"] == "pending"]
    assert status == 200 and first in {i.get("code") for i in pending}    # with the fixtures' own pending ones
    open_catalogue_tab(page, emulator)
    expect(page.locator("#count-review")).to_have_text(str(len(pending)))
    row = page.locator(f"#catalogue-rows tr[data-key='{first}']")
    expect(row).to_contain_text("under review")
    expect(row).to_contain_text("您的订单${order}已发货。")
    row.locator("button[data-decision=approve]").click()
    expect(row).to_have_attribute("data-status", "approved")
    expect(row.locator("button")).to_have_count(0)
    assert _status(emulator, first) == "1"

    admin(emulator, "POST", "/_emulator/clock/advance", {"seconds": 31})
    second = _create(emulator, "第二个通知")
    page.click("#tab-messages")
    page.click("#tab-catalogue")
    page.fill("#review-reason", "请补充使用场景")
    second_row = page.locator(f"#catalogue-rows tr[data-key='{second}']")
    second_row.locator("button[data-decision=reject]").click()
    expect(second_row).to_contain_text("请补充使用场景")
    got = Dysms(tea_config(emulator)).get_sms_template(m.GetSmsTemplateRequest(template_code=second)).body
    assert got.template_status == "2" and got.audit_info.reject_info == "请补充使用场景"


def test_the_policy_is_set_from_the_tab(page, emulator):  # noqa: F811 (page is a fixture)
    from playwright.sync_api import expect

    open_catalogue_tab(page, emulator)
    page.select_option("#review-mode", "immediate")
    # the click only starts the PUT: read the policy back once the page has had its answer
    with page.expect_response(lambda r: "review-policy" in r.url and r.request.method == "PUT") as answered:
        page.click("#review-apply")
    assert answered.value.ok
    expect(page.locator("#review-error")).to_be_hidden()
    status, catalogue = admin(emulator, "GET", "/_emulator/catalogue")
    assert status == 200 and catalogue["policy"]["mode"] == "immediate"


def test_the_tab_in_chinese(browser, emulator):  # noqa: F811 (browser is a fixture)
    from playwright.sync_api import expect

    code = _create(emulator, "中文界面")
    context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    try:
        page = context.new_page()
        open_catalogue_tab(page, emulator)
        expect(page.locator("#tab-catalogue")).to_contain_text("模板与签名")
        row = page.locator(f"#catalogue-rows tr[data-key='{code}']")
        expect(row).to_contain_text("审核中")
        expect(row.locator("button[data-decision=approve]")).to_have_text("通过")
    finally:
        context.close()
