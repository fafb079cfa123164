// sms-emulator inbox: every word of the interface, in English and Simplified Chinese, in this one file.
//
// How another inbox file uses it (nothing to import: i18n.js is loaded before the other scripts):
//   1. Add the key to BOTH tables below ("en" and "zh-CN"), keeping the {placeholders} identical.
//      A value may be {"one": "...", "other": "..."} when the English needs a plural (chosen by vars.n).
//   2. Static HTML: <span data-i18n="tab.messages">Messages</span> sets the text; data-i18n-title,
//      data-i18n-placeholder and data-i18n-aria-label set those attributes. Applied on load and on a switch.
//   3. JavaScript: t("key") or t("key", { n: 3 }); format times with I18N.date / I18N.time / I18N.dateTime.
//   4. Text drawn by script is redrawn on a switch: document.addEventListener("i18n:change", redraw).
// tests/test_inbox_i18n.py checks that every key used in the inbox files exists in both languages.
// The providers' own texts (message bodies, signs, error codes) are data and are never translated.
"use strict";

(() => {
  // The table is strict JSON (tests parse it); keys are grouped by their prefix.
  const STRINGS = /* strings:begin */ {
    "en": {
      "page.title": "SMS inbox · sms-emulator",
      "page.titleCount": "({n}) SMS inbox · sms-emulator",
      "brand.sub": "inbox",
      "lang.switch": "Language",
      "tab.messages": "Messages",
      "tab.callbacks": "Callbacks",
      "clock.title": "Virtual time of the emulator",
      "live.title": "Live updates (server-sent events)",
      "live.connecting": "connecting",
      "live.live": "live",
      "live.offline": "offline",
      "live.reconnecting": "reconnecting",
      "reset.button": "Reset",
      "reset.title": "Forget messages, codes, limits and reports (of the selected account only, when one is selected)",
      "reset.doneAccount": "Reset account {account}",
      "reset.done": "Inbox reset",
      "reset.failed": "Reset failed: {error}",
      "filter.phone": "Filter by number",
      "filter.provider": "Provider",
      "filter.allProviders": "All providers",
      "filter.account": "Account",
      "filter.allAccounts": "All accounts",
      "conversations.label": "Conversations",
      "conversations.emptyTitle": "No messages yet.",
      "conversations.emptyBefore": "Point an SDK at",
      "conversations.emptyAfter": "and send one: it appears here at once.",
      "phone.label": "Phone",
      "phone.compose": "Text Message · SMS",
      "thread.none": "No conversation",
      "thread.waiting": "waiting for the first SMS",
      "thread.noMatch": "nothing matches the filters",
      "thread.emptyNoMatch": "No message matches the filters.",
      "thread.emptyWaiting": "Messages sent to any number show up here, live.",
      "thread.count": {"one": "{n} message · {providers}", "other": "{n} messages · {providers}"},
      "thread.today": "Today",
      "status.waiting": "Sending",
      "status.delivered": "Delivered",
      "status.failed": "Failed",
      "bubble.virtualTime": "{when} (virtual time)",
      "code.label": "Verification code",
      "code.copy": "Copy",
      "code.copied": "Copied",
      "details.label": "Message details",
      "details.title": "Message details",
      "details.titleId": "Message #{id}",
      "details.empty": "Click a message to see everything the emulator recorded about it: ids, template parameters, delivery times and receipt code.",
      "details.status": "Status",
      "details.provider": "Provider",
      "details.account": "Account",
      "details.to": "To",
      "details.sign": "Sign",
      "details.template": "Template",
      "details.params": "Parameters",
      "details.code": "Code",
      "details.segments": "Segments",
      "details.sent": "Sent",
      "details.final": "Final",
      "details.receipt": "Receipt",
      "callbacks.title": "Delivery reports and callbacks",
      "callbacks.intro": "Every POST the emulator made to an application (1oc reports, SmsReport, DypnsSmsVerifyReport, SmsUp), attempt by attempt, and the reports waiting for their next try on the virtual clock.",
      "callbacks.emptyTitle": "No callbacks yet.",
      "callbacks.emptyBefore": "Set an account's receiver with",
      "callbacks.emptyOr": "or pass",
      "callbacks.emptyAfter": "to sms.1oc.cn; reports go out when messages are delivered.",
      "callbacks.nextTry": "next try {time}",
      "callbacks.now": "now",
      "callbacks.sending": "sending…",
      "callbacks.dueOnClock": "due on the virtual clock",
      "callbacks.message": "message #{id}",
      "callbacks.showMessage": "Show the message",
      "callbacks.waiting": {"one": "{n} report waiting", "other": "{n} reports waiting"},
      "callbacks.advanceHint": " — advance the clock (POST /_emulator/clock/advance) to send them now.",
      "callbacks.gone": "Message #{id} is no longer in the inbox",
      "report.received": "received",
      "report.delivered": "delivered",
      "report.retrying": "retrying",
      "report.gave_up": "gave up",
      "report.queued": "queued",
      "report.sending": "sending",
      "tab.phone": "One-click login",
      "auth.phoneLabel": "The carrier's authorisation page",
      "auth.panelLabel": "Token minting",
      "auth.title": "One-click login without a SIM card",
      "auth.intro": "Choose the number the phone has, tap the button on the phone: the token its carrier would hand your app appears below, for your back end's GetMobile.",
      "auth.number": "Number",
      "auth.carrier": "Carrier",
      "auth.carrierAuto": "From the number",
      "auth.cm": "China Mobile",
      "auth.cu": "China Unicom",
      "auth.ct": "China Telecom",
      "auth.kind": "Token",
      "auth.kindLogin": "Login (GetMobile)",
      "auth.kindVerify": "Verification (VerifyMobile)",
      "auth.kindH5": "H5 spToken (GetPhoneWithToken)",
      "auth.kindFusion": "Fusion (VerifyWithFusionAuthToken)",
      "auth.access": "GetAuthToken AccessToken (optional)",
      "auth.token": "Token",
      "auth.expires": "For {masked} ({carrier}): pass it to {api} within {minutes} min (until {when}, virtual time). It works once.",
      "auth.noCarrier": "no carrier",
      "auth.agreeFirst": "Tick the terms on the phone first, as a user would.",
      "auth.failed": "Minting failed: {error}",
      "auth.exchanges": "Exchanges",
      "auth.noExchanges": "No GetMobile, VerifyMobile or H5 call yet.",
      "tab.catalogue": "Templates & signs",
      "review.title": "Templates and signs under review",
      "review.intro": "The account's catalogue, with the review each template and sign is in. You are Alibaba's reviewer here: approve, reject with a reason or cancel what is under review; the review report goes to the account's receivers.",
      "review.policy": "Review policy",
      "review.modeAfter": "After a delay",
      "review.modeImmediate": "Immediately",
      "review.modeManual": "Only here (manual)",
      "review.delay": "Delay (virtual seconds)",
      "review.apply": "Apply",
      "review.reason": "Rejection reason",
      "review.reasonHint": "内容不符合规范 (the default)",
      "review.kind": "Kind",
      "review.key": "Code / name",
      "review.content": "Content",
      "review.status": "Status",
      "review.reasonShown": "Reason",
      "review.template": "Template",
      "review.sign": "Sign",
      "review.pending": "under review",
      "review.approved": "approved",
      "review.rejected": "rejected",
      "review.cancelled": "cancelled",
      "review.disabled": "disabled",
      "review.approve": "Approve",
      "review.reject": "Reject",
      "review.cancel": "Cancel",
      "review.failed": "The review call failed: {error}"
    },
    "zh-CN": {
      "page.title": "短信收件箱 · sms-emulator",
      "page.titleCount": "({n}) 短信收件箱 · sms-emulator",
      "brand.sub": "收件箱",
      "lang.switch": "界面语言",
      "tab.messages": "短信",
      "tab.callbacks": "回调",
      "clock.title": "模拟器的虚拟时间",
      "live.title": "实时更新（服务器推送事件 SSE）",
      "live.connecting": "连接中",
      "live.live": "实时",
      "live.offline": "已断开",
      "live.reconnecting": "重连中",
      "reset.button": "重置",
      "reset.title": "清空短信、验证码、频控计数和回执（选中账号时只清空该账号）",
      "reset.doneAccount": "已重置账号 {account}",
      "reset.done": "收件箱已重置",
      "reset.failed": "重置失败：{error}",
      "filter.phone": "按手机号筛选",
      "filter.provider": "服务商",
      "filter.allProviders": "全部服务商",
      "filter.account": "账号",
      "filter.allAccounts": "全部账号",
      "conversations.label": "会话列表",
      "conversations.emptyTitle": "还没有短信。",
      "conversations.emptyBefore": "把 SDK 的接入地址指向",
      "conversations.emptyAfter": "并发送一条，它会立即出现在这里。",
      "phone.label": "手机",
      "phone.compose": "短信",
      "thread.none": "暂无会话",
      "thread.waiting": "等待第一条短信",
      "thread.noMatch": "没有符合筛选条件的会话",
      "thread.emptyNoMatch": "没有符合筛选条件的短信。",
      "thread.emptyWaiting": "发往任意号码的短信都会实时显示在这里。",
      "thread.count": {"other": "{n} 条短信 · {providers}"},
      "thread.today": "今天",
      "status.waiting": "发送中",
      "status.delivered": "已送达",
      "status.failed": "发送失败",
      "bubble.virtualTime": "{when}（虚拟时间）",
      "code.label": "验证码",
      "code.copy": "复制",
      "code.copied": "已复制",
      "details.label": "短信详情",
      "details.title": "短信详情",
      "details.titleId": "短信 #{id}",
      "details.empty": "点击一条短信，查看模拟器记录的全部信息：各类 ID、模板参数、发送与送达时间以及回执状态码。",
      "details.status": "状态",
      "details.provider": "服务商",
      "details.account": "账号",
      "details.to": "接收号码",
      "details.sign": "签名",
      "details.template": "模板",
      "details.params": "模板参数",
      "details.code": "验证码",
      "details.segments": "计费条数",
      "details.sent": "发送时间",
      "details.final": "回执时间",
      "details.receipt": "回执状态码",
      "callbacks.title": "状态报告与回调",
      "callbacks.intro": "模拟器向应用发出的每一次 POST 回调（1oc 状态报告、SmsReport、DypnsSmsVerifyReport、SmsUp）都逐次列在这里，也包括按虚拟时钟等待下次重试的报告。",
      "callbacks.emptyTitle": "还没有回调。",
      "callbacks.emptyBefore": "用",
      "callbacks.emptyOr": "设置账号的回调地址，或向 sms.1oc.cn 传入",
      "callbacks.emptyAfter": "；短信送达时即推送状态报告。",
      "callbacks.nextTry": "下次重试 {time}",
      "callbacks.now": "立即",
      "callbacks.sending": "推送中…",
      "callbacks.dueOnClock": "按虚拟时钟到期推送",
      "callbacks.message": "短信 #{id}",
      "callbacks.showMessage": "查看这条短信",
      "callbacks.waiting": {"other": "{n} 条报告待推送"},
      "callbacks.advanceHint": " —— 推进时钟（POST /_emulator/clock/advance）即可立即推送。",
      "callbacks.gone": "短信 #{id} 已不在收件箱中",
      "report.received": "已接收",
      "report.delivered": "推送成功",
      "report.retrying": "重试中",
      "report.gave_up": "已放弃",
      "report.queued": "排队中",
      "report.sending": "推送中",
      "tab.phone": "一键登录",
      "auth.phoneLabel": "运营商授权页",
      "auth.panelLabel": "签发 token",
      "auth.title": "无需 SIM 卡的一键登录",
      "auth.intro": "选择手机上的号码，点击手机上的按钮：运营商本会交给你的 App 的 token 就会显示在下方，供你的后端调用 GetMobile。",
      "auth.number": "号码",
      "auth.carrier": "运营商",
      "auth.carrierAuto": "按号段判断",
      "auth.cm": "中国移动",
      "auth.cu": "中国联通",
      "auth.ct": "中国电信",
      "auth.kind": "token 类型",
      "auth.kindLogin": "一键登录（GetMobile）",
      "auth.kindVerify": "本机号码校验（VerifyMobile）",
      "auth.kindH5": "H5 页面的 spToken（GetPhoneWithToken）",
      "auth.kindFusion": "融合认证（VerifyWithFusionAuthToken）",
      "auth.access": "GetAuthToken 返回的 AccessToken（可选）",
      "auth.token": "令牌",
      "auth.expires": "{masked}（{carrier}）：请在 {minutes} 分钟内（虚拟时间 {when} 前）传给 {api}。只能使用一次。",
      "auth.noCarrier": "无运营商",
      "auth.agreeFirst": "请先像用户一样勾选手机上的服务条款。",
      "auth.failed": "签发失败：{error}",
      "auth.exchanges": "调用记录",
      "auth.noExchanges": "还没有 GetMobile、VerifyMobile 或 H5 调用。",
      "tab.catalogue": "模板与签名",
      "review.title": "审核中的模板与签名",
      "review.intro": "该账号的模板与签名，以及每一项所处的审核状态。在这里你就是阿里云的审核人员：通过、驳回（附原因）或取消审核中的申请；审核结果报告会推送到该账号的接收地址。",
      "review.policy": "审核策略",
      "review.modeAfter": "延时自动通过",
      "review.modeImmediate": "立即通过",
      "review.modeManual": "仅在此处人工审核",
      "review.delay": "延时（虚拟时间，秒）",
      "review.apply": "应用",
      "review.reason": "驳回原因",
      "review.reasonHint": "内容不符合规范（默认）",
      "review.kind": "类型",
      "review.key": "编码 / 名称",
      "review.content": "内容",
      "review.status": "状态",
      "review.reasonShown": "原因",
      "review.template": "模板",
      "review.sign": "签名",
      "review.pending": "审核中",
      "review.approved": "审核通过",
      "review.rejected": "审核未通过",
      "review.cancelled": "已取消",
      "review.disabled": "已停用",
      "review.approve": "通过",
      "review.reject": "驳回",
      "review.cancel": "取消",
      "review.failed": "审核操作失败：{error}"
    }
  } /* strings:end */;

  const LANGUAGES = Object.keys(STRINGS);
  const DEFAULT = "en";
  const STORAGE_KEY = "sms-emulator.inbox.lang";

  /** The browser's preference, in order: any Chinese (zh, zh-CN, zh-Hans, zh-TW, zh-HK) reads the
   * Simplified table, the only Chinese one; the first English or Chinese entry wins; else English. */
  function preferred(languages) {
    for (const tag of languages || []) {
      const primary = String(tag).toLowerCase().split("-")[0];
      if (primary === "zh") return "zh-CN";
      if (primary === "en") return "en";
    }
    return DEFAULT;
  }

  function stored() {
    try {
      const value = localStorage.getItem(STORAGE_KEY);
      return LANGUAGES.includes(value) ? value : null;
    } catch {
      return null;                  // storage disabled: the browser's preference still works
    }
  }

  let lang = stored() || preferred(navigator.languages && navigator.languages.length
    ? navigator.languages : [navigator.language]);

  /** The text of `key` in the current language, its {placeholders} filled from `vars`. A missing key shows
   * itself (and warns) rather than an empty label, so a forgotten string is visible at once. */
  function t(key, vars) {
    let value = STRINGS[lang][key] ?? STRINGS[DEFAULT][key];
    if (value === undefined) {
      console.warn(`i18n: no string ${key}`);
      return key;
    }
    if (typeof value === "object") {
      const n = vars && typeof vars.n === "number" ? vars.n : 0;
      value = value[plurals(lang).select(n)] ?? value.other;
    }
    return value.replace(/\{(\w+)\}/g, (whole, name) => (vars && name in vars ? String(vars[name]) : whole));
  }

  // Dates in the user's locale: the browser's own first language when it is of the chosen one (en-GB keeps
  // day/month), else the chosen language. 24-hour time everywhere: these are log timestamps, read by developers.
  function locale() {
    const own = navigator.language || "";
    return own.toLowerCase().split("-")[0] === lang.split("-")[0] ? [own, lang] : [lang];
  }
  // Building an Intl formatter costs ~0.1 ms, a list of 2000 conversations calls one per row: one per language.
  function cachedPer(make) {
    const cache = new Map();
    return (key) => { if (!cache.has(key)) cache.set(key, make(key)); return cache.get(key); };
  }
  const format = (options) => {
    const formatter = cachedPer(() => new Intl.DateTimeFormat(locale(), options));
    return (epoch) => formatter(`${lang}|${navigator.language}`).format(new Date(epoch * 1000));
  };
  const plurals = cachedPer((language) => new Intl.PluralRules(language));
  const DATE = { year: "numeric", month: "2-digit", day: "2-digit" };
  const TIME = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };

  const ATTRIBUTES = ["title", "placeholder", "aria-label"];

  /** Translate the static page: every [data-i18n] element's text and [data-i18n-title|placeholder|aria-label]. */
  function apply(root) {
    const scope = root || document;
    for (const node of scope.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const attribute of ATTRIBUTES) {
      for (const node of scope.querySelectorAll(`[data-i18n-${attribute}]`)) {
        node.setAttribute(attribute, t(node.getAttribute(`data-i18n-${attribute}`)));
      }
    }
    document.documentElement.lang = lang;
    for (const button of document.querySelectorAll("[data-lang]")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
    }
  }

  /** The user's explicit choice: remembered, applied, and announced so scripts redraw their text. */
  function setLanguage(choice) {
    if (!LANGUAGES.includes(choice)) return;
    lang = choice;
    try { localStorage.setItem(STORAGE_KEY, choice); } catch { /* not remembered, still switched */ }
    apply();
    document.dispatchEvent(new CustomEvent("i18n:change", { detail: { lang } }));
  }

  window.t = t;
  window.I18N = {
    get lang() { return lang; },
    languages: LANGUAGES,
    strings: STRINGS,
    preferred,
    setLanguage,
    apply,
    date: format(DATE),
    time: format(TIME),
    shortTime: format({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
    monthDay: format({ month: "2-digit", day: "2-digit" }),
    dateTime: format({ ...DATE, ...TIME }),
  };

  const init = () => {
    for (const button of document.querySelectorAll("[data-lang]")) {
      button.addEventListener("click", () => setLanguage(button.dataset.lang));
    }
    apply();
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
