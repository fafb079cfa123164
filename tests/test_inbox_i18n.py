"""The inbox in Chinese: every interface string in one table (i18n.js), chosen from the browser's languages or
the header's switch, checked statically over the files and in Debian's Chromium on a real socket."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources

import pytest

from emulator.server import EmulatorServer
from tests.conftest import admin, advance
from tests.test_inbox_ui import browser, open_inbox, send_sms  # noqa: F401 (browser is a fixture)

INBOX = resources.files("emulator.admin") / "inbox"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: Keys used literally: t("key"), data-i18n="key", data-i18n-title="key", and "data-i18n": "key" in script.
USED = re.compile(r"""\bt\(\s*["']([^"']+)["']|data-i18n(?:-[a-z-]+)?["']?\s*[=:]\s*["']([^"']+)["']""")


def table() -> dict[str, dict[str, object]]:
    """The strings of i18n.js: the JSON between its strings:begin / strings:end markers."""
    text = (INBOX / "i18n.js").read_text(encoding="utf-8")
    body = re.search(r"/\* strings:begin \*/(.*)/\* strings:end \*/", text, re.S)
    assert body, "i18n.js lost its strings markers"
    return json.loads(body.group(1))


def forms(value: object) -> list[str]:
    """A value's texts: the string, or each plural form."""
    return list(value.values()) if isinstance(value, dict) else [value]


def used_keys() -> dict[str, set[str]]:
    """Every literal key each inbox file uses (i18n.js itself only explains the convention)."""
    used: dict[str, set[str]] = {}
    for node in INBOX.iterdir():
        if node.name.endswith((".js", ".html")) and node.name != "i18n.js":
            text = node.read_text(encoding="utf-8")
            used[node.name] = {a or b for a, b in USED.findall(text)}
    return used


# Static checks over the files -----------------------------------------------------------------------------

def test_the_inbox_files_use_the_table():
    used = used_keys()
    assert len(used["index.html"]) > 20 and len(used["inbox.js"]) > 20      # the regex does find them


def test_every_key_the_inbox_uses_exists_in_both_languages():
    strings = table()
    assert set(strings) == {"en", "zh-CN"}
    for name, keys in used_keys().items():
        for lang, texts in strings.items():
            assert not keys - set(texts), f"{name} uses keys missing from {lang}: {sorted(keys - set(texts))}"


def test_both_languages_have_the_same_keys_and_placeholders():
    en, zh = table()["en"], table()["zh-CN"]
    assert set(en) == set(zh), f"only in one language: {sorted(set(en) ^ set(zh))}"
    for key in en:
        for lang, value in (("en", en[key]), ("zh-CN", zh[key])):
            assert isinstance(value, str) or (isinstance(value, dict) and "other" in value), (lang, key)
            assert all(text.strip() for text in forms(value)), f"{lang} {key} is empty"
        wanted = {frozenset(PLACEHOLDER.findall(text)) for text in forms(en[key])}
        got = {frozenset(PLACEHOLDER.findall(text)) for text in forms(zh[key])}
        assert got == wanted, f"{key}: placeholders {got} in Chinese, {wanted} in English"


def test_the_chinese_is_chinese():
    """A key copied over untranslated would pass the checks above and show English to a Chinese reader."""
    zh = table()["zh-CN"]
    han = re.compile(r"[\u4e00-\u9fff]")
    untranslated = [key for key, value in zh.items() if not all(han.search(text) for text in forms(value))]
    assert untranslated == []


# In the browser ---------------------------------------------------------------------------------------------

@pytest.fixture
def context_for(browser) -> Iterator[object]:  # noqa: F811 (the imported fixture)
    """`context_for(locale)` opens a browser context whose languages are `locale`; JS errors fail the test."""
    contexts: list[object] = []
    errors: list[str] = []

    def make(locale: str):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 860})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


#: The interface's text as the user meets it: visible text nodes (not the data in <pre> or a receiver's
#: URL), the title / placeholder / aria-label attributes, and the window title.
UI_TEXT = """() => {
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const host = n.parentElement;
    if (host.closest("pre, .report-url") || !host.checkVisibility()) continue;
    out.push(n.textContent);
  }
  for (const node of document.querySelectorAll("[title], [placeholder], [aria-label]")) {
    if (node.closest("[hidden]")) continue;
    for (const name of ["title", "placeholder", "aria-label"]) {
      if (node.hasAttribute(name)) out.push(node.getAttribute(name));
    }
  }
  return out.join("\\n");
}"""


def english_left(text: str) -> list[str]:
    """The English strings of the table (those that differ from their Chinese) found in `text`, as words."""
    en, zh = table()["en"], table()["zh-CN"]
    found = []
    for key, value in en.items():
        if value == zh[key]:
            continue
        for form in forms(value):
            for fragment in PLACEHOLDER.split(form)[::2]:       # the literal parts around the placeholders
                fragment = fragment.strip(" ·—()#:")
                as_words = rf"(?<![A-Za-z]){re.escape(fragment)}(?![A-Za-z])"
                if re.search(r"[A-Za-z]", fragment) and re.search(as_words, text):
                    found.append(f"{key}: {fragment!r}")
    return found


def test_a_chinese_browser_gets_the_whole_inbox_in_chinese(context_for, emulator, receiver):
    from playwright.sync_api import expect

    receiver.respond(500)                                                  # a failed report, a retry waiting
    admin(emulator, "PATCH", "/_emulator/accounts/default", {"receipts": {"sms_report": receiver.url}})
    send_sms(emulator, "4821")
    page = context_for("zh-CN")
    open_inbox(page, emulator)
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    expect(page.locator("#tab-messages")).to_contain_text("短信")
    expect(page.locator("#tab-callbacks")).to_contain_text("回调")
    expect(page.locator("#reset")).to_have_text("重置")
    expect(page.locator("#live .live-text")).to_have_text("实时")
    expect(page.locator("#filter-phone")).to_have_attribute("placeholder", "按手机号筛选")
    expect(page.locator(".code-label")).to_have_text("验证码")
    expect(page.locator(".code-row .copy")).to_have_text("复制")
    expect(page.locator(".badge.status")).to_have_text("发送中")
    expect(page.locator("#thread-sub")).to_have_text("1 条短信 · dysmsapi")
    expect(page.locator(".day")).to_have_text("今天")
    expect(page.locator(".bubble-sign")).to_have_text("【阿里云短信测试】")   # the provider's text is untouched
    expect(page).to_have_title("(1) 短信收件箱 · sms-emulator")
    advance(emulator, 5)                                                   # delivered; the report fails once
    expect(page.locator(".badge.status")).to_have_text("已送达")
    expect(page.locator("#details-title")).to_have_text(re.compile(r"^短信 #\d+$"))
    expect(page.locator("#details-list")).to_contain_text("接收号码")
    assert english_left(page.evaluate(UI_TEXT)) == []

    page.click("#tab-callbacks")
    report = page.locator(".report")
    expect(report.locator(".attempts tr")).to_have_count(2)
    expect(report).to_contain_text("重试中")
    expect(report).to_contain_text("排队中")
    expect(report).to_contain_text("按虚拟时钟到期推送")
    expect(page.locator(".pending-box")).to_contain_text("1 条报告待推送")
    assert english_left(page.evaluate(UI_TEXT)) == []


def test_the_empty_inbox_in_chinese_has_no_english_left(context_for, emulator):
    page = context_for("zh-CN")
    open_inbox(page, emulator)
    assert "还没有短信。" in page.evaluate(UI_TEXT)
    assert english_left(page.evaluate(UI_TEXT)) == []
    page.click("#tab-callbacks")
    assert "还没有回调。" in page.evaluate(UI_TEXT)
    assert english_left(page.evaluate(UI_TEXT)) == []


@pytest.mark.parametrize(("locale", "tab", "lang"), [
    ("en-US", "Messages", "en"),
    ("zh-CN", "短信", "zh-CN"),
    ("zh-TW", "短信", "zh-CN"),          # the only Chinese table is Simplified: still closer than English
    ("fr-FR", "Messages", "en"),         # neither: English
])
def test_the_browsers_language_chooses_the_first_time(context_for, emulator, locale, tab, lang):
    from playwright.sync_api import expect

    page = context_for(locale)
    open_inbox(page, emulator)
    expect(page.locator("#tab-messages")).to_contain_text(tab)
    assert page.evaluate("document.documentElement.lang") == lang


def test_the_first_english_or_chinese_in_the_browsers_list_wins(context_for, emulator):
    page = context_for("en-US")
    open_inbox(page, emulator)
    choose = "(languages) => I18N.preferred(languages)"
    assert page.evaluate(choose, ["fr-FR", "zh-Hant-TW", "en"]) == "zh-CN"
    assert page.evaluate(choose, ["en-GB", "zh-CN"]) == "en"
    assert page.evaluate(choose, ["zh"]) == "zh-CN"
    assert page.evaluate(choose, ["de", "ja"]) == "en"
    assert page.evaluate(choose, []) == "en"


def test_the_switch_flips_the_language_and_is_remembered(context_for, emulator):
    from playwright.sync_api import expect

    send_sms(emulator, "5678")
    page = context_for("zh-CN")
    open_inbox(page, emulator)
    switch = page.locator(".lang-switch")
    expect(switch).to_be_visible()
    expect(switch.locator("[data-lang='zh-CN']")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".badge.status")).to_have_text("发送中")

    switch.locator("[data-lang='en']").click()                             # static and drawn text both flip
    expect(page.locator("#tab-messages")).to_contain_text("Messages")
    expect(page.locator(".badge.status")).to_have_text("Sending")
    expect(page.locator(".code-label")).to_have_text("Verification code")
    expect(page.locator("#thread-sub")).to_have_text("1 message · dysmsapi")
    expect(switch.locator("[data-lang='en']")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert english_left(page.evaluate(UI_TEXT))                            # the check does see English

    page.reload()                                                          # the choice beats the browser's
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    expect(page.locator("#tab-messages")).to_contain_text("Messages")
    expect(page.locator(".badge.status")).to_have_text("Sending")

    switch.locator("[data-lang='zh-CN']").click()
    expect(page.locator("#tab-messages")).to_contain_text("短信")
    expect(page.locator(".badge.status")).to_have_text("发送中")
    page.reload()
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    expect(page.locator("#tab-messages")).to_contain_text("短信")
    assert english_left(page.evaluate(UI_TEXT)) == []


def test_times_follow_the_users_locale(context_for, emulator: EmulatorServer):
    """24-hour times in both languages; the date in the browser's own format (en-GB: day first)."""
    noon = "Date.UTC(2026, 11, 5, 12, 5, 6) / 1000"                        # 5 December in every time zone
    british = context_for("en-GB")
    open_inbox(british, emulator)
    assert british.evaluate(f"I18N.date({noon})") == "05/12/2026"
    assert re.fullmatch(r"\d\d:05:06", british.evaluate(f"I18N.time({noon})"))
    chinese = context_for("zh-CN")
    open_inbox(chinese, emulator)
    assert chinese.evaluate(f"I18N.date({noon})") == "2026/12/05"
    assert re.fullmatch(r"2026/12/05 \d\d:05:06", chinese.evaluate(f"I18N.dateTime({noon})"))
